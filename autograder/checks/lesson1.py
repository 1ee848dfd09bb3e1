"""Visible checks of lesson 1 (scraping). The pages here are small invented HTML strings
that copy only the *structure* of MyAnimeList pages (no MyAnimeList text): this module
ships to students, who do not have ``anime_genre``."""
from __future__ import annotations

from autograder.core import call, exercise

# ----------------------------------------------------------------------------- tiny pages


def page_old(mal_id=777, name="Moonlit Bakery", type_="TV", genres=("Comedy", "Slice of Life"),
             synopsis="Ami bakes bread at night.<br />\r\n<br />\r\nThe moon buys a loaf. (Source: Tiny Test)"):
    """The 2017–2019 layout: title in <h1><span itemprop="name">, genres only as links."""
    links = ", ".join(f'<a href="/anime/genre/{i}/{g}" title="{g}">{g}</a>' for i, g in enumerate(genres))
    return (f'<html><head><link rel="canonical" href="https://myanimelist.net/anime/{mal_id}/X" /></head>'
            f'<body><h1 class="h1"><span itemprop="name">{name}</span></h1>'
            f'<div>\n  <span class="dark_text">Type:</span>\n  <a href="/topanime.php?type=tv">{type_}</a></div>'
            f'<div>\n  <span class="dark_text">Genres:</span>\n  {links}</div>'
            f'<h2>Synopsis</h2><span itemprop="description">{synopsis}</span></body></html>')


def page_2021(mal_id=778, name="Paper Lanterns", english="The Lantern Makers", type_="Movie",
              genres=("Drama", "Historical")):
    """The 2021 layout: <h1><strong>, the English title beside it, hidden genre spans."""
    parts = "\n,\n".join(f'<span itemprop="genre" style="display: none">\n {g}\n</span>\n'
                         f'<a href="/anime/genre/{i}/{g}" title="{g}">\n {g}\n</a>'
                         for i, g in enumerate(genres))
    return (f'<html><head><meta content="https://myanimelist.net/anime/{mal_id}/Y" property="og:url"/>'
            f'</head><body><div itemprop="name">\n <h1 class="title-name h1_bold_none">\n  <strong>\n'
            f'   {name}\n  </strong>\n </h1>\n <br/>\n <p class="title-english title-inherit">\n'
            f'  {english}\n </p>\n</div>'
            f'<div>\n <span class="dark_text">\n  Type:\n </span>\n <a href="/topanime.php?type=movie">\n'
            f'  {type_}\n </a>\n</div>'
            f'<div>\n <span class="dark_text">\n  Genres:\n </span>\n{parts}\n</div>'
            f'<p itemprop="description">\n  Two sisters fold lanterns.\n  <br/>\n  <br/>\n'
            f'  [Written by Tiny Test]\n</p></body></html>')


def page_2022(rows=(("Genres:", ("Action", "Sci-Fi")), ("Themes:", ("Mecha", "Space")),
                    ("Demographic:", ("Shounen",)))):
    """The 2022+ layout: genres split into Genres / Themes / Demographic rows."""
    html_rows = "".join(
        f'<div class="spaceit_pad">\n  <span class="dark_text">{label}</span>\n  '
        + ", ".join(f'<span itemprop="genre" style="display: none">{g}</span>'
                    f'<a href="/anime/genre/{i}/{g}" title="{g}">{g}</a>' for i, g in enumerate(gs))
        + "  </div>\n" for label, gs in rows)
    return ('<html><head><link rel="canonical" href="https://myanimelist.net/anime/779/Z" /></head><body>'
            '<h1 class="title-name h1_bold_none"><strong>Steel Comet</strong></h1>'
            '<p class="title-english title-inherit">Steel Comet: Second Orbit</p>'
            '<div class="spaceit_pad">\n  <span class="dark_text">Type:</span>\n  <a href="#">OVA</a></div>\n'
            f'{html_rows}'
            '<p itemprop="description">A pilot and her robot.</p></body></html>')


NO_FIELDS = '<html><head><title>Nothing here</title></head><body><p>Page not found</p></body></html>'


