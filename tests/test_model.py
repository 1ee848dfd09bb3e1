"""MultiLabelClassifier and Trainer: gradients, fitting, modes, save/load, early stopping."""
import numpy as np
import pytest
import scipy.sparse as sp

from anime_genre import metrics
from anime_genre.commands.demo import make_multilabel
from anime_genre.errors import UserError
from anime_genre.gradcheck import numerical_gradient, rel_error
from anime_genre.model import MultiLabelClassifier
from anime_genre.optim import Adam
from anime_genre.trainer import Trainer


def small_problem():
    X, Y = make_multilabel(n=400, d=12, k=5, seed=1)
    return X, Y


@pytest.mark.parametrize("loss,extra", [("bce", {}), ("weighted_bce", {"pos_weight": [1.0, 2.0, 3.0]}),
                                        ("focal", {"gamma": 2.0, "alpha": 0.25}), ("softmax", {}),
                                        ("bce", {"activation": "sigmoid", "hidden_sizes": (4, 3)})])
def test_model_gradients(loss, extra):
    rng = np.random.default_rng(0)
    kwargs = dict(hidden_sizes=(6,), loss=loss, dtype=np.float64, seed=3)
    kwargs.update(extra)
    model = MultiLabelClassifier(4, 3, **kwargs)
    x = rng.standard_normal((5, 4))
    t = (rng.random((5, 3)) < 0.5).astype(float)
    t[:, 0] = 1
    model.loss(x, t)
    model.backward()
    analytic = [g.copy() for g in model.grads]
    for p, a in zip(model.params, analytic):
        num = numerical_gradient(lambda _: model.loss(x, t), p)
        # the whole network (every layer and loss alone passes at 1e-7, see test_layers/losses)
        assert rel_error(a, num) < 1e-6


def test_sparse_model_matches_dense_model():
    rng = np.random.default_rng(1)
    X = sp.random(8, 30, density=0.2, random_state=np.random.RandomState(0), format="csr")
    t = (rng.random((8, 4)) < 0.4).astype(float)
    dense = MultiLabelClassifier(30, 4, hidden_sizes=(5,), dtype=np.float64, seed=2)
    sparse = MultiLabelClassifier(30, 4, hidden_sizes=(5,), dtype=np.float64, seed=2, sparse_input=True)
    assert dense.loss(X.toarray(), t) == pytest.approx(sparse.loss(X, t), rel=1e-12)
    dense.backward()
    sparse.backward()
    for a, b in zip(dense.grads, sparse.grads):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-14)
    rows = sparse.grad_rows()
    assert rows[0] is not None and all(r is None for r in rows[1:])
    with pytest.raises(TypeError):
        sparse.forward(X.toarray())
    with pytest.raises(TypeError):
        dense.forward(X)


@pytest.mark.parametrize("loss", ["bce", "weighted_bce", "focal"])
def test_each_loss_fits_synthetic_problem(loss):
    X, Y = small_problem()
    pos = Y.mean(0)
    extra = {"pos_weight": (1 - pos) / pos} if loss == "weighted_bce" else {}
    model = MultiLabelClassifier(X.shape[1], Y.shape[1], hidden_sizes=(64,), loss=loss, **extra)
    Trainer(model, Adam(1e-2), batch_size=50, max_epochs=60, progress=False).fit(X, Y)
    assert metrics.micro_f1(Y, model.predict_proba(X) >= 0.5) > 0.95


def test_softmax_model_learns_but_cannot_say_two_genres_at_half():
    X, Y = small_problem()
    model = MultiLabelClassifier(X.shape[1], Y.shape[1], hidden_sizes=(64,), loss="softmax")
    Trainer(model, Adam(1e-2), batch_size=50, max_epochs=30, progress=False).fit(X, Y)
    P = model.predict_proba(X)
    np.testing.assert_allclose(P.sum(1), 1.0, rtol=1e-5)
    assert metrics.micro_f1(Y, P >= 1.0 / Y.shape[1]) > 0.7


def test_sparse_model_fits_and_trains_float32():
    X, Y = small_problem()
    Xs = sp.csr_matrix(np.where(X > 0.5, X, 0.0))
    model = MultiLabelClassifier(X.shape[1], Y.shape[1], hidden_sizes=(64,), sparse_input=True)
    hist = Trainer(model, Adam(1e-2), batch_size=50, max_epochs=40, progress=False).fit(Xs, Y)
    assert hist["train_loss"][-1] < hist["train_loss"][0] / 2
    assert all(p.dtype == np.float32 for p in model.params)
    assert model.predict_proba(Xs).dtype == np.float32


def test_dropout_modes_and_predict_proba_restores_mode():
    X, _ = small_problem()
    model = MultiLabelClassifier(X.shape[1], 5, hidden_sizes=(32,), dropout=0.5, dtype=np.float64)
    model.train()
    a, b = model.forward(X[:10]), model.forward(X[:10])
    assert not np.allclose(a, b)               # dropout active
    P1 = model.predict_proba(X[:10])
    assert model.training
    model.eval()
    np.testing.assert_array_equal(model.forward(X[:10]), model.forward(X[:10]))
    np.testing.assert_allclose(P1, model.predict_proba(X[:10]))


def test_he_init_scale():
    model = MultiLabelClassifier(2000, 10, hidden_sizes=(500,), dtype=np.float64)
    W = model.params[0]
    assert W.std() == pytest.approx(np.sqrt(2 / 2000), rel=0.02)
    assert np.all(model.params[1] == 0)


