"""The check machinery shared by notebooks, pytest and the grader.

An exercise is declared once, with its visible check::

    @exercise("l4_sigmoid", points=2, reference="anime_genre.functions:sigmoid")
    def check_sigmoid(c, sigmoid):
        c.close(sigmoid(np.array([0.0])), [0.5], "sigmoid([0])")

A check receives a :class:`Checker` and the student's object. Each call of ``c.close``,
``c.equal``, ``c.true`` or ``c.grad_check`` is one sub-check; the score is
``points * passed / total``, properties aside (:meth:`Checker.properties`, :func:`score`).
Checks must not import ``anime_genre`` (students get them without it); hidden checks in
``autograder.hidden`` may.

This module captures the numpy functions it relies on at import time, before any student
code runs, so that a notebook which replaces ``np.allclose`` does not change what a check
computes in the student's own kernel. (Grades never depend on this: the grader evaluates
outside the student's process, see ``autograder.judge``.)
"""
from __future__ import annotations

import builtins as _builtins
import contextlib
import dataclasses
import importlib
import os
import random
import secrets
import sysconfig
import traceback
from typing import Any, Callable

import numpy as _np

# Trusted references, captured before student code can replace them.
_asarray = _np.asarray
_abs = _np.abs
_maximum = _np.maximum
_isfinite = _np.isfinite
_array_equal = _np.array_equal
_float64 = _np.float64
_ndarray = _np.ndarray
_nditer_index = _np.unravel_index
_argmax = _np.argmax
_zeros_like = _np.zeros_like
_copy = _np.copy
_array = _np.array
_default_rng = _np.random.default_rng

STATUSES = ("passed", "failed", "error", "timeout", "not-implemented")


# ----------------------------------------------------------------------------- registry

@dataclasses.dataclass
class Exercise:
    id: str
    points: float
    check: Callable
    reference: str | None = None  # "module:qualname" of the reference object
    hidden: list = dataclasses.field(default_factory=list)
    name: str | None = None       # the notebook global to grade (default: end of reference)

    @property
    def lesson(self) -> int:
        return int(self.id.split("_", 1)[0].lstrip("l"))


REGISTRY: dict[str, Exercise] = {}


def exercise(id: str, points: float, reference: str | None = None, name: str | None = None):
    """Declare an exercise and its visible check.

    ``name`` is the notebook global the exercise defines; by default the last part of
    ``reference`` (``"anime_genre.functions:sigmoid"`` -> ``sigmoid``)."""
    if name is None and reference is None:
        raise ValueError(f"exercise {id!r} needs reference= or name=")
    def decorate(func):
        old = REGISTRY.get(id)
        if old is not None and old.check is not func and (
                old.check.__module__, old.check.__qualname__) != (func.__module__, func.__qualname__):
            raise ValueError(f"exercise {id!r} declared twice")
        REGISTRY[id] = Exercise(id=id, points=points, check=func, reference=reference, name=name,
                                hidden=old.hidden if old is not None else [])
        return func
    return decorate


def hidden(id: str):
    """Declare a hidden check for an exercise already declared with :func:`exercise`."""
    def decorate(func):
        load_checks(lesson=_lesson_of_id(id))
        hooks = REGISTRY[id].hidden
        if all((h.__module__, h.__qualname__) != (func.__module__, func.__qualname__) for h in hooks):
            hooks.append(func)
        return func
    return decorate


def _lesson_of_id(id: str) -> int | None:
    head = id.split("_", 1)[0]
    return int(head[1:]) if head[:1] == "l" and head[1:].isdigit() else None


def load_checks(hidden: bool = False, lesson: int | None = None) -> dict[str, Exercise]:
    """Import the check modules so that the registry is complete: every lesson's, or only
    ``checks/lesson<N>.py`` (and ``hidden/lesson<N>.py``) when ``lesson`` is given — the
    hidden checks import the reference package, which is slow to import in full."""
    import pkgutil

    from . import checks
    packages = [checks]
    if hidden:
        try:
            from . import hidden as hidden_pkg
            packages.append(hidden_pkg)
        except ImportError:   # a student's copy has no hidden checks
            pass
    for pkg in packages:
        names = [info.name for info in pkgutil.iter_modules(pkg.__path__)]
        if lesson is not None and f"lesson{lesson}" in names:
            names = [f"lesson{lesson}"]
        for name in names:
            importlib.import_module(f"{pkg.__name__}.{name}")
    return REGISTRY


def get_exercise(id: str, hidden: bool = False) -> Exercise:
    load_checks(hidden=hidden, lesson=_lesson_of_id(id))
    try:
        return REGISTRY[id]
    except KeyError:
        raise KeyError(f"unknown exercise id {id!r}; known: {', '.join(sorted(REGISTRY))}") from None


def resolve_reference(ex: Exercise):
    """The reference object of an exercise (imports ``anime_genre``: instructor side only)."""
    module, _, qualname = ex.reference.partition(":")
    obj = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


# ----------------------------------------------------------------------------- checker

