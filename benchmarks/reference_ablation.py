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

Issue 14, item 3 (``--set issue14``, the default; ``--set old`` runs the variants above):
the MLP's first layer initialised from corpus-trained term vectors (``benchmarks/wordinit.py``:
PPMI-SVD of word co-occurrence in the training synopses, or LSA of the training TF-IDF;
random init at the same scale as the control; frozen or trained), its width, dropout and
epochs, and a fourth numpy head (``benchmarks/extra_heads.py``: weighted logistic
regression, NBSVM-style logistic regression, squared-hinge SVM). Term vectors are fitted
inside each MLP's clock. Every choice is read from the ``val`` columns (validation micro-
and macro-F1 after per-genre thresholds), never from the test columns. The "G" variants add
the naive-Bayes-scaled ridge head (``heads.nb_ridge_fit``, now in the reference; alphas chosen on
validation alone); with the peers, ``peer-nbsvm`` (now a benchmark peer: scikit-learn LinearSVC
on the same NB-scaled TF-IDF, C tuned on validation) and the peer ensemble with it as a
candidate member are run too, so that the head is also compared with its peer counterpart.
``--seeds 3 4 5`` repeats the variants on other seeds.

    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 nice -n 5 \\
        ANIME_GENRE_DATA_HOME=../shared/datasets .venv/bin/python benchmarks/reference_ablation.py \\
        --components /tmp/ri14/components.pkl --set issue14
