"""Issue 14, item 4: how the reference's members are combined, and what the closed-form heads
read. Everything is chosen on the validation shows; the test shows are only scored.

    nice -n 19 env OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 \\
        ANIME_GENRE_DATA_HOME=../shared/datasets .venv/bin/python benchmarks/combine_ablation.py \\
        --base /tmp/ri14/components.pkl --cache /tmp/ca14/components.pkl --part combine

Parts:

- ``combine``: the four members of the reference (MLP(128), naive Bayes 0.1, ridge 3,
  NB-scaled ridge 3; heads Platt-calibrated on validation) combined by the mean of log-odds
  (the reference), the mean of probabilities, the mean of validation ranks, and weighted
  means of log-odds whose weights are chosen on validation (simplex grid, step 0.1 or
  0.05; per genre with a fallback to the global weights). Also the MLP Platt-calibrated.
  The same combinations of the peers (scikit-learn, ``peers.py``), so that a trick that
  helps both is seen as such.
- ``features``: the three heads on other features than the MLP's (the reference's TF-IDF
  is already word unigrams + bigrams, min_df 2, max_df 0.5, sublinear tf): unigrams only,
  1-3-grams, min_df 1 / 3, max_df 0.3 / 0.9, no sublinear tf, binary (presence) features;
  each head's alpha chosen on validation per feature set; and the peers on the best set.
- ``nbridge2``: a second NB-scaled ridge head (other alpha, binary features, other NB
  smoothing) beside the four.

The MLP components (seeds 0-5) and the heads on the reference's features are read from
``--base`` (``benchmarks/reference_ablation.py``'s pickle, same vectorizer); new components
are fitted and kept in ``--cache``. CPU seconds per variant: vectorizer(s) + components +
Platt + the combination (including the weight search), ``time.process_time`` with one BLAS
thread, as in ``reference_ablation.py``.
"""
from __future__ import annotations

import argparse
import itertools
import pickle
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from anime_genre import benchmark as bm
from anime_genre import heads, metrics, peers
from anime_genre.baselines import tuned_micro_f1
from anime_genre.features import BowVectorizer
from anime_genre.functions import sigmoid
from anime_genre.pipeline import load_corpus

ROOT = Path(__file__).resolve().parents[1]
EPS = 1e-6
MLP = lambda s: ("mlp", (128,), 14, 4, 0.02, s)          # the reference's network, seed s
REF_NB, REF_RI, REF_NR = ("nb", 0.1), ("ridge", 3.0), ("nbridge", 3.0, 1.0)


def logit(P):
    P = np.clip(np.asarray(P, dtype=np.float64), EPS, 1 - EPS)
    return np.log(P / (1 - P))


def spread(x):
    x = np.asarray(x, dtype=float)
    return f"{x.mean():.3f}±{(x.max() - x.min()) / 2:.3f}"


# ----------------------------------------------------------------------------- features

class NgramVectorizer(BowVectorizer):
    """BowVectorizer with word n-grams up to ``n`` (n = 3: trigrams ``a_b_c`` too)."""

    def __init__(self, n=3, **kw):
        super().__init__(**kw)
        self.n = n

    def _prep(self, texts):
        out = []
        for t in texts:
            w = t.split()
            grams = [t]
            for k in range(2, self.n + 1):
                if len(w) >= k:
                    grams.append(" ".join("_".join(w[i:i + k]) for i in range(len(w) - k + 1)))
            out.append(" ".join(grams))
        return out


