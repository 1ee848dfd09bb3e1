"""The strongest practical peers of the reference: scikit-learn linear models (and fastText
where its pip package installs), each tuned on the validation shows only.

Every peer follows one protocol, so that the comparison with the reference is fair:

1. the features are the reference's own TF-IDF (:class:`~anime_genre.features.BowVectorizer`
   with the reference's settings: word unigrams + bigrams, max_df 0.5, sublinear tf), fitted
   on the training shows, with ``min_df`` tuned too: 2 (the reference's) or 1 (every term of
   the training shows, 7x as many; measured on mal2020 it lifts ridge and the linear SVM by
   0.03 micro-F1), so that no peer is held back by the reference's choice (fastText builds
   its own word and bigram features from the same cleaned texts);
2. for every setting of a small grid (its own hyper-parameters x ``min_df``): fit on the
   training shows, turn the validation scores into probabilities (:func:`platt`), score them
   with the benchmark's early-stopping score (:func:`~anime_genre.baselines.tuned_micro_f1`:
   micro-F1 after per-genre thresholds);
3. keep the setting with the best validation score and predict the test shows with the model
   already fitted for it (no refit on train + validation: the reference never sees the
   validation labels as training data either).

The test shows are only ever predicted, once, by the chosen model. ``info`` records the
chosen setting (``chosen``), the validation score of every setting (``grid``) and the CPU
seconds of the chosen setting alone (``cpu_seconds_chosen``: vectorizer + one fit + the
predictions), since the benchmark's ``cpu_seconds`` covers the whole search.

:class:`PeerEnsemble` averages the tuned peers, by their probabilities or by their log-odds
(as the reference averages its members); its members and the way they are averaged are the
choice with the best validation score. scikit-learn is used here and in ``baselines`` only,
never inside the reference model.
"""
from __future__ import annotations

import itertools
import time
import warnings

import numpy as np

from .baselines import REFERENCE_CONFIG, Corpus, Method, tuned_micro_f1
from .features import BowVectorizer
# Platt scaling lives with the reference's numpy heads (it calibrates them too); imported
# here under its old name, ``peers.platt``
from .heads import apply_platt, platt  # noqa: F401


def describe(setting: dict) -> str:
    """``{"C": 8, "class_weight": None}`` -> ``"C=8 class_weight=None"`` (for the table)."""
    return " ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                    for k, v in setting.items())