class CheckAborted(Exception):
    """Raised inside a check to stop it after a sub-check that makes the rest meaningless."""


class Aborted(BaseException):
    """Grading of an exercise cannot go on (the student's process timed out, crashed, broke a
    limit). A BaseException so that no ``except Exception`` in a check swallows it."""

    def __init__(self, status: str, message: str):
        super().__init__(message)
        self.status = status


@dataclasses.dataclass
class SubCheck:
    name: str
    ok: bool
    message: str = ""
    hidden: bool = False   # from a hidden check: feedback shows the name, not the values
    prop: bool = False     # a property (see Checker.properties): counts with the value checks
    answer: object = None  # the answer it expects, where one answer could pass many (Checker.answer)


def rel_error(x, y) -> float:
    """Maximum relative error, as in CS231n: max |x - y| / max(1e-8, |x| + |y|)."""
    x = _asarray(x, dtype=_float64)
    y = _asarray(y, dtype=_float64)
    if x.size == 0:
        return 0.0
    return float((_abs(x - y) / _maximum(1e-8, _abs(x) + _abs(y))).max())


def _short(value, limit: int = 160) -> str:
    text = repr(value)
    if isinstance(value, _ndarray):
        with _np.printoptions(precision=6, threshold=12, edgeitems=3, linewidth=120):
            text = f"array(shape={value.shape}, dtype={value.dtype}) {value!s}"
        text = " ".join(text.split())   # one line; a string's repr keeps its exact spaces
    return text if len(text) <= limit else text[: limit - 3] + "..."


class Call:
    """A call of the student's code deferred into the sub-check that uses its result (see
    :func:`call`)."""

    __slots__ = ("func", "args", "kwargs")

    def __init__(self, func: Callable, args: tuple, kwargs: dict):
        self.func, self.args, self.kwargs = func, args, kwargs

    def __call__(self):
        return self.func(*self.args, **self.kwargs)


def call(func: Callable, *args, **kwargs) -> Call:
    """``func(*args, **kwargs)``, made by the sub-check it is given to (as ``got`` of
    :meth:`Checker.equal` / :meth:`Checker.close`, ``ok`` of :meth:`Checker.true`, ``analytic``
    of :meth:`Checker.grad_check`): an exception it raises fails that sub-check alone, with a
    message naming the sub-check's input, and the check goes on. ``func`` may be a lambda that
    combines several calls of the student's code into the value the sub-check compares."""
    return Call(func, args, kwargs)


class _Failed:
    """The outcome of a :class:`Call` that raised (its sub-check is already recorded)."""


def _in_hidden_check() -> bool:
    """Whether the sub-check being recorded comes from a hidden check (module
    ``autograder.hidden.*``): its messages must not quote an exception text, which could
    contain a hidden input."""
    import sys
    frame = sys._getframe(2)
    while frame is not None:
        mod = frame.f_globals.get("__name__", "")
        if mod.startswith("autograder.hidden"):
            return True
        if mod.startswith("autograder.checks"):
            return False
        frame = frame.f_back
    return False


PRECISION_HINT = ("your values agree with the expected ones to about {digits} digits: a precision "
                  "problem, not a wrong formula (float32 arithmetic, an epsilon added somewhere, a "
                  "rounded constant, a clipped input?)")


# what a sub-check about the result's type (``close(..., about_type=True)``) says of wrong values
_VALUES_FIRST = ("the values are wrong, as in a sub-check above; this one is about the type of the result: "
                 "fix the values first.")


