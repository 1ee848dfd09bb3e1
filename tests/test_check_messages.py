"""What a student is told: the notebook's check cell and the grade agree on a piece of code,
and the messages name the actual mistake (not a hint about another one)."""
from __future__ import annotations

import numpy as np
import pytest

from autograder import core
from autograder.judge import judge_exercise
from autograder.local import reference_use

import grader_cases.lesson4
from grader_cases import submission
from test_checks_trust import MODIFIES_ITS_INPUT, _notebook

FOCAL_IN_PLACE = '''
def focal_forward(x, t, gamma=2.0, alpha=None):
    x = np.asarray(x, dtype=float)
    t = np.asarray(t, dtype=float)
    x *= 2 * t - 1                          # x is the caller's array when it is float already
    log_p = -np.logaddexp(0, -x)
    q = np.exp(-np.logaddexp(0, x))
    a = 1.0 if alpha is None else alpha * t + (1 - alpha) * (1 - t)
    return float(-(a * q ** gamma * log_p).sum() / x.shape[0])
'''

SOFTMAX_IN_PLACE = '''
def softmax(x):
    x = np.asarray(x, dtype=float)
    x -= x.max(axis=-1, keepdims=True)
    e = np.exp(x)
    return e / e.sum(axis=-1, keepdims=True)
'''

SAME_CODE = MODIFIES_ITS_INPUT + [("l5_focal_forward", "", FOCAL_IN_PLACE),
                                  ("l4_softmax", "", SOFTMAX_IN_PLACE)]


def _local(ex_id: str, source: str):
    """The student's object as the notebook's kernel holds it."""
    ns = {"np": np}
    exec(compile(source, "<cell>", "exec"), ns)
    return ns[core.get_exercise(ex_id).reference.rpartition(".")[2].rpartition(":")[2]]


@pytest.mark.parametrize("ex_id, _, source", SAME_CODE, ids=[f"{e}: {s}" for e, s, _ in SAME_CODE])
def test_the_check_cell_and_the_grade_agree_on_code_that_writes_into_its_input(ex_id, _, source):
    here = core.run_exercise(ex_id, _local(ex_id, source))
    graded = judge_exercise(_notebook((ex_id, source)), ex_id, hidden=False)
    assert (here.points, here.status) == (graded.points, graded.status), \
        core.format_result(here) + "\n---\n" + core.format_result(graded)
    assert [s.name for s in here.subchecks if not s.ok] == [s.name for s in graded.subchecks if not s.ok]
    assert "read-only" not in core.format_result(here)


@pytest.mark.parametrize("source", [
    "from anime_genre.functions import sigmoid\n",
    "import anime_genre.functions as f\ndef sigmoid(x):\n    return f.sigmoid(x)\n",
    "def sigmoid(x):\n    from anime_genre import functions\n    return functions.sigmoid(x)\n",
    "import importlib\nsigmoid = importlib.import_module('anime_genre.functions').sigmoid\n",
])
def test_the_check_cell_gives_the_reference_0_as_the_grade_does(source, capsys):
    ns = {"np": np}
    exec(compile(source, "<cell>", "exec"), ns)
    assert core.check("l4_sigmoid", ns["sigmoid"]) == 0.0
    out = capsys.readouterr().out
    assert "FAILED — 0 points" in out and "reference package" in out, out
    assert judge_exercise(submission(4, {"l4_sigmoid": source}), "l4_sigmoid").points == 0
    own = "def sigmoid(x):\n    return 1 / (1 + np.exp(-np.asarray(x, dtype=float)))\n"
    assert reference_use(_local("l4_sigmoid", own)) is None


class _Bce:
    """Binary cross-entropy from logits with a backward that can be made wrong."""

    def __init__(self, backward, dtype=float):
        self._backward, self._dtype = backward, dtype

    def loss(self, x, t):
        return self._dtype((np.logaddexp(0, -x) * t + np.logaddexp(0, x) * (1 - t)).sum() / len(x))

    def grad(self, x, t):
        return self._backward(1 / (1 + np.exp(-x)), t, len(x))