def _raised(func, *args):
    """``"Type: message"`` of the exception ``func(*args)`` raised, or None if it returned.
    NotImplementedError passes through so the check reports "not implemented yet"."""
    try:
        func(*args)
    except NotImplementedError:
        raise
    except Exception as exc:  # the student's error, e.g. PageParseError
        return f"{getattr(exc, 'remote_type', type(exc).__name__)}: {exc}"
    return None


def _check_raises(c, func, html, field, what):
    """Three sub-checks: ``func(html)`` raises, a PageParseError, naming ``field``. Properties:
    a function that always raises passes them."""
    msg = _raised(func, html)
    with c.properties():
        c.true(msg is not None, f"{what}: raises an error instead of returning a value",
               "returned normally", hint=f"raise PageParseError({field!r}, reason) when the field is missing")
        c.true(msg is not None and msg.startswith("PageParseError:"), f"{what}: the error is a PageParseError",
               f"got {msg!r}", hint=f"raise PageParseError({field!r}, reason), not another exception")
        c.true(msg is not None and f"field {field!r}" in msg, f"{what}: the error names the field {field!r}",
               f"got {msg!r}", hint=f"the first argument of PageParseError is the field: "
                                 f"PageParseError({field!r}, ...)")


# ----------------------------------------------------------------------------- exercises

@exercise("l1_mal_id", points=1, reference="anime_genre.scrape:parse_mal_id")
def check_mal_id(c, parse_mal_id):
    c.equal(call(parse_mal_id, page_old(mal_id=4242)), 4242, "id from <link rel=canonical>",
            hint='the canonical address ends in /anime/<id>/<slug>: re.search(r"/anime/(\\d+)", url)')
    c.equal(call(parse_mal_id, page_2021(mal_id=31)), 31, "id from <meta property=og:url> (no canonical link)",
            hint="fall back on the og:url meta tag's content")
    c.true(call(lambda: (type(parse_mal_id(page_old())) is int,
                         f"got a {type(parse_mal_id(page_old())).__name__}")), "the id is an int",
           hint="int(match.group(1))")
    _check_raises(c, parse_mal_id, NO_FIELDS, "mal_id", "a page without an address")


@exercise("l1_name", points=2, reference="anime_genre.scrape:parse_name")
def check_name(c, parse_name):
    c.equal(call(parse_name, page_old(name="Moonlit Bakery")), "Moonlit Bakery", "old layout",
            hint='the text of the <h1> (soup.find("h1").get_text())')
    c.equal(call(parse_name, page_2021()), "Paper Lanterns", "2021 layout: no English title, no spaces around",
            hint='take the <strong> inside the <h1>; " ".join(text.split()) collapses whitespace')
    c.equal(call(parse_name, page_2022()), "Steel Comet", "2022 layout",
            hint="the English title is in a <p class=\"title-english\"> next to the <h1>")
    _check_raises(c, parse_name, NO_FIELDS, "name", "a page without <h1>")


@exercise("l1_type", points=1, reference="anime_genre.scrape:parse_type")
def check_type(c, parse_type):
    c.equal(call(parse_type, page_old(type_="ONA")), "ONA", "old layout",
            hint='find the <span class="dark_text"> whose text is "Type:" and read its parent row')
    c.equal(call(parse_type, page_2021(type_="Movie")), "Movie", "2021 layout (text spread over lines)",
            hint='compare label.get_text().strip() == "Type:"; collapse whitespace in the value')
    c.equal(call(parse_type, page_2022()), "OVA", "2022 layout")
    later = page_old(type_="Special").replace(
        '<div>\n  <span class="dark_text">Type:</span>',
        '<div>\n  <span class="dark_text">Japanese:</span> ヤミ</div>\n'
        '<div>\n  <span class="dark_text">Type:</span>', 1)
    c.equal(call(parse_type, later), "Special", "the Type row after other labelled rows (as on real pages)",
            hint='the first <span class="dark_text"> is not always Type: compare each label\'s text with "Type:"')
    plain = page_old(type_="Music").replace('<a href="/topanime.php?type=tv">Music</a>', "Music")
    c.equal(call(parse_type, plain), "Music", "a Type value written as plain text (no link)",
            hint="read the text of the whole row after the label, not only its <a>")
    _check_raises(c, parse_type, NO_FIELDS, "type", "a page without a Type row")