class Checker:
    """Collects sub-checks for one exercise. Tolerances are stated at each call.

    The student's code is best called through :func:`call`, so that an exception fails one
    sub-check (named by its input) and the remaining sub-checks still run."""

    def __init__(self, stop_on_first_failure: bool = False):
        self.results: list[SubCheck] = []
        self.stop_on_first_failure = stop_on_first_failure
        self.first_error: str | None = None   # what to tell about the first exception met
        self._in_properties = 0
        self._answer = None

    @contextlib.contextmanager
    def properties(self, when: bool = True):
        """Sub-checks made inside are *properties* (unless ``when`` is false): the input is
        left unchanged, an empty input gives an empty answer, a negative case gives False or
        nothing, the same seed gives the same result, a bad argument raises. Code that
        computes nothing passes them, so they earn points only in proportion to the *value*
        sub-checks passed (:func:`score`)."""
        self._in_properties += bool(when)
        try:
            yield self
        finally:
            self._in_properties -= bool(when)

    @contextlib.contextmanager
    def answer(self, expected):
        """Sub-checks made inside expect the answer ``expected``: True or False of a yes/no
        function, 1.0 of a correlation, or a label for "any other value". Giving one answer to
        everything passes every sub-check that expects it, so a passed sub-check counts only as
        much as the share passed of those that expect any other answer (:func:`score`): an
        always-True function earns nothing."""
        before, self._answer = self._answer, expected
        try:
            yield self
        finally:
            self._answer = before

    # -- recording
    def _resolve(self, value, name: str, fatal: bool = False):
        """The value of ``value`` (a :class:`Call` is made here); ``_Failed`` if the call raised,
        after recording the failure of sub-check ``name``."""
        if not isinstance(value, Call):
            return value
        try:
            return value()
        except CheckAborted:
            raise
        except Exception as exc:   # noqa: BLE001 - the student's code, or an odd result of it
            origin = _student_error(exc)
            if _is_stub(exc, origin):
                raise                   # run_exercise reports "not implemented yet"
            is_hidden = _in_hidden_check()
            if self.first_error is None:
                self.first_error = _error_message(exc, origin, is_hidden)
            self._record(name, False, _subcheck_error_message(exc, origin, is_hidden), fatal)
            return _Failed

    def _record(self, name: str, ok: bool, message: str = "", fatal: bool = False) -> bool:
        self.results.append(SubCheck(name, bool(ok), message, prop=self._in_properties > 0, answer=self._answer))
        if not ok and (fatal or self.stop_on_first_failure):
            raise CheckAborted(name)
        return bool(ok)

    def true(self, ok, name: str, message: str = "", hint: str = "", fatal: bool = False) -> bool:
        """A yes/no sub-check: ``ok`` must be true (a :class:`Call` returning a truth value, or
        ``(truth, message)``: then that message is shown on failure)."""
        ok = self._resolve(ok, name, fatal)
        if ok is _Failed:
            return False
        if isinstance(ok, tuple) and len(ok) == 2 and isinstance(ok[1], str):
            ok, message = ok
        msg = message + (f"  Hint: {hint}" if hint else "")
        return self._record(name, bool(ok), msg if not ok else "", fatal)

    def equal(self, got, expected, name: str, hint: str = "", fatal: bool = False,
              types: bool = False) -> bool:
        """Exact equality of plain values (str, int, lists, dicts, tuples); with ``types``, the
        Python types must match too (``int``, not ``numpy.int64``; a tuple, not a list)."""
        got = self._resolve(got, name, fatal)
        if got is _Failed:
            return False
        ok = _plain(got) == _plain(expected)
        msg = ""
        if ok and types and _type_tree(got) != _type_tree(expected):
            ok = False
            msg = (f"the values are right but the types are not: expected {_type_tree(expected)}, "
                   f"got {_type_tree(got)}." + (f"  Hint: {hint}" if hint else ""))
        elif not ok and type(expected) in (int, float, str) and type(got) in (int, float, str) \
                and str(got) == str(expected):
            # '4242' for 4242: the formula's hint would send the student after the wrong mistake
            msg = (f"expected {_short(expected)} ({type(expected).__name__}), got {_short(got)} "
                   f"({type(got).__name__}): the right value, of the wrong type.")
        elif not ok:
            msg = f"expected {_short(expected)}, got {_short(got)}."
            first = _first_difference(_plain(got), _plain(expected))
            if first:
                msg += f" First difference: {first}."
            if hint:
                msg += f"  Hint: {hint}"
        return self._record(name, ok, msg, fatal)

    def close(self, got, expected, name: str, rtol: float = 1e-7, atol: float = 1e-9,
              hint: str = "", fatal: bool = False, shape: bool = True, dtype: str | None = None,
              kind: type | Callable | None = None, about_type: bool = False) -> bool:
        """Numerical closeness: |got - expected| <= atol + rtol * |expected| everywhere,
        same shape, all finite where the expected value is finite. ``dtype`` (a numpy dtype
        name, e.g. "float64", or a kind: "integer", "floating") and ``kind`` (a Python type such
        as ``float``) are checked too, once the values are right.

        The message says what kind of error it is (shape, nan/inf, a precision-sized or a real
        difference); ``hint`` (a hint about the formula) is shown only for a real difference,
        a wrong shape or nan/inf, never for a precision-sized error. ``about_type``: the
        sub-check is there for ``dtype``/``kind``, on values an earlier sub-check compared; wrong
        values fail it too, but its hint (about the type) is then not the one to follow."""
        got = self._resolve(got, name, fatal)
        if got is _Failed:
            return False
        hint_text = f"  Hint: {hint}" if hint else ""
        e = _asarray(_dense(expected), dtype=_float64)
        got_shape = got.shape if isinstance(got, _ndarray) or type(got).__module__.startswith("scipy.sparse") \
            else None
        if shape and isinstance(got_shape, tuple) and tuple(got_shape) != e.shape:
            # before anything is made dense: a sparse answer's shape can be huge
            return self._record(name, False, _VALUES_FIRST if about_type else
                                f"expected dimensions {e.shape}, got {tuple(got_shape)}." + hint_text, fatal)
        try:
            g = _asarray(_dense(got), dtype=_float64)
        except Exception:
            return self._record(name, False, _VALUES_FIRST if about_type else
                                f"expected a numeric array, got {_short(got)}." + hint_text, fatal)
        if shape and g.shape != e.shape:
            return self._record(name, False, _VALUES_FIRST if about_type else
                                f"expected dimensions {e.shape}, got {g.shape}." + hint_text, fatal)
        if not shape:
            try:
                g = g.reshape(e.shape)
            except ValueError:
                return self._record(name, False, f"expected {e.size} values, got {g.size}." + hint_text, fatal)
        finite_e = _isfinite(e)
        finite_g = _isfinite(g)
        bad_finite = finite_e & ~finite_g
        with _np.errstate(all="ignore"):
            diff = _abs(g - e)
            too_far = (diff > atol + rtol * _abs(e)) & finite_e & finite_g
        mismatch_inf = ~finite_e & ~(g == e)
        bad = bad_finite | too_far | mismatch_inf
        if not bad.any():
            if dtype is not None and not _dtype_matches(got, dtype):
                return self._record(name, False, f"the values are right but the dtype is not: expected {dtype}, "
                                    f"got {getattr(got, 'dtype', type(got).__name__)}." + hint_text, fatal)
            if kind is not None and not (isinstance(got, kind) if isinstance(kind, type) else kind(got)):
                if isinstance(kind, type):
                    msg = f"the values are right but the result should be a {kind.__name__}, got {type(got).__name__}."
                else:       # a test of the type's content: the type itself may be right
                    what = (kind.__doc__ or kind.__name__).strip()
                    msg = (f"the values are right but the result should be a {what}: yours, "
                           f"a {type(got).__name__}, is not.")
                return self._record(name, False, msg + hint_text, fatal)
            return self._record(name, True)
        if about_type:
            return self._record(name, False, _VALUES_FIRST, fatal)
        first = bad_finite if bad_finite.any() else bad
        idx = _nditer_index(int(_argmax(first.reshape(-1))), e.shape) if e.shape else ()
        where = f" at index {tuple(int(i) for i in idx)}" if e.shape else ""
        if bad_finite.any():
            n = int(bad_finite.sum())
            msg = (f"your result has nan or inf where a finite value was expected ({n} of {e.size} "
                   f"values; first{where}: expected {float(e[idx])!r}, got {float(g[idx])!r})." + hint_text)
        elif mismatch_inf.any() and not too_far.any():
            msg = (f"expected {float(e[idx])!r}{where}, got {float(g[idx])!r}." + hint_text)
        else:
            sel = too_far
            err = rel_error(g[sel], e[sel])
            msg = (f"first wrong value{where}: expected {float(e[idx])!r}, got {float(g[idx])!r} "
                   f"(max relative error {err:.2e}, tolerance rtol={rtol:g}, atol={atol:g}).")
            if err < 1e-4:
                import math
                digits = max(1, int(-math.log10(max(err, 1e-17))))
                msg += "  Hint: " + PRECISION_HINT.format(digits=digits)
            else:
                msg += hint_text
        return self._record(name, False, msg, fatal)

    def grad_check(self, f: Callable, x, analytic, name: str, tol: float = 1e-7,
                   h: float = 1e-6, hint: str = "", nonzero: bool = False) -> bool:
        """Compare an analytic gradient with central differences of the scalar ``f`` at
        ``x`` (float64). Relative error (CS231n) must be below ``tol``. ``nonzero``: the true
        gradient at ``x`` is known not to vanish, so a function that does not change with
        ``x`` at all (a constant "loss" with a zero "gradient") fails instead of agreeing
        with itself."""
        x = _asarray(x, dtype=_float64)
        analytic = self._resolve(analytic, name)
        if analytic is _Failed:
            return False
        try:
            value = f(x.copy())
            narrow = getattr(value, "dtype", None)
            if narrow is not None and getattr(narrow, "kind", "") == "f" and narrow.itemsize < 8:
                # central differences with h = 1e-6 are below float32's resolution: the
                # numerical gradient would be noise, and any hint about the formula wrong
                return self._record(name, False, f"your forward returns {narrow} "
                                    f"({_short(value)}): the numerical gradient needs float64 "
                                    "losses. Compute in float64 and return float(L).")
            num = numerical_gradient(f, x, h=h)
        except CheckAborted:
            raise
        except Exception as exc:   # noqa: BLE001 - the student's forward raised
            origin = _student_error(exc)
            if _is_stub(exc, origin):
                raise
            is_hidden = _in_hidden_check()
            if self.first_error is None:
                self.first_error = _error_message(exc, origin, is_hidden)
            return self._record(name, False, "computing the numerical gradient: "
                                + _subcheck_error_message(exc, origin, is_hidden))
        try:
            a = _asarray(_dense(analytic), dtype=_float64)
        except Exception:
            return self._record(name, False, f"gradient is not numeric: {_short(analytic)}")
        if a.shape != num.shape:
            return self._record(name, False, f"gradient shape {a.shape}, expected {num.shape}."
                                + (f"  Hint: {hint}" if hint else ""))
        if not _isfinite(a).all():
            return self._record(name, False, "gradient has nan or inf." + (f"  Hint: {hint}" if hint else ""))
        if nonzero and not (_abs(num) > 1e-12).any():
            return self._record(name, False, "your forward does not change when its input changes "
                                "(numerical gradient 0 everywhere), but this loss depends on its input."
                                + (f"  Hint: {hint}" if hint else ""))
        err = rel_error(a, num)
        if err < tol:
            return self._record(name, True)
        bad = _abs(a - num) / _maximum(1e-8, _abs(a) + _abs(num))
        idx = _nditer_index(int(_argmax(bad.reshape(-1))), num.shape) if num.shape else ()
        msg = (f"relative error {err:.2e} > {tol:g} against numerical gradient; worst at index "
               f"{tuple(int(i) for i in idx)}: numerical {num[idx]:.8g}, yours {a[idx]:.8g}.")
        factor = _constant_factor(a, num, tol)
        if factor is not None and abs(factor + 1) < 1e-3:
            return self._record(name, False, msg + " Yours is the numerical gradient with its sign "
                                "flipped everywhere: check the order of a subtraction.")
        if factor is not None:
            msg += f" Yours is {factor:.4g} times the numerical gradient everywhere: a constant factor."
        return self._record(name, False, msg + (f"  Hint: {hint}" if hint else ""))

    # -- outcome
    @property
    def passed(self) -> int:
        return sum(r.ok for r in self.results)

    @property
    def total(self) -> int:
        return len(self.results)