@pytest.mark.parametrize("backward, dtype, says, not_says", [
    (lambda y, t, n: (t - y) / n, float, "sign flipped everywhere", "1/N"),
    (lambda y, t, n: (y - t), float, "2 times the numerical gradient everywhere", "sign"),
    (lambda y, t, n: (y - t) / n, np.float32, "returns float32", "1/N"),
])
def test_the_gradient_check_names_the_mistake(backward, dtype, says, not_says):
    x = np.array([[0.3, -1.2, 2.0], [1.5, 0.5, -0.5]])
    t = np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
    bce = _Bce(backward, dtype)
    c = core.Checker()
    assert not c.grad_check(lambda z: bce.loss(z, t), x, bce.grad(x, t), "gradient", tol=1e-6,
                            nonzero=True, hint="mind the 1/N")
    message = c.results[-1].message
    assert says in message and not_says not in message, message
    c = core.Checker()       # and the right gradient in float64 still passes
    right = _Bce(lambda y, t, n: (y - t) / n)
    assert c.grad_check(lambda z: right.loss(z, t), x, right.grad(x, t), "gradient", tol=1e-6, nonzero=True)


# a right forward, and a backward that ignores dout (a case of the grader's accuracy tests)
IGNORES_DOUT = next(src for ex_id, label, src in grader_cases.lesson4.BUGGY if label == "backward ignores dout")
BACKWARD = "(self.y * self.t.sum(axis=1, keepdims=True) - self.t) / len(self.y)"
MEAN = "(self.t * log_y).sum() / len(x))"


@pytest.mark.parametrize("old, new, fails, hint", [
    # forgets 1/N as well: the two cancel at dout = N = 2, not at dout = 3
    (BACKWARD, "self.y * self.t.sum(axis=1, keepdims=True) - self.t", "backward(dout=3.0) triples the gradient", ""),
    # (y - t) / N is right for every row but an all-zero one
    (BACKWARD, "(self.y - self.t) * dout / len(self.y)",
     "backward() after the all-zero target row: that row's gradient is zero", "sum to 0 gets no gradient"),
    # a loss summed over examples: the class indices are handled, the one-hot loss is wrong
    (MEAN, "(self.t * log_y).sum())", "targets given as class indices [1, 2]",
     "same as for 'forward on 2 one-hot examples'"),
])
def test_the_visible_check_catches_it_and_says_why(old, new, fails, hint):
    assert old in IGNORES_DOUT
    source = IGNORES_DOUT.replace(old, new)
    r = core.run_exercise("l4_softmax_cross_entropy", _local("l4_softmax_cross_entropy", source))
    failed = {s.name: s.message for s in r.subchecks if not s.ok}
    assert fails in failed, core.format_result(r)
    assert hint in failed[fails]


def test_a_float_check_fails_only_on_the_type():
    wrong_value = "def focal_forward(x, t, gamma=2.0, alpha=None):\n    return 1.5\n"
    r = core.run_exercise("l5_focal_forward", _local("l5_focal_forward", wrong_value))
    assert "returns a Python float" not in {s.name for s in r.subchecks if not s.ok}, core.format_result(r)
    as_array = FOCAL_IN_PLACE.replace("return float(", "return np.float32(")
    r = core.run_exercise("l5_focal_forward", _local("l5_focal_forward", as_array))
    assert "returns a Python float" in {s.name for s in r.subchecks if not s.ok}, core.format_result(r)