def test_save_load_roundtrip(tmp_path):
    X, Y = small_problem()
    model = MultiLabelClassifier(X.shape[1], 5, hidden_sizes=(8, 4), loss="focal", gamma=1.5,
                                 alpha=[0.2, 0.3, 0.4, 0.5, 0.6], dropout=0.1)
    Trainer(model, Adam(1e-2), max_epochs=2, progress=False).fit(X, Y)
    path = tmp_path / "m.npz"
    model.save(path)
    loaded = MultiLabelClassifier.load(path)
    assert loaded.config == model.config
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_load_errors(tmp_path):
    with pytest.raises(UserError, match="not found"):
        MultiLabelClassifier.load(tmp_path / "missing.npz")
    bad = tmp_path / "corrupt.npz"
    bad.write_bytes(b"PK\x03\x04 this is not a zip")
    with pytest.raises(UserError, match="corrupt.npz"):
        MultiLabelClassifier.load(bad)
    model = MultiLabelClassifier(3, 2, hidden_sizes=(4,))
    path = tmp_path / "m.npz"
    model.save(path)
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    old = tmp_path / "old.npz"
    arrays["header"] = np.array(str(arrays["header"]).replace('"format_version": 1', '"format_version": 0'))
    np.savez(old, **arrays)
    with pytest.raises(UserError, match="version"):
        MultiLabelClassifier.load(old)
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    arrays["param_0"] = np.zeros((5, 5), np.float32)
    wrong = tmp_path / "wrong.npz"
    np.savez(wrong, **arrays)
    with pytest.raises(UserError, match="param_0"):
        MultiLabelClassifier.load(wrong)


def test_bad_arguments():
    with pytest.raises(ValueError):
        MultiLabelClassifier(3, 2, loss="hinge")
    with pytest.raises(ValueError):
        MultiLabelClassifier(3, 2, loss="weighted_bce")
    with pytest.raises(ValueError):
        MultiLabelClassifier(3, 2, activation="tanh")


def test_trainer_shuffling_is_reproducible_by_seed():
    X, Y = small_problem()

    def run(seed):
        model = MultiLabelClassifier(X.shape[1], 5, hidden_sizes=(16,), dropout=0.2, seed=0)
        hist = Trainer(model, Adam(1e-2), batch_size=32, max_epochs=3, seed=seed,
                       progress=False).fit(X, Y)
        return hist["train_loss"], [p.copy() for p in model.params]

    l1, p1 = run(5)
    l2, p2 = run(5)
    l3, _ = run(6)
    assert l1 == l2
    for a, b in zip(p1, p2):
        np.testing.assert_array_equal(a, b)
    assert l1 != l3


def test_trainer_history_and_early_stopping_restores_best():
    X, Y = small_problem()
    Xtr, Ytr, Xva, Yva = X[:300], Y[:300], X[300:], Y[300:]
    # flip the validation labels: fitting the training set makes validation worse and worse
    model = MultiLabelClassifier(X.shape[1], 5, hidden_sizes=(32,), seed=0)
    trainer = Trainer(model, Adam(1e-2), batch_size=50, max_epochs=50, patience=3,
                      eval_metric="loss", progress=False)
    hist = trainer.fit(Xtr, Ytr, Xva, 1 - Yva)
    assert hist["stopped_early"] and hist["epochs"] < 50
    assert len(hist["train_loss"]) == len(hist["val_loss"]) == len(hist["val_metric"]) == hist["epochs"]
    best = hist["best_epoch"]
    assert hist["val_loss"][best - 1] == min(hist["val_loss"])
    assert hist["epochs"] == best + 3
    # the model now holds the best epoch's weights: its validation loss is the best one
    val_loss, _ = trainer.evaluate(Xva, 1 - Yva)
    assert val_loss == pytest.approx(hist["val_loss"][best - 1], rel=1e-5)


def test_trainer_metric_options():
    X, Y = small_problem()
    model = MultiLabelClassifier(X.shape[1], 5, hidden_sizes=(16,))
    hist = Trainer(model, Adam(1e-2), max_epochs=3, progress=False).fit(X[:300], Y[:300], X[300:], Y[300:])
    assert all(0 <= m <= 1 for m in hist["val_metric"])
    calls = []

    def ap(Yv, P):
        calls.append(P.shape)
        return metrics.average_precision(Yv, P, "macro")

    Trainer(model, Adam(1e-2), max_epochs=2, eval_metric=ap, progress=False).fit(
        X[:300], Y[:300], X[300:], Y[300:])
    assert calls == [(100, 5), (100, 5)]
    with pytest.raises(ValueError):
        Trainer(model, Adam(1e-2), eval_metric="accuracy")


def test_minibatch_indices_and_early_stopping():
    from anime_genre.trainer import early_stopping, minibatch_indices
    batches = minibatch_indices(10, 4, seed=3)
    assert [len(b) for b in batches] == [4, 4, 2]
    assert sorted(np.concatenate(batches).tolist()) == list(range(10))
    again = minibatch_indices(10, 4, seed=3)
    assert all(np.array_equal(a, b) for a, b in zip(batches, again))
    assert early_stopping([], 2) == (None, False)
    assert early_stopping([0.5, 0.6, 0.55], 2) == (1, False)
    assert early_stopping([0.5, 0.6, 0.55, 0.6], 2) == (1, True)      # a tie is no improvement
    assert early_stopping([0.5, 0.4, 0.3], 2) == (0, True)
