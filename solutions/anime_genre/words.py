"""One synopsis into its cleaned words, with nothing heavy imported: the single definition
that training (``clean.normalize``, the ``Text`` column) and prediction (``predictor``, which
must start fast and so imports neither pandas nor scikit-learn) share."""
from __future__ import annotations


def normalize(text: str, stop_words=frozenset(), strip_source_tail: bool = True) -> list:
    """The final source note removed ("(Source: ANN)", with ``scrape.split_source_tail``),
    lower case, every character that is not a letter (``str.isalpha``) a space, split on white
    space, ``stop_words`` removed."""
    if strip_source_tail:
        from .scrape import split_source_tail   # imports bs4 (so does the command line)

        text = split_source_tail(text)[0]
    tokens = text.lower().translate(_LETTERS_ONLY).split()
    return [t for t in tokens if t not in stop_words] if stop_words else tokens


class _LettersOnlyTable(dict):
    """``str.translate`` table: a letter stays, anything else becomes a space; each character
    is classified once (4 times faster than testing every character of every synopsis)."""

    def __missing__(self, code):
        value = self[code] = code if chr(code).isalpha() else 32
        return value


_LETTERS_ONLY = _LettersOnlyTable()