"""
from __future__ import annotations

import argparse
import pickle
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

import extra_heads
import wordinit
from anime_genre import benchmark as bm
from anime_genre import heads, metrics, peers
from anime_genre.baselines import REFERENCE_CONFIG as REF
from anime_genre.baselines import train_classifier, tuned_micro_f1
from anime_genre.features import BowVectorizer
from anime_genre.functions import sigmoid
from anime_genre.model import MultiLabelClassifier
from anime_genre.optim import Adam
from anime_genre.pipeline import load_corpus
from anime_genre.trainer import Trainer

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
        self._vec = None
        self._tv = {}          # term vectors (init, dim) -> (T, cpu, coverage)

    def term_vectors(self, init, dim):
        """Unscaled (V, dim) term vectors for ``init`` ("ppmi<window>" or "lsa") and the CPU
        seconds they took (added to each MLP that uses them)."""
        if (init, dim) not in self._tv:
            X = self.features()[0]
            t0 = time.process_time()
            if init.startswith("ppmi"):
                terms = list(self._vec.tfidf.get_feature_names_out())
                T, cov = wordinit.ppmi_term_vectors(self.c.part(self.c.train), terms, dim,
                                                    window=int(init[4:] or 5))
            elif init == "lsa":
                T, cov = wordinit.lsa_term_vectors(X, dim), 1.0
            else:
                raise KeyError(init)
            self._tv[(init, dim)] = (T, time.process_time() - t0, cov)
            print(f"    term vectors {init} dim {dim}: {self._tv[(init, dim)][1]:.1f} CPU s, "
                  f"{cov:.1%} of the terms", flush=True)
        return self._tv[(init, dim)]

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
            self._vec = vec
            self.store.setdefault("vectorizer", {"cpu": cpu, "n_features": vec.n_features})
        return self._X

    def get(self, key):
        if key not in self.store:
            X, Xv, Xt = self.features()
            c = self.c
            Y, Yv = c.Y[c.train], c.Y[c.val]
            if key[0] == "mlpx" and key[7] != "random":
                self.term_vectors(key[7], key[1][0])      # timed apart, added below
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
            elif kind == "mlpx":
                _, hidden, max_epochs, patience, lr, seed, dropout, init, scale, freeze = key[:10]
                opts = dict(key[10:])
                if opts.get("nbw"):
                    # supervised term weighting of the MLP's input: each column times the
                    # mean over genres of |r_k| (NB log-count ratio, alpha nbw), rows
                    # L2-normalised again (train, validation and test alike)
                    wt = np.abs(extra_heads.nb_ratio(X, Y, opts["nbw"])).mean(axis=1)
                    wt = wt / wt.mean()
                    D = sp.diags(wt.astype(np.float32))

                    def rescale(M):
                        M = sp.csr_matrix(M @ D)
                        n = np.sqrt(np.asarray(M.multiply(M).sum(axis=1)).ravel())
                        n[n == 0] = 1.0
                        return sp.csr_matrix(sp.diags((1 / n).astype(np.float32)) @ M)

                    X, Xv, Xt = rescale(X), rescale(Xv), rescale(Xt)
                tv_cpu = 0.0
                W0 = None
                if init != "random":
                    T, tv_cpu, _ = self.term_vectors(init, hidden[0])
                    W0 = wordinit.scaled(T, scale, seed=seed)
                model, hist = train_mlp(X, Y, Xv, Yv, hidden=hidden, dropout=dropout, lr=lr,
                                        max_epochs=max_epochs, patience=patience, seed=seed,
                                        W0=W0, scale=scale, freeze=freeze,
                                        ema=opts.get("ema"))
                out = {"val": model.predict_proba(Xv).astype(np.float64),
                       "test": model.predict_proba(Xt).astype(np.float64), "kind": "prob"}
                extra = {"epochs": hist["epochs"], "best_epoch": hist["best_epoch"],
                         "term_vectors_cpu": round(tv_cpu, 2)}
            elif kind in ("lr", "nblr", "sqhinge", "nblr32", "nbridge"):
                fit = {"lr": lambda: extra_heads.logreg_fit(X, Y, lam=key[1], weighted=key[2]),
                       "nblr": lambda: extra_heads.nblr_fit(X, Y, lam=key[1], alpha=key[2]),
                       # ("nblr32", lam, alpha, maxiter): float32 products, fewer iterations
                       "nblr32": lambda: extra_heads.nblr_fit(X, Y, lam=key[1], alpha=key[2],
                                                              maxiter=key[3], dtype=np.float32),
                       "nbridge": lambda: extra_heads.nbridge_fit(X, Y, alpha=key[1],
                                                                  nb_alpha=key[2]),
                       "sqhinge": lambda: extra_heads.sqhinge_fit(X, Y, lam=key[1])}[kind]
                W, b, info = fit()
                out = {"val": heads.linear_scores(Xv, W, b), "test": heads.linear_scores(Xt, W, b),
                       "kind": "score"}
                extra = info
            elif kind == "ridge":
                W, b, info = heads.ridge_fit(X, Y, alpha=key[1])
                out = {"val": heads.linear_scores(Xv, W, b), "test": heads.linear_scores(Xt, W, b),
                       "kind": "score"}
                extra = info
            else:
                raise KeyError(key)
            out["cpu"] = time.process_time() - t0 + extra.get("term_vectors_cpu", 0.0)
            out.update(extra)
            self.store[key] = out
            print(f"    fitted {key}: {out['cpu']:.1f} CPU s {extra or ''}", flush=True)
            self.save()
        return self.store[key]


def mlp_key(seed, hidden=(256,), max_epochs=REF.max_epochs, patience=REF.patience, lr=REF.lr,
            loss=REF.loss):
    key = ("mlp", tuple(hidden), max_epochs, patience, lr, seed)
    return key if loss == REF.loss else key + (loss,)


def mx(seed, hidden=(128,), dropout=REF.dropout, max_epochs=REF.max_epochs,
       patience=REF.patience, lr=REF.lr, init="random", scale=1.0, freeze=False, ema=None,
       nbw=None):
    """Component key of an MLP with the issue-14 options (the old key when they are the
    defaults, so that cached networks are reused)."""
    if (dropout == REF.dropout and init == "random" and scale == 1.0 and not freeze and not ema
            and not nbw):
        return mlp_key(seed, hidden=hidden, max_epochs=max_epochs, patience=patience, lr=lr)
    key = ("mlpx", tuple(hidden), max_epochs, patience, lr, seed, dropout, init, float(scale),
           bool(freeze))
    return (key + ((("ema", float(ema)),) if ema else ())
            + ((("nbw", float(nbw)),) if nbw else ()))


class EmaTrainer(Trainer):
    """Trainer that validates (and keeps, when best) the exponential moving average of the
    weights over epochs, ``A <- ema A + (1 - ema) W`` after each epoch, instead of the last
    weights; training goes on from the last weights (put back at the next epoch's start)."""

    def __init__(self, *a, ema=0.5, **kw):
        super().__init__(*a, **kw)
        self.ema, self._avg, self._raw = ema, None, None

    def _batches(self, n, rng):               # start of an epoch: the raw weights back
        if self._raw is not None:
            for p, r in zip(self.model.params, self._raw):
                p[...] = r
        return super()._batches(n, rng)

    def evaluate(self, X, Y):                 # end of an epoch: validate the average
        params = self.model.params
        self._raw = [p.copy() for p in params]
        if self._avg is None:
            self._avg = [p.copy() for p in params]
        else:
            for a, p in zip(self._avg, params):
                a *= self.ema
                a += (1 - self.ema) * p
        for p, a in zip(params, self._avg):
            p[...] = a
        return super().evaluate(X, Y)


def train_mlp(X, Y, X_val, Y_val, *, hidden, dropout, lr, max_epochs, patience, seed, W0=None,
              scale=1.0, freeze=False, ema=None):
    """``baselines.train_classifier`` (weighted BCE, the reference's settings) with the first
    layer's weights set to ``W0`` (or the random init times ``scale``), and optionally
    frozen (``wordinit.FrozenFirstLayer``)."""
    import scipy.sparse as sp

    K = Y.shape[1]
    prior = np.clip(Y.mean(axis=0), 1e-3, 0.5)
    model = MultiLabelClassifier(X.shape[1], K, hidden_sizes=hidden, dropout=dropout,
                                 loss="weighted_bce", pos_weight=np.sqrt((1 - prior) / prior),
                                 sparse_input=sp.issparse(X), seed=seed)
    prior = np.clip(Y.mean(axis=0), 1e-4, 1 - 1e-4)
    model.params[-1][...] = np.log(prior / (1 - prior))
    if W0 is not None:
        model.params[0][...] = W0
    elif scale != 1.0:
        model.params[0] *= scale
    trained = wordinit.FrozenFirstLayer(model) if freeze else model
    kw = dict(batch_size=REF.batch_size, max_epochs=max_epochs, seed=seed, patience=patience,
              eval_metric=tuned_micro_f1, progress=False)
    trainer = EmaTrainer(trained, Adam(lr=lr), ema=ema, **kw) if ema else Trainer(
        trained, Adam(lr=lr), **kw)
    hist = trainer.fit(X, Y, X_val, Y_val)
    return model, hist


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
            if mode == "logit":      # log-odds: thresholds are tuned on probabilities
                Pv = sigmoid(Pv)
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


def variants14(nb_alpha, ridge_alpha, head4=None):
    """Issue 14. Prefixes: "A" width/dropout/epochs, "I" first-layer init, "E" the moving
    average of the weights over epochs (validated and kept), "H" fourth heads by L-BFGS
    (30-35 CPU s each: too slow), "N" the NBSVM-style head made cheap and the NB-scaled
    ridge head, "F" several MLPs (+ ``head4``, the fourth head chosen on validation alone
    by :func:`choose_key`). The "G" variants (NB-scaled ridge beside the reference's
    members) are added in ``main`` by :func:`g_variants`."""
    NB, RI = ("nb", nb_alpha), ("ridge", ridge_alpha)
    L = {"mode": "logit"}
    out = {
        "A mlp(128) + nb + ridge [reference]": lambda s: ([[mx(s)], [NB], [RI]], L),
        "A mlp(128) alone": lambda s: ([[mx(s)]], {}),
    }
    for h in (64, 128, 256):
        for d in (0.3, 0.5):
            for e in (14, 24):
                out[f"A mlp({h}, drop {d}, {e} ep) + nb + ridge"] = (
                    lambda s, h=h, d=d, e=e: ([[mx(s, hidden=(h,), dropout=d, max_epochs=e)],
                                               [NB], [RI]], L))
    for h in (64, 128):
        for init in ("ppmi5", "ppmi2", "lsa", "random"):
            for scale in (1.0, 10.0, 30.0):
                if init == "random" and scale == 1.0:
                    continue
                name = f"I mlp({h}) init {init} x{scale:g}"
                out[name + " alone"] = (lambda s, h=h, i=init, sc=scale: (
                    [[mx(s, hidden=(h,), init=i, scale=sc)]], {}))
                out[name + " + nb + ridge"] = (lambda s, h=h, i=init, sc=scale: (
                    [[mx(s, hidden=(h,), init=i, scale=sc)], [NB], [RI]], L))
        for init in ("ppmi5", "lsa"):
            for scale in (10.0, 30.0):
                name = f"I mlp({h}) init {init} x{scale:g} frozen"
                out[name + " alone"] = (lambda s, h=h, i=init, sc=scale: (
                    [[mx(s, hidden=(h,), init=i, scale=sc, freeze=True)]], {}))
                out[name + " + nb + ridge"] = (lambda s, h=h, i=init, sc=scale: (
                    [[mx(s, hidden=(h,), init=i, scale=sc, freeze=True)], [NB], [RI]], L))
    for h in (64, 128):
        for ema in (0.5, 0.7):
            for e in (14, 24):
                name = f"E mlp({h}, ema {ema:g}, {e} ep)"
                out[name + " alone"] = (lambda s, h=h, m=ema, e=e: (
                    [[mx(s, hidden=(h,), ema=m, max_epochs=e)]], {}))
                out[name + " + nb + ridge"] = (lambda s, h=h, m=ema, e=e: (
                    [[mx(s, hidden=(h,), ema=m, max_epochs=e)], [NB], [RI]], L))
    for key in HEAD4_GRID:
        out[f"H {key} alone"] = lambda s, k=key: ([[k]], {})
        out[f"H mlp(128) + nb + ridge + {key}"] = lambda s, k=key: (
            [[mx(s)], [NB], [RI], [k]], L)
        out[f"H mlp(64) + nb + ridge + {key}"] = lambda s, k=key: (
            [[mx(s, hidden=(64,))], [NB], [RI], [k]], L)
    out["H mlp(128) + ridge + lr-head (no nb)"] = lambda s: (
        [[mx(s)], [RI], [("lr", 1.0, True)]], L)
    for m in (2, 3):
        for h in (64, 128):
            out[f"F mlp({h}) x{m} + nb + ridge"] = (lambda s, h=h, m=m: (
                [[mx(s + i, hidden=(h,))] for i in range(m)] + [[NB], [RI]], L))
            if head4 is not None:
                out[f"F mlp({h}) x{m} + nb + ridge + head4"] = (lambda s, h=h, m=m: (
                    [[mx(s + i, hidden=(h,))] for i in range(m)] + [[NB], [RI], [head4]], L))
    # NBSVM-style head made cheap (float32 products, L-BFGS cut at maxiter) and its closed
    # form cousin (NB-scaled ridge)
    for key in NBLR_GRID:
        out[f"N {key} alone"] = lambda s, k=key: ([[k]], {})
    return out


# The fourth heads' grids (numpy/scipy, benchmarks/extra_heads.py): key = (kind, lam, option)
# (cut to one setting per kind after the first fit took 31 CPU s: 150 L-BFGS iterations)
HEAD4_GRID = [("lr", 0.3, True), ("nblr", 1.0, 1.0), ("sqhinge", 5.0)]


NBLR_GRID = [("nblr32", 1.0, 1.0, 20), ("nblr32", 1.0, 1.0, 40), ("nblr32", 1.0, 1.0, 80),
             ("nbridge", 3.0, 1.0), ("nbridge", 10.0, 1.0), ("nbridge", 30.0, 1.0)]
# NB-scaled ridge: (kind, ridge alpha, naive-Bayes smoothing of r); chosen alone on validation
NBRIDGE_GRID = [("nbridge", 0.3, 1.0), ("nbridge", 1.0, 1.0), ("nbridge", 3.0, 1.0),
                ("nbridge", 10.0, 1.0), ("nbridge", 3.0, 0.3), ("nbridge", 3.0, 3.0)]


def g_variants(NB, RI, NR):
    """"G": the reference's members with the NB-scaled ridge head ``NR`` (chosen on
    validation alone) added or in place of a member; logit mean."""
    L = {"mode": "logit"}
    out = {"G nb + ridge + nbridge": lambda s: ([[NB], [RI], [NR]], L),
           "G nb + nbridge": lambda s: ([[NB], [NR]], L)}
    for h in (64, 128):
        m = lambda s, h=h: mx(s, hidden=(h,))
        out[f"G mlp({h}) + nb + ridge + nbridge"] = lambda s, m=m: ([[m(s)], [NB], [RI], [NR]], L)
        out[f"G mlp({h}) + nb + nbridge"] = lambda s, m=m: ([[m(s)], [NB], [NR]], L)
        out[f"G mlp({h}) + ridge + nbridge"] = lambda s, m=m: ([[m(s)], [RI], [NR]], L)
        out[f"G mlp({h}) + nbridge"] = lambda s, m=m: ([[m(s)], [NR]], L)
        out[f"G mlp({h}) x2 + nb + ridge + nbridge"] = lambda s, m=m: (
            [[m(s)], [m(s + 1)], [NB], [RI], [NR]], L)
        out[f"G mlp({h}) x2 + nb + nbridge"] = lambda s, m=m: (
            [[m(s)], [m(s + 1)], [NB], [NR]], L)
        out[f"G mlp({h}) + nb + ridge + nbridge, weights on val"] = lambda s, m=m: (
            [[m(s)], [NB], [RI], [NR]], dict(L, weights="val"))
    for h in (64, 128):
        out[f"G mlp({h}, init random x10) + ridge + nbridge"] = lambda s, h=h: (
            [[mx(s, hidden=(h,), scale=10.0)], [RI], [NR]], L)
    out["G mlp(64, init random x10) + nb + ridge + nbridge"] = lambda s: (
        [[mx(s, hidden=(64,), scale=10.0)], [NB], [RI], [NR]], L)
    out["G mlp(64, init random x10) alone"] = lambda s: ([[mx(s, hidden=(64,), scale=10.0)]], {})
    for h in (64, 128):     # "W": the MLP on NB-weighted TF-IDF (supervised term weights)
        m = lambda s, h=h: mx(s, hidden=(h,), nbw=1.0)
        out[f"W mlp({h}) nb-weighted input alone"] = lambda s, m=m: ([[m(s)]], {})
        out[f"W mlp({h}) nb-weighted input + nb + ridge"] = lambda s, m=m: (
            [[m(s)], [NB], [RI]], L)
        out[f"W mlp({h}) nb-weighted input + nb + ridge + nbridge"] = lambda s, m=m: (
            [[m(s)], [NB], [RI], [NR]], L)
        out[f"W mlp({h}) nb-weighted input + ridge + nbridge"] = lambda s, m=m: (
            [[m(s)], [RI], [NR]], L)
    out["G mlp(128, init random x10) + nb + ridge + nbridge"] = lambda s: (
        [[mx(s, scale=10.0)], [NB], [RI], [NR]], L)
    out["G mlp(128, init random x10) + nb + nbridge"] = lambda s: (
        [[mx(s, scale=10.0)], [NB], [NR]], L)
    return out



NBSVMPeer = peers.NBSVMPeer      # (now one of the benchmark's peers)


def choose_key(comp, keys, Yv):
    """The key of the head with the best validation micro-F1 alone (Platt, tuned thresholds)."""
    rows = []
    for k in keys:
        r = comp.get(k)
        P = heads.apply_platt(r["val"], heads.platt(r["val"], Yv))
        rows.append((tuned_micro_f1(Yv, P), k, r["cpu"]))
    for f1, k, cpu in rows:
        print(f"    {str(k):<24} validation micro-F1 {f1:.4f}  ({cpu:.2f} CPU s)")
    return max(rows, key=lambda t: t[0])[1]


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
    ap.add_argument("--set", choices=("issue14", "old"), default="issue14")
    ap.add_argument("--seeds", type=int, nargs="*", default=list(SEEDS),
                    help="seeds of the variants (default 0 1 2)")
    ap.add_argument("--no-head4", action="store_true", help="skip choosing the fourth head")
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
        if args.set == "old":
            todo = variants(nb_alpha, ridge_alpha)
        else:
            head4 = None if args.no_head4 else choose_key(comp, HEAD4_GRID, Yv)
            print(f"  fourth head chosen on validation: {head4}")
            todo = variants14(nb_alpha, ridge_alpha, head4)
            if not args.only or any(o[:1] in "GW" for o in args.only):
                nr = choose_key(comp, NBRIDGE_GRID, Yv)
                print(f"  NB-scaled ridge chosen on validation: {nr}")
                todo.update(g_variants(("nb", nb_alpha), ("ridge", ridge_alpha), nr))
        for name, make in todo.items():
            if args.only and not any(name.startswith(o) for o in args.only):
                continue
            per_seed = []
            for s in args.seeds:
                parts, opts = make(s)
                Pv, Pt, cpu, chosen = combine(comp, parts, Yv, **opts)
                sc = bm.score(Yv, Pv, Yt, Pt)
                val_macro = metrics.macro_f1(
                    Yv, metrics.apply_thresholds(Pv, np.array(sc["thresholds"])))
                per_seed.append((sc["micro_f1"], sc["macro_f1"], sc["micro_ap"],
                                 sc["val_micro_f1"], cpu, val_macro, chosen))
            a = np.array([p[:6] for p in per_seed])
            chosen = [p[6] for p in per_seed]
            rows.append((name, a, chosen))
            print(f"  {name:<42} micro {spread(a[:, 0])}  macro {spread(a[:, 1])}  "
                  f"AP {spread(a[:, 2])}  val {a[:, 3].mean():.3f}/{a[:, 5].mean():.3f}  "
                  f"CPU {a[:, 4].mean():5.1f} s"
                  + (f"  w_mlp {chosen}" if chosen[0] is not None else ""), flush=True)
        peer_rows = []
        if not args.no_peers:
            singles = []
            for m in peers.build_peers(include_fasttext=False):
                if m.name not in ("peer-linear-svm", "peer-ridge", "peer-multinomial-nb",
                                  "peer-logreg", "peer-sgd-modified-huber", "peer-ensemble"):
                    continue
                r = bm.run_method(m, c, log=lambda *a: None)
                peer_rows.append(r)
                if m.name == "peer-linear-svm":
                    svm = (m.P_val, m.P_test)
                if m.name != "peer-ensemble":
                    singles.append(m)
            if args.set == "issue14":     # the NBSVM peer, alone and as an ensemble candidate
                nbsvm = NBSVMPeer()
                peer_rows.append(bm.run_method(nbsvm, c, log=lambda *a: None))
                ens = peers.PeerEnsemble(singles + [nbsvm], name="peer-ensemble + nbsvm (analysis)")
                peer_rows.append(bm.run_method(ens, c, log=lambda *a: None))
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
                                     sc["val_micro_f1"], cpu, np.nan))
                rows.append((name, np.array(per_seed), [None] * len(per_seed)))

    print("\n| variant (3 seeds: mean±half-range) | test micro-F1 | test macro-F1 | test micro-AP "
          "| val micro / macro | CPU s |\n|---|---|---|---|---|---|")
    for name, a, chosen in rows:
        print(f"| {name} | {spread(a[:, 0])} | {spread(a[:, 1])} | {spread(a[:, 2])} | "
              f"{a[:, 3].mean():.3f} / {a[:, 5].mean():.3f} | "
              f"{a[:, 4].mean():.1f} ({a[:, 4].min():.1f}-{a[:, 4].max():.1f}) |")
    for r in peer_rows:
        info = r["info"]
        print(f"| {r['name']} [{info.get('chosen_text', '')}] | {r['micro_f1']:.3f} | "
              f"{r['macro_f1']:.3f} | {r['micro_ap']:.3f} | {r['val_micro_f1']:.3f} / - | "
              f"{info.get('cpu_seconds_chosen', r['cpu_seconds']):.1f} "
              f"(search {r['cpu_seconds']:.1f}) |")


if __name__ == "__main__":
    main()
