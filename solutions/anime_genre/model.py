"""A multi-layer perceptron for multi-label classification.

    input (N, D) -> [Affine -> ReLU|Sigmoid -> Dropout] * len(hidden_sizes) -> Affine -> logits (N, K)

followed by a loss layer on the logits (``bce``, ``weighted_bce``, ``focal`` or ``softmax``).
With ``sparse_input=True`` the first layer is a ``SparseAffine`` and the input a CSR matrix
(TF-IDF bag of words), never densified.

Weights are float32 by default: the products dominate training time and float32 halves the
memory traffic; nothing in a classifier needs more digits. Gradient checks build the model
with ``dtype=np.float64``. The initialisation is He (std sqrt(2 / fan_in)) before ReLU and
Xavier (std sqrt(1 / fan_in)) before sigmoid and for the output layer.
"""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from .errors import UserError
from .functions import sigmoid, softmax
from .layers import Affine, Dropout, Relu, Sigmoid, SparseAffine
from .losses import FocalLoss, SigmoidWithLoss, SoftmaxWithLoss, WeightedSigmoidWithLoss

FORMAT_VERSION = 1
LOSSES = ("bce", "weighted_bce", "focal", "softmax")
ACTIVATIONS = ("relu", "sigmoid")


class MultiLabelClassifier:
    """Multi-label MLP with a choice of loss.

    input_size: D (vocabulary size for sparse input), output_size: K genres,
    hidden_sizes: widths of the hidden layers (() gives logistic regression),
    dropout: ratio after each hidden activation, loss: one of ``LOSSES``,
    gamma/alpha: focal loss parameters, pos_weight: scalar or (K,) for ``weighted_bce``,
    activation: "relu" or "sigmoid", sparse_input: first layer takes a CSR matrix,
    seed: initialisation and dropout masks, dtype: float32 (default) or float64.
    """

    def __init__(self, input_size, output_size, hidden_sizes=(256,), dropout=0.0, loss="bce",
                 gamma=2.0, alpha=None, pos_weight=None, activation="relu",
                 sparse_input=False, seed=0, dtype=np.float32):
        if loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
        if loss == "weighted_bce" and pos_weight is None:
            raise ValueError("loss='weighted_bce' needs pos_weight (scalar or one per genre)")
        self.config = dict(
            input_size=int(input_size), output_size=int(output_size),
            hidden_sizes=[int(h) for h in hidden_sizes], dropout=float(dropout), loss=loss,
            gamma=float(gamma), alpha=_plain(alpha), pos_weight=_plain(pos_weight),
            activation=activation, sparse_input=bool(sparse_input), seed=int(seed),
            dtype=np.dtype(dtype).name)
        self.dtype = np.dtype(dtype)
        rng = np.random.default_rng(seed)

        sizes = [int(input_size), *self.config["hidden_sizes"], int(output_size)]
        self.layers = []
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            last = i == len(sizes) - 2
            gain = 2.0 if (activation == "relu" and not last) else 1.0
            W = (rng.standard_normal((fan_in, fan_out)) * np.sqrt(gain / fan_in)).astype(self.dtype)
            b = np.zeros(fan_out, dtype=self.dtype)
            first_sparse = i == 0 and sparse_input
            self.layers.append(SparseAffine(W, b) if first_sparse else Affine(W, b))
            if not last:
                self.layers.append(Relu() if activation == "relu" else Sigmoid())
                if dropout > 0:
                    self.layers.append(Dropout(dropout, seed=int(rng.integers(2**31))))

        if loss == "bce":
            self.loss_layer = SigmoidWithLoss()
        elif loss == "weighted_bce":
            self.loss_layer = WeightedSigmoidWithLoss(pos_weight)
        elif loss == "focal":
            self.loss_layer = FocalLoss(gamma=gamma, alpha=alpha)
        else:
            self.loss_layer = SoftmaxWithLoss()

        # Gathered once: the layers write their gradients into these same arrays.
        self.params, self.grads = [], []
        for layer in self.layers:
            self.params += layer.params
            self.grads += layer.grads
        self.training = True

    # -- modes
    def train(self):
        """Training mode: dropout active."""
        self.training = True
        for layer in self.layers:
            if isinstance(layer, Dropout):
                layer.train_flg = True
        return self

    def eval(self):
        """Evaluation mode: dropout is the identity."""
        self.training = False
        for layer in self.layers:
            if isinstance(layer, Dropout):
                layer.train_flg = False
        return self

    # -- computation
    def _prepare(self, x):
        if self.config["sparse_input"]:
            if not sp.issparse(x):
                raise TypeError("this model was built with sparse_input=True: pass a CSR matrix")
            x = x.tocsr()
            return x if x.dtype == self.dtype else x.astype(self.dtype)
        if sp.issparse(x):
            raise TypeError("this model expects dense input; build it with sparse_input=True "
                            "for a sparse matrix")
        return np.asarray(x, dtype=self.dtype)

    def forward(self, x):
        """Logits (N, K) of a batch x: (N, D) array, or CSR with sparse_input."""
        x = self._prepare(x)
        for layer in self.layers:
            x = layer.forward(x)
        return x

    predict_logits = forward

    def loss(self, x, t):
        """Forward pass and loss (mean over examples, summed over genres)."""
        logits = self.forward(x)
        return self.loss_layer.forward(logits, np.asarray(t, dtype=self.dtype))

    def backward(self, dout=1.0):
        """Backpropagate the last ``loss``; fills ``self.grads`` in place."""
        d = self.loss_layer.backward(dout)
        for layer in reversed(self.layers):
            d = layer.backward(d)
        return d

    def grad_rows(self):
        """Per parameter: rows with a possibly non-zero gradient (sparse layer) or None."""
        rows = []
        for layer in self.layers:
            rows += getattr(layer, "grad_rows", [None] * len(layer.params))
        return rows

    def predict_proba(self, X, batch_size=2048):
        """Probabilities (N, K): sigmoid of the logits, softmax for loss='softmax'.
        Runs in evaluation mode (restores the previous mode), in batches."""
        was_training = self.training
        self.eval()
        try:
            out = []
            for start in range(0, X.shape[0], batch_size):
                logits = self.forward(X[start:start + batch_size])
                out.append(softmax(logits) if self.config["loss"] == "softmax" else sigmoid(logits))
            return np.concatenate(out) if out else np.zeros((0, self.config["output_size"]), self.dtype)
        finally:
            if was_training:
                self.train()

    # -- persistence
    def save(self, path):
        """Write the configuration and weights to a .npz file."""
        arrays = {f"param_{i}": p for i, p in enumerate(self.params)}
        header = json.dumps({"format_version": FORMAT_VERSION, "config": self.config})
        with open(path, "wb") as f:
            np.savez(f, header=np.array(header), **arrays)

    @classmethod
    def load(cls, path):
        """Read a model written by ``save``. Raises UserError for a missing or corrupt file,
        another format version, or weights that do not fit the configuration."""
        path = Path(path)
        if not path.exists():
            raise UserError(f"{path}: model file not found")
        try:
            with np.load(path, allow_pickle=False) as data:
                header = json.loads(str(data["header"]))
                arrays = {k: data[k] for k in data.files if k != "header"}
        except (OSError, ValueError, KeyError, zipfile.BadZipFile, json.JSONDecodeError, EOFError) as exc:
            raise UserError(f"{path}: not a readable model file ({exc}); retrain or re-download it") from None
        version = header.get("format_version") if isinstance(header, dict) else None
        if version != FORMAT_VERSION:
            raise UserError(f"{path}: model format version {version!r}, this code reads version "
                            f"{FORMAT_VERSION}; retrain the model with this version")
        try:
            model = cls(**header["config"])
        except (KeyError, TypeError, ValueError) as exc:
            raise UserError(f"{path}: invalid model configuration ({exc})") from None
        if len(arrays) != len(model.params):
            raise UserError(f"{path}: {len(arrays)} weight arrays, the configuration needs {len(model.params)}")
        for i, p in enumerate(model.params):
            a = arrays.get(f"param_{i}")
            if a is None or a.shape != p.shape:
                raise UserError(f"{path}: weight array param_{i} is missing or has shape "
                                f"{None if a is None else a.shape}, expected {p.shape}")
            p[...] = a
        return model


