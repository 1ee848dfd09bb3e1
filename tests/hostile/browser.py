"""i) the instructor's browser: how a grading artifact is rendered and looked at.

- :func:`formgrade_html`: a submission rendered as nbgrader's formgrader renders it (an
  ``HTMLExporter`` built from the formgrader extension's own configuration, loaded as its
  Jupyter server loads it: from the course folder), in a subprocess started in that folder;
- :func:`active_sinks`: every place of an HTML page where text would run (``<script>``
  bodies, ``on*`` attributes, ``javascript:`` / ``data:`` URLs, ``srcdoc``, ``<base>``, meta
  refresh, embedded objects, forms), with the attack's token in it;
- :func:`fired`: the vectors whose script really ran when the page was loaded in chromium
  (each vector adds an element ``<i id="AGXSS-<token>-<vector>">``, whose id only a script
  that ran can assemble).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

PY = sys.executable
BIN = str(Path(PY).parent)

FORMGRADE = r'''
import os, sys
from nbconvert.exporters import HTMLExporter
from nbgrader.server_extensions.formgrader import handlers
from nbgrader.server_extensions.formgrader.formgrader import FormgradeExtension
app = FormgradeExtension()
app.root_dir = os.path.dirname(os.getcwd())
app.initialize([])                     # reads nbgrader_config.py from the working folder
exporter = HTMLExporter(config=app.config)   # as FormgradeExtension.init_tornado_settings
static_parent = os.path.dirname(os.path.dirname(handlers.static_path))
# the page's own scripts (jQuery, formgrade.js) load from the installed static folder
res = {"assignment_id": sys.argv[3], "notebook_id": sys.argv[3], "submission_id": "sub", "index": 0,
       "total": 1, "base_url": "file://" + static_parent, "student": sys.argv[2], "last_name": None,
       "first_name": None, "notebook_path": "nb"}
html, _ = exporter.from_filename(sys.argv[1], resources=res)
open(sys.argv[4], "w", encoding="utf-8").write(html)
'''


def formgrade_html(course: Path, notebook: Path, student: str, assignment: str, out: Path, env: dict) -> str:
    """The formgrader's HTML of ``notebook``, rendered with the configuration found in ``course``."""
    p = subprocess.run([PY, "-c", FORMGRADE, str(notebook), student, assignment, str(out)], cwd=course,
                       env=env, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-3000:]
    return out.read_text(encoding="utf-8")


URL_ATTRS = ("href", "src", "action", "formaction", "xlink:href", "data", "poster", "background", "srcdoc")


def active_sinks(html: str, token: str) -> list[str]:
    """Where the attack's ``token`` sits in something a browser runs or follows."""
    from bs4 import BeautifulSoup
    soup = BeautifulSoup(html, "html.parser")
    found = []
    for tag in soup.find_all(True):
        name = tag.name.lower()
        if name == "script" and token in tag.get_text():
            found.append(f"<script> {tag.get_text()[:80]!r}")
        if name in ("iframe", "object", "embed", "base", "form", "frame", "frameset", "link") and token in str(tag):
            found.append(f"<{name}> {str(tag)[:80]!r}")
        if name == "meta" and "refresh" in str(tag.get("http-equiv", "")).lower():
            found.append(f"<meta refresh> {str(tag)[:80]!r}")
        for attr, value in tag.attrs.items():
            value = " ".join(value) if isinstance(value, list) else str(value)
            squashed = re.sub(r"[\x00-\x20]+", "", value).lower()
            if attr.lower().startswith("on") and token in value:
                found.append(f"<{name} {attr}> {value[:80]!r}")
            elif attr.lower() in URL_ATTRS and token in value and \
                    (squashed.startswith(("javascript:", "data:", "vbscript:")) or attr.lower() == "srcdoc"):
                found.append(f"<{name} {attr}> {value[:80]!r}")
    return found


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def fired(page: Path, token: str, profile: Path) -> list[str]:
    """The vectors whose scripts ran when chromium loaded ``page`` (an HTML file)."""
    out = subprocess.run(
        [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--no-first-run", f"--user-data-dir={profile}", "--virtual-time-budget=5000", "--dump-dom",
         page.as_uri()], capture_output=True, text=True, timeout=180)
    assert "</html>" in out.stdout, f"chromium dumped no page; stderr: {out.stderr[-500:]}"
    return sorted(set(re.findall(rf'<i id="AGXSS-{re.escape(token)}-([a-z0-9_]+)"', out.stdout)))


def course_env(home: Path) -> dict:
    return {**os.environ, "PATH": f"{BIN}:{os.environ.get('PATH', '')}", "HOME": str(home)}
