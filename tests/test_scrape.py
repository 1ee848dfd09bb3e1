"""The scraper against the real saved pages (index.csv is the truth), the project's own
2022+ and edge-case fixtures, and the ``anime-genre scrape`` command on a folder and a zip."""
from __future__ import annotations

import csv
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from anime_genre import cli
from anime_genre.errors import UserError
from anime_genre.scrape import (PageParseError, parse_anime_page, parse_genres, parse_name,
                                parse_synopsis, parse_type, split_source_tail)

FIXTURES = Path(__file__).resolve().parents[1] / "datasets" / "fixtures"
VALID = FIXTURES / "mal-html-2022"
EDGE = FIXTURES / "mal-html-edge"


def _index(folder: Path) -> list[dict]:
    with open(folder / "index.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _assert_matches(folder: Path, row: dict) -> None:
    rec = parse_anime_page((folder / row["file"]).read_text(encoding="utf-8"))
    assert rec.mal_id == int(row["mal_id"])
    assert rec.name == row["name"]
    assert rec.type == row["type"]
    assert rec.genres == row["genres"].split(";")
    assert rec.synopsis[:50] == row["synopsis_start"]
    assert rec.synopsis[-40:] == row["synopsis_end"]
    assert len(rec.synopsis) == int(row["synopsis_chars"])
    assert rec.source_tail == row["tail"]


def test_every_shared_page_matches_index(data_home):
    folder = data_home / "mal-html"
    rows = _index(folder)
    assert len(rows) == 15
    for row in rows:
        _assert_matches(folder, row)


@pytest.mark.parametrize("row", _index(VALID), ids=lambda r: r["file"])
def test_own_fixture_pages(row):
    _assert_matches(VALID, row)


def test_2022_layout_counts_themes_and_demographic_as_genres():
    html = (VALID / "invented-2022-anime-90003.html").read_text(encoding="utf-8")
    assert parse_genres(html) == ["Action", "Drama", "Sci-Fi", "Mecha", "Space", "Shounen"]
    # singular labels ("Genre:", "Theme:")
    html = (VALID / "invented-2022-anime-90004.html").read_text(encoding="utf-8")
    assert parse_genres(html) == ["Action", "Samurai", "Seinen"]
    # the English title beside the <h1> is not part of the name
    html = (VALID / "invented-2022-anime-90003.html").read_text(encoding="utf-8")
    assert parse_name(html) == "Saffron Wake"


def test_english_title_excluded_2021(data_home):
    html = (data_home / "mal-html" / "hernan4444-2021-anime-5.html").read_text(encoding="utf-8")
    assert "Cowboy Bebop: The Movie" in html
    assert parse_name(html) == "Cowboy Bebop: Tengoku no Tobira"


@pytest.mark.parametrize("row", [r for r in _index(EDGE) if r["field"] not in ("", "encoding")],
                         ids=lambda r: r["file"])
def test_edge_pages_raise_typed_error(row):
    html = (EDGE / row["file"]).read_text(encoding="utf-8")
    with pytest.raises(PageParseError) as info:
        parse_anime_page(html)
    assert info.value.field == row["field"]
    assert isinstance(info.value, UserError)
    assert row["field"] in str(info.value)


def test_no_genres_added_is_an_empty_list_not_an_error():
    rec = parse_anime_page((EDGE / "edge-no-genres-added.html").read_text(encoding="utf-8"))
    assert rec.genres == []
    assert rec.mal_id == 90014


def test_split_source_tail_variants():
    assert split_source_tail("A story.\n\n[Written by MAL Rewrite]") == ("A story.", "[Written by MAL Rewrite]")
    assert split_source_tail("A story. (Source: ANN)") == ("A story.", "(Source: ANN)")
    assert split_source_tail("A story.  (Source:Wikipedia) ") == ("A story.", "(Source:Wikipedia)")
    assert split_source_tail("A story  with   spaces.") == ("A story with spaces.", "")
    # a parenthesis inside the text is not a tail
    assert split_source_tail("He (the hero) wins.") == ("He (the hero) wins.", "")
    assert split_source_tail("[Written by MAL Rewrite]") == ("", "[Written by MAL Rewrite]")


def test_small_inline_pages():
    html = ('<div><span class="dark_text">Type:</span> <a href="x">Movie</a></div>'
            '<span itemprop="description">Line one.<br><br>Line two. (Source: Fixture)</span>')
    assert parse_type(html) == "Movie"
    assert parse_synopsis(html) == ("Line one. Line two.", "(Source: Fixture)")


def _run_cli(pages, out: Path):
    code = cli.main(["scrape", str(pages), "-o", str(out), "--no-progress"])
    table = pd.read_csv(out)
    rejected = pd.read_csv(out.with_name(out.stem + ".rejected.csv"))
    return code, table, rejected


def test_cli_on_folder_with_corrupt_pages(tmp_path):
    pages = tmp_path / "pages"
    shutil.copytree(VALID, pages)
    shutil.copytree(EDGE, pages / "edge")
    n_pages = len(list(pages.rglob("*.html")))
    code, table, rejected = _run_cli(pages, tmp_path / "out" / "table.csv")
    assert code == 0
    assert list(table.columns) == ["MAL_ID", "Name", "Type", "Genres", "Synopsis"]
    assert len(table) + len(rejected) == n_pages
    edge = {r["file"]: r["field"] for r in _index(EDGE)}
    reasons = dict(zip(rejected["file"], rejected["reason"]))
    for file, field in edge.items():
        key = f"edge/{file}"
        if field:
            assert reasons[key].startswith(field + ":"), (key, reasons.get(key))
        else:
            assert key not in reasons
    assert "not valid UTF-8" in reasons["edge/edge-not-utf8.html"]
    row = table.set_index("MAL_ID").loc[90003]
    assert row["Genres"] == "Action, Drama, Sci-Fi, Mecha, Space, Shounen"
    assert row["Name"] == "Saffron Wake"


def test_cli_on_zip(tmp_path):
    archive = tmp_path / "pages.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for p in sorted(VALID.glob("*.html")):
            z.write(p, f"saved/{p.name}")
        z.writestr("saved/broken.html", "<html><h1>cut off")
        z.writestr("saved/notes.txt", "not a page")
    code, table, rejected = _run_cli(archive, tmp_path / "t.csv")
    assert code == 0
    assert len(table) == 5
    assert rejected.to_dict("records") == [
        {"file": "saved/broken.html", "reason": "page: truncated: the page does not end with </html>"}]


def test_cli_duplicates_rejected_on_shared_pages(data_home, tmp_path, capsys):
    code, table, rejected = _run_cli(data_home / "mal-html", tmp_path / "t.csv")
    out = capsys.readouterr().out  # the command itself names the pages that disagree
    assert "  qasimk-2018-anime-5.html: duplicate: MAL_ID 5 also in hernan4444-2021-anime-5.html" in out
    assert "jikan-2019-anime-21-b.html" not in out  # identical copies are not news
    assert len(table) + len(rejected) == 15
    assert sorted(table["MAL_ID"]) == [1, 5, 15, 21, 44, 574, 730, 1190, 3624, 3642, 32105, 35102]
    assert all(r.startswith("duplicate") for r in rejected["reason"])
    # the newest save wins: the 2021 pages over the 2018 ones (dated by what the pages carry)
    reasons = dict(zip(rejected["file"], rejected["reason"]))
    assert sorted(reasons) == ["jikan-2019-anime-21-b.html", "qasimk-2018-anime-1.html",
                               "qasimk-2018-anime-5.html"]
    assert "also in hernan4444-2021-anime-5.html (kept as the newer save: page dated 2021" in \
        reasons["qasimk-2018-anime-5.html"]
    assert "the pages DIFFER in genres" in reasons["qasimk-2018-anime-5.html"]
    assert "agree on every field" in reasons["jikan-2019-anime-21-b.html"]


def test_cli_missing_input_is_user_error(tmp_path, capsys):
    code = cli.main(["scrape", str(tmp_path / "nope"), "-o", str(tmp_path / "t.csv")])
    assert code == 2
    assert "no such folder or zip archive" in capsys.readouterr().err


# ----------------------------------------------------------------------------- real variants

def _maker():
    import importlib.util
    spec = importlib.util.spec_from_file_location("_make_mal_html", FIXTURES / "make_mal_html.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


STORY = ["Tomo inherits a failing apple orchard from a grandmother she met twice, and with a "
         "borrowed tractor, a stubborn goat and opinionated neighbours she has one year to decide."]


def test_tail_typo_and_note_after_the_source():
    # MyAnimeList's own typo, as on real pages
    assert split_source_tail("A story.\n\n[Writtten by MAL Rewrite]") == ("A story.", "[Written by MAL Rewrite]")
    # a source note followed by an editorial note: both leave the synopsis
    text = STORY[0] + "\n\n(Source: ANN)\n\nBased on the video game Orchard Days 2."
    assert split_source_tail(text) == (STORY[0], "(Source: ANN) Based on the video game Orchard Days 2.")
    text = STORY[0] + " (Source: AniDB) Note: These clips are a bonus to the manga."
    assert split_source_tail(text)[1].startswith("(Source: AniDB) Note:")
    # a note in the middle of a long text is not a tail
    text = "Intro. (Source: ANN) " + STORY[0]
    assert split_source_tail(text) == (text, "")


def test_page_with_note_after_the_source_and_typo():
    mk = _maker()
    html = mk.page_2021(90030, "Ringo", None, "TV", ["Drama"], STORY,
                        "(Source: Fixture Press)<br/><br/>Based on the novel by A. Writer.")
    rec = parse_anime_page(html)
    assert rec.synopsis == STORY[0] and rec.source_tail == "(Source: Fixture Press) Based on the novel by A. Writer."
    html = mk.page_2022(90031, "Ringo", None, "TV", [("Genres:", ["Drama"])], STORY,
                        "[Writtten by MAL Rewrite]")
    rec = parse_anime_page(html)
    assert rec.synopsis == STORY[0] and rec.source_tail == "[Written by MAL Rewrite]"


SP_CSS = '<link rel="stylesheet" type="text/css" href="https://cdn.myanimelist.net/static/assets/css/sp/style-0a1b2c3d4e.css" />'


def _smartphone_page(keep_sidebar: bool) -> str:
    html = _maker().page_2022(90032, "Kasa", None, "TV", [("Genres:", ["Action"])], STORY, "")
    html = html.replace("<head>", "<head>\n" + SP_CSS, 1)
    if not keep_sidebar:
        html = html.replace('class="dark_text"', 'class="information-label"')
    return html


@pytest.mark.parametrize("keep_sidebar", [True, False], ids=["sidebar", "no-sidebar"])
def test_smartphone_layout_is_rejected_by_name(keep_sidebar):
    with pytest.raises(PageParseError) as info:
        parse_anime_page(_smartphone_page(keep_sidebar))
    assert info.value.field == "layout" and "smartphone layout" in info.value.reason


def test_page_without_any_information_row_names_the_layout():
    html = _maker().page_2022(90033, "Kasa", None, "TV", [("Genres:", ["Action"])], STORY, "")
    with pytest.raises(PageParseError) as info:
        parse_anime_page(html.replace('class="dark_text"', 'class="label"'))
    assert info.value.field == "layout" and "information sidebar" in info.value.reason


def test_archive_note_after_html_is_not_truncation():
    html = (VALID / "invented-2022-anime-90003.html").read_text(encoding="utf-8")
    html += "<!--\n     FILE ARCHIVED ON 10:11:12 Mar 04, 2019 AND RETRIEVED FROM THE\n-->\n"
    from anime_genre.scrape import page_saved_at
    assert parse_anime_page(html).mal_id == 90003
    assert page_saved_at(html) == pytest.approx(1551694272.0)


def _dated(html: str, when: int) -> str:
    return html.replace("<body>", f'<body class="page-common" data-time="{when}">', 1)


def test_newest_save_wins_and_differing_pages_are_named(tmp_path):
    mk = _maker()
    old = mk.page_2022(90040, "Kestrel", None, "TV", [("Genres:", ["Drama"])], STORY, "")
    new = mk.page_2022(90040, "Kestrel", None, "TV", [("Genres:", ["Drama"]), ("Theme:", ["Music"])],
                       STORY, "")
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "a-newer.html").write_text(_dated(new, 1_700_000_000), encoding="utf-8")
    (pages / "b-older.html").write_text(_dated(old, 1_600_000_000), encoding="utf-8")
    (pages / "c-same-as-newer.html").write_text(_dated(new, 1_650_000_000), encoding="utf-8")
    code, table, rejected = _run_cli(pages, tmp_path / "t.csv")
    assert code == 0 and len(table) + len(rejected) == 3
    assert table["Genres"].tolist() == ["Drama, Music"]
    reasons = dict(zip(rejected["file"], rejected["reason"]))
    assert "also in a-newer.html" in reasons["b-older.html"]
    assert "(kept as the newer save: page dated 2023-11-14" in reasons["b-older.html"]
    assert "the pages DIFFER in genres" in reasons["b-older.html"]
    assert "agree on every field" in reasons["c-same-as-newer.html"]


def test_newest_file_wins_when_the_pages_carry_no_date(tmp_path):
    import os
    page = (VALID / "invented-2018-anime-90001.html").read_text(encoding="utf-8")
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "1-old.html").write_text(page, encoding="utf-8")
    (pages / "2-new.html").write_text(page.replace("lighthouse", "light-house"), encoding="utf-8")
    os.utime(pages / "1-old.html", (1_500_000_000, 1_500_000_000))
    os.utime(pages / "2-new.html", (1_600_000_000, 1_600_000_000))
    code, table, rejected = _run_cli(pages, tmp_path / "t.csv")
    assert "light-house" in table["Synopsis"].iloc[0]
    assert rejected["file"].tolist() == ["1-old.html"]
    assert "file dated" in rejected["reason"].iloc[0] and "DIFFER in synopsis" in rejected["reason"].iloc[0]
    # the same from a zip archive: entry dates
    archive = tmp_path / "pages.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr(zipfile.ZipInfo("1-old.html", (2017, 1, 1, 0, 0, 0)), page)
        z.writestr(zipfile.ZipInfo("2-new.html", (2020, 1, 1, 0, 0, 0)), page.replace("lighthouse", "light-house"))
    code, table, rejected = _run_cli(archive, tmp_path / "z.csv")
    assert "light-house" in table["Synopsis"].iloc[0] and rejected["file"].tolist() == ["1-old.html"]