FEATURES = {   # name -> (vectorizer factory, post-processing of the matrices or None)
    "ref": (lambda: BowVectorizer(min_df=2, max_df=0.5, bigrams=True), None),
    "uni": (lambda: BowVectorizer(min_df=2, max_df=0.5, bigrams=False), None),
    "tri": (lambda: NgramVectorizer(n=3, min_df=2, max_df=0.5, bigrams=True), None),
    "df1": (lambda: BowVectorizer(min_df=1, max_df=0.5, bigrams=True), None),
    "df3": (lambda: BowVectorizer(min_df=3, max_df=0.5, bigrams=True), None),
    "maxdf.3": (lambda: BowVectorizer(min_df=2, max_df=0.3, bigrams=True), None),
    "maxdf.9": (lambda: BowVectorizer(min_df=2, max_df=0.9, bigrams=True), None),
    "rawtf": (lambda: BowVectorizer(min_df=2, max_df=0.5, bigrams=True, sublinear_tf=False),
              None),
    # presence (0/1) times IDF, rows L2-normalised: derived from the reference's matrix
    "binidf": (None, "binidf"),
    # presence (0/1), rows L2-normalised, no IDF
    "bin": (None, "bin"),
}


def private_features(X, mult):
    """(n, V_common + n): the columns of X with 2+ nonzeros, then one column per row holding
    mult * the L2 norm of that row's entries in columns with a single nonzero."""
    X = sp.csr_matrix(X, dtype=np.float64)
    df = np.bincount(X.indices, minlength=X.shape[1])
    hap = df == 1
    H = X[:, np.flatnonzero(hap)]
    h = np.sqrt(np.asarray(H.multiply(H).sum(axis=1)).ravel())
    return sp.hstack([X[:, np.flatnonzero(~hap)], sp.diags(mult * h)], format="csr")


def l2rows(M):
    n = np.sqrt(np.asarray(M.multiply(M).sum(axis=1)).ravel())
    n[n == 0] = 1.0
    return sp.csr_matrix(sp.diags(1 / n) @ M)


