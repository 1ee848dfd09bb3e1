"""The untrusted side of grading: runs a student's solution cells and answers calls.

Started by :mod:`autograder.judge` as ``python -I -S worker.py``: isolated mode, no ``site``
processing, so the editable install's ``.pth`` hook (which makes ``anime_genre`` importable)
never runs. The judge sends, as the first message, the site-packages folders to add, the
cells to execute and the time limit per cell. The worker then answers requests until its
input closes.

Wire format, both directions: 8-byte big-endian length, then UTF-8 JSON. Values are encoded
by :func:`encode` / :func:`decode` below — plain JSON plus a few tagged objects (tuples,
dicts with any keys, numpy arrays and scalars as ``np.save(allow_pickle=False)`` bytes,
scipy CSR matrices, handles to objects that stay in the worker). Nothing is ever pickled.

This file imports nothing from ``autograder`` (the worker cannot import the package) and
the judge imports its codec from here, so both sides share one definition of the format.
Only the standard library and numpy are imported at module level.
"""
from __future__ import annotations

import base64
import io
import json
import os
import struct
import sys

MAX_MESSAGE = 512 * 1024 * 1024
ALLOWED_KINDS = "biufcU"     # bool, int, uint, float, complex, unicode
BLOCKED_PREFIXES = ("anime_genre", "autograder")


class ProtocolError(Exception):
    """A message that does not follow the wire format."""


# ----------------------------------------------------------------------------- framing

def write_message(fd: int, obj) -> None:
    data = json.dumps(obj, allow_nan=True, separators=(",", ":")).encode("utf-8")
    buf = struct.pack(">Q", len(data)) + data
    view = memoryview(buf)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def read_exact(fd: int, n: int) -> bytes:
    chunks = []
    while n:
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            raise EOFError("channel closed")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def read_message(fd: int):
    (n,) = struct.unpack(">Q", read_exact(fd, 8))
    if n > MAX_MESSAGE:
        raise ProtocolError(f"message of {n} bytes is larger than the limit")
    return json.loads(read_exact(fd, n).decode("utf-8"))


# ----------------------------------------------------------------------------- codec

def _np():
    import numpy
    return numpy


def _encode_array(arr) -> dict:
    np = _np()
    if arr.dtype.kind not in ALLOWED_KINDS:
        raise TypeError(f"cannot transfer an array of dtype {arr.dtype}")
    buf = io.BytesIO()
    np.save(buf, arr if arr.flags.c_contiguous else arr.copy(order="C"), allow_pickle=False)
    return {"$nd": base64.b64encode(buf.getvalue()).decode("ascii")}


def _decode_array(payload: str):
    np = _np()
    raw = base64.b64decode(payload, validate=True)
    # Check the header before np.load: it allocates the declared shape up front, so a forged
    # header could make the trusted side allocate far more memory than the message holds.
    f = io.BytesIO(raw)
    try:
        version = np.lib.format.read_magic(f)
        fmt = np.lib.format
        read = {(1, 0): fmt.read_array_header_1_0, (2, 0): fmt.read_array_header_2_0}.get(version)
        if read is None:
            raise ValueError(f"unsupported .npy version {version}")
        shape, _, dtype = read(f)
    except (ValueError, SyntaxError, TypeError) as exc:
        raise ProtocolError(f"bad array header: {exc}") from None
    if dtype.kind not in ALLOWED_KINDS:
        raise ProtocolError(f"array of dtype {dtype} refused")
    count = 1
    for n in shape:
        count *= int(n)
    if count * dtype.itemsize > len(raw):
        raise ProtocolError("array header announces more data than the message holds")
    arr = np.load(io.BytesIO(raw), allow_pickle=False)
    if arr.dtype.kind not in ALLOWED_KINDS:
        raise ProtocolError(f"array of dtype {arr.dtype} refused")
    return arr


def _is_sparse(value) -> bool:
    mod = type(value).__module__ or ""
    return mod.startswith("scipy.sparse") and hasattr(value, "tocsr")