class TunedPeer(Method):
    """A scikit-learn model on the reference's TF-IDF, one hyper-parameter grid searched on
    validation (the module docstring gives the protocol). Subclasses set ``grid`` (a list of
    settings, dicts of keyword arguments) and implement ``make(setting)`` (an unfitted
    multi-label estimator) and ``scores(model, X)`` ((n, K) real scores, larger = more
    likely). The search tries every setting with every ``min_dfs`` of the TF-IDF
    (:meth:`settings`). After ``fit_predict``: ``P_val``, ``P_test`` as returned and ``model``
    (the chosen fitted estimator), for :class:`PeerEnsemble`."""

    grid: list = []
    min_dfs: tuple = (REFERENCE_CONFIG.min_df, 1)

    def __init__(self, name=None, grid=None, min_dfs=None):
        super().__init__(name)
        if grid is not None:
            self.grid = list(grid)
        if min_dfs is not None:
            self.min_dfs = tuple(min_dfs)

    def settings(self) -> list:
        """Every setting searched: ``grid`` x ``min_dfs``, each a dict with ``min_df``."""
        return [{**s, "min_df": m} for m in self.min_dfs for s in self.grid]

    @staticmethod
    def vectorizer(min_df) -> BowVectorizer:
        """The reference's TF-IDF, with this ``min_df``."""
        return BowVectorizer(min_df=min_df, max_df=REFERENCE_CONFIG.max_df, bigrams=REFERENCE_CONFIG.bigrams)

    def make(self, setting):  # pragma: no cover - abstract
        raise NotImplementedError

    def scores(self, model, X):  # pragma: no cover - abstract
        raise NotImplementedError

    def fit_predict(self, c: Corpus):
        from sklearn.exceptions import ConvergenceWarning

        Y, Yv = c.Y[c.train], c.Y[c.val]
        features = {}                  # min_df -> (vectorizer, X, X_val, CPU seconds)
        for min_df in self.min_dfs:
            t0 = time.process_time()
            vec = self.vectorizer(min_df)
            X, Xv = vec.fit_transform(c.part(c.train)), vec.transform(c.part(c.val))
            features[min_df] = (vec, X, Xv, time.process_time() - t0)

        def fit_scores(setting):
            _, X, Xv, _ = features[setting["min_df"]]
            model = self.make(setting)
            with warnings.catch_warnings():
                # liblinear's "did not converge" on a badly regularised setting: that setting
                # then simply scores worse on validation, which is what the search is for
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.fit(X, Y)
            return model, self.scores(model, Xv)

        model, ab, cpu = self._search(Yv, fit_scores, self.settings())
        vec, _, _, vec_cpu = features[self.info["chosen"]["min_df"]]
        t2 = time.process_time()
        self.P_test = apply_platt(self.scores(model, vec.transform(c.part(c.test))), ab)
        self.info.update(n_features=vec.n_features,
                         cpu_seconds_chosen=vec_cpu + cpu + time.process_time() - t2)
        return self.P_val, self.P_test

    def _search(self, Yv, fit_scores, settings=None) -> tuple:
        """Search ``settings`` (default ``grid``) on validation: ``fit_scores(setting) ->
        (fitted model, (n_val, K) scores)``; each setting's scores become probabilities
        (:func:`platt`) and are scored with :func:`tuned_micro_f1`. Keeps the best (a tie
        keeps the first searched) in ``model``, ``P_val`` and ``info``; returns ``(model,
        platt parameters, CPU seconds of the chosen setting's fit)``."""
        best, tried = None, []
        for setting in (self.grid if settings is None else settings):
            t1 = time.process_time()
            model, S_val = fit_scores(setting)
            ab = platt(S_val, Yv)
            P_val = apply_platt(S_val, ab)
            f1 = tuned_micro_f1(Yv, P_val)
            cpu = time.process_time() - t1
            tried.append({"setting": dict(setting), "val_micro_f1": f1, "cpu_seconds": cpu})
            if best is None or f1 > best[0]:
                best = (f1, setting, model, ab, P_val, cpu)
        f1, setting, model, ab, P_val, cpu = best
        self.model, self.P_val = model, P_val
        self.info.update(chosen=dict(setting), chosen_text=describe(setting), val_micro_f1=f1,
                         grid=tried)
        return model, ab, cpu


def _ovr(estimator):
    from sklearn.multiclass import OneVsRestClassifier

    return OneVsRestClassifier(estimator)


def _decision(model, X):
    return np.asarray(model.decision_function(X), dtype=np.float64)


class LogregPeer(TunedPeer):
    """One-vs-rest logistic regression (liblinear, L2), C tuned. Larger C = weaker
    regularisation: on the reference's vocabulary the issue measured the best near C = 8; on
    every word (min_df 1) mal2020 asks for C = 128 and more."""

    name = "peer-logreg"
    grid = [{"C": c} for c in (1.0, 4.0, 16.0, 64.0, 128.0, 256.0, 512.0)]

    def make(self, s):
        from sklearn.linear_model import LogisticRegression

        # random_state: liblinear shuffles the shows; a fixed seed makes a rerun identical
        return _ovr(LogisticRegression(C=s["C"], solver="liblinear", random_state=0))

    scores = staticmethod(_decision)