class Store:
    """Components: ``(feature set, kind, *params)`` or the base pickle's keys -> {"val",
    "test", "kind", "cpu"}; fitted on demand and pickled to ``cache``."""

    def __init__(self, corpus, base, cache):
        self.c, self.cache = corpus, cache
        with open(base, "rb") as f:
            self.base = pickle.load(f)
        self.store = {}
        if cache and Path(cache).exists():
            with open(cache, "rb") as f:
                self.store = pickle.load(f)
        self.X = {}

    def save(self):
        Path(self.cache).parent.mkdir(parents=True, exist_ok=True)
        with open(self.cache, "wb") as f:
            pickle.dump(self.store, f)

    def vec_cpu(self, fs):
        if fs == "ref":
            return self.base["vectorizer"]["cpu"]
        key = ("vectorizer", fs)
        if key not in self.store:
            self.features(fs)
        return self.store[key]["cpu"] + (self.vec_cpu("ref") if FEATURES[fs][0] is None else 0)

    def features(self, fs):
        if fs not in self.X:
            c = self.c
            make, post = FEATURES[fs]
            if make is None:
                Xs = self.features("ref")
                t0 = time.process_time()
                out = []
                for M in Xs:
                    B = M.astype(np.float64)
                    B.data[:] = 1.0
                    if post == "binidf":
                        B = sp.csr_matrix(B @ sp.diags(self._idf["ref"].astype(np.float64)))
                    out.append(l2rows(B).astype(np.float32))
                nf = Xs[0].shape[1]
            else:
                t0 = time.process_time()
                vec = make()
                X = vec.fit_transform(c.part(c.train))
                out = [X, vec.transform(c.part(c.val)), vec.transform(c.part(c.test))]
                self._idf = getattr(self, "_idf", {})
                self._idf[fs] = np.asarray(vec.tfidf.idf_)
                nf = vec.n_features
            cpu = time.process_time() - t0
            self._common = getattr(self, "_common", {})
            self._common[fs] = np.flatnonzero(np.bincount(out[0].indices,
                                                          minlength=out[0].shape[1]) > 1)
            self.X[fs] = tuple(out)
            if fs != "ref":
                self.store.setdefault(("vectorizer", fs), {"cpu": cpu, "n_features": nf})
            print(f"    features {fs}: {nf} terms, {cpu:.1f} CPU s", flush=True)
        return self.X[fs]

    def get(self, key):
        if key in self.base and not (isinstance(key, tuple) and key[0] in FEATURES):
            return self.base[key]
        if key not in self.store:
            fs, kind, *p = key
            X, Xv, Xt = self.features(fs)
            c = self.c
            Y = c.Y[c.train]
            t0 = time.process_time()
            if kind == "nb":
                W, b = heads.naive_bayes_fit(X, Y, alpha=p[0])
            elif kind == "ridge":
                W, b, _ = heads.ridge_fit(X, Y, alpha=p[0])
            elif kind == "nbridge":
                W, b, _ = heads.nb_ridge_fit(X, Y, alpha=p[0], nb_alpha=p[1])
            elif kind == "ridgetol":          # ("ridgetol", alpha, tol): a looser CG
                W, b, info = heads.ridge_fit(X, Y, alpha=p[0], tol=p[1])
                print(f"      {info}")
            elif kind == "nbridgetol":        # ("nbridgetol", alpha, nb_alpha, tol)
                W, b, info = heads.nb_ridge_fit(X, Y, alpha=p[0], nb_alpha=p[1], tol=p[2])
                print(f"      {info}")
            elif kind in ("pridge", "pnbridge"):
                # ("pridge", alpha, mult): ridge (NB-scaled: "pnbridge", nb_alpha 1) on the
                # df1 matrix with its training hapax columns collapsed into one private
                # column per training show (value mult * the norm of its hapax part); the
                # hapaxes of validation/test rows are dropped
                Xp = private_features(X, p[1])
                n = X.shape[0]
                if kind == "pridge":
                    W, b, _ = heads.ridge_fit(Xp, Y, alpha=p[0])
                else:
                    R = np.abs(heads.nb_log_ratio(Xp, Y, 1.0))
                    R[-n:] = np.mean(R[:-n], axis=0) if len(p) < 3 else p[2]
                    W, b, _ = heads.ridge_fit(Xp, Y, alpha=p[0], scale=R)
                W = W[:-n]
                keep = self._common[fs]
                Xv, Xt = (sp.csr_matrix(M[:, keep]) for M in (Xv, Xt))
            else:
                raise KeyError(key)
            out = {"val": heads.linear_scores(Xv, W, b), "test": heads.linear_scores(Xt, W, b),
                   "kind": "score", "cpu": time.process_time() - t0}
            self.store[key] = out
            print(f"    fitted {key}: {out['cpu']:.1f} CPU s", flush=True)
            self.save()
        return self.store[key]

    def key(self, fs, kind, *p):
        """A head on feature set ``fs``: the base pickle's key for the reference's features."""
        if fs == "ref" and (kind, *p) in self.base:
            return (kind, *p)
        return (fs, kind, *p)


# ----------------------------------------------------------------------------- combining

def member(store, key, Yv, calibrate_mlp=False):
    """(log-odds val, log-odds test, cpu) of one calibrated member."""
    r = store.get(key)
    t0 = time.process_time()
    if r["kind"] == "score":
        ab = heads.platt(r["val"], Yv)
        Lv, Lt = r["val"] * ab[0] + ab[1], r["test"] * ab[0] + ab[1]
    else:
        Lv, Lt = logit(r["val"]), logit(r["test"])
        if calibrate_mlp:
            ab = heads.platt(Lv, Yv)
            Lv, Lt = Lv * ab[0] + ab[1], Lt * ab[0] + ab[1]
    return Lv, Lt, r["cpu"] + time.process_time() - t0


def val_ranks(Lv, Lt):
    """Per genre, each score's share of validation scores below it (val and test alike)."""
    Rv, Rt = np.empty_like(Lv), np.empty_like(Lt)
    n = Lv.shape[0]
    for j in range(Lv.shape[1]):
        s = np.sort(Lv[:, j])
        Rv[:, j] = np.searchsorted(s, Lv[:, j], side="right") / n
        Rt[:, j] = np.searchsorted(s, Lt[:, j], side="right") / n
    return Rv, Rt


def simplex(m, step):
    k = int(round(1 / step))
    for c in itertools.product(range(k + 1), repeat=m - 1):
        if sum(c) <= k:
            yield np.array(list(c) + [k - sum(c)], dtype=float) / k


