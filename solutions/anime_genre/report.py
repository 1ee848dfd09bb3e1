"""Figures and the run report (Markdown and one self-contained HTML file).

A report is a list of blocks (:class:`Doc`): headings, paragraphs, tables, figures and
preformatted text. The same blocks are rendered twice: to Markdown (figures referenced as
``figures/NAME.png``) and to a single HTML file whose figures are embedded as base64 PNG, so
the HTML can be mailed or opened from anywhere. The HTML carries a small script that, once the
page has loaded, writes into ``document.title`` how many of its images decoded
(``figures loaded: 6/6``); the browser test reads that title back.

Figures are drawn with matplotlib's Agg backend (no display needed) and returned as PNG bytes.
"""
from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass, field

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

DPI = 100


# ----------------------------------------------------------------------------- figures

def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def genre_distribution(Y, genre_names) -> bytes:
    """Bar chart of the number of shows per genre. ``Y`` is the (n, k) 0/1 label matrix."""
    counts = np.asarray(Y).sum(axis=0)
    order = np.argsort(counts)[::-1]
    k = len(genre_names)
    fig, ax = plt.subplots(figsize=(max(6.0, 0.28 * k + 2), 4.2))
    ax.bar(np.arange(k), counts[order], color="#4c72b0")
    ax.set_xticks(np.arange(k))
    ax.set_xticklabels([genre_names[i] for i in order], rotation=90, fontsize=8)
    ax.set_ylabel("shows")
    share = counts[order] / max(len(Y), 1)
    ax.set_title(f"Genre distribution ({len(Y)} shows; most common {share[0]:.0%}, "
                 f"rarest {share[-1]:.1%})")
    return _png(fig)


def cooccurrence_heatmap(Y, genre_names) -> bytes:
    """Heatmap of P(column genre | row genre): how often shows of one genre carry another."""
    Y = np.asarray(Y, dtype=np.float64)
    co = Y.T @ Y                                     # (k, k) joint counts
    diag = np.maximum(np.diag(co), 1.0)
    cond = co / diag[:, None]
    np.fill_diagonal(cond, np.nan)                   # the diagonal is 1 by definition
    order = np.argsort(np.diag(co))[::-1]
    cond = cond[np.ix_(order, order)]
    k = len(genre_names)
    size = max(5.0, 0.22 * k + 2)
    fig, ax = plt.subplots(figsize=(size + 1, size))
    im = ax.imshow(cond, cmap="viridis", vmin=0, vmax=np.nanmax(cond) if k > 1 else 1)
    labels = [genre_names[i] for i in order]
    ax.set_xticks(np.arange(k))
    ax.set_yticks(np.arange(k))
    ax.set_xticklabels(labels, rotation=90, fontsize=7)
    ax.set_yticklabels(labels, fontsize=7)
    ax.set_title("Genre co-occurrence: P(column | row)")
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    return _png(fig)


def learning_curves(history: dict) -> bytes:
    """Loss and validation metrics per epoch. ``history`` maps a name to a list per epoch;
    names containing 'loss' go to the left panel, the others to the right one."""
    losses = {k: v for k, v in history.items() if "loss" in k and len(v)}
    scores = {k: v for k, v in history.items()
              if "loss" not in k and len(v) and np.isscalar(v[0]) and k not in ("epoch", "seconds", "lr")}
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for name, values in losses.items():
        axes[0].plot(np.arange(1, len(values) + 1), values, marker=".", label=name)
    axes[0].set_xlabel("epoch")
    axes[0].set_ylabel("loss (mean over shows, summed over genres)")
    axes[0].set_title("Loss")
    for name, values in scores.items():
        axes[1].plot(np.arange(1, len(values) + 1), values, marker=".", label=name)
    axes[1].set_xlabel("epoch")
    axes[1].set_title("Validation scores")
    for ax in axes:
        if ax.lines:
            ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    return _png(fig)