class LinearSVMPeer(TunedPeer):
    """One-vs-rest linear SVM (LinearSVC, squared hinge), C tuned; its decision function
    becomes probabilities through :func:`platt`."""

    name = "peer-linear-svm"
    grid = [{"C": c} for c in (0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0)]

    def make(self, s):
        from sklearn.svm import LinearSVC

        return _ovr(LinearSVC(C=s["C"], random_state=0))

    scores = staticmethod(_decision)


class SGDPeer(TunedPeer):
    """One-vs-rest SGDClassifier with the modified Huber loss (a smoothed hinge), alpha and
    class_weight (None or "balanced": positives weighed by their rarity) tuned."""

    name = "peer-sgd-modified-huber"
    grid = [{"alpha": a, "class_weight": w} for a in (1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3)
            for w in (None, "balanced")]

    def make(self, s):
        from sklearn.linear_model import SGDClassifier

        return _ovr(SGDClassifier(loss="modified_huber", alpha=s["alpha"],
                                  class_weight=s["class_weight"], max_iter=50, tol=1e-4,
                                  random_state=0))

    scores = staticmethod(_decision)


class NaiveBayesPeer(TunedPeer):
    """One-vs-rest multinomial naive Bayes on the TF-IDF, alpha (additive smoothing) tuned.
    Its score is the log-odds of the two classes: its own probabilities are 0 or 1 to
    machine precision for most shows."""

    name = "peer-multinomial-nb"
    grid = [{"alpha": a} for a in (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)]

    def make(self, s):
        from sklearn.naive_bayes import MultinomialNB

        return _ovr(MultinomialNB(alpha=s["alpha"]))

    @staticmethod
    def scores(model, X):
        # (n, K) log P(genre | x) - log P(not genre | x), one binary model per genre (a
        # genre absent from the training shows has a constant predictor: score 0)
        cols = []
        for est in model.estimators_:
            if hasattr(est, "predict_joint_log_proba"):
                jll = est.predict_joint_log_proba(X)
                cols.append(jll[:, 1] - jll[:, 0])
            else:
                cols.append(np.zeros(X.shape[0]))
        return np.column_stack(cols)


class RidgePeer(TunedPeer):
    """Ridge regression of the 0/1 genre matrix on the TF-IDF (all genres in one fit, sparse
    conjugate gradients), alpha tuned: least squares, a different error than the logistic
    and hinge losses of the other peers."""

    name = "peer-ridge"
    grid = [{"alpha": a} for a in (0.03, 0.1, 0.3, 1.0, 3.0, 10.0)]

    def make(self, s):
        from sklearn.linear_model import Ridge

        return Ridge(alpha=s["alpha"], solver="sparse_cg")

    @staticmethod
    def scores(model, X):
        return np.asarray(model.predict(X), dtype=np.float64).reshape(X.shape[0], -1)


class NBSVMPeer(TunedPeer):
    """NBSVM (Wang & Manning, 2012): per genre, a linear SVM (LinearSVC) on the TF-IDF
    rescaled by the naive-Bayes log-count ratios of word presence, ``x * |r_k|``
    (:func:`~anime_genre.heads.nb_log_ratio`, smoothing 1), C tuned. The peer of the
    reference's naive-Bayes-scaled ridge head: the same features, a hinge loss and
    scikit-learn's solver."""

    name = "peer-nbsvm"
    grid = [{"C": c} for c in (0.05, 0.1, 0.2, 0.5, 1.0)]

    def make(self, s):
        return _NBScaledSVC(s["C"])

    scores = staticmethod(_decision)


