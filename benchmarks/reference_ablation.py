"""Issue 14, item 2: which numpy reference? Ablation of MLP ensembles and closed-form heads
(anime_genre.heads: naive Bayes, ridge) on the canonical mal2020 split, three seeds, with the
peers of the benchmark in the same process for comparison.

    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 nice -n 5 \\
        ANIME_GENRE_DATA_HOME=../shared/datasets .venv/bin/python benchmarks/reference_ablation.py

How it measures (the benchmark's rules): the corpus is loaded as ``anime-genre benchmark``
loads it; every method fits on the training shows, calibrates, stops early and tunes its
thresholds on the validation shows only, and is scored on the test shows by
``benchmark.score``. Each *component* (the vectorizer, one MLP of a given seed and size, one
naive-Bayes or ridge head) is fitted once, its CPU seconds measured (``time.process_time``,
one BLAS thread); a variant combines components, and its CPU seconds are the sum of what it
uses (vectorizer + components + Platt + the mean), i.e. what fitting it alone would cost.
Seed s of a variant with m MLPs uses the networks of seeds s, ..., s + m - 1.

``--components PATH`` keeps the fitted components' probabilities and CPU seconds in a pickle
(re-used by a second call, to add variants without refitting); ``--no-peers`` skips the peers.
"""
from __future__ import annotations

import argparse
import pickle
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from anime_genre import benchmark as bm
from anime_genre import heads, peers
from anime_genre.baselines import REFERENCE_CONFIG as REF
from anime_genre.baselines import train_classifier, tuned_micro_f1
from anime_genre.features import BowVectorizer
from anime_genre.functions import sigmoid
from anime_genre.pipeline import load_corpus

ROOT = Path(__file__).resolve().parents[1]
SEEDS = (0, 1, 2)
EPS = 1e-6


def logit(P):
    P = np.clip(np.asarray(P, dtype=np.float64), EPS, 1 - EPS)
    return np.log(P / (1 - P))


class Components:
    """Fitted components, each ``{"val": (n_val, K), "test": (n_test, K), "cpu": s, "kind":
    "prob" | "score"}``, computed on demand and kept (and pickled)."""

    def __init__(self, corpus, path=None):
        self.c, self.path = corpus, path
        self.store = {}
        if path and Path(path).exists():
            with open(path, "rb") as f:
                self.store = pickle.load(f)
            print(f"components loaded from {path}: {len(self.store)}")
        self._X = None

    def save(self):
        if self.path:
            with open(self.path, "wb") as f:
                pickle.dump(self.store, f)

    def features(self, key="tfidf"):
        if self._X is None:
            c = self.c
            t0 = time.process_time()
            vec = BowVectorizer(min_df=REF.min_df, max_df=REF.max_df, bigrams=REF.bigrams)
            X = vec.fit_transform(c.part(c.train))
            Xv, Xt = vec.transform(c.part(c.val)), vec.transform(c.part(c.test))
            cpu = time.process_time() - t0
            self._X = (X, Xv, Xt)
            self.store.setdefault("vectorizer", {"cpu": cpu, "n_features": vec.n_features})
        return self._X

    def get(self, key):
        if key not in self.store:
            X, Xv, Xt = self.features()
            c = self.c
            Y, Yv = c.Y[c.train], c.Y[c.val]
            t0 = time.process_time()
            kind, extra = key[0], {}
            if kind == "mlp":
                _, hidden, max_epochs, patience, lr, seed = key[:6]
                model, hist = train_classifier(
                    X, Y, Xv, Yv, hidden=hidden, dropout=REF.dropout,
                    loss=key[6] if len(key) > 6 else REF.loss,
                    lr=lr, batch_size=REF.batch_size, max_epochs=max_epochs,
                    patience=patience, seed=seed)
                out = {"val": model.predict_proba(Xv).astype(np.float64),
                       "test": model.predict_proba(Xt).astype(np.float64), "kind": "prob"}
                extra = {"epochs": hist["epochs"], "best_epoch": hist["best_epoch"]}
            elif kind == "nb":
                W, b = heads.naive_bayes_fit(X, Y, alpha=key[1])
                out = {"val": heads.linear_scores(Xv, W, b), "test": heads.linear_scores(Xt, W, b),
                       "kind": "score"}
            elif kind == "nb-binary":        # naive Bayes on word presence (0/1), not TF-IDF
                B, Bv, Bt = (M.copy() for M in (X, Xv, Xt))
                for M in (B, Bv, Bt):
                    M.data[:] = 1.0
                W, b = heads.naive_bayes_fit(B, Y, alpha=key[1])
                out = {"val": heads.linear_scores(Bv, W, b), "test": heads.linear_scores(Bt, W, b),
                       "kind": "score"}
            elif kind == "ridge":
                W, b, info = heads.ridge_fit(X, Y, alpha=key[1])
                out = {"val": heads.linear_scores(Xv, W, b), "test": heads.linear_scores(Xt, W, b),
                       "kind": "score"}
                extra = info
            else:
                raise KeyError(key)
            out["cpu"] = time.process_time() - t0
            out.update(extra)
            self.store[key] = out
            print(f"    fitted {key}: {out['cpu']:.1f} CPU s {extra or ''}", flush=True)
            self.save()
        return self.store[key]


