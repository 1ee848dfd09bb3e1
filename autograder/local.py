"""The student's object as a check in the notebook sees it: the same surface, and the same
copying, as the judge's :class:`autograder.judge.RemoteObject`.

In the grade, every call into the student's code receives copies of its arguments (they
travel over a pipe to the sandboxed worker) and nothing comes back into them. A check cell
runs the student's code in the student's own kernel, where the checks' module-level arrays
are read-only (so that code writing into its input cannot change what later checks compare
with). Without this stand-in, the same function (say an Adam step that updates ``m`` in
place) raised on those read-only arrays in the notebook and was graded on writable copies:
two different scores for one piece of code. Here, as there, arguments are copies, values
come back as they are, and anything else (an instance, a bound method) comes back as another
stand-in, so that its calls copy too.

The grader also gives 0 to an exercise whose code uses the reference package (it reads the
notebook's source); :func:`reference_use` lets the check cell say so too.
"""
from __future__ import annotations

import copy
from typing import Any

import numpy as np

# what the judge's worker sends back as a value (a copy) rather than as a handle
_PLAIN = (type(None), bool, int, float, complex, str, bytes, np.ndarray, np.generic)


def _is_sparse(value) -> bool:
    return (type(value).__module__ or "").startswith("scipy.sparse") and hasattr(value, "tocsr")


def _arg(value):
    """An argument as the student's code receives it in the grade: a copy (a stand-in stands
    for its own object, as a handle does)."""
    if isinstance(value, LocalObject):
        return object.__getattribute__(value, "_target")
    if isinstance(value, np.ndarray):
        return np.array(value, copy=True)          # writable, whatever the original was
    if _is_sparse(value):
        return value.copy()
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_arg(v) for v in value]
        return type(value)(items) if type(value) in (list, tuple, set, frozenset) else items
    if isinstance(value, dict):
        return {_arg(k): _arg(v) for k, v in value.items()}
    if isinstance(value, _PLAIN):
        return value
    return copy.deepcopy(value)


def _back(value):
    """A result as a check receives it: values as they are, objects as stand-ins."""
    if isinstance(value, _PLAIN) or _is_sparse(value):
        return value
    if type(value) in (list, tuple):
        return type(value)(_back(v) for v in value)
    if type(value) is dict:
        return {k: _back(v) for k, v in value.items()}
    if type(value) in (set, frozenset):
        return value
    return LocalObject(value)


class LocalObject:
    """Stands for a student's object in the notebook's check: calling it, reading and setting
    its attributes, indexing it, ``len`` and iterating, as on :class:`RemoteObject`."""

    __slots__ = ("_target",)

    def __init__(self, target: Any):
        object.__setattr__(self, "_target", target)

    def __call__(self, *args, **kwargs):
        target = object.__getattribute__(self, "_target")
        return _back(target(*[_arg(a) for a in args], **{k: _arg(v) for k, v in kwargs.items()}))

    def __call_inspect__(self, args, kwargs):
        """``(result, args_after, kwargs_after)``: the copies the call received, after it."""
        target = object.__getattribute__(self, "_target")
        a, k = [_arg(x) for x in args], {key: _arg(v) for key, v in kwargs.items()}
        return _back(target(*a, **k)), a, k

    def __getattr__(self, name: str):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return _back(getattr(object.__getattribute__(self, "_target"), name))

    def __setattr__(self, name, value):
        setattr(object.__getattribute__(self, "_target"), name, _arg(value))

    def __getitem__(self, key):
        return _back(object.__getattribute__(self, "_target")[_arg(key)])

    def __array__(self, *args, **kwargs):
        raise TypeError(f"{self!r} is not an array")     # as RemoteObject: not a sequence

    def __len__(self):
        n = len(object.__getattribute__(self, "_target"))
        if type(n) is not int:
            raise TypeError("len() did not return an int")
        return n

    def __iter__(self):
        return iter([_back(v) for v in object.__getattribute__(self, "_target")])

    def __repr__(self):
        return f"<student object {type(object.__getattribute__(self, '_target')).__name__}>"


def stand_in(obj: Any) -> Any:
    """``obj`` as a check should call it here: a stand-in already (the judge's proxy, or any
    that answers ``call_inspect`` itself) as it is, anything else behind a :class:`LocalObject`."""
    if hasattr(type(obj), "__call_inspect__"):
        return obj
    return LocalObject(obj)


def _is_reference(value) -> bool:
    name = value.__name__ if isinstance(value, type(np)) else getattr(value, "__module__", None)
    return isinstance(name, str) and name.split(".")[0] == "anime_genre"


def reference_use(obj: Any) -> str | None:
    """Why ``obj`` is, or calls, the reference package (what the grader gives 0 for), or None.

    The grader reads the notebook's source (``autograder.analysis``); a check cell only has
    the object, so it looks at what the object is made of: its module and base classes, the
    names its code reads from its module, and its source text."""
    import ast
    import inspect
    import textwrap
    from .analysis import _forbidden

    parts = [obj]
    if isinstance(obj, type):
        parts += [b for b in obj.__mro__[1:] if b is not object]
        parts += [v for v in vars(obj).values() if inspect.isfunction(v)]
    for part in parts:
        if _is_reference(part):
            return f"{getattr(part, '__qualname__', part)!s} comes from {part.__module__}"
        code, names = getattr(part, "__code__", None), set()
        todo = [code] if code is not None else []
        while todo:     # the function's own code and the code of what it defines inside
            co = todo.pop()
            names.update(co.co_names)
            todo += [k for k in co.co_consts if inspect.iscode(k)]
        for name in names:
            if name.split(".")[0] == "anime_genre":      # an import inside the function
                return f"{getattr(part, '__qualname__', part)!s} imports {name}"
            value = getattr(part, "__globals__", {}).get(name)
            if value is not None and _is_reference(value):
                return f"{getattr(part, '__qualname__', part)!s} uses {name} from the reference package"
    try:
        why = _forbidden(ast.parse(textwrap.dedent(inspect.getsource(obj))))
    except (OSError, TypeError, SyntaxError, ValueError, RecursionError, MemoryError):
        why = None
    return f"its code {why}" if why else None