class _NBScaledSVC:
    """One LinearSVC per genre, each on the features scaled by that genre's ``|r|``."""

    def __init__(self, C):
        self.C = C

    def fit(self, X, Y):
        import scipy.sparse as sp
        from sklearn.svm import LinearSVC

        from .heads import nb_log_ratio

        Y = np.asarray(Y)
        self.R = np.abs(nb_log_ratio(X, Y, 1.0))               # (V, K)
        self.models = []
        for k in range(Y.shape[1]):
            if Y[:, k].min() == Y[:, k].max():                 # one class only: no SVM
                self.models.append(float(Y[0, k]) * 2 - 1)
                continue
            Xk = X @ sp.diags(self.R[:, k])
            self.models.append(LinearSVC(C=self.C, random_state=0).fit(Xk, Y[:, k]))
        return self

    def decision_function(self, X):
        import scipy.sparse as sp

        cols = []
        for k, m in enumerate(self.models):
            if isinstance(m, float):
                cols.append(np.full(X.shape[0], m))
            else:
                cols.append(m.decision_function(X @ sp.diags(self.R[:, k])))
        return np.column_stack(cols).astype(np.float64)


class PeerEnsemble(Method):
    """The mean of several tuned peers, by their probabilities or by their log-odds (the
    reference's way). The members (a subset of ``members``, at least ``min_size``) and the
    mean are the choice with the best validation score; a member not yet run in this
    process is run here (its time then counts here). The row's time counts every chosen
    member's own time: ``reused`` holds what they spent in their own rows, which
    ``benchmark.run_method`` adds."""

    name = "peer-ensemble"
    MEANS = ("probabilities", "log-odds")

    def __init__(self, members, name=None, min_size=2):
        super().__init__(name)
        self.members, self.min_size = list(members), min_size
        self.reused = {"seconds": 0.0, "cpu_seconds": 0.0}

    @staticmethod
    def average(Ps, mean: str) -> np.ndarray:
        """(n, K) mean of the members' (n, K) probabilities ``Ps``; ``mean="log-odds"``
        averages their log-odds (probabilities clipped to [1e-6, 1 - 1e-6]) and maps back."""
        if mean == "probabilities":
            return np.mean(Ps, axis=0)
        P = np.clip(np.asarray(Ps, dtype=np.float64), 1e-6, 1 - 1e-6)
        return 1.0 / (1.0 + np.exp(-np.mean(np.log(P) - np.log1p(-P), axis=0)))

    def fit_predict(self, c: Corpus):
        Yv = c.Y[c.val]
        for m in self.members:
            if getattr(m, "P_val", None) is None:
                m.fit_predict(c)
                m.run_seconds = m.run_cpu_seconds = 0.0   # spent inside this row's clock
        tried = []
        for k in range(self.min_size, len(self.members) + 1):
            for subset in itertools.combinations(self.members, k):
                for mean in self.MEANS:
                    P = self.average([m.P_val for m in subset], mean)
                    tried.append((tuned_micro_f1(Yv, P), [m.name for m in subset], mean))
        # best validation score; among ties the smaller (cheaper) subset, found first
        f1, names, mean = max(tried, key=lambda t: t[0])
        chosen = [m for m in self.members if m.name in names]
        self.reused = {"seconds": sum(getattr(m, "run_seconds", 0.0) for m in chosen),
                       "cpu_seconds": sum(getattr(m, "run_cpu_seconds", 0.0) for m in chosen)}
        self.P_val = self.average([m.P_val for m in chosen], mean)
        self.P_test = self.average([m.P_test for m in chosen], mean)
        self.info.update(members=names, mean=mean,
                         chosen_text=f"mean of {mean} of " + " + ".join(names),
                         val_micro_f1=f1,
                         subsets=[{"members": n, "mean": how, "val_micro_f1": s}
                                  for s, n, how in sorted(tried, key=lambda t: -t[0])],
                         cpu_seconds_chosen=sum(m.info.get("cpu_seconds_chosen", 0.0)
                                                for m in chosen))
        return self.P_val, self.P_test


# ----------------------------------------------------------------------------- fastText

def fasttext_status():
    """``(module, None)`` when the ``fasttext`` package imports, else ``(None, why)``. It is
    not a dependency of the project: its only release on PyPI is a source distribution that
    compiles C++, so the benchmark includes it where someone installed it."""
    try:
        import fasttext
    except ImportError as exc:
        return None, f"not installed ({exc})"
    return fasttext, None


