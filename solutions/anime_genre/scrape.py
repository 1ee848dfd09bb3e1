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

MyAnimeList serves a different page to phones (its *smartphone layout*, which loads
``.../css/sp/...`` stylesheets where every desktop page loads ``.../css/pc/...``). No saved page
of that layout was available to test a reader against, so :func:`parse_anime_page` rejects it
by name (field ``layout``) rather than guessing; ``anime-genre crawl`` never receives it (it
does not send a phone's User-Agent).

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
    spaces first. Without a tail, returns (text, "").

    Two variants of real pages count too: MyAnimeList's own typo ``[Writtten by MAL
    Rewrite]`` (returned spelled correctly), and a source note followed by a short editorial
    note ("(Source: ANN) Based on the video game ..."): the tail is then the source note and
    everything after it, as long as what follows is shorter than 600 characters and than the
    text before the note."""
    text = " ".join(text.split())
    text = re.sub(r"([\[(]\s*)Writ+en by", r"\1Written by", text)
    match = re.search(r"\s*([\[(]\s*(?:Written by|Source\s*:)[^\[\]()]*[\])])\s*$", text)
    if match is None:
        notes = list(re.finditer(r"[\[(]\s*(?:Written by|Source\s*:)[^\[\]()]*[\])]", text))
        if notes:
            start, after = notes[-1].start(), len(text) - notes[-1].end()
            if after < 600 and after < start:
                return text[:start].strip(), text[start:]
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
    """Raise if the page was cut off: a saved page ends with ``</html>`` (only comments, such
    as an archive's note, may follow). Without this, a page truncated inside the synopsis
    would yield a silently shortened synopsis."""
    if not html.strip():
        raise PageParseError("page", "empty: the page has no content")
    if not re.search(r"</html\s*>\s*(?:<!--.*?-->\s*)*$", html[-4000:], re.IGNORECASE | re.DOTALL):
        raise PageParseError("page", "truncated: the page does not end with </html>")


# ------------------------------------------------------------------- whole pages

def page_layout(soup) -> str:
    """``"smartphone"`` for MyAnimeList's smartphone layout, recognised by its stylesheets
    and scripts under ``.../css/sp/`` or ``.../js/sp/`` (desktop pages load ``.../css/pc/``);
    ``"desktop"`` otherwise."""
    for tag in soup.find_all(["link", "script"]):
        address = tag.get("href") or tag.get("src") or ""
        if re.search(r"/(?:css|js)/sp/", address):
            return "smartphone"
    return "desktop"


def check_anime_page(html, expected_id: int | None = None) -> int:
    """Check that ``html`` is a complete MyAnimeList anime page in a layout this module
    reads, and return its id: complete, not the smartphone layout, an anime address
    (equal to ``expected_id`` when given), a title and an information sidebar with a
    "Type:" row. This is what ``anime-genre crawl`` checks before it caches a page; a page
    that passes may still lack a synopsis or genres (a real anime page without them).
    Raises :class:`PageParseError` naming the first problem."""
    if isinstance(html, str):
        check_complete(html)
        soup = BeautifulSoup(html, "html.parser")
    else:
        soup = html
    if page_layout(soup) == "smartphone":
        raise PageParseError("layout", "MyAnimeList's smartphone layout (it loads .../css/sp/ "
                                       "stylesheets), which this parser does not read: save the "
                                       "page again with a desktop browser's User-Agent")
    mal_id = parse_mal_id(soup)
    if expected_id is not None and mal_id != int(expected_id):
        raise PageParseError("mal_id", f"the page is anime {mal_id}, not the requested {int(expected_id)}")
    if soup.find("span", class_="dark_text") is None:
        raise PageParseError("layout", 'no information sidebar (no <span class="dark_text"> rows '
                                       'such as "Type:"): not a desktop MyAnimeList anime page')
    parse_name(soup)
    parse_type(soup)
    return mal_id


def parse_anime_page(html: str) -> AnimeRecord:
    """Parse a whole page. Raises :class:`PageParseError` for the first unusable field
    (``page`` and ``layout`` before the fields, see :func:`check_anime_page`)."""
    check_complete(html)
    soup = BeautifulSoup(html, "html.parser")  # parsed once; each parse_* accepts a soup
    check_anime_page(soup)
    synopsis, tail = parse_synopsis(soup)
    return AnimeRecord(
        mal_id=parse_mal_id(soup),
        name=parse_name(soup),
        type=parse_type(soup),
        genres=parse_genres(soup),
        synopsis=synopsis,
        source_tail=tail,
    )


def page_saved_at(html: str) -> float | None:
    """When the page was saved, as a Unix time, from the dates the page itself carries:

    - exactly, the ``data-time`` attribute of ``<body>`` (MyAnimeList's server time, on
      pages since about 2022) or a web archive's ``FILE ARCHIVED ON ...`` note;
    - otherwise the newest date the page refers to, which it cannot predate: the upload
      time in its image addresses (``.../uploaded_files/<unix time>-...``), ``?t=``/``?v=``
      timestamps of its scripts and stylesheets, and the year of its copyright footer.

    None if the page carries none of these. Read with regular expressions (no second parse)."""
    from datetime import datetime, timezone

    match = re.search(r"<body\b[^>]*?\sdata-time\s*=\s*[\"']?(\d{9,11})\b", html, re.IGNORECASE)
    if match:
        return float(match.group(1))
    match = re.search(r"FILE ARCHIVED ON (\d\d:\d\d:\d\d \w{3} \d\d?, \d{4})", html[-6000:])
    if match:
        when = datetime.strptime(match.group(1), "%H:%M:%S %b %d, %Y")
        return when.replace(tzinfo=timezone.utc).timestamp()
    found = [float(t) for t in re.findall(r"uploaded_files/(1\d{9})-", html)]
    found += [float(t) for t in re.findall(r"[?&](?:t|v)=(1\d{9})\b", html)]
    found += [datetime(int(y), 1, 1, tzinfo=timezone.utc).timestamp()
              for y in re.findall(r"(?:\u00a9|&copy;)\s*((?:19|20)\d\d)\b", html)]
    now = datetime.now(timezone.utc).timestamp()
    found = [t for t in found if t <= now + 86400]  # a date in the future is no evidence
    return max(found) if found else None


# ------------------------------------------------------------------- many pages

@dataclasses.dataclass
class PageFile:
    """One page of a folder or archive: ``name`` (relative path), ``data`` (bytes, or None
    when the file could not be read, ``error`` then says why) and ``file_time`` (the file's
    modification time or the archive entry's date, Unix time)."""
    name: str
    data: bytes | None
    file_time: float | None = None
    error: str = ""


def _is_page(name: str) -> bool:
    return not name.endswith("/") and name.lower().endswith((".html", ".htm"))


def iter_pages(source):
    """Yield a :class:`PageFile` for every ``.html``/``.htm`` page in a folder (recursively)
    or in a ``.zip`` archive, sorted by name so that runs are reproducible. A file or archive
    entry that cannot be read (permissions, a corrupt zip entry) is yielded with its error
    instead of stopping the run."""
    import time
    import zipfile
    import zlib
    from pathlib import Path

    source = Path(source)
    if source.is_dir():
        for path in sorted(p for p in source.rglob("*") if p.is_file() and _is_page(p.name)):
            name = str(path.relative_to(source))
            try:
                yield PageFile(name, path.read_bytes(), path.stat().st_mtime)
            except OSError as exc:
                yield PageFile(name, None, None, f"cannot read the file ({exc.strerror or exc})")
    elif source.is_file() and zipfile.is_zipfile(source):
        try:
            archive = zipfile.ZipFile(source)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise UserError(f"{source}: not a readable zip archive ({exc})") from None
        with archive:
            infos = sorted((i for i in archive.infolist() if _is_page(i.filename)),
                           key=lambda i: i.filename)
            for info in infos:
                try:
                    when = time.mktime(info.date_time + (0, 0, -1))
                except (OverflowError, ValueError):
                    when = None
                try:
                    yield PageFile(info.filename, archive.read(info), when)
                except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError,
                        RuntimeError) as exc:
                    yield PageFile(info.filename, None, when,
                                   f"cannot read the archive entry ({type(exc).__name__}: {exc})")
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
        return sum(1 for p in source.rglob("*") if p.is_file() and _is_page(p.name))
    if source.is_file() and zipfile.is_zipfile(source):
        try:
            with zipfile.ZipFile(source) as archive:
                return sum(1 for n in archive.namelist() if _is_page(n))
        except (zipfile.BadZipFile, OSError, ValueError):
            return 0
    return 0


def parse_page_bytes(name: str, data: bytes) -> AnimeRecord:
    """Decode a saved page as UTF-8 and parse it; errors name the file."""
    try:
        html = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PageParseError("encoding", f"not valid UTF-8 at byte {exc.start}", file=name) from None
    try:
        return parse_anime_page(html)
    except PageParseError as exc:
        raise PageParseError(exc.field, exc.reason, file=name) from None


def _when(t: float | None) -> str:
    from datetime import datetime, timezone

    if t is None:
        return "no date"
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _duplicate_reasons(copies: list) -> dict:
    """``copies``: [(name, record, page_time, file_time)] of one id, in name order. Picks
    the newest save (the page's own date when every copy has one, else the file's date; ties
    and undated copies: the first by name) and returns {name of each other copy: reason}."""
    by_page = all(c[2] is not None for c in copies)
    key = 2 if by_page else 3
    basis = "page dated" if by_page else "file dated"
    order = sorted(range(len(copies)), key=lambda i: (-(copies[i][key] if copies[i][key] is not None
                                                       else float("-inf")), i))
    win = copies[order[0]]
    fields = [f.name for f in dataclasses.fields(AnimeRecord) if f.name != "mal_id"]
    reasons = {}
    for i in order[1:]:
        name, rec, *_ = copies[i]
        differ = [f for f in fields if getattr(rec, f) != getattr(win[1], f)]
        same = ("the two pages agree on every field" if not differ
                else "the pages DIFFER in " + ", ".join(differ))
        if copies[i][key] == win[key]:
            why = f"both {basis} {_when(win[key])}, the first by name is kept"
        else:
            why = f"kept as the newer save: {basis} {_when(win[key])} vs {_when(copies[i][key])}"
        reasons[name] = f"duplicate: MAL_ID {rec.mal_id} also in {win[0]} ({why}); {same}"
    return reasons


def scrape_pages(pages, progress: bool = False):
    """Parse every page of a folder or zip archive.

    Returns ``(table, rejected)``: ``table`` a DataFrame with columns ``MAL_ID, Name, Type,
    Genres, Synopsis`` (genres joined with ", ") and one row per accepted page; ``rejected``
    a DataFrame ``file, reason``. ``len(table) + len(rejected)`` is the number of pages.

    When several pages have the same id, the newest save is kept (by the date the page
    carries, see :func:`page_saved_at`, when every copy has one, else by the file's date);
    each other copy is rejected as a duplicate with a reason naming the kept file and saying
    whether the pages differ and in which fields."""
    import pandas as pd
    from tqdm.auto import tqdm

    accepted, rejected = [], []
    items = iter_pages(pages)
    if progress:
        items = tqdm(items, total=count_pages(pages), unit="page", desc="scrape")
    for page in items:
        if page.data is None:
            rejected.append({"file": page.name, "reason": f"file: {page.error}"})
            continue
        try:
            rec = parse_page_bytes(page.name, page.data)
        except PageParseError as exc:
            rejected.append({"file": page.name, "reason": f"{exc.field}: {exc.reason}"})
            continue
        saved = page_saved_at(page.data.decode("utf-8-sig"))
        accepted.append((page.name, rec, saved, page.file_time))
    by_id: dict = {}
    for copy in accepted:
        by_id.setdefault(copy[1].mal_id, []).append(copy)
    losers = {}
    for copies in by_id.values():
        if len(copies) > 1:
            losers.update(_duplicate_reasons(copies))
    rows = []
    for name, rec, *_ in accepted:
        if name in losers:
            rejected.append({"file": name, "reason": losers[name]})
        else:
            rows.append({"MAL_ID": rec.mal_id, "Name": rec.name, "Type": rec.type,
                         "Genres": ", ".join(rec.genres), "Synopsis": rec.synopsis})
    table = pd.DataFrame(rows, columns=["MAL_ID", "Name", "Type", "Genres", "Synopsis"])
    return table, pd.DataFrame(rejected, columns=["file", "reason"])