def test_scrape_command_bad_input(tmp_path, capsys):
    bad_zip = tmp_path / "broken.zip"
    bad_zip.write_bytes(b"PK\x03\x04 not really a zip")
    code = cli.main(["scrape", str(bad_zip), "-o", str(tmp_path / "t.csv"), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and "broken.zip" in err and len(err.strip().splitlines()) == 1
    empty = tmp_path / "empty"
    empty.mkdir()
    code = cli.main(["scrape", str(empty), "-o", str(tmp_path / "t.csv"), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and "no .html or .htm page" in err


def test_real_pages_in_the_smartphone_layout_are_rejected_by_name(data_home, tmp_path):
    """The shared folder holds no page saved in the smartphone layout, so the layout is
    recognised by what tells it apart on MyAnimeList (its ``.../css/sp/`` and ``.../js/sp/``
    assets where desktop pages load ``.../pc/``): the 15 real desktop pages read as desktop
    pages, and the same 15 with smartphone assets are each rejected as ``layout``, never with
    the misleading ``type: no "Type:" row`` of the report."""
    from bs4 import BeautifulSoup

    from anime_genre.scrape import page_layout

    pages = tmp_path / "sp"
    pages.mkdir()
    real = sorted((data_home / "mal-html").glob("*.html"))
    assert len(real) == 15
    for p in real:
        html = p.read_text(encoding="utf-8")
        assert page_layout(BeautifulSoup(html, "html.parser")) == "desktop", p.name
        sp = html.replace("/css/pc/", "/css/sp/").replace("/js/pc/", "/js/sp/")
        assert sp != html
        (pages / p.name).write_text(sp, encoding="utf-8")
    code, table, rejected = _run_cli(pages, tmp_path / "t.csv")
    assert code == 0 and len(table) == 0 and len(rejected) == 15
    assert all(r.startswith("layout: MyAnimeList's smartphone layout") for r in rejected["reason"])