def _constant_factor(a, num, tol: float) -> float | None:
    """k when the gradient ``a`` is k times ``num`` everywhere (to ``tol``), else None."""
    with _np.errstate(all="ignore"):
        norm = float((num * num).sum())
        if not norm > 0:
            return None
        k = float((a * num).sum()) / norm
        if k == 0 or not rel_error(a, k * num) < tol:
            return None
    return k


def call_inspect(func: Callable, *args, **kwargs):
    """Call ``func`` on copies of the arguments and return ``(result, args_after, kwargs_after)``:
    the state of each argument after the call, for checks of "does not modify its input" or
    "updates its argument in place". The caller's own arrays are never touched. A student
    object in the judge (a ``RemoteObject``) answers through its ``__call_inspect__``."""
    import copy
    hook = getattr(type(func), "__call_inspect__", None)
    if hook is not None:
        return hook(func, args, kwargs)
    a = [copy.deepcopy(x) for x in args]
    k = {key: copy.deepcopy(v) for key, v in kwargs.items()}
    result = func(*a, **k)
    return result, a, k


def readonly(value, dtype=None):
    """A new array of ``value`` that nobody can write into: for a check's fixtures, so that a
    student function run in the same process (a notebook's check cell) that writes into its
    input raises instead of changing what later checks, or later students, compare with."""
    arr = _array(value, dtype=dtype)
    arr.setflags(write=False)
    return arr