def per_genre_f1_tuned(Yv, Pv):
    th = metrics.tune_thresholds(Yv, Pv)
    return metrics.per_genre_f1(Yv, metrics.apply_thresholds(Pv, th))


def combine(Ms, Yv, mode="logit", weights=None, step=0.1, objective="micro", per_genre=None):
    """Ms: list of (Lv, Lt). mode: "logit" (sigmoid of the weighted mean of log-odds),
    "prob" (weighted mean of probabilities), "rank" (weighted mean of validation ranks).
    weights: None (uniform), an array, or "val" (simplex grid of ``step``, best ``objective``
    on validation: "micro", or "micromacro" = micro + macro). per_genre: None, or (min
    validation positives, margin): per genre the grid weights with the best tuned F1 of that
    genre on validation where the genre has that many positives and beats the global weights
    by ``margin``. Returns (P_val, P_test, chosen weights)."""
    if mode == "logit":
        F = [(Lv, Lt) for Lv, Lt in Ms]
        out = sigmoid
    elif mode == "prob":
        F = [(sigmoid(Lv), sigmoid(Lt)) for Lv, Lt in Ms]
        out = lambda z: z
    elif mode == "rank":
        F = [val_ranks(Lv, Lt) for Lv, Lt in Ms]
        out = lambda z: z
    else:
        raise KeyError(mode)
    m = len(F)
    Fv = np.stack([f[0] for f in F])
    Ft = np.stack([f[1] for f in F])

    def mix(w, A):
        return out(np.tensordot(w, A, axes=1))

    if weights is None:
        w = np.full(m, 1 / m)
    elif isinstance(weights, str):
        best = None
        grid = list(simplex(m, step))
        for w in grid:
            Pv = mix(w, Fv)
            th = metrics.tune_thresholds(Yv, Pv)
            hat = metrics.apply_thresholds(Pv, th)
            f = metrics.micro_f1(Yv, hat)
            if objective == "micromacro":
                f += metrics.macro_f1(Yv, hat)
            if best is None or f > best[0] + 1e-12:
                best = (f, w)
        w = best[1]
    else:
        w = np.asarray(weights, dtype=float)
    Pv, Pt = mix(w, Fv), mix(w, Ft)
    if per_genre is not None:
        min_pos, margin = per_genre
        base = per_genre_f1_tuned(Yv, Pv)
        grid = list(simplex(m, step))
        G = np.stack([per_genre_f1_tuned(Yv, mix(g, Fv)) for g in grid])   # (n_grid, K)
        pos = Yv.sum(axis=0)
        Wk = np.tile(w, (Yv.shape[1], 1))
        for j in range(Yv.shape[1]):
            i = int(np.argmax(G[:, j]))
            if pos[j] >= min_pos and G[i, j] > base[j] + margin:
                Wk[j] = grid[i]
        Pv = out(np.einsum("jm,mnj->nj", Wk, Fv))
        Pt = out(np.einsum("jm,mnj->nj", Wk, Ft))
        w = (w, int((np.abs(Wk - w).sum(axis=1) > 1e-9).sum()))
    return Pv, Pt, w


def evaluate(Yv, Yt, Pv, Pt):
    sc = bm.score(Yv, Pv, Yt, Pt)
    vmac = metrics.macro_f1(Yv, metrics.apply_thresholds(Pv, np.array(sc["thresholds"])))
    return sc["val_micro_f1"], vmac, sc["micro_f1"], sc["macro_f1"], sc["micro_ap"]