def _plain(value):
    """JSON-friendly copy of a scalar / array hyper-parameter."""
    if value is None:
        return None
    arr = np.asarray(value, dtype=float)
    return float(arr) if arr.ndim == 0 else arr.tolist()


# ----------------------------------------------------------------------------- ensembles

COMBINES = ("proba", "logit")


def _logits(model, X, batch_size=2048):
    """(N, K) logits of a network in evaluation mode (its mode is restored), in batches."""
    was_training = model.training
    model.eval()
    try:
        parts = [model.forward(X[s:s + batch_size]) for s in range(0, X.shape[0], batch_size)]
        return (np.concatenate(parts) if parts
                else np.zeros((0, model.config["output_size"]), model.dtype))
    finally:
        if was_training:
            model.train()


class MeanModel:
    """Several trained networks as one, (N, K) ``predict_proba``: with ``combine="proba"``
    the mean of their probabilities, with ``"logit"`` the sigmoid of the mean of their
    log-odds (the logits of sigmoid-output networks; the reference's heads are such networks
    without hidden layer, see ``anime_genre.heads``)."""

    def __init__(self, models, combine="proba"):
        if not models:
            raise ValueError("MeanModel needs at least one network")
        if combine not in COMBINES:
            raise ValueError(f"combine must be one of {COMBINES}, got {combine!r}")
        if combine == "logit" and any(m.config["loss"] == "softmax" for m in models):
            raise ValueError("combine='logit' needs sigmoid outputs (no softmax network)")
        self.models = list(models)
        self.config = self.models[0].config
        self.combine = combine

    def predict_proba(self, X):
        if self.combine == "logit":
            Z = _logits(self.models[0], X).astype(np.float64)
            for m in self.models[1:]:
                Z += _logits(m, X)
            return sigmoid(Z / len(self.models))
        P = self.models[0].predict_proba(X)
        for m in self.models[1:]:
            P = P + m.predict_proba(X)
        return P / len(self.models)