def mlp_key(seed, hidden=(256,), max_epochs=REF.max_epochs, patience=REF.patience, lr=REF.lr,
            loss=REF.loss):
    key = ("mlp", tuple(hidden), max_epochs, patience, lr, seed)
    return key if loss == REF.loss else key + (loss,)


def combine(comp: Components, parts, Yv, calibrate_mlp=False, weights=None, mode="prob",
            extra=()):
    """``parts``: list of groups, each a list of component keys whose probabilities are
    averaged into one member (e.g. three MLPs); score components become probabilities by
    Platt scaling on validation, MLP probabilities too when ``calibrate_mlp``. The members
    are averaged with ``weights`` (uniform by default; "val": the grid weight with the best
    validation score). ``mode``: "prob" averages probabilities, "logit" averages log-odds
    (then the sigmoid), "stack" fits per genre a logistic regression on validation over the
    members' log-odds (L2 towards the plain logit mean). ``extra``: already calibrated
    (P_val, P_test) members (the sklearn peers, for analysis only) whose CPU is not counted.
    Returns (P_val, P_test, cpu, chosen weights)."""
    for group in parts:          # fit what is missing first: its CPU is counted once, below
        for key in group:
            comp.get(key)
    t0 = time.process_time()
    members, cpu = [], comp.store["vectorizer"]["cpu"]
    for group in parts:
        pv, pt = [], []
        for key in group:
            r = comp.get(key)
            cpu += r["cpu"]
            if r["kind"] == "score":
                ab = heads.platt(r["val"], Yv)
                pv.append(heads.apply_platt(r["val"], ab))
                pt.append(heads.apply_platt(r["test"], ab))
            elif calibrate_mlp:
                ab = heads.platt(logit(r["val"]), Yv)
                pv.append(heads.apply_platt(logit(r["val"]), ab))
                pt.append(heads.apply_platt(logit(r["test"]), ab))
            else:
                pv.append(r["val"])
                pt.append(r["test"])
        members.append((np.mean(pv, axis=0), np.mean(pt, axis=0)))
    members += list(extra)
    chosen = None
    if mode == "logit":
        members = [(logit(v), logit(t)) for v, t in members]
    elif mode == "stack":
        Pv, Pt = stack([logit(v) for v, _ in members], [logit(t) for _, t in members], Yv)
        return Pv, Pt, cpu + time.process_time() - t0, None
    if weights == "val":     # weight of the first member (the MLPs); the rest share the remainder
        best = None
        for w in (0.2, 0.33, 0.4, 0.5, 0.6, 0.7):
            ws = [w] + [(1 - w) / (len(members) - 1)] * (len(members) - 1)
            Pv = sum(wi * m[0] for wi, m in zip(ws, members))
            f1 = tuned_micro_f1(Yv, Pv)
            if best is None or f1 > best[0]:
                best = (f1, ws)
        weights, chosen = best[1], best[1][0]
    ws = weights or [1 / len(members)] * len(members)
    Pv = sum(wi * m[0] for wi, m in zip(ws, members))
    Pt = sum(wi * m[1] for wi, m in zip(ws, members))
    if mode == "logit":
        Pv, Pt = sigmoid(Pv), sigmoid(Pt)
    cpu += time.process_time() - t0           # Platt, the mean (and the weight search)
    return Pv, Pt, cpu, chosen