def per_genre_f1(f1, genre_names, support=None) -> bytes:
    """Horizontal bars of the test F1 of each genre (with its number of test shows)."""
    f1 = np.asarray(f1, dtype=np.float64)
    order = np.argsort(f1)
    k = len(genre_names)
    fig, ax = plt.subplots(figsize=(7, max(3.0, 0.22 * k + 1)))
    ax.barh(np.arange(k), f1[order], color="#55a868")
    labels = [genre_names[i] if support is None else f"{genre_names[i]} ({int(support[i])})"
              for i in order]
    ax.set_yticks(np.arange(k))
    ax.set_yticklabels(labels, fontsize=7)
    ax.set_xlim(0, 1)
    ax.set_xlabel("F1 on the test set (tuned thresholds)")
    ax.axvline(np.mean(f1), color="k", lw=1, ls="--", label=f"macro-F1 {np.mean(f1):.3f}")
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title("F1 per genre (number of test shows)")
    return _png(fig)


def _pr_curve(y, score):
    """Precision and recall at every distinct threshold (descending scores)."""
    order = np.argsort(-score, kind="mergesort")
    y = np.asarray(y, dtype=np.float64)[order]
    tp = np.cumsum(y)
    k = np.arange(1, len(y) + 1)
    precision = tp / k
    recall = tp / max(y.sum(), 1.0)
    return np.r_[1.0, precision], np.r_[0.0, recall]