class Table:
    def __init__(self):
        self.rows = []

    def add(self, name, per_seed, extra=""):
        a = np.array([p[:6] for p in per_seed], dtype=float)
        self.rows.append((name, a, extra))
        print(f"  {name:<58} val {a[:, 0].mean():.4f}/{a[:, 1].mean():.4f}  test micro "
              f"{spread(a[:, 2])} macro {spread(a[:, 3])}  AP {a[:, 4].mean():.3f}  CPU "
              f"{a[:, 5].mean():5.1f}  {extra}", flush=True)

    def dump(self, title):
        print(f"\n### {title}\n\n| variant | val micro / macro | test micro | test macro | "
              "test micro-AP | CPU s | chosen |\n|---|---|---|---|---|---|---|")
        for name, a, extra in self.rows:
            print(f"| {name} | {a[:, 0].mean():.3f} / {a[:, 1].mean():.3f} | {spread(a[:, 2])} | "
                  f"{spread(a[:, 3])} | {a[:, 4].mean():.3f} | {a[:, 5].mean():.1f} | {extra} |")


def run_variant(table, name, store, seeds, keys_of, Yv, Yt, vec_fs=("ref",), calibrate_mlp=False,
                **kw):
    """keys_of(seed) -> component keys; the members are combined by ``combine(**kw)``."""
    per, chosen = [], []
    for s in seeds:
        Ms, cpu = [], sum(store.vec_cpu(fs) for fs in vec_fs)
        for k in keys_of(s):
            Lv, Lt, c = member(store, k, Yv, calibrate_mlp)
            Ms.append((Lv, Lt))
            cpu += c
        t0 = time.process_time()
        Pv, Pt, w = combine(Ms, Yv, **kw)
        cpu += time.process_time() - t0
        per.append(evaluate(Yv, Yt, Pv, Pt) + (cpu,))
        chosen.append(w)
    ext = ""
    if kw.get("weights") == "val" or kw.get("per_genre"):
        ext = "; ".join(str(np.round(w, 2).tolist()) if not isinstance(w, tuple)
                        else f"{np.round(w[0], 2).tolist()} +{w[1]} genres" for w in chosen)
    table.add(name, per, ext)
    return per


# ----------------------------------------------------------------------------- peers

def run_peers(store, c, tag="ref"):
    """The benchmark's single peers on feature set ``tag`` (the vectorizer swapped), cached:
    {name: {"val": P_val, "test": P_test, "cpu": chosen CPU s, "chosen": text}}."""
    key = ("peers", tag)
    if key not in store.store:
        make = FEATURES[tag][0]
        assert make is not None
        orig = peers.BowVectorizer
        peers.BowVectorizer = lambda **kw: make()
        try:
            out = {}
            for m in peers.build_peers(include_fasttext=False)[:-1]:
                t0 = time.process_time()
                Pv, Pt = m.fit_predict(c)
                out[m.name] = {"val": Pv, "test": Pt,
                               "cpu": m.info.get("cpu_seconds_chosen", time.process_time() - t0),
                               "chosen": m.info.get("chosen_text", "")}
                print(f"    peer {m.name} on {tag}: [{out[m.name]['chosen']}] "
                      f"{out[m.name]['cpu']:.1f} CPU s", flush=True)
        finally:
            peers.BowVectorizer = orig
        store.store[key] = out
        store.save()
    return store.store[key]


def peer_combos(table, P, c, label):
    """The peer ensemble as the benchmark builds it (subset with the best validation micro-F1
    of the mean of probabilities), and the same subset search with the mean of log-odds, and
    with validation-chosen weights (logit) over the chosen subset."""
    Yv, Yt = c.Y[c.val], c.Y[c.test]
    names = list(P)
    for mode in ("prob", "logit"):
        best = None
        for k in range(2, len(names) + 1):
            for sub in itertools.combinations(names, k):
                Ms = [(logit(P[n]["val"]), logit(P[n]["test"])) for n in sub]
                Pv, Pt, _ = combine(Ms, Yv, mode=mode)
                f = tuned_micro_f1(Yv, Pv)
                if best is None or f > best[0]:
                    best = (f, sub, Pv, Pt)
        f, sub, Pv, Pt = best
        cpu = sum(P[n]["cpu"] for n in sub)
        short = "+".join(n.replace("peer-", "") for n in sub)
        table.add(f"{label} peer-ensemble {mode} mean [{short}]",
                  [evaluate(Yv, Yt, Pv, Pt) + (cpu,)])
        if mode == "logit":
            Ms = [(logit(P[n]["val"]), logit(P[n]["test"])) for n in sub]
            for step in (0.1,):
                Pv, Pt, w = combine(Ms, Yv, mode="logit", weights="val", step=step)
                table.add(f"{label} peer-ensemble logit, weights on val (step {step}) [{short}]",
                          [evaluate(Yv, Yt, Pv, Pt) + (cpu,)], str(np.round(w, 2).tolist()))
    for n in names:
        table.add(f"{label} {n} [{P[n]['chosen']}]",
                  [evaluate(Yv, Yt, P[n]["val"], P[n]["test"]) + (P[n]["cpu"],)])


