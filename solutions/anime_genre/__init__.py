"""Anime genre classification from scratch: the reference solution."""
__version__ = "0.1.0"
