"""Nothing of a submission runs in the instructor's browser.

A submission reaches a browser as HTML: nbgrader's formgrader renders it with nbconvert's
``HTMLExporter`` in a page of the instructor's own Jupyter server (same origin: a script there
could use the instructor's session to read hidden tests, change grades, run code), and
``generate_feedback`` writes HTML. nbconvert copies a notebook's HTML, JavaScript and markdown
through as they are (``HTMLExporter.sanitize_html`` is off by default, and nbgrader's formgrade
and feedback templates render markdown cells unsanitized even when it is on). So, on the
trusted side (the course's ``nbgrader_config.py``):

- :class:`InertOutputs`, at autograde time (the stored notebook) and again before every
  rendering (notebooks autograded earlier): outputs keep only inert types (text, PNG, JPEG,
  GIF, LaTeX, JSON) and HTML cleaned by :func:`clean_html` (markdown outputs become cleaned
  HTML); JavaScript, SVG, widgets and unknown types are dropped, output metadata is reduced to
  image sizes; a markdown cell whose rendering holds anything the cleaner would remove is shown
  as its text (a code block); widget state and non-image attachments are dropped;
- :class:`SafeMarkdown` and :func:`clean_html` replace nbconvert's ``markdown2html`` and
  ``clean_html`` template filters, so every rendering of markdown is cleaned, whatever the
  template.
"""
from __future__ import annotations

import re

import bleach
from bleach.css_sanitizer import CSSSanitizer
from jinja2 import pass_context
from traitlets import Bool
from traitlets.config import LoggingConfigurable

from nbconvert.preprocessors import Preprocessor

TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd", "del", "div",
    "dl", "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "mark",
    "ol", "p", "pre", "q", "s", "samp", "small", "span", "strong", "sub", "sup", "table", "tbody",
    "td", "tfoot", "th", "thead", "tr", "u", "ul", "var",
})
# no id (a student's element could take the id of a formgrader control), no on*, no style
# but table alignment
PROTOCOLS = frozenset({"http", "https", "mailto", "data"})
_IMAGE_DATA = re.compile(r"data:image/(png|jpeg|gif|webp);base64,", re.I)
_CSS = CSSSanitizer(allowed_css_properties=["text-align"])
SAFE_OUTPUT_TYPES = ("text/plain", "image/png", "image/jpeg", "image/gif", "text/latex", "application/json")
SAFE_ATTACHMENT_TYPES = ("image/png", "image/jpeg", "image/gif")
NOTE = "(shown as text: this cell's HTML could run in the grader's browser)"


def _squash(value: str) -> str:
    return re.sub(r"[\x00-\x20]+", "", value).lower()


def _attribute(tag: str, name: str, value: str) -> bool:
    if name in ("class", "title"):
        return True
    if tag == "a" and name == "href":
        return not _squash(value).startswith("data:")        # data: only for images
    if tag == "img":
        if name == "src":
            v = _squash(value)
            return not v.startswith("data:") or bool(_IMAGE_DATA.match(v))
        return name in ("alt", "width", "height")
    if tag in ("td", "th"):
        return name in ("colspan", "rowspan", "style")
    if tag == "ol":
        return name == "start"
    return False


def clean_html(html) -> str:
    """HTML with only the tags and attributes above; the rest is removed (its text kept)."""
    html = html.decode() if isinstance(html, bytes) else str(html)
    return bleach.clean(html, tags=TAGS, attributes=_attribute, protocols=PROTOCOLS, strip=True,
                        strip_comments=True, css_sanitizer=_CSS)


def _shape(html: str) -> list:
    from bs4 import BeautifulSoup
    soup = BeautifulSoup(html, "html.parser")
    return [(t.name, sorted((k, " ".join(v) if isinstance(v, list) else str(v)) for k, v in t.attrs.items()
                            if k != "id"))
            for t in soup.find_all(True)]


def is_clean(html: str) -> bool:
    """True when :func:`clean_html` would remove no element and no attribute but ``id`` (the
    renderer gives every heading one)."""
    return _shape(html) == _shape(clean_html(html))