def encode(value, handles=None, depth: int = 0):
    """Encode a value. ``handles`` (a :class:`Handles`) turns anything else into a handle;
    without it (the judge's side, except for :class:`RemoteObject`) other values raise
    ``TypeError``."""
    if depth > 100:
        raise TypeError("value nested more than 100 levels deep")
    t = type(value)
    if value is None or t is bool or t is int or t is str:
        return value
    if t is float:
        if value != value or value in (float("inf"), float("-inf")):
            return {"$f": repr(value)}
        return value
    ref = getattr(value, "__remote_handle__", None) if handles is None else None
    if ref is not None and type(ref) is int:
        return {"$h": ref}
    if t is list:
        return [encode(v, handles, depth + 1) for v in value]
    if t is tuple:
        return {"$t": [encode(v, handles, depth + 1) for v in value]}
    if t is dict:
        return {"$d": [[encode(k, handles, depth + 1), encode(v, handles, depth + 1)]
                       for k, v in value.items()]}
    if t in (set, frozenset):
        return {"$set": [encode(v, handles, depth + 1) for v in value],
                "frozen": t is frozenset}
    if t is bytes:
        return {"$b": base64.b64encode(value).decode("ascii")}
    if "numpy" in sys.modules:
        np = sys.modules["numpy"]
        if t is np.ndarray:
            if value.dtype.kind == "O" and handles is not None:
                return {"$ond": encode(value.tolist(), handles, depth + 1)}
            return _encode_array(value)
        if isinstance(value, np.generic) and value.dtype.kind in ALLOWED_KINDS:
            return {"$ns": _encode_array(np.asarray(value))["$nd"]}
    if _is_sparse(value):
        m = value.tocsr()
        return {"$csr": {"data": _encode_array(m.data), "indices": _encode_array(m.indices),
                         "indptr": _encode_array(m.indptr), "shape": list(m.shape),
                         "array": "array" in type(value).__name__}}
    if handles is not None:
        # subclasses of plain types (e.g. a float subclass) travel as the plain value
        for base in (bool, int, float, str):
            if isinstance(value, base):
                return encode(base(value), handles, depth + 1)
        return handles.add(value)
    raise TypeError(f"cannot send a value of type {t.__name__} to the student's code")


def decode(obj, handles=None, make_remote=None, depth: int = 0):
    """Decode a value. Handles resolve through ``handles`` (worker side) or become
    ``make_remote(id, info)`` (judge side)."""
    if depth > 100:
        raise ProtocolError("value nested more than 100 levels deep")
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, list):
        return [decode(v, handles, make_remote, depth + 1) for v in obj]
    if not isinstance(obj, dict) or not obj:
        raise ProtocolError(f"unexpected value {type(obj).__name__}")
    if "$f" in obj:
        text = obj["$f"]
        if text not in ("nan", "inf", "-inf"):
            raise ProtocolError("bad float")
        return float(text)
    if "$t" in obj:
        return tuple(decode(v, handles, make_remote, depth + 1) for v in obj["$t"])
    if "$d" in obj:
        out = {}
        for k, v in obj["$d"]:
            out[decode(k, handles, make_remote, depth + 1)] = decode(v, handles, make_remote, depth + 1)
        return out
    if "$set" in obj:
        items = [decode(v, handles, make_remote, depth + 1) for v in obj["$set"]]
        return frozenset(items) if obj.get("frozen") else set(items)
    if "$b" in obj:
        return base64.b64decode(obj["$b"], validate=True)
    if "$nd" in obj:
        return _decode_array(obj["$nd"])
    if "$ns" in obj:
        return _decode_array(obj["$ns"])[()]
    if "$ond" in obj:
        np = _np()
        items = decode(obj["$ond"], handles, make_remote, depth + 1)
        arr = np.empty(len(items), dtype=object)
        arr[:] = items
        return arr
    if "$csr" in obj:
        import scipy.sparse as sp
        c = obj["$csr"]
        parts = [_decode_array(c[k]["$nd"]) for k in ("data", "indices", "indptr")]
        shape = tuple(int(s) for s in c["shape"])
        cls = sp.csr_array if c.get("array") else sp.csr_matrix
        m = cls(tuple(parts), shape=shape)
        m.check_format(full_check=True)   # bad indices would crash the C code later
        return m
    if "$h" in obj:
        if handles is not None:
            return handles.get(obj["$h"])
        if make_remote is None:
            raise ProtocolError("unexpected handle")
        return make_remote(int(obj["$h"]), obj)
    raise ProtocolError(f"unknown tag in {sorted(obj)[:3]}")