# ----------------------------------------------------------------------------- parts

def choose(store, fs, kind, grid, Yv):
    """The head's parameters on feature set ``fs`` with the best validation micro-F1 alone."""
    best = None
    for p in grid:
        k = store.key(fs, kind, *p)
        r = store.get(k)
        P = heads.apply_platt(r["val"], heads.platt(r["val"], Yv))
        f = tuned_micro_f1(Yv, P)
        print(f"      {fs} {kind} {p}: val micro {f:.4f} ({r['cpu']:.1f} CPU s)")
        if best is None or f > best[0]:
            best = (f, k)
    return best[1]


NB_GRID = [(0.03,), (0.1,), (0.3,)]
RI_GRID = [(1.0,), (3.0,), (10.0,)]
NR_GRID = [(1.0, 1.0), (3.0, 1.0), (10.0, 1.0)]


def part_combine(store, c, seeds, table, with_peers):
    Yv, Yt = c.Y[c.val], c.Y[c.test]
    four = lambda s: [MLP(s), REF_NB, REF_RI, REF_NR]
    three = lambda s: [REF_NB, REF_RI, REF_NR]
    rv = lambda name, keys, **kw: run_variant(table, name, store, seeds, keys, Yv, Yt, **kw)
    rv("C reference (logit mean, uniform)", four, mode="logit")
    rv("C mean of probabilities", four, mode="prob")
    rv("C mean of validation ranks", four, mode="rank")
    rv("C logit mean, MLP Platt-calibrated", four, mode="logit", calibrate_mlp=True)
    rv("C logit, weights on val (step 0.1)", four, mode="logit", weights="val", step=0.1)
    rv("C logit, weights on val (step 0.05)", four, mode="logit", weights="val", step=0.05)
    rv("C logit, weights on val (0.1, micro+macro)", four, mode="logit", weights="val",
       step=0.1, objective="micromacro")
    rv("C logit, MLP Platt, weights on val (0.1)", four, mode="logit", weights="val",
       step=0.1, calibrate_mlp=True)
    rv("C prob, weights on val (0.1)", four, mode="prob", weights="val", step=0.1)
    rv("C rank, weights on val (0.1)", four, mode="rank", weights="val", step=0.1)
    for mp, mg in ((30, 0.0), (30, 0.01), (60, 0.01), (15, 0.02)):
        rv(f"C logit, val weights + per genre (>= {mp} pos, margin {mg})", four, mode="logit",
           weights="val", step=0.1, per_genre=(mp, mg))
    rv("C logit, uniform + per genre (>= 30 pos, margin 0.01)", four, mode="logit",
       per_genre=(30, 0.01), step=0.1)
    rv("C heads only, logit mean", three, mode="logit")
    rv("C heads only, weights on val (0.1)", three, mode="logit", weights="val", step=0.1)
    if with_peers:
        P = run_peers(store, c, "ref")
        peer_combos(table, P, c, "P(ref)")