class FastTextPeer(TunedPeer):
    """fastText supervised classifier with one-vs-all sigmoids (loss "ova": multi-label) on
    word unigrams + bigrams of the cleaned text, one thread; learning rate and epochs tuned
    on validation. Its probabilities become log-odds, then :func:`platt`, like every peer."""

    name = "peer-fasttext"
    # Measured on mal2020: lr 0.1 is far too slow (validation micro-F1 0.25 after 10 epochs,
    # 0.46 after 30) and lr 0.5 still gains from 10 to 30 epochs (0.51 -> 0.55); lr 1 with
    # 40 epochs was the best of lr 0.5-1 x 20-40 epochs.
    grid = [{"lr": lr, "epoch": e} for lr in (0.5, 1.0) for e in (40, 80)]

    def fit_predict(self, c: Corpus):
        import os
        import tempfile

        ft, why = fasttext_status()
        if ft is None:
            raise RuntimeError(f"fastText {why}")
        Y, Yv = c.Y[c.train], c.Y[c.val]
        labels = [f"__label__{j}" for j in range(Y.shape[1])]
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
            for text, y in zip(c.part(c.train), Y):
                f.write(" ".join(labels[j] for j in np.flatnonzero(y)) + " " + text + "\n")
            path = f.name

        def fit_scores(setting):
            # bucket: fastText hashes the bigrams into 2 million rows of dim floats by default
            # (800 MB a model, 2.1 GB peak measured); the 6,470 training shows of mal2020 have
            # 255,000 distinct bigrams, which 500,000 rows (200 MB) hold with few collisions
            model = ft.train_supervised(path, loss="ova", wordNgrams=2, minCount=2, dim=100,
                                        bucket=500_000, thread=1, seed=0, verbose=0, **setting)
            return model, self._scores(model, c.part(c.val), labels)

        try:
            model, ab, cpu = self._search(Yv, fit_scores)
        finally:
            os.unlink(path)
        self.P_test = apply_platt(self._scores(model, c.part(c.test), labels), ab)
        self.info.update(cpu_seconds_chosen=cpu)
        return self.P_val, self.P_test

    @staticmethod
    def _scores(model, texts, labels):
        """(n, K) log-odds of every genre (fastText's ova probabilities, clipped)."""
        col = {lab: j for j, lab in enumerate(labels)}
        P = np.full((len(texts), len(labels)), 1e-6)
        # k=-1: every label. A list goes through the binding's multi-line path, which
        # returns plain lists (the one-string path copies with numpy-2-incompatible code).
        labs, probs = model.predict([t.replace("\n", " ") for t in texts], k=-1, threshold=0.0)
        for i, (row_labs, row_p) in enumerate(zip(labs, probs)):
            for lab, p in zip(row_labs, row_p):
                if lab in col:
                    P[i, col[lab]] = p
        P = np.clip(P, 1e-6, 1 - 1e-6)
        return np.log(P / (1 - P))


def build_peers(include_fasttext=True):
    """The tuned peers in table order, the ensemble of them last. fastText is included only
    where it imports (:func:`absent_peers` says why not)."""
    singles = [LogregPeer(), LinearSVMPeer(), SGDPeer(), NaiveBayesPeer(), RidgePeer(), NBSVMPeer()]
    if include_fasttext and fasttext_status()[0] is not None:
        singles.append(FastTextPeer())
    # fastText, where present, is a candidate member like the linear peers: it is a linear
    # model too, of averaged n-gram embeddings.
    return singles + [PeerEnsemble(singles)]


def absent_peers():
    """Peers that cannot run here: a list of ``{"name", "reason"}`` for the result."""
    ft, why = fasttext_status()
    return [] if ft is not None else [{"name": FastTextPeer.name, "reason": f"fastText: {why}"}]


def is_peer(method) -> bool:
    return isinstance(method, (TunedPeer, PeerEnsemble))