def stack(Fv, Ft, Yv, lam=10.0, iters=25):
    """Per genre, logistic regression on validation over the m members' log-odds (lists of
    (n, K)), weights pulled towards 1/m by ``lam``: (P_val, P_test)."""
    m, K = len(Fv), Yv.shape[1]
    Pv, Pt = np.zeros(Fv[0].shape), np.zeros(Ft[0].shape)
    prior = np.r_[np.full(m, 1 / m), 0.0]
    pen = lam * np.diag(np.r_[np.ones(m), 0.0])
    for k in range(K):
        Zv = np.column_stack([f[:, k] for f in Fv] + [np.ones(len(Yv))])
        Zt = np.column_stack([f[:, k] for f in Ft] + [np.ones(Ft[0].shape[0])])
        w, y = prior.copy(), Yv[:, k]
        for _ in range(iters):
            p = sigmoid(Zv @ w)
            g = Zv.T @ (p - y) + pen @ (w - prior)
            H = (Zv * (p * (1 - p))[:, None]).T @ Zv + pen + 1e-9 * np.eye(m + 1)
            w -= np.linalg.solve(H, g)
        Pv[:, k], Pt[:, k] = sigmoid(Zv @ w), sigmoid(Zt @ w)
    return Pv, Pt


def variants(nb_alpha, ridge_alpha):
    """name -> function(seed) -> (parts, options)."""
    NB, RI = ("nb", nb_alpha), ("ridge", ridge_alpha)
    m = mlp_key
    fast = dict(max_epochs=8, patience=2)
    return {
        "mlp x3 [current reference]": lambda s: ([[m(s), m(s + 1), m(s + 2)]], {}),
        "mlp x1": lambda s: ([[m(s)]], {}),
        f"nb alpha={nb_alpha} (numpy)": lambda s: ([[NB]], {}),
        f"ridge alpha={ridge_alpha} (numpy)": lambda s: ([[RI]], {}),
        "nb + ridge": lambda s: ([[NB], [RI]], {}),
        "mlp x3 + nb + ridge": lambda s: ([[m(s), m(s + 1), m(s + 2)], [NB], [RI]], {}),
        "mlp x2 + nb + ridge": lambda s: ([[m(s), m(s + 1)], [NB], [RI]], {}),
        "mlp x1 + nb + ridge": lambda s: ([[m(s)], [NB], [RI]], {}),
        "mlp x1 + nb": lambda s: ([[m(s)], [NB]], {}),
        "mlp x1 + ridge": lambda s: ([[m(s)], [RI]], {}),
        "mlp x1 + nb + ridge, mlp Platt": lambda s: ([[m(s)], [NB], [RI]], {"calibrate_mlp": True}),
        "mlp x1 + nb + ridge, weights on val": lambda s: ([[m(s)], [NB], [RI]], {"weights": "val"}),
        "mlp x3 + nb + ridge, weights on val": lambda s: ([[m(s), m(s + 1), m(s + 2)], [NB], [RI]],
                                                          {"weights": "val"}),
        "mlp(128) x1 + nb + ridge": lambda s: ([[m(s, hidden=(128,))], [NB], [RI]], {}),
        "mlp(8 ep, pat 2) x1 + nb + ridge": lambda s: ([[m(s, **fast)], [NB], [RI]], {}),
        "mlp(128, 8 ep, pat 2) x2 + nb + ridge": lambda s: (
            [[m(s, hidden=(128,), **fast), m(s + 1, hidden=(128,), **fast)], [NB], [RI]], {}),
        "mlp x1 + nb-binary + ridge": lambda s: ([[m(s)], [("nb-binary", nb_alpha)], [RI]], {}),
        "mlp(bce) x1 + nb + ridge": lambda s: ([[m(s, loss="bce")], [NB], [RI]], {}),
        # the mean of log-odds instead of probabilities
        "nb + ridge, logit mean": lambda s: ([[NB], [RI]], {"mode": "logit"}),
        "mlp x1 + nb + ridge, logit mean": lambda s: ([[m(s)], [NB], [RI]], {"mode": "logit"}),
        "mlp x1 + ridge, logit mean": lambda s: ([[m(s)], [RI]], {"mode": "logit"}),
        "mlp x3 + nb + ridge, logit mean": lambda s: ([[m(s), m(s + 1), m(s + 2)], [NB], [RI]],
                                                      {"mode": "logit"}),
        "mlp(128) x1 + nb + ridge, logit mean": lambda s: ([[m(s, hidden=(128,))], [NB], [RI]],
                                                           {"mode": "logit"}),
        "mlp(bce) x1 + nb + ridge, logit mean": lambda s: ([[m(s, loss="bce")], [NB], [RI]],
                                                           {"mode": "logit"}),
        "mlp x1 + nb + ridge, mlp Platt, logit mean": lambda s: (
            [[m(s)], [NB], [RI]], {"mode": "logit", "calibrate_mlp": True}),
        "mlp x1 + nb + ridge, stacked on val": lambda s: ([[m(s)], [NB], [RI]], {"mode": "stack"}),
        # around the chosen one (REFERENCE_CONFIG: mlp(128) x1 + nb + ridge, logit mean)
        "mlp(128) x1": lambda s: ([[m(s, hidden=(128,))]], {}),
        "mlp(128) x2 + nb + ridge, logit mean": lambda s: (
            [[m(s, hidden=(128,))], [m(s + 1, hidden=(128,))], [NB], [RI]], {"mode": "logit"}),
        "mlp(128) x1 + ridge, logit mean": lambda s: ([[m(s, hidden=(128,))], [RI]],
                                                      {"mode": "logit"}),
        "mlp(128) x1 + nb, logit mean": lambda s: ([[m(s, hidden=(128,))], [NB]],
                                                   {"mode": "logit"}),
        "mlp(64) x1 + nb + ridge, logit mean": lambda s: ([[m(s, hidden=(64,))], [NB], [RI]],
                                                          {"mode": "logit"}),
    }