def part_features(store, c, seeds, table, with_peers, sets):
    Yv, Yt = c.Y[c.val], c.Y[c.test]
    rv = lambda name, keys, **kw: run_variant(table, name, store, seeds, keys, Yv, Yt, **kw)
    chosen = {}
    for fs in sets:
        print(f"  feature set {fs}")
        nb = choose(store, fs, "nb", NB_GRID, Yv)
        ri = choose(store, fs, "ridge", RI_GRID, Yv)
        nr = choose(store, fs, "nbridge", NR_GRID, Yv)
        chosen[fs] = (nb, ri, nr)
        vf = ("ref",) if fs == "ref" else ("ref", fs)
        rv(f"F heads on {fs} [{nb[-1]}, {ri[-1]}, {nr[-2]}] alone", lambda s: [nb, ri, nr],
           mode="logit", vec_fs=(fs,))
        rv(f"F mlp(ref) + heads on {fs}", lambda s: [MLP(s), nb, ri, nr], mode="logit",
           vec_fs=vf)
        rv(f"F mlp(ref) + heads on {fs}, weights on val", lambda s: [MLP(s), nb, ri, nr],
           mode="logit", vec_fs=vf, weights="val", step=0.1)
    return chosen


def part_nbridge2(store, c, seeds, table):
    Yv, Yt = c.Y[c.val], c.Y[c.test]
    rv = lambda name, keys, **kw: run_variant(table, name, store, seeds, keys, Yv, Yt, **kw)
    four = [REF_NB, REF_RI, REF_NR]
    extra = {
        "nbridge a=1": ("ref", "nbridge", 1.0, 1.0),
        "nbridge a=10": ("ref", "nbridge", 10.0, 1.0),
        "nbridge a=3 nb 0.3": ("ref", "nbridge", 3.0, 0.3),
        "nbridge on bin a=3": ("bin", "nbridge", 3.0, 1.0),
        "nbridge on bin a=1": ("bin", "nbridge", 1.0, 1.0),
        "nbridge on binidf a=3": ("binidf", "nbridge", 3.0, 1.0),
        "nbridge on rawtf a=3": ("rawtf", "nbridge", 3.0, 1.0),
        "nb on bin a=0.1": ("bin", "nb", 0.1),
    }
    for name, k in extra.items():
        k = store.key(*k)
        fs = k[0] if k[0] in FEATURES else "ref"
        vf = ("ref",) if fs == "ref" else ("ref", fs)
        rv(f"N ref four + {name}", lambda s, k=k: [MLP(s)] + four + [k], mode="logit",
           vec_fs=vf)
        rv(f"N ref four + {name}, weights on val", lambda s, k=k: [MLP(s)] + four + [k],
           mode="logit", vec_fs=vf, weights="val", step=0.1)


def part_twomlp(store, c, seeds, table):
    Yv, Yt = c.Y[c.val], c.Y[c.test]
    rv = lambda name, keys, **kw: run_variant(table, name, store, seeds, keys, Yv, Yt, **kw)
    rv("M mlp x2 (seeds s, s+1 averaged as one member) + 3 heads",
       lambda s: [MLP(s), MLP(s + 1), REF_NB, REF_RI, REF_NR], mode="logit")


def part_private(store, c, seeds, table):
    Yv, Yt = c.Y[c.val], c.Y[c.test]
    rv = lambda name, keys, **kw: run_variant(table, name, store, seeds, keys, Yv, Yt, **kw)
    for k in [("df1", "pridge", 1.0, 1.0), ("df1", "pridge", 1.0, 0.0),
              ("df1", "pridge", 3.0, 1.0), ("df1", "pridge", 1.0, 2.0),
              ("df1", "pnbridge", 1.0, 1.0), ("df1", "pnbridge", 3.0, 1.0)]:
        rv(f"V {k} alone", lambda s, k=k: [k], mode="logit", vec_fs=("df1",))
    # the df1 heads mixed with the reference's
    D1R, D1N = ("df1", "ridge", 1.0), ("df1", "nbridge", 1.0, 1.0)
    for name, keys in {
            "nb(ref) + ridge(df1) + nbridge(ref)": [REF_NB, D1R, REF_NR],
            "nb(ref) + ridge(df1) + nbridge(df1)": [REF_NB, D1R, D1N],
            "nb(ref) + ridge(ref) + ridge(df1) + nbridge(ref)": [REF_NB, REF_RI, D1R, REF_NR]}.items():
        rv(f"V {name}", lambda s, k=keys: k, mode="logit", vec_fs=("ref", "df1"))
        rv(f"V mlp + {name}", lambda s, k=keys: [MLP(s)] + k, mode="logit", vec_fs=("ref", "df1"))
        rv(f"V mlp + {name}, weights on val", lambda s, k=keys: [MLP(s)] + k, mode="logit",
           vec_fs=("ref", "df1"), weights="val", step=0.1)


