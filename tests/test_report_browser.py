"""The HTML report opened in a real headless browser (Debian's chromium): every figure
must decode. The report's own script writes "figures loaded: OK/TOTAL" into the title once
the page has loaded; --dump-dom prints the DOM after load."""
from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pytest

from anime_genre import report as rep


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    from conftest import missing_tool
    missing_tool("chromium", "ask for `apt-get install chromium` (`make setup` installs it as root)")


def loaded_title(html_path, tmp_path):
    out = subprocess.run(
        [_chromium(), "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--no-first-run",
         f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", html_path.as_uri()],
        capture_output=True, text=True, timeout=120)
    m = re.search(r"<title>(.*?)</title>", out.stdout)
    assert m, f"no title in the dumped DOM; stderr: {out.stderr[-500:]}"
    return m.group(1)


def small_doc(broken=False):
    rng = np.random.default_rng(0)
    Y = (rng.random((60, 5)) < 0.3).astype(float)
    P = np.clip(Y * 0.6 + rng.random(Y.shape) * 0.4, 0, 1)
    names = ["Action", "Comedy", "Drama", "Mecha", "Romance"]
    doc = rep.Doc("test report")
    doc.para("hello **world**")
    doc.table(["a", "b"], [["x", 0.5]])
    doc.figure("dist", rep.genre_distribution(Y, names), "distribution")
    doc.figure("pr", rep.precision_recall_curves(Y, P, names), "pr")
    if broken:
        doc.figure("broken", b"\x89PNG\r\n\x1a\n not really a png", "broken")
    return doc


def test_every_figure_of_a_run_report_loads(tmp_path):
    from anime_genre.pipeline import RunConfig, run_pipeline

    cfg = RunConfig(synthetic=True, n_docs=500, max_epochs=4, gammas=(0.0, 2.0), gamma_epochs=2)
    run_pipeline(cfg, tmp_path / "run", cache_dir=tmp_path / "cache", log=lambda *a: None,
                 progress=False)
    html = tmp_path / "run" / "report.html"
    n = html.read_text().count('<img class="figure"')
    assert n == 6
    assert loaded_title(html, tmp_path) == f"figures loaded: {n}/{n}"


def test_the_check_sees_a_broken_figure(tmp_path):
    """The title count is a real check: a figure that does not decode is not counted."""
    html = tmp_path / "broken.html"
    html.write_text(small_doc(broken=True).to_html())
    assert loaded_title(html, tmp_path) == "figures loaded: 2/3"


def test_markdown_references_the_figure_files():
    md = small_doc().to_markdown()
    assert "![distribution](figures/dist.png)" in md and "| x | 0.500 |" in md