# ----------------------------------------------------------------------------- hidden inputs
#
# Hidden checks draw their inputs from a secret chosen per grading process, so a submission
# cannot be fitted to them (not even by a student who saw a hidden check's source: they see
# the distribution, never the values). An instructor reproduces a run with
# AUTOGRADER_HIDDEN_SEED=<non-negative integer>.

HIDDEN_SEED_ENV = "AUTOGRADER_HIDDEN_SEED"


def _seed_from_env() -> int | None:
    text = os.environ.get(HIDDEN_SEED_ENV, "").strip()
    if not text:
        return None
    try:
        seed = int(text, 0)
    except ValueError:
        seed = -1
    if seed < 0:   # fail at import: a typo must not silently grade with another seed
        raise ValueError(f"{HIDDEN_SEED_ENV} must be a non-negative integer, got {text!r}")
    return seed


_hidden_secret: int | None = _seed_from_env()


def _secret() -> int:
    global _hidden_secret
    if _hidden_secret is None:   # drawn once per process, on first use
        _hidden_secret = secrets.randbits(128)
    return _hidden_secret


def set_hidden_seed(seed: int | None) -> None:
    """For tests: make the hidden inputs those of ``seed`` (a non-negative int) from now on;
    ``None`` goes back to the environment variable, or a fresh secret."""
    global _hidden_secret
    if seed is not None and (type(seed) is not int or seed < 0):
        raise ValueError(f"a hidden seed is a non-negative int, got {seed!r}")
    _hidden_secret = seed if seed is not None else _seed_from_env()


def hidden_rng(salt: int) -> _np.random.Generator:
    """The numpy generator of one hidden check: the process's secret combined with ``salt``
    (a constant per call site, so two checks never share a stream)."""
    return _default_rng([_secret(), salt])


def hidden_random(salt: int) -> random.Random:
    """The standard-library equivalent of :func:`hidden_rng` (for checks without numpy)."""
    return random.Random(f"autograder-hidden:{_secret()}:{salt}")


