"""Why the original project failed, in numbers from a benchmark result.

``add_to_report`` appends the postmortem section (benchmark table, ablation table and the
ablation figure) to a run report; ``markdown`` writes the same as a standalone document
(``datasets/POSTMORTEM.md`` is produced by ``anime-genre benchmark --postmortem PATH``).
"""
from __future__ import annotations

CAUSES = {
    "ptb_vocabulary": "Synopses cut to the 10,000-word Penn Treebank vocabulary of the pretrained "
                      "CBOW vectors: genre words (vampire, mecha, idol, demon, ninja, samurai, "
                      "sword) vanish before the model sees the text.",
    "softmax": "Softmax cross-entropy on multi-label targets: the genres compete for one unit of "
               "probability, so the best the model can learn is each genre's share of the "
               "labels; with a 0.5 threshold almost nothing is ever predicted.",
    "idf": "IDF computed as ln(n_vocab / df) instead of the number of documents (no +1).",
    "focal_1_over_n": "The focal loss's backward pass forgot the 1/N of its mean: gradients N "
                      "times too large. Under Adam, which divides by the gradient's running "
                      "scale, this is almost harmless; under SGD it multiplies the step size.",
    "sigmoid_hidden": "Sigmoid hidden layers (saturating, gradients <= 1/4) instead of ReLU.",
    "threshold_05": "One threshold of 0.5 for every genre: rare genres never reach it.",
}


def _rows_table(result):
    header = ["method", "micro-F1", "macro-F1", "micro-F1 @0.5", "macro-F1 @0.5", "micro AP",
              "seconds", "peak MB"]
    rows = [[r["name"], r["micro_f1"], r["macro_f1"], r["micro_f1_at_05"], r["macro_f1_at_05"],
             r["micro_ap"], r["fit_predict_seconds"], r["peak_mb"]] for r in result["methods"]]
    return header, rows


def _ablation_rows(result):
    header = ["cause", "with the cause", "without", "micro-F1 with", "micro-F1 without", "cost"]
    rows = [[a["label"], a["with_cause"], a["without_cause"], a["micro_f1_with"],
             a["micro_f1_without"], a["delta"]] for a in result.get("ablations", [])]
    return header, rows


def coverage_note(result):
    for r in result["methods"]:
        if r["name"] == "seed-method" and "coverage" in r.get("info", {}):
            return (f"PTB vocabulary coverage of the cleaned training synopses (stop words "
                    f"removed): {r['info']['coverage']:.1%} of the tokens have a PTB vector.")
    return None


def add_to_report(doc, rep, result):
    """Append the postmortem to a :class:`anime_genre.report.Doc` (nothing if no result)."""
    doc.heading("Postmortem: why the original project failed")
    if not result:
        doc.para("No benchmark result was found next to the runs (`runs/benchmark.json`): run "
                 "`anime-genre benchmark` to measure the cost of each cause, then `anime-genre run` "
                 "again to include it here.")
        return
    split = result.get("split", {})
    doc.para(f"Measured by `anime-genre benchmark` on {split.get('source')} "
             f"({split.get('n_train')} / {split.get('n_val')} / {split.get('n_test')} shows, "
             f"{split.get('n_genres')} genres). F1 without a suffix uses per-genre thresholds "
             f"tuned on validation.")
    h, rows = _rows_table(result)
    doc.table(h, rows)
    for cause, text in CAUSES.items():
        doc.para(f"**{cause}**: {text}")
    note = coverage_note(result)
    if note:
        doc.para(note)
    h, rows = _ablation_rows(result)
    if rows:
        doc.table(h, rows)
        doc.figure("ablation", rep.ablation_costs(result["ablations"]),
                   "Change in test micro-F1 when each cause is present (negative = it hurts)")


def markdown(result) -> str:
    """The postmortem as a standalone Markdown document (no figures)."""
    from .report import Doc

    doc = Doc("Postmortem of the original anime-genre project")
    doc.para("The original project (yh08037/anime-genre-classification) predicted the genres of "
             "an anime from its synopsis; its model's outputs were essentially the genre "
             "frequencies. Each cause below is switched on and off in `anime-genre benchmark` "
             "(ablation rows), so its cost is a measured number. Regenerate this file with "
             "`anime-genre benchmark --postmortem datasets/POSTMORTEM.md`.")
    split = result.get("split", {})
    doc.para(f"Data: {split.get('source')}, canonical split {split.get('n_train')} / "
             f"{split.get('n_val')} / {split.get('n_test')}, {split.get('n_genres')} genres.")
    doc.heading("Causes")
    for cause, text in CAUSES.items():
        doc.para(f"**{cause}**: {text}")
    note = coverage_note(result)
    if note:
        doc.para(note)
    h, rows = _ablation_rows(result)
    doc.heading("Cost of each cause (test micro-F1)")
    doc.table(h, rows)
    doc.heading("All methods")
    h, rows = _rows_table(result)
    doc.table(h, rows)
    return doc.to_markdown()