class Handles:
    """Objects that stay in the worker; the judge refers to them by number."""

    def __init__(self):
        self.objects: dict[int, object] = {}

    def add(self, obj) -> dict:
        key = len(self.objects) + 1
        self.objects[key] = obj
        kind = type(obj).__name__
        return {"$h": key, "type": kind[:80], "callable": callable(obj)}

    def get(self, key):
        try:
            return self.objects[int(key)]
        except (KeyError, ValueError):
            raise ProtocolError(f"unknown handle {key!r}") from None


# ----------------------------------------------------------------------------- worker

class _Blocker:
    """Meta-path finder that refuses the reference package and the grader itself."""

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED_PREFIXES:
            raise ImportError(f"module {name!r} is not available while grading")
        return None

    def find_module(self, name, path=None):   # older protocol, same answer
        self.find_spec(name)


def _where(exc) -> str:
    import traceback
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.startswith("<cell"):
            line = (frame.line or "").strip()
            return f"{frame.filename[1:-1]}, line {frame.lineno}" + (f": {line}" if line else "")
    return ""


def _error(exc) -> dict:
    msg = str(exc)
    if len(msg) > 2000:
        msg = msg[:2000] + "..."
    return {"type": type(exc).__name__[:100], "message": msg, "where": _where(exc)[:400],
            "not_implemented": isinstance(exc, NotImplementedError)}


class _CellTimeout(BaseException):
    pass


def _describe(obj) -> dict:
    """Where an object's code comes from (the judge refuses the reference package's)."""
    files = set()
    mods = {str(getattr(obj, "__module__", "") or "")}
    targets = [obj]
    if isinstance(obj, type):
        targets += [v for v in vars(obj).values()]
    for t in targets:
        func = getattr(t, "__func__", t)
        code = getattr(func, "__code__", None)
        if code is not None:
            files.add(str(code.co_filename))
        m = getattr(func, "__module__", None)
        if m:
            mods.add(str(m))
    return {"files": sorted(files)[:50], "modules": sorted(mods)[:50]}


def serve(config: dict, proto_in: int, proto_out: int) -> None:
    """Execute the cells in order. A cell marked ``stop`` (the last cell an exercise needs)
    is followed by a fork: the child announces ``ready`` and answers requests for that
    exercise until told ``done``, while the parent waits, then goes on with the next cells.
    So each exercise sees the notebook as it was at its own cell, in a process of its own,
    and the imports are paid once. Without stops, the process itself serves at the end."""
    import signal
    import time

    ns = {"__name__": "__main__", "__builtins__": __builtins__}
    cell_time = float(config.get("cell_timeout", 10))

    def alarm(signum, frame):
        raise _CellTimeout()

    signal.signal(signal.SIGALRM, alarm)
    report = []
    for cell in config["cells"]:
        t0 = time.monotonic()
        entry = {"index": cell["index"], "ok": True}
        try:
            code = compile(cell["source"], f"<cell {cell['index']}>", "exec")
            signal.setitimer(signal.ITIMER_REAL, cell_time)
            try:
                exec(code, ns)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
        except _CellTimeout:
            entry.update(ok=False, error={"type": "Timeout", "message": f"cell ran longer than {cell_time:g} s",
                                          "where": "", "not_implemented": False})
        except BaseException as exc:   # noqa: BLE001 - a student cell may raise anything
            entry.update(ok=False, error=_error(exc))
        entry["seconds"] = round(time.monotonic() - t0, 3)
        report.append(entry)
        if cell.get("stop"):
            sys.stdout.flush()
            pid = os.fork()
            if pid == 0:
                try:
                    write_message(proto_out, {"ready": True, "stop": cell["stop"], "cells": report})
                    _serve_requests(ns, proto_in, proto_out)
                finally:
                    os._exit(0)
            _, status = os.waitpid(pid, 0)
            if status != 0:   # the exercise's process died: say so, then carry on
                code = os.waitstatus_to_exitcode(status)
                write_message(proto_out, {"child_died": code, "stop": cell["stop"]})
    if not any(c.get("stop") for c in config["cells"]):
        write_message(proto_out, {"ready": True, "cells": report})
        _serve_requests(ns, proto_in, proto_out)