def numerical_gradient(f: Callable, x, h: float = 1e-6):
    """Central differences of a scalar function ``f(x)`` (``x`` float64, any shape).
    ``f`` receives a fresh array each time, so it may hand it to code that keeps it."""
    x = _asarray(x, dtype=_float64)
    grad = _zeros_like(x)
    flat = x.reshape(-1)
    for i in range(flat.size):
        xp = _copy(flat)
        xm = _copy(flat)
        xp[i] += h
        xm[i] -= h
        grad.reshape(-1)[i] = (float(f(xp.reshape(x.shape))) - float(f(xm.reshape(x.shape)))) / (2 * h)
    return grad


def _dtype_matches(value, dtype: str) -> bool:
    got = getattr(value, "dtype", None)
    if got is None:
        return False
    if dtype in ("integer", "floating"):
        return _np.issubdtype(got, getattr(_np, dtype))
    return str(got) == dtype


def _type_tree(value):
    if isinstance(value, (list, tuple)):
        return type(value).__name__ + "(" + ", ".join(_type_tree(v) for v in value) + ")"
    return type(value).__name__


def _dense(value):
    if hasattr(value, "toarray") and callable(value.toarray):
        return value.toarray()
    return value


def _plain(value):
    """Normalise containers and numpy scalars for exact comparison."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, _ndarray):
        return _plain(value.tolist())
    if isinstance(value, _np.generic):
        return value.item()
    return value


def _first_difference(got, expected, path: str = "") -> str:
    if isinstance(got, list) and isinstance(expected, list):
        for i, (g, e) in enumerate(zip(got, expected)):
            if g != e:
                return _first_difference(g, e, f"{path}[{i}]")
        if len(got) != len(expected):
            return f"{path or 'length'}: expected {len(expected)} items, got {len(got)}"
        return ""
    if isinstance(got, str) and isinstance(expected, str):
        for i, (a, b) in enumerate(zip(got, expected)):
            if a != b:
                return f"{path} character {i}: expected {expected[max(0, i-15):i+15]!r}, got {got[max(0, i-15):i+15]!r}"
        return f"{path} length: expected {len(expected)} characters, got {len(got)}"
    return f"{path}: expected {_short(expected, 80)}, got {_short(got, 80)}" if path else ""


# ----------------------------------------------------------------------------- running

@dataclasses.dataclass
class Result:
    id: str
    points: float
    max_points: float
    status: str
    message: str
    subchecks: list = dataclasses.field(default_factory=list)
    retried: bool = False      # graded twice after a wall-clock timeout (see judge)
    final: bool = False        # not-implemented, or ended by a limit: no hidden check follows
    cpu: float = 0.0           # CPU seconds the student's code used in the checks (judge)

    def as_dict(self) -> dict:
        return {"id": self.id, "points": self.points, "max_points": self.max_points,
                "status": self.status, "message": self.message, "retried": self.retried}


def _trusted_dirs() -> tuple[str, ...]:
    """Folders whose code is never the student's: the grader, the reference package (when
    loaded), the standard library and the installed packages (numpy, scipy...)."""
    import sys
    dirs = [os.path.dirname(__file__)]
    ref = sys.modules.get("anime_genre")
    if getattr(ref, "__file__", None):
        dirs.append(os.path.dirname(ref.__file__))
    paths = sysconfig.get_paths()
    dirs += [paths[k] for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in paths]
    dirs += [p for p in sys.path if p.endswith(("site-packages", "dist-packages"))]
    return tuple(os.path.join(os.path.realpath(d), "") for d in dirs)


def _student_error(exc: BaseException) -> tuple[str, str] | None:
    """``(kind, where)`` when ``exc`` came from the student's code, else None (it came from a
    check or the reference, e.g. because of an odd result). The judge marks the student's
    exceptions (``remote_type``, ``remote_where``: the student's own cell and line). In a
    notebook the student's code runs here: its frames are those outside the trusted folders,
    and ``where`` is the innermost of them."""
    kind = getattr(exc, "remote_type", None)
    if kind is not None:
        return str(kind), str(getattr(exc, "remote_where", "") or "")
    trusted = _trusted_dirs()
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        name = frame.filename
        if name.startswith("<frozen ") or os.path.realpath(name).startswith(trusted):
            continue
        return type(exc).__name__, (f"line {frame.lineno}: {frame.line}" if frame.line else f"line {frame.lineno}")
    return None


_BUILTIN_ERRORS = frozenset(n for n, v in vars(_builtins).items() if isinstance(v, type) and issubclass(v, BaseException))


def _hidden_origin(kind: str, where: str) -> tuple[str, str]:
    """What may be said of an exception raised in a hidden check. Its type's name and where it
    was raised are the student's to choose (a class named at run time; a file name given to
    compile, a line registered in linecache, the cell and line numbers themselves): they could
    carry a hidden input out. So only a built-in exception's name, and not where."""
    return (kind if kind in _BUILTIN_ERRORS else "an exception of a class of its own"), ""


