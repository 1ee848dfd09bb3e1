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


# Single networks trained with different seeds differ by up to about 0.008 in test micro-F1
# (measured while tuning: seeds 0, 1, 2 of bow-mlp-wbce gave 0.573, 0.575, 0.581), so a
# difference smaller than this between two single-network rows is not a measured effect.
NOISE = 0.01


def verdict(delta) -> str:
    """Reading of one ablation difference (with the cause minus without)."""
    if delta <= -NOISE:
        return "hurts"
    if delta >= NOISE:
        return "helps here"
    return "no measurable effect"


def _ablation_rows(result):
    header = ["cause", "with the cause", "without", "micro-F1 with", "micro-F1 without", "cost",
              "reading"]
    rows = [[a["label"], a["with_cause"], a["without_cause"], a["micro_f1_with"],
             a["micro_f1_without"], a["delta"], verdict(a["delta"])]
            for a in result.get("ablations", [])]
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
             f"{split.get('n_val')} / {split.get('n_test')}, {split.get('n_genres')} genres. "
             f"F1 without a suffix uses per-genre thresholds tuned on the validation shows; "
             f"'@0.5' uses one threshold of 0.5 for every genre.")
    env = environment_note(result)
    if env:
        doc.para(env)
    doc.heading("Causes")
    for cause, text in CAUSES.items():
        doc.para(f"**{cause}**: {text}")
    note = coverage_note(result)
    if note:
        doc.para(note)
    h, rows = _ablation_rows(result)
    doc.heading("Cost of each cause (test micro-F1)")
    doc.para(f"Cost = micro-F1 with the cause minus without (negative: the cause hurts). "
             f"Differences under {NOISE} are within the seed-to-seed spread of one network "
             f"and read as no measurable effect.")
    doc.table(h, rows)
    doc.heading("All methods")
    h, rows = _rows_table(result)
    doc.table(h, rows)
    ref = next((r for r in result["methods"] if r["name"] == "reference"), None)
    if ref is not None:
        doc.para(f"`reference` is the numpy method with the best validation micro-F1 "
                 f"(ablation rows excluded): `{ref.get('info', {}).get('chosen')}`.")
    goals = result.get("goals") or {}
    if goals:
        doc.heading("Goals of issue 4")
        doc.table(["goal", "measured", "met"], goal_rows(result))
    return doc.to_markdown()


def environment_note(result):
    """One sentence on the machine the timings come from (threads, load average)."""
    env = result.get("environment")
    if not env:
        return None
    start, end = env.get("load_average_start"), env.get("load_average_end")
    load = ""
    if start and end:
        load = (f"; 1-minute load average {start[0]:.2f} at the start and {end[0]:.2f} at the "
                f"end of the run")
    return (f"Timings: one process, {env.get('cpu_count')} cores, BLAS threads capped at "
            f"{env.get('blas_threads')} for every method{load}.")


def goal_rows(result):
    """The issue's goals as table rows: what was required, the measured figures, met or not."""
    by = {r["name"]: r for r in result["methods"]}
    g = result.get("goals") or {}
    ref, lr, mlp = by.get("reference"), by.get("sklearn-logreg"), by.get("sklearn-mlp")
    rows = []
    if ref and lr:
        rows.append(["reference micro-F1 >= sklearn-logreg + 0.02",
                     f"{ref['micro_f1']:.3f} vs {lr['micro_f1']:.3f} + 0.02",
                     "yes" if g.get("micro_f1_goal_met") else "no"])
        rows.append(["reference macro-F1 >= sklearn-logreg",
                     f"{ref['macro_f1']:.3f} vs {lr['macro_f1']:.3f}",
                     "yes" if g.get("macro_f1_goal_met") else "no"])
    if ref and mlp and "time_ratio_vs_sklearn_mlp" in g:
        rows.append(["reference seconds <= 1/3 of sklearn-mlp",
                     f"{ref['fit_predict_seconds']:.1f} s vs {mlp['fit_predict_seconds']:.1f} s "
                     f"(ratio {g['time_ratio_vs_sklearn_mlp']:.2f})",
                     "yes" if g.get("time_goal_met") else "no"])
    return rows
