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


def test_cli_duplicates_rejected_on_shared_pages(data_home, tmp_path):
    code, table, rejected = _run_cli(data_home / "mal-html", tmp_path / "t.csv")
    assert len(table) + len(rejected) == 15
    assert sorted(table["MAL_ID"]) == [1, 5, 15, 21, 44, 574, 730, 1190, 3624, 3642, 32105, 35102]
    assert all(r.startswith("duplicate") for r in rejected["reason"])


def test_cli_missing_input_is_user_error(tmp_path, capsys):
    code = cli.main(["scrape", str(tmp_path / "nope"), "-o", str(tmp_path / "t.csv")])
    assert code == 2
    assert "no such folder or zip archive" in capsys.readouterr().err