def precision_recall_curves(Y, P, genre_names, n_genres: int = 6) -> bytes:
    """Micro-averaged precision-recall curve plus the most and least common genres."""
    Y = np.asarray(Y)
    P = np.asarray(P, dtype=np.float64)
    fig, ax = plt.subplots(figsize=(6.5, 5))
    p, r = _pr_curve(Y.ravel(), P.ravel())
    ax.plot(r, p, color="k", lw=2, label="micro average")
    counts = Y.sum(axis=0)
    order = [int(i) for i in np.argsort(counts)[::-1] if counts[i] > 0]
    half = max(1, n_genres // 2)
    chosen = order[:half] + [i for i in order[-half:] if i not in order[:half]]
    for j in chosen:
        p, r = _pr_curve(Y[:, j], P[:, j])
        ax.plot(r, p, lw=1, label=f"{genre_names[j]} ({int(counts[j])})")
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper right")
    ax.set_title("Precision-recall on the test set")
    return _png(fig)


def focal_gamma_effect(rows) -> bytes:
    """Validation micro/macro-F1 (tuned thresholds) against the focal-loss gamma.
    ``rows``: list of dicts with keys gamma, micro_f1, macro_f1 (and optionally
    micro_f1_at_05, macro_f1_at_05)."""
    g = np.array([r["gamma"] for r in rows], dtype=np.float64)
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for key, style in (("micro_f1", "-o"), ("macro_f1", "-s"),
                       ("micro_f1_at_05", "--o"), ("macro_f1_at_05", "--s")):
        if all(key in r for r in rows):
            ax.plot(g, [r[key] for r in rows], style, label=key.replace("_", " "))
    ax.set_xlabel("focal-loss gamma (0 = binary cross-entropy)")
    ax.set_ylabel("F1 on the validation set")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title("Effect of the focal-loss gamma")
    return _png(fig)


def ablation_costs(rows) -> bytes:
    """Bars: micro-F1 change when one cause of the original failure is switched.
    ``rows``: list of dicts with keys label, delta (signed)."""
    labels = [r["label"] for r in rows]
    delta = np.array([r["delta"] for r in rows], dtype=np.float64)
    fig, ax = plt.subplots(figsize=(7.5, max(2.5, 0.35 * len(rows) + 1)))
    colors = ["#c44e52" if d < 0 else "#55a868" for d in delta]
    ax.barh(np.arange(len(rows)), delta, color=colors)
    ax.set_yticks(np.arange(len(rows)))
    ax.set_yticklabels(labels, fontsize=8)
    ax.axvline(0, color="k", lw=1)
    ax.set_xlabel("change in test micro-F1 (tuned thresholds)")
    ax.set_title("Cost of each cause of the original failure")
    return _png(fig)


# ----------------------------------------------------------------------------- documents

@dataclass
class Doc:
    """An ordered list of report blocks, rendered to Markdown or to one HTML file."""

    title: str
    blocks: list = field(default_factory=list)
    figures: dict = field(default_factory=dict)      # name -> PNG bytes

    def heading(self, text: str, level: int = 2):
        self.blocks.append(("heading", level, text))

    def para(self, text: str, cls: str | None = None):
        self.blocks.append(("para", text, cls))

    def table(self, header, rows):
        self.blocks.append(("table", list(header), [list(r) for r in rows]))

    def pre(self, text: str):
        self.blocks.append(("pre", text))

    def figure(self, name: str, png: bytes, caption: str):
        self.figures[name] = png
        self.blocks.append(("figure", name, caption))

    # -- Markdown
    def to_markdown(self) -> str:
        out = [f"# {self.title}", ""]
        for b in self.blocks:
            kind = b[0]
            if kind == "heading":
                out += ["#" * b[1] + " " + b[2], ""]
            elif kind == "para":
                text = b[1]
                out += [("> **" + text + "**") if b[2] == "warning" else text, ""]
            elif kind == "table":
                header, rows = b[1], b[2]
                out.append("| " + " | ".join(map(str, header)) + " |")
                out.append("|" + "|".join("---" for _ in header) + "|")
                for r in rows:
                    out.append("| " + " | ".join(_cell(v) for v in r) + " |")
                out.append("")
            elif kind == "pre":
                out += ["```", b[1], "```", ""]
            elif kind == "figure":
                out += [f"![{b[2]}](figures/{b[1]}.png)", "", f"*{b[2]}*", ""]
        return "\n".join(out)

    # -- HTML
    def to_html(self) -> str:
        n_fig = sum(1 for b in self.blocks if b[0] == "figure")
        parts = [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f"<title>{html.escape(self.title)}</title>",
            f"<style>{_CSS}</style>",
            "</head><body>",
            f"<h1>{html.escape(self.title)}</h1>",
        ]
        for b in self.blocks:
            kind = b[0]
            if kind == "heading":
                parts.append(f"<h{b[1]}>{html.escape(b[2])}</h{b[1]}>")
            elif kind == "para":
                cls = f' class="{b[2]}"' if b[2] else ""
                parts.append(f"<p{cls}>{_inline(b[1])}</p>")
            elif kind == "table":
                head = "".join(f"<th>{html.escape(str(h))}</th>" for h in b[1])
                body = "".join("<tr>" + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in r)
                               + "</tr>" for r in b[2])
                parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
            elif kind == "pre":
                parts.append(f"<pre>{html.escape(b[1])}</pre>")
            elif kind == "figure":
                data = base64.b64encode(self.figures[b[1]]).decode("ascii")
                parts.append(f'<figure><img class="figure" alt="{html.escape(b[2])}" '
                             f'data-name="{b[1]}" src="data:image/png;base64,{data}">'
                             f"<figcaption>{html.escape(b[2])}</figcaption></figure>")
        # Once everything has loaded, say in the title how many figures decoded: a person sees
        # it in the tab, and the browser test reads it with --dump-dom.
        parts.append(
            "<script>window.addEventListener('load', function () {"
            "var imgs = document.querySelectorAll('img.figure'); var ok = 0;"
            "imgs.forEach(function (i) { if (i.complete && i.naturalWidth > 0) ok++; });"
            "document.title = 'figures loaded: ' + ok + '/' + imgs.length;"
            f"}});</script><!-- figures: {n_fig} -->")
        parts.append("</body></html>")
        return "\n".join(parts)


def _cell(v) -> str:
    if isinstance(v, float):
        return f"{v:.3f}" if abs(v) < 1000 else f"{v:.0f}"
    return "" if v is None else str(v)


def _inline(text: str) -> str:
    """Escape, then turn **bold** and `code` spans into HTML."""
    import re

    t = html.escape(text)
    t = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", t)
    t = re.sub(r"`(.+?)`", r"<code>\1</code>", t)
    return t


_CSS = """
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;margin:1rem 0;font-size:.9rem}
th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:right}
th:first-child,td:first-child{text-align:left}
thead{background:#f0f0f0}
figure{margin:1.5rem 0}
img.figure{max-width:100%}
figcaption{font-style:italic;color:#555}
p.warning{background:#fff3cd;border:2px solid #e0a800;padding:.75rem;font-weight:bold}
pre{background:#f6f6f6;padding:.75rem;overflow-x:auto}
""".strip()