# Code that computes nothing passes the checks of properties (an input left unchanged, an
# empty input, a negative case, the same seed): those count only in proportion to the value
# checks passed, so none of these earns more than a fifth of the points, visible and hidden
# checks together (a weak-check audit found each earning 30-67% before).
DO_NOTHING = [
    ("l1_split_source_tail", "def split_source_tail(text):\n    return text, ''\n"),
    ("l2_is_placeholder", "def is_placeholder(text):\n    return False\n"),
    ("l2_find_ban_words", "def find_ban_words(text, ban_words):\n    return []\n"),
    ("l2_remove_non_alpha", "def remove_non_alpha(text):\n    return text\n"),
    ("l2_remove_stop_words", "def remove_stop_words(tokens, stop_words):\n    return list(tokens)\n"),
    ("l2_filter_vocabulary", "def filter_vocabulary(tokens, vocabulary):\n    return []\n"),
    ("l2_vocabulary_coverage", "def vocabulary_coverage(docs, vocabulary):\n    return 0.0\n"),
    ("l2_looks_truncated", "def looks_truncated(text):\n    return False\n"),
    ("l2_frequent_genres", "def frequent_genres(genre_lists, min_count):\n    return []\n"),
    ("l2_clean_rows", '''
RULES = ("type", "missing", "placeholder", "no_genre_information", "too_short", "ban_words", "only_rare_genres")

def clean_rows(types, synopses, genres, keep_types=("TV",), min_words=20, min_genre_count=20, ban_words=()):
    n = len(types)
    return [None] * n, {"rows in": n, **{r: 0 for r in RULES}, "rows out": n}
'''),
    ("l2_iterative_stratification", '''
def iterative_stratification(Y, proportions=(0.7, 0.1, 0.2), seed=0):
    Y = np.asarray(Y)
    if Y.ndim != 2 or sum(proportions) <= 0:
        raise ValueError("bad arguments")
    return np.zeros(len(Y), dtype=np.int64)
'''),
    ("l3_tokenize", "def tokenize(text, token_pattern, lowercase=True):\n    return []\n"),
    ("l3_document_frequency", "def document_frequency(X):\n    return np.zeros(X.shape[1], dtype=np.int64)\n"),
    ("l5_alpha_weights", "def alpha_weights(t, alpha=None):\n    return np.ones(np.shape(t))\n"),
    ("l6_dropout", '''
class Dropout:
    def __init__(self, ratio=0.5, seed=None):
        self.params, self.grads = [], []
        self.train_flg = True

    def forward(self, x, train_flg=None):
        return x

    def backward(self, dout):
        return dout
'''),
    ("l6_minibatches", "def minibatch_indices(n, batch_size, seed):\n    return []\n"),
    ("l6_tune_thresholds", '''
def tune_thresholds(Y_val, P_val, grid=None, default=0.5):
    return np.full(np.shape(Y_val)[1], default)
'''),
]


# a yes/no function that gives one answer to everything
ONE_ANSWER = [("l2_is_placeholder", "def is_placeholder(text):\n    return True\n"),
              ("l2_looks_truncated", "def looks_truncated(text):\n    return True\n"),
              ("l6_early_stopping", "def early_stopping(scores, patience):\n"
                                    "    return (int(np.argmax(scores)) if scores else None), False\n"),
              ("l7_spearman", "def spearman(a, b):\n    return 1.0\n")]


@pytest.mark.parametrize("ex_id, source", ONE_ANSWER, ids=[e for e, _ in ONE_ANSWER])
def test_one_answer_to_everything_earns_almost_nothing(ex_id, source):
    """(early_stopping keeps the point of its type sub-check, which expects no answer)"""
    r = core.run_exercise(ex_id, _local(ex_id, source), hidden=True)
    assert r.points <= 0.1 * r.max_points and any(s.ok for s in r.subchecks), core.format_result(r)
    assert "checks expecting another answer" in core.format_result(r)


def test_an_answer_counts_as_much_as_the_other_answers_are_right():
    S = core.SubCheck
    yes = [S("y1", True, answer=True), S("y2", True, answer=True)]
    assert core.score(4.0, yes + [S("n1", False, answer=False), S("n2", False, answer=False)]) == 0.0
    assert core.score(4.0, yes + [S("n1", True, answer=False), S("n2", False, answer=False)]) == 4.0 * (2 * 0.5 + 1) / 4
    assert core.score(4.0, yes + [S("n1", True, answer=False), S("n2", True, answer=False)]) == 4.0
    assert core.score(2.0, yes) == 2.0            # one answer expected throughout: counted as usual
    c = core.Checker()
    with c.answer(False):
        c.true(True, "no")
    c.true(True, "other")
    assert [r.answer for r in c.results] == [False, None]