def _error_message(exc: Exception, origin: tuple[str, str] | None, is_hidden: bool) -> str:
    """What a student is told about an exception during a check. Only the student's own
    code is quoted: trusted code (a hidden check, the reference) may hold hidden inputs in
    its messages and its source, so it is named by the exception type alone."""
    if origin is None:
        return f"the check could not use your result ({type(exc).__name__})"
    kind, where = origin
    if is_hidden:   # the exception text could contain a hidden input: show only where
        kind, where = _hidden_origin(kind, where)
        return f"your code raised {kind} in a hidden check" + (f" ({where})" if where else "")
    return f"your code raised {kind}: {exc}" + (f" ({where})" if where else "")


def _is_stub(exc: BaseException, origin: tuple[str, str] | None) -> bool:
    """Whether ``exc`` is the stub's own ``raise NotImplementedError()`` (the exercise is not
    done yet), not a NotImplementedError that a library raised under the student's code
    (e.g. scipy.sparse given to ``np.dot``): that one is an error on one input."""
    if origin is None or not isinstance(exc, NotImplementedError):
        return False
    # the stub raises NotImplementedError() without a message (the worker may not know the
    # line's text); a library's NotImplementedError says what is not implemented
    return not str(exc).strip() or "NotImplementedError" in origin[1]


def _subcheck_error_message(exc: Exception, origin: tuple[str, str] | None, is_hidden: bool) -> str:
    """The message of a sub-check whose call raised (the sub-check's name says the input)."""
    if origin is None:
        # trusted code (a check, the reference) is named by the exception type alone: its
        # text and source could hold a hidden input
        return f"the check could not use your result on this input ({type(exc).__name__})"
    kind, where = origin
    if is_hidden:
        kind, where = _hidden_origin(kind, where)
        return f"your code raised {kind} on this input" + (f" ({where})" if where else "")
    return f"your code raised {kind} on this input: {str(exc)[:300]}" + (f" ({where})" if where else "")


_EXPECTED: dict = {}


def expected_subchecks(ex: Exercise, func: Callable) -> int | None:
    """How many sub-checks ``func`` makes when it runs to the end on the reference (computed
    once per process), or None where the reference is not installed (a student's copy)."""
    key = (ex.id, func.__module__, func.__qualname__)
    if key not in _EXPECTED:
        try:
            ref = resolve_reference(ex) if ex.reference else None
        except Exception:   # noqa: BLE001 - a student's copy has no reference package
            ref = None
        if ref is None:
            _EXPECTED[key] = None
        else:
            c = Checker()
            try:
                func(c, ref)
            except Exception:   # noqa: BLE001 - count what it made (CheckAborted included)
                pass
            _EXPECTED[key] = c.total
    return _EXPECTED[key]


def run_exercise(id: str, obj: Any, hidden: bool = False, after: Result | None = None) -> Result:
    """Run the visible (and, if ``hidden``, the hidden) checks of one exercise on ``obj``.
    ``after``: the result of this exercise's visible checks, run earlier on another ``obj``
    (the judge runs every visible check of a notebook before any hidden one): only the hidden
    checks run, and the result is of both.

    Never raises for anything the student's code does: errors become a status. A local
    ``obj`` (a notebook's) is called as the judge calls the worker's: on copies of the
    arguments (:mod:`autograder.local`), so both give one piece of code the same score."""
    from .local import stand_in
    ex = get_exercise(id, hidden=hidden or after is not None)
    obj = stand_in(obj)
    funcs = [(ex.check, False)] + ([(h, True) for h in ex.hidden] if hidden else [])
    c = Checker()
    status = None
    message = ""
    if after is not None:
        if after.final:
            return after
        funcs = [(h, True) for h in ex.hidden]
        c.results = list(after.subchecks)
        if after.status == "error":        # the first exception met, in a visible check
            status, message = "error", after.message
    for func, is_hidden in funcs:
        first = len(c.results)
        try:
            func(c, obj)
        except CheckAborted:
            pass
        except Aborted as exc:       # timeout, crash, limit: no points for this exercise
            c.results.append(SubCheck(f"{func.__name__} ran", False, str(exc)))
            for r in c.results[first:]:
                r.hidden = is_hidden
            return Result(id, 0.0, ex.points, exc.status, str(exc), c.results, final=True)
        except Exception as exc:  # noqa: BLE001 - the student's code, or a check that met an odd result
            origin = _student_error(exc)
            if origin is not None and isinstance(exc, NotImplementedError):
                status, message = "not-implemented", "not implemented yet: replace `raise NotImplementedError()` with your code."
                break
            if status is None:
                status = "error"
                message = _error_message(exc, origin, is_hidden)
            c.results.append(SubCheck(f"{func.__name__} ran", False, _error_message(exc, origin, is_hidden)))
            # an exception must not be cheaper than wrong answers: the sub-checks this check
            # would have made (as many as it makes for the reference) all count as failed
            full = expected_subchecks(ex, func)
            for k in range((full or 0) - (len(c.results) - first)):
                c.results.append(SubCheck(f"{func.__name__}: sub-check {k + 1} not reached", False,
                                          "not reached: your code raised an exception before it"))
            for r in c.results[first:]:
                r.hidden = is_hidden
            continue
        for r in c.results[first:]:
            r.hidden = is_hidden
    if status == "not-implemented":
        return Result(id, 0.0, ex.points, status, message, c.results, final=True)
    total = c.total
    passed = c.passed
    points = score(ex.points, c.results)
    if status is None and c.first_error is not None:   # an exception failed some sub-checks
        status, message = "error", c.first_error
    if status is None:
        status = "passed" if total and passed == total else "failed"
    if not message:
        failures = [r for r in c.results if not r.ok]
        message = f"{passed}/{total} checks passed"
        if failures:
            f = failures[0]
            message += ": " + f.name + ("" if f.hidden else " — " + f.message)
    return Result(id, points, ex.points, status, message, c.results)


