"""Parse one saved MyAnimeList anime page into a record.

Three page layouts are handled (see ``datasets/README.md``):

- 2017–2019: ``<h1 class="h1"><span itemprop="name">``; genres only as links in the
  "Genres:" row; synopsis in ``<span itemprop="description">``.
- 2021: ``<h1 class="title-name"><strong>``, with the English title in a ``<p>`` beside the
  ``<h1>``; genres as ``<span itemprop="genre">`` *and* links; synopsis in
  ``<p itemprop="description">``.
- 2022 and later: the old genre list is split into "Genres:", "Themes:" and "Demographic:"
  rows (singular "Genre:"/"Theme:" when there is one entry). **Themes and the demographic
  count as genres here**, in page order, because the mal2020 corpus's genre list includes them
  (Mecha, Samurai, Shounen, ...): that keeps scraped tables comparable with it.

Each ``parse_*`` function takes the page's HTML text (or an already parsed soup, so that
:func:`parse_anime_page` parses a page once) and is self-contained (it only uses
``BeautifulSoup``, ``re`` and names defined above it), because lesson 1 asks students to
write the same functions. A field that cannot be found raises :class:`PageParseError`
naming the field: the parser never guesses.
"""
from __future__ import annotations

import dataclasses
import re

from bs4 import BeautifulSoup

from .errors import UserError


class PageParseError(UserError):
    """A field of an anime page is missing or unusable.

    ``field`` is one of ``page``, ``mal_id``, ``name``, ``type``, ``genres``, ``synopsis``;
    ``reason`` says what was looked for; ``file`` is filled in by callers that know it."""

    def __init__(self, field: str, reason: str, file: str | None = None):
        self.field = field
        self.reason = reason
        self.file = file
        where = f"{file}: " if file else ""
        super().__init__(f"{where}field {field!r}: {reason}")


@dataclasses.dataclass
class AnimeRecord:
    """What one anime page says. ``genres`` keeps page order; ``synopsis`` has its source
    tail (``[Written by MAL Rewrite]``, ``(Source: ANN)``, ...) moved to ``source_tail``."""
    mal_id: int
    name: str
    type: str
    genres: list[str]
    synopsis: str
    source_tail: str = ""


def parse_mal_id(html: str) -> int:
    """The anime's MyAnimeList id, from the page's canonical address ``.../anime/<id>/...``
    (falling back to the ``og:url`` meta tag)."""
    soup = html if isinstance(html, BeautifulSoup) else BeautifulSoup(html, "html.parser")
    candidates = []
    link = soup.find("link", rel="canonical")
    if link is not None:
        candidates.append(link.get("href", ""))
    meta = soup.find("meta", property="og:url")
    if meta is not None:
        candidates.append(meta.get("content", ""))
    for url in candidates:
        match = re.search(r"/anime/(\d+)", url)
        if match:
            return int(match.group(1))
    raise PageParseError("mal_id", 'no canonical link or og:url of the form ".../anime/<id>/..."')


def parse_name(html: str) -> str:
    """The main title: the text of the page's ``<h1>``, whitespace collapsed. The English
    title of the 2021+ layout sits next to the ``<h1>`` (in ``<p class="title-english">``),
    so it is not included."""
    soup = html if isinstance(html, BeautifulSoup) else BeautifulSoup(html, "html.parser")
    h1 = soup.find("h1")
    if h1 is None:
        raise PageParseError("name", "no <h1> element")
    # the 2021 layout wraps the title in <strong>; older pages in <span itemprop="name">
    inner = h1.find("strong") or h1.find(attrs={"itemprop": "name"}) or h1
    name = " ".join(inner.get_text().split())
    if not name:
        raise PageParseError("name", "the <h1> element is empty")
    return name


def parse_type(html: str) -> str:
    """The value of the "Type:" row of the information sidebar (TV, Movie, OVA, ...)."""
    soup = html if isinstance(html, BeautifulSoup) else BeautifulSoup(html, "html.parser")
    for label in soup.find_all("span", class_="dark_text"):
        if label.get_text().strip() == "Type:":
            row = " ".join(label.parent.get_text().split())
            value = row.replace("Type:", "", 1).strip()
            if not value:
                raise PageParseError("type", 'the "Type:" row is empty')
            return value
    raise PageParseError("type", 'no "Type:" row')


def parse_genres(html: str) -> list[str]:
    """Genres in page order, from the "Genres:" row (older layouts) or from the "Genres:",
    "Themes:" and "Demographic:" rows (2022+, singular or plural labels), all counted as
    genres. Each genre is the text of an ``<a>`` link in those rows (the hidden
    ``<span itemprop="genre">`` copies are ignored, so nothing is counted twice).

    Returns ``[]`` when a row says no genres have been added; raises when no row exists."""
    soup = html if isinstance(html, BeautifulSoup) else BeautifulSoup(html, "html.parser")
    labels = re.compile(r"^(Genres?|Themes?|Demographics?):$")
    genres = []
    found_row = False
    for label in soup.find_all("span", class_="dark_text"):
        if not labels.match(label.get_text().strip()):
            continue
        found_row = True
        for link in label.parent.find_all("a"):
            genre = " ".join(link.get_text().split())
            if genre and genre not in genres:
                genres.append(genre)
    if not found_row:
        raise PageParseError("genres", 'no "Genres:", "Themes:" or "Demographic:" row')
    return genres


def split_source_tail(text: str) -> tuple[str, str]:
    """Split a synopsis into (text, tail), where the tail is a final source note such as
    ``[Written by MAL Rewrite]`` or ``(Source: ANN)``. Whitespace is collapsed to single
    spaces first. Without a tail, returns (text, "")."""
    text = " ".join(text.split())
    match = re.search(r"\s*([\[(]\s*(?:Written by|Source\s*:)[^\[\]()]*[\])])\s*$", text)
    if match is None:
        return text, ""
    return text[: match.start()].strip(), match.group(1)