def render_markdown(source: str, attachments=None) -> str:
    """The HTML nbconvert makes of a markdown cell (its attachments embedded)."""
    from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath
    renderer = IPythonRenderer(escape=False, attachments=attachments or {})
    return MarkdownWithMath(renderer=renderer).render(source)


def as_text(source: str) -> str:
    """Markdown that shows ``source`` verbatim: a code block whose fence it cannot close."""
    longest = max((len(m) for m in re.findall(r"`+", source)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"*{NOTE}*\n\n{fence}\n{source}\n{fence}\n"


def _text(value) -> str | None:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "".join(value)
    return value if isinstance(value, str) else None


def inert_output(output) -> None:
    """Reduce one output (an nbformat node) to inert content, in place."""
    if output.get("output_type") not in ("display_data", "execute_result"):
        return                                      # streams and errors are shown as escaped text
    data = output.get("data")
    data = data if isinstance(data, dict) else {}
    kept, dropped = {}, []
    for mime, value in data.items():
        text = _text(value) if mime != "application/json" else value
        if mime in SAFE_OUTPUT_TYPES and text is not None:
            kept[mime] = text
        elif mime == "text/html" and text is not None:
            kept["text/html"] = clean_html(text)
        elif mime == "text/markdown" and text is not None and "text/html" not in data:
            kept["text/html"] = clean_html(render_markdown(text))
        else:
            dropped.append(str(mime)[:80])
    if dropped and "text/plain" not in kept:
        kept["text/plain"] = "[output not shown: " + ", ".join(dropped) + "]"
    output["data"] = kept
    # the templates write image sizes into unquoted attributes, and honour "filenames" and
    # "isolated": only numeric sizes, alt text and "unconfined" are kept
    meta = {}
    metadata = output.get("metadata")
    for mime, value in (metadata if isinstance(metadata, dict) else {}).items():
        if mime in ("image/png", "image/jpeg", "image/gif") and isinstance(value, dict):
            m = {k: int(v) for k, v in value.items()
                 if k in ("width", "height") and isinstance(v, (int, float)) and not isinstance(v, bool)}
            if isinstance(value.get("alt"), str):
                m["alt"] = value["alt"]
            if value.get("unconfined") is True:
                m["unconfined"] = True
            if m:
                meta[mime] = m
    output["metadata"] = meta


def make_inert(nb):
    """A notebook (nbformat node) with nothing that runs in a browser, changed in place."""
    if isinstance(nb.get("metadata"), dict):
        nb["metadata"].pop("widgets", None)
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            for output in cell.get("outputs") or []:
                inert_output(output)
        elif cell.get("cell_type") == "markdown":
            attachments = cell.get("attachments")
            if isinstance(attachments, dict):
                kept = {name: {m: v for m, v in a.items() if m in SAFE_ATTACHMENT_TYPES}
                        for name, a in attachments.items() if isinstance(a, dict)}
                cell["attachments"] = {name: a for name, a in kept.items() if a}
            source = _text(cell.get("source", "")) or ""
            try:
                clean = is_clean(render_markdown(source, cell.get("attachments")))
            except Exception:                      # noqa: BLE001 - what cannot be rendered is shown as text
                clean = False
            if not clean:
                cell["source"] = as_text(source)
    return nb


class InertOutputs(Preprocessor):
    """:func:`make_inert` as an nbconvert / nbgrader preprocessor."""

    enabled = Bool(True, help="make submissions inert before they are stored or rendered").tag(config=True)

    def preprocess(self, nb, resources):
        return make_inert(nb), resources


class SafeMarkdown(LoggingConfigurable):
    """The ``markdown2html`` template filter of ``c.HTMLExporter.filters``: the exporter's own
    rendering (attachments, anchors, math), then :func:`clean_html`."""

    jinja_pass_arg = pass_context(lambda: None).jinja_pass_arg      # jinja passes the template context

    def __call__(self, context, source):
        render = getattr(self.parent, "markdown2html", None)
        html = render(context, source) if render is not None else render_markdown(source)
        return clean_html(html)
