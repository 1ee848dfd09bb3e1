"""One module per ``anime-genre`` subcommand (see ``anime_genre.cli``)."""