def part_cheap(store, c, seeds, table):
    """ridge on df1 with a looser conjugate-gradient tolerance, and the mixes with it."""
    Yv, Yt = c.Y[c.val], c.Y[c.test]
    rv = lambda name, keys, **kw: run_variant(table, name, store, seeds, keys, Yv, Yt, **kw)
    for tol in (1e-3, 1e-4):
        for a in (0.3, 1.0):
            k = ("df1", "ridgetol", a, tol)
            rv(f"T {k} alone", lambda s, k=k: [k], mode="logit", vec_fs=("df1",))
    for tol in (1e-3, 1e-4):
        k = ("df1", "ridgetol", 1.0, tol)
        for name, keys in {"nb(ref) + ridge(df1) + nbridge(ref)": [REF_NB, k, REF_NR]}.items():
            rv(f"T {name} tol {tol}", lambda s, k=keys: k, mode="logit", vec_fs=("ref", "df1"))
            rv(f"T mlp + {name} tol {tol}", lambda s, k=keys: [MLP(s)] + k, mode="logit",
               vec_fs=("ref", "df1"))
            rv(f"T mlp + {name} tol {tol}, weights on val", lambda s, k=keys: [MLP(s)] + k,
               mode="logit", vec_fs=("ref", "df1"), weights="val", step=0.1)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", default="/tmp/ri14/components.pkl")
    ap.add_argument("--cache", default="/tmp/ca14/components.pkl")
    ap.add_argument("--part", nargs="+", default=["combine"],
                    choices=["combine", "features", "nbridge2", "twomlp", "peers", "private", "cheap"])
    ap.add_argument("--seeds", type=int, nargs="*", default=[0, 1, 2])
    ap.add_argument("--sets", nargs="*", default=["ref", "uni", "tri", "df1", "df3", "maxdf.3",
                                                   "maxdf.9", "rawtf", "binidf", "bin"])
    ap.add_argument("--peer-sets", nargs="*", default=[])
    ap.add_argument("--no-peers", action="store_true")
    args = ap.parse_args(argv)

    c, _, _ = load_corpus(cache_dir=ROOT / "runs" / "cache", n_docs=2000, log=lambda *a: None)
    if c.source != "mal2020":
        raise SystemExit("mal2020 not found: set ANIME_GENRE_DATA_HOME")
    print(f"{c.source}: train {len(c.train)}, val {len(c.val)}, test {len(c.test)}, "
          f"{len(c.genres)} genres; seeds {args.seeds}")
    table = Table()
    with threadpool_limits(limits=1):
        store = Store(c, args.base, args.cache)
        X = store.features("ref")[0]
        assert X.shape[1] == store.base["vectorizer"]["n_features"], "vectorizer changed"
        for part in args.part:
            if part == "combine":
                part_combine(store, c, args.seeds, table, not args.no_peers)
            elif part == "features":
                part_features(store, c, args.seeds, table, not args.no_peers, args.sets)
            elif part == "nbridge2":
                part_nbridge2(store, c, args.seeds, table)
            elif part == "cheap":
                part_cheap(store, c, args.seeds, table)
            elif part == "private":
                part_private(store, c, args.seeds, table)
            elif part == "twomlp":
                part_twomlp(store, c, args.seeds, table)
            elif part == "peers":
                for fs in args.peer_sets:
                    peer_combos(table, run_peers(store, c, fs), c, f"P({fs})")
    table.dump(f"parts {args.part}, seeds {args.seeds}")


if __name__ == "__main__":
    main()