def choose_alpha(comp, kind, grid, Yv):
    """The head's alpha with the best validation score alone (Platt, tuned thresholds)."""
    rows = []
    for a in grid:
        r = comp.get((kind, a))
        P = heads.apply_platt(r["val"], heads.platt(r["val"], Yv))
        rows.append((tuned_micro_f1(Yv, P), a, r["cpu"]))
    for f1, a, cpu in rows:
        print(f"    {kind} alpha={a:<6g} validation micro-F1 {f1:.4f}  ({cpu:.2f} CPU s)")
    return max(rows)[1]


def spread(x):
    x = np.asarray(x)
    return f"{x.mean():.3f}±{(x.max() - x.min()) / 2:.3f}"


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--components",
                    default=str(ROOT / "runs" / "reference_ablation_components.pkl"))
    ap.add_argument("--no-peers", action="store_true")
    ap.add_argument("--only", nargs="*", help="variant names (prefixes) to run")
    args = ap.parse_args(argv)

    corpus, _, _ = load_corpus(cache_dir=ROOT / "runs" / "cache", n_docs=2000, log=lambda *a: None)
    c = corpus
    if c.source != "mal2020":
        raise SystemExit("mal2020 not found: set ANIME_GENRE_DATA_HOME")
    print(f"{c.source}: train {len(c.train)}, validation {len(c.val)}, test {len(c.test)}, "
          f"{len(c.genres)} genres")
    Yv, Yt = c.Y[c.val], c.Y[c.test]
    rows = []
    with threadpool_limits(limits=1):
        comp = Components(c, args.components)
        comp.features()
        print(f"  vectorizer: {comp.store['vectorizer']['cpu']:.1f} CPU s, "
              f"{comp.store['vectorizer']['n_features']} terms")
        nb_alpha = choose_alpha(comp, "nb", (0.01, 0.03, 0.1, 0.3, 1.0), Yv)
        ridge_alpha = choose_alpha(comp, "ridge", (1.0, 3.0, 10.0), Yv)
        print(f"  chosen on validation: nb alpha {nb_alpha}, ridge alpha {ridge_alpha}")
        for name, make in variants(nb_alpha, ridge_alpha).items():
            if args.only and not any(name.startswith(o) for o in args.only):
                continue
            per_seed = []
            for s in SEEDS:
                parts, opts = make(s)
                Pv, Pt, cpu, chosen = combine(comp, parts, Yv, **opts)
                sc = bm.score(Yv, Pv, Yt, Pt)
                per_seed.append((sc["micro_f1"], sc["macro_f1"], sc["micro_ap"],
                                 sc["val_micro_f1"], cpu, chosen))
            a = np.array([p[:5] for p in per_seed])
            chosen = [p[5] for p in per_seed]
            rows.append((name, a, chosen))
            print(f"  {name:<42} micro {spread(a[:, 0])}  macro {spread(a[:, 1])}  "
                  f"AP {spread(a[:, 2])}  val {a[:, 3].mean():.3f}  CPU {a[:, 4].mean():5.1f} s"
                  + (f"  w_mlp {chosen}" if chosen[0] is not None else ""), flush=True)
        peer_rows = []
        if not args.no_peers:
            for m in peers.build_peers(include_fasttext=False):
                if m.name not in ("peer-linear-svm", "peer-ridge", "peer-multinomial-nb",
                                  "peer-logreg", "peer-sgd-modified-huber", "peer-ensemble"):
                    continue
                r = bm.run_method(m, c, log=lambda *a: None)
                peer_rows.append(r)
                if m.name == "peer-linear-svm":
                    svm = (m.P_val, m.P_test)
            # analysis only (scikit-learn's SVM is no part of any numpy variant): would an SVM
            # head beside the MLP and the numpy heads help? Its CPU is not counted.
            for mode in ("prob", "logit"):
                name = f"[analysis] mlp x1 + nb + ridge + sklearn svm, {mode} mean"
                per_seed = []
                for s in SEEDS:
                    Pv, Pt, cpu, _ = combine(comp, [[mlp_key(s)], [("nb", nb_alpha)],
                                                    [("ridge", ridge_alpha)]], Yv, mode=mode,
                                             extra=[svm])
                    sc = bm.score(Yv, Pv, Yt, Pt)
                    per_seed.append((sc["micro_f1"], sc["macro_f1"], sc["micro_ap"],
                                     sc["val_micro_f1"], cpu))
                rows.append((name, np.array(per_seed), [None] * len(SEEDS)))

    print("\nvariant (3 seeds: mean±half-range)        micro-F1      macro-F1      micro-AP      "
          "CPU s")
    for name, a, chosen in rows:
        print(f"{name:<42} {spread(a[:, 0])}  {spread(a[:, 1])}  {spread(a[:, 2])}  "
              f"{a[:, 4].mean():5.1f} ({a[:, 4].min():.1f}-{a[:, 4].max():.1f})")
    for r in peer_rows:
        info = r["info"]
        print(f"{r['name']:<42} {r['micro_f1']:.3f}        {r['macro_f1']:.3f}        "
              f"{r['micro_ap']:.3f}        {info.get('cpu_seconds_chosen', r['cpu_seconds']):5.1f} "
              f"(search {r['cpu_seconds']:.1f})  [{info.get('chosen_text', '')}]")


if __name__ == "__main__":
    main()