@exercise("l1_genres", points=3, reference="anime_genre.scrape:parse_genres")
def check_genres(c, parse_genres):
    c.equal(call(parse_genres, page_old(genres=("Comedy", "Slice of Life"))), ["Comedy", "Slice of Life"],
            "old layout: links in the Genres row", hint="the text of each <a> in the row, in page order")
    c.equal(call(parse_genres, page_2021(genres=("Drama", "Historical", "Sports"))),
            ["Drama", "Historical", "Sports"], "2021 layout: each genre once",
            hint='each genre appears twice (a hidden <span itemprop="genre"> and a link): read only the links')
    c.equal(call(parse_genres, page_2022()), ["Action", "Sci-Fi", "Mecha", "Space", "Shounen"],
            "2022 layout: Genres, then Themes, then Demographic",
            hint='themes and the demographic count as genres; look at rows labelled "Genres:", "Themes:", "Demographic:"')
    c.equal(call(parse_genres, page_2022(rows=(("Genre:", ("Romance",)), ("Theme:", ("School",))))),
            ["Romance", "School"], "2022 layout with singular labels Genre: / Theme:",
            hint=r'a regular expression such as ^(Genres?|Themes?|Demographics?):$ matches both forms')
    no_genres = page_old().replace('<a href="/anime/genre/0/Comedy" title="Comedy">Comedy</a>, '
                                   '<a href="/anime/genre/1/Slice of Life" title="Slice of Life">Slice of Life</a>',
                                   "No genres have been added yet.")
    c.equal(call(parse_genres, no_genres), [], "a Genres row without links gives []")
    _check_raises(c, parse_genres, NO_FIELDS, "genres", "a page without any genre row")


@exercise("l1_split_source_tail", points=2, reference="anime_genre.scrape:split_source_tail")
def check_split_source_tail(c, split_source_tail):
    c.equal(call(split_source_tail, "Ami bakes bread.\n\n[Written by MAL Rewrite]"),
            ["Ami bakes bread.", "[Written by MAL Rewrite]"], "a [Written by ...] tail",
            hint="return a tuple (text, tail); the tail is the last bracketed note")
    c.equal(call(split_source_tail, "The moon buys a loaf. (Source: Tiny Test)"),
            ["The moon buys a loaf.", "(Source: Tiny Test)"], "a (Source: ...) tail")
    c.equal(call(split_source_tail, "No tail   here,\n  just   text."), ["No tail here, just text.", ""],
            "no tail: whitespace collapsed, tail empty", hint='" ".join(text.split())')
    with c.properties():    # (text, "") passes it
        c.equal(call(split_source_tail, "Kenji (the baker) wins."), ["Kenji (the baker) wins.", ""],
                "parentheses that are not a source note stay",
                hint="only a final note starting with 'Source:' or 'Written by' is a tail")
    c.equal(call(split_source_tail, "Kenji (17) meets a girl. (Source: ANN)"),
            ["Kenji (17) meets a girl.", "(Source: ANN)"], "parentheses before a source note stay in the text",
            hint="the tail is the LAST bracketed note only: anchor the pattern at the end, and do not let "
                 "it start at an earlier bracket")


@exercise("l1_synopsis", points=2, reference="anime_genre.scrape:parse_synopsis")
def check_synopsis(c, parse_synopsis):
    c.equal(call(parse_synopsis, page_old()), ["Ami bakes bread at night. The moon buys a loaf.", "(Source: Tiny Test)"],
            "old layout <span itemprop=description>, <br /> breaks",
            hint="get_text() of the itemprop=\"description\" element, then split_source_tail")
    c.equal(call(parse_synopsis, page_2021()), ["Two sisters fold lanterns.", "[Written by Tiny Test]"],
            "2021 layout <p itemprop=description>")
    glued = page_old(synopsis="First line.<br><br>Second line.")
    c.equal(call(parse_synopsis, glued), ["First line. Second line.", ""], "<br> without spaces around it",
            hint='replace each <br> by "\\n" before get_text(): br.replace_with("\\n")')
    placeholder = page_old(synopsis="No synopsis information has been added to this title. "
                                    'Help improve our database by adding a synopsis <a href="#">here</a>.')
    _check_raises(c, parse_synopsis, placeholder, "synopsis", "the placeholder synopsis")
    _check_raises(c, parse_synopsis, NO_FIELDS, "synopsis", "a page without a synopsis")
