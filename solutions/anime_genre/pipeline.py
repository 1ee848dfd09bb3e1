"""``anime-genre run``: load -> clean -> split -> vectorize -> train -> tune -> evaluate -> report.

Each stage's output is cached on disk (pickle, in ``cache_dir``) under a key that hashes the
stage name, its parameters and the keys of the stages it reads, so a second run with the
same settings loads everything and a changed setting recomputes only the stages downstream
of it. Every stage logs whether it was computed or loaded, and the log goes into
``metrics.json``.

Data: mal2020 from the data home (downloaded if missing). When no data home was given and the
corpus can be neither found nor downloaded, the run falls back to the synthetic corpus and
says so loudly, at the start and at the top of the report. With an explicit ``data_home``
a missing corpus is an error (the user asked for that folder).
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import pickle
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from . import __version__, metrics
from .baselines import REFERENCE_CONFIG as _REF
from .baselines import Corpus, train_classifier
from .errors import DataNotFoundError, UserError
from .features import BowVectorizer
from .heads import fit_heads
from .model import MeanModel
from .predictor import MODEL_FORMAT, MODEL_VERSION, read_run_model, write_compact

CACHE_VERSION = 2
SYNTHETIC_BANNER = ("RUNNING ON THE SYNTHETIC CORPUS: {why} The figures below describe "
                    "generated text with planted genre words, not MyAnimeList.")


@dataclass
class RunConfig:
    """Everything a run depends on. Synthetic settings are used only on synthetic data.
    The model settings default to the benchmark's reference (``baselines.REFERENCE_CONFIG``):
    ``n_models`` bag-of-words MLPs and the closed-form heads (naive Bayes ``nb_alpha``, ridge
    ``ridge_alpha``, naive-Bayes-scaled ridge ``nb_ridge_alpha``; None: left out), combined as ``combine`` says."""

    synthetic: bool = False
    data_home: str | None = None
    n_docs: int = 1500
    n_genres: int = 8
    min_df: int = _REF.min_df
    max_df: float = _REF.max_df
    bigrams: bool = _REF.bigrams
    hidden: tuple = _REF.hidden
    dropout: float = _REF.dropout
    loss: str = _REF.loss
    gamma: float = _REF.gamma
    lr: float = _REF.lr
    batch_size: int = _REF.batch_size
    # The synthetic corpus has a few hundred training shows: batches of 512 would give one
    # step per epoch, so it trains with small batches.
    synthetic_batch_size: int = 64
    max_epochs: int = _REF.max_epochs
    patience: int = _REF.patience
    n_models: int = _REF.n_models
    nb_alpha: float | None = _REF.nb_alpha
    ridge_alpha: float | None = _REF.ridge_alpha
    nb_ridge_alpha: float | None = _REF.nb_ridge_alpha
    combine: str = _REF.combine
    seed: int = _REF.seed
    # OpenBLAS threads for the whole run (None: the library's default). See
    # ``benchmark.run_benchmark`` for the measurement behind 1.
    blas_threads: int | None = 1
    # The gamma figure comes from short runs (one network, 4 epochs each): it shows the
    # trend at a fraction of the cost of full training.
    gammas: tuple = (0.0, 1.0, 2.0, 5.0)
    gamma_epochs: int = 4


# ----------------------------------------------------------------------------- cache

class StageCache:
    """Pickled stage outputs in ``root``, keyed by a hash of what produced them."""

    def __init__(self, root, log=print):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.log = log
        self.records = []

    @staticmethod
    def key(name, params, deps) -> str:
        blob = json.dumps({"stage": name, "params": params, "deps": list(deps),
                           "cache_version": CACHE_VERSION, "package": __version__},
                          sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def run(self, name, params, deps, compute):
        """Return ``(value, key)``: loaded if cached, else ``compute()`` then stored."""
        key = self.key(name, params, deps)
        path = self.root / f"{name}-{key}.pkl"
        t0 = time.perf_counter()
        if path.exists():
            try:
                with open(path, "rb") as f:
                    value = pickle.load(f)
                self._record(name, key, True, time.perf_counter() - t0, path)
                return value, key
            except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
                self.log(f"[{name}] cache file {path} unreadable: recomputing")
        self.log(f"[{name}] computing ...")
        value = compute()
        tmp = path.with_suffix(".tmp")
        with open(tmp, "wb") as f:
            pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)    # never leave a half-written cache entry
        self._record(name, key, False, time.perf_counter() - t0, path)
        return value, key

    def _record(self, name, key, cached, seconds, path):
        self.records.append({"stage": name, "key": key, "cached": cached,
                             "seconds": round(seconds, 3), "file": str(path)})
        self.log(f"[{name}] {'loaded from cache' if cached else 'computed'} "
                 f"(key {key}, {seconds:.1f} s)")


# ----------------------------------------------------------------------------- stages

def _file_fingerprint(paths):
    out = []
    for p in paths:
        st = Path(p).stat()
        out.append([str(p), st.st_size, int(st.st_mtime)])
    return out


def load_stage(cfg: RunConfig, cache: StageCache, log=print):
    """Returns ``(raw_df, source, banner, key)``."""
    from .config import get_data_home
    from .datasets import load_mal2020
    from .synthetic import make_synthetic_corpus

    why = None
    if cfg.synthetic:
        why = "--synthetic was given."
    else:
        home = get_data_home(cfg.data_home)
        try:
            from .datasets import fetch_file

            paths = [fetch_file(n, home) for n in ("mal2020/anime_with_synopsis.csv.zip",
                                                    "mal2020/anime.csv.zip")]
        except DataNotFoundError as exc:
            if cfg.data_home is not None or os.environ.get("ANIME_GENRE_DATA_HOME"):
                raise
            why = f"no real data was found or downloadable ({exc})"
    if why is None:
        df, key = cache.run("load", {"source": "mal2020", "files": _file_fingerprint(paths)}, [],
                            lambda: load_mal2020(home, download_if_missing=False))
        return df, "mal2020", None, key
    banner = SYNTHETIC_BANNER.format(why=why)
    log("!" * 78)
    log("!! " + banner)
    log("!" * 78)
    params = {"source": "synthetic", "n_docs": cfg.n_docs, "n_genres": cfg.n_genres, "seed": cfg.seed}
    df, key = cache.run("load", params, [], lambda: make_synthetic_corpus(
        n_docs=cfg.n_docs, n_genres=cfg.n_genres, seed=cfg.seed))
    return df, "synthetic", banner, key


def clean_params() -> dict:
    """Cache parameters of the clean stage: the canonical settings and the cleaning code's
    version (``clean.cleaning_version()``), so changed cleaning code never reuses cleaned text,
    nor the split and features computed from it (their keys include this stage's key)."""
    from .clean import cleaning_version

    return {"canonical": True, "cleaning": cleaning_version()}


def build_corpus(clean_df, genres, source, seed=0) -> Corpus:
    """Labels and the canonical split of a cleaned table."""
    from .clean import multi_hot, split_genres
    from .split import train_val_test_split

    Y = multi_hot([split_genres(g) for g in clean_df["Genres"]], genres).astype(np.float64)
    tr, va, te = train_val_test_split(Y, seed=seed)
    return Corpus(texts=list(clean_df["Text"]), Y=Y, genres=list(genres), train=tr, val=va,
                  test=te, source=source, ids=np.asarray(clean_df["MAL_ID"]),
                  names=list(clean_df["Name"]))


def load_corpus(data_home=None, synthetic=False, cache_dir=None, log=print, n_docs=1500,
                n_genres=8) -> tuple:
    """load + clean + split (cached when ``cache_dir`` is given): ``(corpus, clean_report,
    banner)``. Used by the benchmark and by ``run``."""
    import tempfile

    from .clean import clean_corpus

    cfg = RunConfig(synthetic=synthetic, data_home=data_home, n_docs=n_docs, n_genres=n_genres)
    cache = StageCache(cache_dir or tempfile.mkdtemp(prefix="anime-genre-cache-"), log)
    df, source, banner, k_load = load_stage(cfg, cache, log)
    (clean_df, report), k_clean = cache.run("clean", clean_params(), [k_load],
                                            lambda: clean_corpus(df))
    corpus, _ = cache.run("split", {"seed": cfg.seed}, [k_clean],
                          lambda: build_corpus(clean_df, report["genres"], source, cfg.seed))
    return corpus, report, banner


# ----------------------------------------------------------------------------- the run

def run_pipeline(cfg: RunConfig, out_dir, cache_dir=None, log=print, progress=True) -> dict:
    """Run every stage, write the run folder; returns the metrics dict."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=cfg.blas_threads):
        return _run_pipeline(cfg, out_dir, cache_dir, log, progress)


def _run_pipeline(cfg: RunConfig, out_dir, cache_dir, log, progress) -> dict:
    from . import report as rep
    from .clean import clean_corpus

    t_start = time.perf_counter()
    out = Path(out_dir)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    cache = StageCache(cache_dir or out.parent / "cache", log)

    df, source, banner, k_load = load_stage(cfg, cache, log)
    (clean_df, clean_report), k_clean = cache.run("clean", clean_params(), [k_load],
                                                  lambda: clean_corpus(df))
    log(f"[clean] {clean_report['rows_in']} rows in, {clean_report['rows_out']} out, "
        f"{clean_report['n_genres']} genres")
    if clean_report["rows_out"] < 20:
        raise UserError(f"only {clean_report['rows_out']} shows survive cleaning: too few to train")
    c, k_split = cache.run("split", {"seed": cfg.seed}, [k_clean],
                           lambda: build_corpus(clean_df, clean_report["genres"], source, cfg.seed))
    log(f"[split] train {len(c.train)}, validation {len(c.val)}, test {len(c.test)}")

    vec_params = {"min_df": cfg.min_df, "max_df": cfg.max_df, "bigrams": cfg.bigrams}

    def vectorize():
        vec = BowVectorizer(**vec_params)
        X = vec.fit_transform(c.part(c.train))
        return vec, X, vec.transform(c.part(c.val)), vec.transform(c.part(c.test))

    (vec, X, Xv, Xt), k_vec = cache.run("vectorize", vec_params, [k_split], vectorize)
    log(f"[vectorize] {vec.n_features} terms (unigrams{' + bigrams' if cfg.bigrams else ''})")
    Ytr, Yv, Yt = c.Y[c.train], c.Y[c.val], c.Y[c.test]

    batch_size = cfg.synthetic_batch_size if source == "synthetic" else cfg.batch_size
    train_params = {k: getattr(cfg, k) for k in ("hidden", "dropout", "loss", "gamma", "lr",
                                                  "max_epochs", "patience", "seed", "n_models",
                                                  "nb_alpha", "ridge_alpha", "nb_ridge_alpha", "combine")}
    train_params["batch_size"] = batch_size

    def train():
        packed, hists = [], []
        for i in range(max(1, cfg.n_models)):
            m, hist = train_classifier(X, Ytr, Xv, Yv, hidden=cfg.hidden, dropout=cfg.dropout,
                                       loss=cfg.loss, gamma=cfg.gamma, lr=cfg.lr,
                                       batch_size=batch_size, max_epochs=cfg.max_epochs,
                                       patience=cfg.patience, seed=cfg.seed + i, progress=progress)
            log(f"[train] network {i + 1}: {hist['epochs']} epochs, best epoch {hist['best_epoch']}")
            packed.append(_pack(m))
            hists.append(hist)
        # the closed-form heads, calibrated on validation, as networks without hidden layer
        for name, net, info in fit_heads(X, Ytr, Xv, Yv, nb_alpha=cfg.nb_alpha,
                                         ridge_alpha=cfg.ridge_alpha,
                                         nb_ridge_alpha=cfg.nb_ridge_alpha):
            log(f"[train] {name} head {info}")
            packed.append(_pack(net))
        # The cache holds configurations and weights only, not the layers' gradient and
        # activation buffers (which would triple the file).
        return packed, hists

    (packed, histories), k_train = cache.run("train", train_params, [k_vec], train)
    model = MeanModel([_unpack(p) for p in packed], combine=cfg.combine)
    history = histories[0]

    P_val = model.predict_proba(Xv)
    thresholds, k_tune = cache.run("tune", {}, [k_train], lambda: metrics.tune_thresholds(Yv, P_val))

    def evaluate():
        P = model.predict_proba(Xt).astype(np.float64)
        hat = metrics.apply_thresholds(P, thresholds)
        half = metrics.apply_thresholds(P, 0.5)
        return P, {
            "micro_f1": metrics.micro_f1(Yt, hat), "macro_f1": metrics.macro_f1(Yt, hat),
            "samples_f1": metrics.samples_f1(Yt, hat),
            "micro_f1_at_05": metrics.micro_f1(Yt, half), "macro_f1_at_05": metrics.macro_f1(Yt, half),
            "micro_ap": metrics.average_precision(Yt, P, average="micro"),
            "macro_ap": metrics.average_precision(Yt, P, average="macro"),
            "precision_at_3": metrics.precision_at_k(Yt, P, 3),
            "hamming_loss": metrics.hamming_loss(Yt, hat),
            "per_genre_f1": dict(zip(c.genres, map(float, metrics.per_genre_f1(Yt, hat)))),
        }

    (P_test, test_metrics), k_eval = cache.run("evaluate", {}, [k_tune], evaluate)
    log(f"[evaluate] test micro-F1 {test_metrics['micro_f1']:.3f}, macro-F1 "
        f"{test_metrics['macro_f1']:.3f}, micro AP {test_metrics['micro_ap']:.3f} "
        f"(at 0.5: {test_metrics['micro_f1_at_05']:.3f} / {test_metrics['macro_f1_at_05']:.3f})")

    def gamma_sweep():
        rows = []
        for g in cfg.gammas:
            m, _ = train_classifier(X, Ytr, Xv, Yv, hidden=cfg.hidden, dropout=cfg.dropout,
                                    loss="focal", gamma=g, lr=cfg.lr, batch_size=batch_size,
                                    max_epochs=cfg.gamma_epochs, patience=2, seed=cfg.seed,
                                    progress=progress)
            P = m.predict_proba(Xv)
            th = metrics.tune_thresholds(Yv, P)
            rows.append({"gamma": float(g),
                         "micro_f1": metrics.micro_f1(Yv, metrics.apply_thresholds(P, th)),
                         "macro_f1": metrics.macro_f1(Yv, metrics.apply_thresholds(P, th)),
                         "micro_f1_at_05": metrics.micro_f1(Yv, P >= 0.5),
                         "macro_f1_at_05": metrics.macro_f1(Yv, P >= 0.5)})
            log(f"[gamma] gamma {g}: validation micro-F1 {rows[-1]['micro_f1']:.3f}")
        return rows

    gamma_params = {"gammas": list(cfg.gammas), "epochs": cfg.gamma_epochs, "lr": cfg.lr,
                    "hidden": cfg.hidden, "batch_size": batch_size}
    gamma_rows, k_gamma = cache.run("gamma_sweep", gamma_params, [k_vec], gamma_sweep)

    bench = _find_benchmark(out)
    (figures, md, html_text), k_rep = cache.run(
        "report", {"banner": banner, "bench": bench[1] if bench else None},
        [k_eval, k_gamma], lambda: _render_report(rep, c, clean_report, history, test_metrics,
                                                  P_test, gamma_rows, banner, source, vec,
                                                  bench[0] if bench else None, len(histories),
                                                  len(packed) - len(histories), cfg.combine))

    # ---- the run folder
    for name, png in figures.items():
        (out / "figures" / f"{name}.png").write_bytes(png)
    (out / "report.md").write_text(md, encoding="utf-8")
    (out / "report.html").write_text(html_text, encoding="utf-8")
    save_run_model(out / "model.npz", model, vec, c.genres, thresholds, source)
    _write_predictions(out / "predictions_test.csv", c, P_test, thresholds)
    result = {
        "source": source, "synthetic": source == "synthetic", "banner": banner,
        "package_version": __version__, "config": dataclasses.asdict(cfg),
        "clean": {k: clean_report[k] for k in ("rows_in", "rows_out", "removed", "n_genres")},
        "split": {"n_train": len(c.train), "n_val": len(c.val), "n_test": len(c.test)},
        "n_features": vec.n_features, "n_models": len(histories),
        "heads": {"nb_alpha": cfg.nb_alpha, "ridge_alpha": cfg.ridge_alpha},
        "combine": cfg.combine, "history": _plain(history),
        "histories": _plain(histories),
        "thresholds": dict(zip(c.genres, map(float, thresholds))),
        "test": test_metrics, "gamma_sweep": gamma_rows, "stages": cache.records,
        "seconds": round(time.perf_counter() - t_start, 2),
    }
    (out / "metrics.json").write_text(json.dumps(result, indent=2, default=_json_default))
    _point_latest(out)
    log(f"[done] {out} ({result['seconds']:.1f} s)")
    return result


def _plain(d):
    return json.loads(json.dumps(d, default=_json_default))


def _json_default(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)


def _write_predictions(path, c: Corpus, P, thresholds):
    import pandas as pd

    hat = metrics.apply_thresholds(P, thresholds)
    rows = []
    for r, i in enumerate(c.test):
        order = np.argsort(-P[r])
        rows.append({
            "MAL_ID": int(c.ids[i]) if c.ids is not None else int(i),
            "Name": c.names[i] if c.names is not None else "",
            "true_genres": ", ".join(g for g, y in zip(c.genres, c.Y[i]) if y),
            "predicted_genres": ", ".join(c.genres[j] for j in order if hat[r, j]),
            "top3": ", ".join(f"{c.genres[j]}:{P[r, j]:.3f}" for j in order[:3]),
        })
    frame = pd.DataFrame(rows)
    for j, g in enumerate(c.genres):
        frame[f"p_{g}"] = np.round(P[:, j], 5)
    frame.to_csv(path, index=False)


def _point_latest(out: Path):
    """``<parent>/latest`` -> the run folder (symlink; a text file where links fail)."""
    link = out.parent / "latest"
    try:
        if link.is_symlink() or link.is_file():
            link.unlink()
        if not link.exists():
            link.symlink_to(out.resolve(), target_is_directory=True)
    except OSError:
        (out.parent / "LATEST").write_text(str(out.resolve()))


def _find_benchmark(out: Path):
    """The latest benchmark JSON next to the runs (``<runs>/benchmark.json``), if any."""
    for p in (out.parent / "benchmark.json",):
        if p.exists():
            try:
                data = json.loads(p.read_text())
                return data, hashlib.sha256(p.read_bytes()).hexdigest()[:16]
            except (OSError, ValueError):
                return None
    return None


# ----------------------------------------------------------------------------- model file

def _pack(model) -> dict:
    """A trained network as plain data: its configuration and a copy of its weights."""
    return {"config": model.config, "params": [p.copy() for p in model.params]}


def _unpack(packed):
    """The network of ``_pack``, in evaluation mode."""
    from .model import MultiLabelClassifier

    model = MultiLabelClassifier(**packed["config"])
    for p, a in zip(model.params, packed["params"]):
        if a.shape != p.shape:
            raise ValueError(f"weights of shape {a.shape}, expected {p.shape}")
        p[...] = a
    return model.eval()


def save_run_model(path, model, vec: BowVectorizer, genres, thresholds, source):
    """One .npz with the whole model: weights of each network, their configurations,
    vectorizer vocabulary and IDF, genre names, tuned thresholds; and next to it the small
    file ``anime-genre predict`` reads with it (``predictor.compact_path``: vocabulary, IDF,
    how ``clean.normalize`` cleans text — its stop words —, the layers after the first,
    thresholds), so that predicting needs neither scikit-learn nor pandas.

    Weight matrices are stored as float16, uncompressed: three 40k x 256 first layers are
    61 MB instead of 122 MB in float32, and writing them takes a fraction of a second
    (zip compression of float32 weights took 15 s and saved little). The rounding changes
    the probabilities by about 1e-3, far below what moves a tuned threshold decision."""
    models = model.models if isinstance(model, MeanModel) else [model]
    meta = {"format": MODEL_FORMAT, "format_version": MODEL_VERSION, "package_version": __version__,
            "model_configs": [m.config for m in models],
            "combine": getattr(model, "combine", "proba"), "vectorizer": vec.settings(),
            "genres": list(genres), "source": source,
            "created": datetime.now().isoformat(timespec="seconds")}
    arrays = {}
    for j, m in enumerate(models):
        for i, p in enumerate(m.params):
            arrays[f"model{j}_param_{i}"] = p.astype(np.float16) if p.ndim >= 2 else p
    arrays.update(vec.to_arrays())
    arrays["thresholds"] = np.asarray(thresholds, dtype=np.float64)
    # a new file, then renamed: a predictor that memory-maps the old one keeps reading it
    tmp = Path(path).with_name(Path(path).name + ".tmp")
    with open(tmp, "wb") as f:
        np.savez(f, meta=np.array(json.dumps(meta)), **arrays)
    os.replace(tmp, path)
    write_compact(path)


class Predictor:
    """A trained run model: ``predict_proba(texts) -> (n, K)``, ``genres``, ``thresholds``."""

    def __init__(self, model, vec, genres, thresholds, meta):
        self.model, self.vec, self.genres = model, vec, genres
        self.thresholds, self.meta = thresholds, meta

    @classmethod
    def load(cls, path) -> "Predictor":
        from .model import MultiLabelClassifier

        meta, arrays = read_run_model(path)
        try:
            configs = meta["model_configs"]
            if not isinstance(configs, list) or not configs:
                raise ValueError("no network configuration")
            nets = []
            for j, config in enumerate(configs):
                net = MultiLabelClassifier(**config)
                for i, p in enumerate(net.params):
                    a = arrays[f"model{j}_param_{i}"]
                    if a.shape != p.shape:
                        raise ValueError(f"model{j}_param_{i} has shape {a.shape}, expected {p.shape}")
                    p[...] = a
                nets.append(net.eval())
            model = MeanModel(nets, combine=meta.get("combine", "proba"))
            vec = BowVectorizer.from_arrays(meta["vectorizer"], arrays["vec_terms"], arrays["vec_idf"])
            genres, th = list(meta["genres"]), arrays["thresholds"]
            if len(genres) != model.config["output_size"] or th.shape != (len(genres),):
                raise ValueError("genre names, thresholds and output size disagree")
            if vec.n_features != model.config["input_size"]:
                raise ValueError("vocabulary size and input size disagree")
        except (KeyError, TypeError, ValueError) as exc:
            raise UserError(f"{path}: inconsistent model file ({exc}); retrain with `anime-genre run`") from None
        return cls(model, vec, genres, th, meta)

    def predict_proba(self, synopses):
        from .clean import normalize

        texts = [" ".join(normalize(s)) for s in synopses]
        return self.model.predict_proba(self.vec.transform(texts)).astype(np.float64)


# ----------------------------------------------------------------------------- report

def _render_report(rep, c, clean_report, history, test_metrics, P_test, gamma_rows, banner,
                   source, vec, bench, n_models=1, n_heads=0, combine="proba"):
    from . import postmortem

    Yt = c.Y[c.test]
    doc = rep.Doc("Anime genre classification: run report")
    if banner:
        doc.para(banner, cls="warning")
    doc.para(f"Corpus: **{source}**; {clean_report['rows_in']} rows in, {clean_report['rows_out']} "
             f"shows after cleaning, {len(c.genres)} genres; split {len(c.train)} / {len(c.val)} / "
             f"{len(c.test)} (train / validation / test, iterative stratification). Features: "
             f"{vec.n_features} TF-IDF terms (sublinear, unigrams + bigrams, min_df "
             f"{vec.min_df}). Model: "
             + (f"{n_models} sparse MLPs (different seeds)" if n_models > 1 else "a sparse MLP")
             + (f" and {n_heads} closed-form heads (naive Bayes, ridge; Platt-calibrated on "
                f"validation)" if n_heads else "")
             + (", combined by the mean of their log-odds" if combine == "logit" and
                n_models + n_heads > 1 else
                ", their probabilities averaged" if n_models + n_heads > 1 else "")
             + "; thresholds tuned per genre on validation.")
    doc.heading("Test results")
    doc.table(["metric", "tuned thresholds", "threshold 0.5"], [
        ["micro-F1", test_metrics["micro_f1"], test_metrics["micro_f1_at_05"]],
        ["macro-F1", test_metrics["macro_f1"], test_metrics["macro_f1_at_05"]],
        ["micro average precision", test_metrics["micro_ap"], ""],
        ["precision@3", test_metrics["precision_at_3"], ""],
    ])
    doc.heading("Data")
    doc.pre("\n".join(f"removed by {k}: {v}" for k, v in clean_report["removed"].items()))
    doc.figure("genre_distribution", rep.genre_distribution(c.Y, c.genres),
               "Number of shows per genre after cleaning")
    doc.figure("cooccurrence", rep.cooccurrence_heatmap(c.Y, c.genres),
               "Genre co-occurrence, P(column genre | row genre)")
    doc.heading("Training")
    doc.figure("learning_curves", rep.learning_curves(
        {"train_loss": history["train_loss"], "val_loss": history["val_loss"],
         "val micro-F1 (tuned)": history["val_metric"]}),
        f"Learning curves of network 1 of {n_models} (best epoch {history['best_epoch']} "
        f"of {history['epochs']})")
    doc.figure("focal_gamma", rep.focal_gamma_effect(gamma_rows),
               "Validation F1 against the focal-loss gamma (short runs)")
    doc.heading("Per genre")
    f1 = [test_metrics["per_genre_f1"][g] for g in c.genres]
    doc.figure("per_genre_f1", rep.per_genre_f1(f1, c.genres, Yt.sum(axis=0)),
               "Test F1 per genre with tuned thresholds")
    doc.figure("precision_recall", rep.precision_recall_curves(Yt, P_test, c.genres),
               "Precision-recall curves on the test set")
    postmortem.add_to_report(doc, rep, bench)
    return doc.figures, doc.to_markdown(), doc.to_html()