def score(points: float, results: list) -> float:
    """``points`` times the share of sub-checks passed, where
    - a passed value sub-check expecting an answer (:meth:`Checker.answer`) counts only as much
      as the lowest share passed among the sub-checks expecting each other answer: a function
      that answers True to everything must not earn the True cases;
    - a passed property sub-check counts only as much as the share of value sub-checks passed
      (so credited): a function that returns ``[]`` keeps its input and handles the empty
      case, and must not earn points for that."""
    if not results:
        return 0.0
    values = [r for r in results if not r.prop]
    props = [r for r in results if r.prop]
    answers = {r.answer for r in values if r.answer is not None}
    share_of = {a: sum(r.ok for r in values if r.answer == a) / sum(r.answer == a for r in values)
                for a in answers}

    def credit(r) -> float:
        if not r.ok:
            return 0.0
        others = [share_of[a] for a in answers if a != r.answer] if r.answer is not None else []
        return min(others, default=1.0)
    value_credit = sum(credit(r) for r in values)
    share = value_credit / len(values) if values else 1.0
    total = value_credit + share * sum(r.ok for r in props)
    return round(points * total / len(results), 2)


def format_result(r: Result) -> str:
    """The text a student sees under a check cell."""
    head = {"passed": "PASSED", "failed": "FAILED", "error": "ERROR", "timeout": "TIMEOUT",
            "not-implemented": "NOT IMPLEMENTED YET"}[r.status]
    lines = [f"[{r.id}] {head} — {r.points:g}/{r.max_points:g} points"]
    if r.status == "not-implemented":
        lines.append("  " + r.message)
        return "\n".join(lines)
    for s in r.subchecks:
        mark = "ok  " if s.ok else "FAIL"
        tag = "(hidden) " if s.hidden else ""
        detail = s.message if (not s.hidden or s.name.endswith(" ran")) else ""
        lines.append(f"  {mark} {tag}{s.name}" + (f"\n       {detail}" if not s.ok and detail else ""))
    if r.status == "error" and not any(not s.ok for s in r.subchecks):
        lines.append("  " + r.message)
    values = [s for s in r.subchecks if not s.prop]
    answers = sorted({s.answer for s in values if s.answer is not None}, key=repr)
    if len(answers) > 1 and not all(s.ok for s in values if s.answer is not None):
        tally = ", ".join(f"expecting {a!r}: {sum(s.ok for s in values if s.answer == a)} of "
                          f"{sum(s.answer == a for s in values)}" for a in answers)
        lines.append(f"  (a check passed counts only as much as the share passed of the checks expecting "
                     f"another answer: {tally})")
    if any(s.prop and s.ok for s in r.subchecks) and not all(s.ok for s in values):
        lines.append(f"  (the checks of properties, such as an input left unchanged or an empty input, count "
                     f"in proportion to the value checks passed: {sum(s.ok for s in values)} of {len(values)})")
    return "\n".join(lines)


def skipped(exc: BaseException, todo: str) -> str:
    """What a lesson's demonstration cell prints when it cannot run: ``todo`` while an
    exercise it uses is not written yet, else what went wrong in it (instead of a traceback
    here, and NameErrors in the cells after it)."""
    if isinstance(exc, NotImplementedError):
        return todo
    text = " ".join(str(exc).split())
    return (f"Skipped: an exercise this cell uses raised {type(exc).__name__}"
            + (f": {text[:200]}" if text else "") + ". Its check above says which, and what to fix.")


def check(id: str, obj: Any, hidden: bool = False) -> float:
    """Run an exercise's checks from a notebook cell, print the outcome, return the points.

    Never raises, so a student can run a notebook top to bottom and see every exercise."""
    import warnings

    from .local import reference_use
    try:
        why = reference_use(obj)
    except Exception:   # noqa: BLE001 - an odd object of the student's: the checks will say
        why = None
    if why is not None:
        print(f"[{id}] FAILED — 0 points: {why}. Exercises must be your own implementation, not "
              "the reference package's: the grader gives this exercise 0 points.")
        return 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with _np.errstate(all="ignore"):
            try:
                r = run_exercise(id, obj, hidden=hidden)
            except KeyError as exc:
                print(f"[{id}] cannot be checked: {exc}")
                return 0.0
    print(format_result(r))
    return r.points