def parse_synopsis(html: str) -> tuple[str, str]:
    """(synopsis, source tail) from the element with ``itemprop="description"``, all
    whitespace (line breaks included) collapsed to single spaces. Raises on a missing,
    empty or placeholder synopsis ("No synopsis information has been added ...")."""
    soup = html if isinstance(html, BeautifulSoup) else BeautifulSoup(html, "html.parser")
    element = soup.find(attrs={"itemprop": "description"})
    # <meta itemprop="description"> (page summary) is not the synopsis
    while element is not None and element.name == "meta":
        element = element.find_next(attrs={"itemprop": "description"})
    if element is None:
        raise PageParseError("synopsis", 'no element with itemprop="description"')
    # a <br> separates words even when the page has no whitespace around it
    for br in element.find_all("br"):
        br.replace_with("\n")
    synopsis, tail = split_source_tail(element.get_text())
    if not synopsis:
        raise PageParseError("synopsis", "the synopsis is empty")
    if re.match(r"no synopsis (information )?has been added", synopsis, re.IGNORECASE):
        raise PageParseError("synopsis", "placeholder text, no synopsis on this page")
    return synopsis, tail


def check_complete(html: str) -> None:
    """Raise if the page was cut off: a saved page ends with ``</html>``. Without this, a
    page truncated inside the synopsis would yield a silently shortened synopsis."""
    if not re.search(r"</html\s*>\s*$", html[-2000:], re.IGNORECASE):
        raise PageParseError("page", "truncated: the page does not end with </html>")


def parse_anime_page(html: str) -> AnimeRecord:
    """Parse a whole page. Raises :class:`PageParseError` for the first unusable field."""
    check_complete(html)
    soup = BeautifulSoup(html, "html.parser")  # parsed once; each parse_* accepts a soup
    synopsis, tail = parse_synopsis(soup)
    return AnimeRecord(
        mal_id=parse_mal_id(soup),
        name=parse_name(soup),
        type=parse_type(soup),
        genres=parse_genres(soup),
        synopsis=synopsis,
        source_tail=tail,
    )


# ------------------------------------------------------------------- many pages

def iter_pages(source):
    """Yield (name, bytes) for every ``.html``/``.htm`` page in a folder (recursively) or in
    a ``.zip`` archive, sorted by name so that runs are reproducible."""
    import zipfile
    from pathlib import Path

    source = Path(source)
    if source.is_dir():
        for path in sorted(p for p in source.rglob("*") if p.suffix.lower() in (".html", ".htm")):
            yield str(path.relative_to(source)), path.read_bytes()
    elif source.is_file() and zipfile.is_zipfile(source):
        with zipfile.ZipFile(source) as archive:
            names = sorted(n for n in archive.namelist()
                           if not n.endswith("/") and n.lower().endswith((".html", ".htm")))
            for name in names:
                yield name, archive.read(name)
    elif source.exists():
        raise UserError(f"{source}: not a folder or a zip archive of pages")
    else:
        raise UserError(f"{source}: no such folder or zip archive")


def count_pages(source) -> int:
    """Number of pages :func:`iter_pages` will yield (for a progress bar)."""
    import zipfile
    from pathlib import Path

    source = Path(source)
    if source.is_dir():
        return sum(1 for p in source.rglob("*") if p.suffix.lower() in (".html", ".htm"))
    if source.is_file() and zipfile.is_zipfile(source):
        with zipfile.ZipFile(source) as archive:
            return sum(1 for n in archive.namelist()
                       if not n.endswith("/") and n.lower().endswith((".html", ".htm")))
    return 0


def parse_page_bytes(name: str, data: bytes) -> AnimeRecord:
    """Decode a saved page as UTF-8 and parse it; errors name the file."""
    try:
        html = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PageParseError("encoding", f"not valid UTF-8 at byte {exc.start}", file=name) from None
    try:
        return parse_anime_page(html)
    except PageParseError as exc:
        raise PageParseError(exc.field, exc.reason, file=name) from None


def scrape_pages(pages, progress: bool = False):
    """Parse every page of a folder or zip archive.

    Returns ``(table, rejected)``: ``table`` a DataFrame with columns ``MAL_ID, Name, Type,
    Genres, Synopsis`` (genres joined with ", ") and one row per accepted page; ``rejected``
    a DataFrame ``file, reason``. ``len(table) + len(rejected)`` is the number of pages. A
    second page with an id already seen is rejected as a duplicate."""
    import pandas as pd
    from tqdm.auto import tqdm

    rows, rejected, first_file = [], [], {}
    items = iter_pages(pages)
    if progress:
        items = tqdm(items, total=count_pages(pages), unit="page", desc="scrape")
    for name, data in items:
        try:
            rec = parse_page_bytes(name, data)
        except PageParseError as exc:
            rejected.append({"file": name, "reason": f"{exc.field}: {exc.reason}"})
            continue
        if rec.mal_id in first_file:
            rejected.append({"file": name, "reason": f"duplicate: MAL_ID {rec.mal_id} already "
                                                     f"read from {first_file[rec.mal_id]}"})
            continue
        first_file[rec.mal_id] = name
        rows.append({"MAL_ID": rec.mal_id, "Name": rec.name, "Type": rec.type,
                     "Genres": ", ".join(rec.genres), "Synopsis": rec.synopsis})
    table = pd.DataFrame(rows, columns=["MAL_ID", "Name", "Type", "Genres", "Synopsis"])
    return table, pd.DataFrame(rejected, columns=["file", "reason"])
