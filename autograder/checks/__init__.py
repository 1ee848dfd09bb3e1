"""Visible checks, one module per lesson. They never import anime_genre."""