def _serve_requests(ns: dict, proto_in: int, proto_out: int) -> None:
    handles = Handles()
    while True:
        try:
            req = read_message(proto_in)
        except EOFError:
            return
        if req.get("op") == "done":
            return
        try:
            reply = _handle(req, ns, handles)
        except BaseException as exc:   # noqa: BLE001
            reply = {"error": _error(exc)}
        try:
            write_message(proto_out, reply)
        except (TypeError, ValueError) as exc:
            write_message(proto_out, {"error": {"type": "TypeError", "message": f"result cannot be sent: {exc}",
                                                "where": "", "not_implemented": False}})


def _handle(req: dict, ns: dict, handles: Handles) -> dict:
    op = req.get("op")
    if op == "global":
        name = req["name"]
        if name not in ns:
            return {"missing": True}
        obj = ns[name]
        return {"value": encode(obj, handles), "describe": _describe(obj)}
    target = handles.get(req["target"]) if "target" in req else None
    if op == "call":
        args = [decode(a, handles) for a in req.get("args", [])]
        kwargs = {k: decode(v, handles) for k, v in req.get("kwargs", {}).items()}
        result = target(*args, **kwargs)
        np = sys.modules.get("numpy")
        after = {}
        if np is not None:   # send back the state of array arguments (in-place changes)
            for i, a in enumerate(args):
                if type(a) is np.ndarray and a.dtype.kind in ALLOWED_KINDS:
                    after[str(i)] = _encode_array(a)
            for k, a in kwargs.items():
                if type(a) is np.ndarray and a.dtype.kind in ALLOWED_KINDS:
                    after[k] = _encode_array(a)
        return {"value": encode(result, handles), "after": after}
    if op == "getattr":
        return {"value": encode(getattr(target, req["name"]), handles)}
    if op == "setattr":
        setattr(target, req["name"], decode(req["value"], handles))
        return {"value": None}
    if op == "getitem":
        return {"value": encode(target[decode(req["key"], handles)], handles)}
    if op == "len":
        return {"value": int(len(target))}
    if op == "list":
        return {"value": encode(list(target), handles)}
    if op == "repr":
        return {"value": repr(target)[:1000]}
    return {"error": {"type": "ProtocolError", "message": f"unknown op {op!r}", "where": "",
                      "not_implemented": False}}


def main() -> None:
    # Keep the protocol channel on private descriptors, then point 0/1/2 elsewhere so that
    # student prints and input() never touch it.
    proto_in = os.dup(0)
    proto_out = os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    out = os.open("output.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(out, 1)
    os.dup2(out, 2)
    sys.stdout = io.TextIOWrapper(os.fdopen(1, "wb", buffering=0), write_through=True)
    sys.stderr = io.TextIOWrapper(os.fdopen(2, "wb", buffering=0), write_through=True)
    sys.stdin = open(os.devnull)
    import signal
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # too much output fails the write, not us
    config = read_message(proto_in)
    for p in config.get("paths", []):
        if p not in sys.path:
            sys.path.append(p)
    sys.meta_path.insert(0, _Blocker())
    import numpy  # noqa: F401  (preloaded so that the codec can see arrays)
    serve(config, proto_in, proto_out)


if __name__ == "__main__":
    main()