# one requirement of the exercise missed: the hidden checks test it too (an audit found each of
# these earning 86-97% of the points before)
FOCAL_IGNORES_DOUT = """
def focal_backward(x, t, gamma=2.0, alpha=None, dout=1.0):
    x = np.asarray(x, dtype=float)
    t = np.asarray(t, dtype=float)
    s = 2 * t - 1
    z = s * x
    p = np.exp(-np.logaddexp(0, -z))
    q = np.exp(-np.logaddexp(0, z))
    log_p = -np.logaddexp(0, -z)
    a = 1.0 if alpha is None else alpha * t + (1 - alpha) * (1 - t)
    return s * a * q ** gamma * (gamma * p * log_p - q) / x.shape[0]     # dout ignored
"""
ANY_FINAL_BRACKET = r"""
import re
def split_source_tail(text):
    text = " ".join(text.split())
    m = re.search(r"\s*([\[(][^\[\]()]*[\])])$", text)
    return (text[:m.start()].strip(), m.group(1)) if m else (text, "")
"""
ONE_REQUIREMENT_MISSED = [
    ("l5_focal_backward", FOCAL_IGNORES_DOUT),
    ("l6_minibatches", "def minibatch_indices(n, batch_size, seed):\n"
                       "    return [np.arange(i, min(i + batch_size, n)) for i in range(0, n, batch_size)]\n"),
    ("l1_split_source_tail", ANY_FINAL_BRACKET),
]


@pytest.mark.parametrize("ex_id, source", ONE_REQUIREMENT_MISSED, ids=[e for e, _ in ONE_REQUIREMENT_MISSED])
def test_missing_one_requirement_costs_more_than_a_fifth(ex_id, source):
    r = core.run_exercise(ex_id, _local(ex_id, source), hidden=True)
    assert 0 < r.points <= 0.8 * r.max_points, core.format_result(r)


@pytest.mark.parametrize("ex_id, source", DO_NOTHING, ids=[e for e, _ in DO_NOTHING])
def test_code_that_computes_nothing_earns_almost_nothing(ex_id, source):
    r = core.run_exercise(ex_id, _local(ex_id, source), hidden=True)
    assert r.points <= 0.2 * r.max_points, core.format_result(r)
    assert any(s.ok for s in r.subchecks), "the case should pass some property checks"


def test_properties_count_in_proportion_to_the_values():
    S = core.SubCheck
    values = [S("v1", True), S("v2", False)]
    props = [S("p1", True, prop=True), S("p2", True, prop=True)]
    assert core.score(4.0, values + props) == 4.0 * (1 + 0.5 * 2) / 4
    assert core.score(4.0, [S("v", False)] + props) == 0.0
    assert core.score(4.0, [S("v", True)] + props) == 4.0
    assert core.score(3.0, props) == 3.0          # only properties: counted as usual
    c = core.Checker()
    with c.properties(when=False):
        c.true(True, "value")
    with c.properties():
        c.true(True, "property")
    assert [r.prop for r in c.results] == [False, True]


def test_a_check_of_the_type_does_not_blame_the_type_for_wrong_values():
    """count_matrix with presence (1) instead of counts, as a CSR float64 matrix: the two
    sub-checks about the type say the values come first, not "build it with sp.csr_matrix"."""
    presence = '''
import scipy.sparse as sp

def count_matrix(token_lists, vocabulary):
    rows, cols = [], []
    for i, tokens in enumerate(token_lists):
        for t in set(tokens):
            if t in vocabulary:
                rows.append(i)
                cols.append(vocabulary[t])
    return sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(token_lists), len(vocabulary)))
'''
    r = core.run_exercise("l3_count_matrix", _local("l3_count_matrix", presence))
    failed = {s.name: s.message for s in r.subchecks if not s.ok}
    assert "count every occurrence" in failed["counts; unknown word skipped; empty document is a zero row"]
    for name in ("returns a CSR matrix", "float64 counts"):
        assert failed[name].startswith("the values are wrong") and "Hint" not in failed[name], failed[name]


def test_the_right_value_of_the_wrong_type_is_called_that():
    as_str = '''
import re

def parse_mal_id(html):
    m = re.search(r"/anime/(\\d+)", html)
    if m is None:
        raise ValueError("no address")
    return m.group(1)
'''
    r = core.run_exercise("l1_mal_id", _local("l1_mal_id", as_str))
    failed = {s.name: s.message for s in r.subchecks if not s.ok}
    first = failed["id from <link rel=canonical>"]
    assert "the right value, of the wrong type" in first and "re.search" not in first, first
    assert "got a str" in failed["the id is an int"]
