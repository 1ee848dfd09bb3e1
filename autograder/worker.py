"""The untrusted side of grading: runs a student's solution cells and answers calls.

Started by :mod:`autograder.judge` inside a sandbox (:mod:`autograder.sandbox`) as
``python -I -S worker.py``: isolated mode, no ``site`` processing. The judge sends, as the
first message, the site-packages folders to add, the cells to execute and the CPU-time
budgets. The worker then answers requests until its input closes. Its stdout and stderr go to
/dev/null: the only thing the judge reads from it is the protocol pipe.

Wire format, both directions (see *framing* below): a message is JSON in frames of at most
1 MiB, followed by binary blobs (arrays as ``np.save(allow_pickle=False)`` bytes, bytes, long
strings), each also in frames; the reader enforces the caps before allocating. Values are
encoded by :func:`encode` / :func:`decode` — plain JSON plus a few tagged objects (tuples,
dicts with any keys, numpy arrays and scalars, object arrays with their shape, scipy CSR
matrices, handles to objects that stay in the worker). Nothing is ever pickled.

This file imports nothing from ``autograder`` (the worker cannot import the package) and
the judge imports its codec from here, so both sides share one definition of the format.
Only the standard library and numpy are imported at module level.
"""
from __future__ import annotations

import io
import json
import os
import struct
import sys

FRAME_MAX = 1 << 20          # one frame on the pipe
JSON_MAX = 4 << 20           # the JSON part of one message (arrays and long strings are blobs)
BLOB_MAX = 64 << 20          # all blobs of one message together
BLOBS_MAX = 4096             # how many blobs one message may carry
LONG_STR = 4096              # strings longer than this travel as blobs
ALLOWED_KINDS = "biufcU"     # bool, int, uint, float, complex, unicode
BLOCKED_PREFIXES = ("anime_genre", "autograder")


class ProtocolError(Exception):
    """A message that does not follow the wire format."""


# ----------------------------------------------------------------------------- framing
#
# A message is its JSON text in frames of kind b"j" (more follows) / b"J" (last), then each
# blob in frames b"b" / b"B". A frame is 1 kind byte, a 4-byte big-endian length, at most
# FRAME_MAX bytes of payload. The reader refuses anything larger than the caps before it
# allocates it, so a hostile peer can make it read at most JSON_MAX + BLOB_MAX bytes.

def _frames(fd: int, kind: bytes, data: bytes) -> None:
    view = memoryview(data)
    more, last = kind.lower(), kind.upper()
    while True:
        part, view = view[:FRAME_MAX], view[FRAME_MAX:]
        _write_all(fd, (last if not len(view) else more) + struct.pack(">I", len(part)) + bytes(part))
        if not len(view):
            return


def _write_all(fd: int, buf: bytes) -> None:
    view = memoryview(buf)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def write_message(fd: int, obj, blobs: list | None = None) -> None:
    blobs = blobs or []
    if blobs:
        obj = dict(obj)
        obj["#blobs"] = len(blobs)
    _frames(fd, b"J", json.dumps(obj, allow_nan=True, separators=(",", ":")).encode("utf-8"))
    for b in blobs:
        _frames(fd, b"B", bytes(b))


def read_exact(fd: int, n: int) -> bytes:
    chunks = []
    while n:
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            raise EOFError("channel closed")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def read_part(read, kind: bytes, cap: int) -> bytes:
    """Frames of one part (JSON or one blob) with ``read(n) -> bytes``; at most ``cap`` bytes."""
    chunks, total = [], 0
    while True:
        head = read(5)
        k, (n,) = head[:1], struct.unpack(">I", head[1:])
        if k not in (kind.lower(), kind.upper()):
            raise ProtocolError(f"unexpected frame kind {k!r}")
        if n > FRAME_MAX or total + n > cap:
            raise ProtocolError("message larger than the limit")
        chunks.append(read(n))
        total += n
        if k == kind.upper():
            return b"".join(chunks)


def read_message_with(read):
    """One message: ``(object, blobs)``. Any malformed input raises (ProtocolError, ValueError,
    RecursionError...): the caller treats every exception as a broken channel."""
    obj = json.loads(read_part(read, b"J", JSON_MAX).decode("utf-8"))
    if not isinstance(obj, dict):
        raise ProtocolError("a message must be an object")
    n = obj.pop("#blobs", 0)
    if type(n) is not int or not 0 <= n <= BLOBS_MAX:
        raise ProtocolError("bad blob count")
    blobs, total = [], 0
    for _ in range(n):
        b = read_part(read, b"B", BLOB_MAX - total)
        total += len(b)
        blobs.append(b)
    return obj, blobs


def read_message(fd: int):
    return read_message_with(lambda n: read_exact(fd, n))


# ----------------------------------------------------------------------------- codec

def _np():
    import numpy
    return numpy


def _encode_array(arr, blobs: list) -> int:
    np = _np()
    if arr.dtype.kind not in ALLOWED_KINDS:
        raise TypeError(f"cannot transfer an array of dtype {arr.dtype}")
    buf = io.BytesIO()
    np.save(buf, arr if arr.flags.c_contiguous else arr.copy(order="C"), allow_pickle=False)
    blobs.append(buf.getvalue())
    return len(blobs) - 1


_TAKEN = object()


def _blob(blobs, index) -> bytes:
    """Blob ``index`` of a message, which no other part of it may use again: a message naming
    one 24 MiB blob forty times made the trusted side build a GB of copies."""
    if blobs is None or type(index) is not int or not 0 <= index < len(blobs):
        raise ProtocolError("reference to a missing blob")
    raw = blobs[index]
    if raw is _TAKEN:
        raise ProtocolError("a blob referenced twice")
    blobs[index] = _TAKEN
    return raw


def _decode_array(raw: bytes):
    np = _np()
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


def encode(value, handles=None, blobs: list | None = None, depth: int = 0):
    """Encode a value; arrays, bytes and long strings go into ``blobs`` (a list the caller
    sends with the message). ``handles`` (a :class:`Handles`) turns anything else into a
    handle; without it (the judge's side, except for :class:`RemoteObject`) other values
    raise ``TypeError``."""
    if blobs is None:
        blobs = []
    if depth > 100:
        raise TypeError("value nested more than 100 levels deep")
    t = type(value)
    if value is None or t is bool or t is int:
        return value
    if t is str:
        if len(value) > LONG_STR:
            blobs.append(value.encode("utf-8", "surrogatepass"))
            return {"$s": len(blobs) - 1}
        return value
    if t is float:
        if value != value or value in (float("inf"), float("-inf")):
            return {"$f": repr(value)}
        return value
    ref = getattr(value, "__remote_handle__", None) if handles is None else None
    if ref is not None and type(ref) is int:
        return {"$h": ref}
    if t is list:
        return [encode(v, handles, blobs, depth + 1) for v in value]
    if t is tuple:
        return {"$t": [encode(v, handles, blobs, depth + 1) for v in value]}
    if t is dict:
        return {"$d": [[encode(k, handles, blobs, depth + 1), encode(v, handles, blobs, depth + 1)]
                       for k, v in value.items()]}
    if t in (set, frozenset):
        return {"$set": [encode(v, handles, blobs, depth + 1) for v in value],
                "frozen": t is frozenset}
    if t is bytes:
        blobs.append(value)
        return {"$b": len(blobs) - 1}
    if "numpy" in sys.modules:
        np = sys.modules["numpy"]
        if t is np.ndarray:
            if value.dtype.kind == "O":
                # keeps its shape: nested lists of the elements, rebuilt as an object array
                return {"$ond": encode(value.tolist(), handles, blobs, depth + 1),
                        "shape": [int(n) for n in value.shape]}
            return {"$nd": _encode_array(value, blobs)}
        if isinstance(value, np.generic) and value.dtype.kind in ALLOWED_KINDS:
            return {"$ns": _encode_array(np.asarray(value), blobs)}
    if _is_sparse(value):
        m = value.tocsr()
        return {"$csr": {"data": _encode_array(m.data, blobs), "indices": _encode_array(m.indices, blobs),
                         "indptr": _encode_array(m.indptr, blobs), "shape": [int(n) for n in m.shape],
                         "array": "array" in type(value).__name__}}
    if handles is not None:
        # Subclasses of plain types travel as the plain value, as a check run in the notebook
        # would see them: an OrderedDict or a Counter as a dict, a namedtuple as a tuple, an
        # np.matrix (what sparse.sum(axis=1) returns) as an array. (Student code may run while
        # converting: this is the worker, inside the call's limits.)
        for base in (bool, int, float, str, dict, list, tuple, set, frozenset, bytes):
            if isinstance(value, base):
                return encode(base(value), handles, blobs, depth + 1)
        np = sys.modules.get("numpy")
        if np is not None and isinstance(value, np.ndarray):
            return encode(np.asarray(value), handles, blobs, depth + 1)
        return handles.add(value)
    raise TypeError(f"cannot send a value of type {t.__name__} to the student's code")


def decode(obj, handles=None, make_remote=None, depth: int = 0, blobs: list | None = None):
    """Decode a value. Handles resolve through ``handles`` (worker side) or become
    ``make_remote(id, info)`` (judge side); ``blobs`` are the message's binary parts."""
    if depth > 100:
        raise ProtocolError("value nested more than 100 levels deep")
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj

    def sub(v):
        return decode(v, handles, make_remote, depth + 1, blobs)

    if isinstance(obj, list):
        return [sub(v) for v in obj]
    if not isinstance(obj, dict) or not obj:
        raise ProtocolError(f"unexpected value {type(obj).__name__}")
    if "$f" in obj:
        text = obj["$f"]
        if text not in ("nan", "inf", "-inf"):
            raise ProtocolError("bad float")
        return float(text)
    if "$s" in obj:
        return _blob(blobs, obj["$s"]).decode("utf-8", "surrogatepass")
    if "$t" in obj:
        return tuple(sub(v) for v in obj["$t"])
    if "$d" in obj:
        pairs = [(sub(k), sub(v)) for k, v in obj["$d"]]
        _distinct_hashes([k for k, _ in pairs])
        return dict(pairs)
    if "$set" in obj:
        items = [sub(v) for v in obj["$set"]]
        _distinct_hashes(items)
        return frozenset(items) if obj.get("frozen") else set(items)
    if "$b" in obj:
        return bytes(_blob(blobs, obj["$b"]))
    if "$nd" in obj:
        return _decode_array(_blob(blobs, obj["$nd"]))
    if "$ns" in obj:
        return _decode_array(_blob(blobs, obj["$ns"]))[()]
    if "$ond" in obj:
        np = _np()
        items = sub(obj["$ond"])
        shape = obj.get("shape", [len(items)])
        if type(shape) is not list or len(shape) > 32 or any(type(n) is not int or n < 0 for n in shape):
            raise ProtocolError("bad object-array shape")
        size = 1
        for n in shape:
            size *= n
        # the declared shape must match what was sent before anything is allocated
        if size != _count_leaves(items, len(shape)):
            raise ProtocolError("object array of the wrong size")
        shape = tuple(shape)
        arr = np.empty(shape, dtype=object)
        if arr.size:
            flat = items
            for _ in range(len(shape) - 1):
                flat = [x for row in flat for x in row]
            if len(flat) != arr.size:
                raise ProtocolError("object array of the wrong size")
            arr.reshape(-1)[:] = flat
        return arr
    if "$csr" in obj:
        import scipy.sparse as sp
        c = obj["$csr"]
        parts = [_decode_array(_blob(blobs, c[k])) for k in ("data", "indices", "indptr")]
        shape = c.get("shape")
        if type(shape) is not list or len(shape) != 2 or any(type(n) is not int or n < 0 for n in shape) \
                or shape[0] * shape[1] > MAX_SPARSE_CELLS:
            # a checker may make it dense: a few bytes must not ask the trusted side for GBs
            raise ProtocolError("bad or too large sparse-matrix shape")
        shape = tuple(shape)
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


MAX_SAME_HASH = 64
MAX_SPARSE_CELLS = 1 << 25       # rows x columns of a sparse matrix received (dense: 256 MiB)


def _distinct_hashes(keys: list) -> None:
    """Refuse keys many of which share one hash (ints k * (2**61 - 1) all do): a set or dict
    of them is built in quadratic time, seconds of the trusted side's CPU for one message.
    Counting the hashes themselves is linear (a hash value is an int that hashes to itself)."""
    counts: dict = {}
    for k in keys:
        try:
            h = hash(k)
        except TypeError:
            raise ProtocolError(f"unhashable {type(k).__name__} in a set or as a dict key") from None
        counts[h] = counts.get(h, 0) + 1
        if counts[h] > MAX_SAME_HASH:
            raise ProtocolError("too many set elements or dict keys with the same hash")


def _count_leaves(items, depth: int) -> int:
    """How many elements ``depth`` levels of nested lists hold (-1 if the nesting is ragged)."""
    if depth <= 1:
        return len(items) if isinstance(items, list) else -1
    total = 0
    for row in items if isinstance(items, list) else [None]:
        n = _count_leaves(row, depth - 1) if isinstance(row, list) else -1
        if n < 0:
            return -1
        total += n
    return total


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
    # str() runs the student's __str__, which may itself raise (or return a non-str): the
    # exception must still be reported, or the exercise's process would end without a reply
    try:
        msg = str(exc)
        msg = msg if type(msg) is str else ""
    except BaseException:   # noqa: BLE001
        msg = "(its message could not be shown: its __str__ raised)"
    if len(msg) > 2000:
        msg = msg[:2000] + "..."
    try:
        where = _where(exc)[:400]
    except BaseException:   # noqa: BLE001
        where = ""
    return {"type": type(exc).__name__[:100], "message": msg, "where": where,
            "not_implemented": isinstance(exc, NotImplementedError)}


class _CPUTimeout(BaseException):
    """The cell or call used up its CPU-time budget (ITIMER_PROF: CPU time, not wall time,
    so a loaded machine does not make correct code time out)."""


def _on_prof(signum, frame):
    raise _CPUTimeout()


def _cpu_budget(seconds: float) -> None:
    import signal
    signal.setitimer(signal.ITIMER_PROF, max(float(seconds), 0.0))


def _cpu_backstop(extra: float) -> None:
    """RLIMIT_CPU a little above what is used now plus ``extra``: if student code swallows
    the timer's exception, the kernel ends the process (SIGXCPU)."""
    import resource
    used = resource.getrusage(resource.RUSAGE_SELF)
    now = int(used.ru_utime + used.ru_stime) + 1
    hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
    soft = now + int(extra) + 2
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    try:
        resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))
    except (ValueError, OSError):
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
    So each exercise sees the notebook as it was at its own cell, in a process of its own.
    (The judge gives a worker one stop: one exercise per sandbox, see ``judge._grade_alone``.)
    Without stops, the process itself serves at the end.

    Budgets are CPU seconds: ``cell_timeout`` per cell, ``call_timeout`` per request,
    ``exercise_timeout`` for one exercise's process (RLIMIT_CPU). These timers and limits
    live in the student's process and only give a clear answer sooner: the judge measures
    CPU time from outside and ends the sandbox when a budget is spent."""
    import signal
    import time

    ns = {"__name__": "__main__", "__builtins__": __builtins__}
    cell_cpu = float(config.get("cell_timeout", 10))
    signal.signal(signal.SIGPROF, _on_prof)
    report = []
    for cell in config["cells"]:
        t0 = time.monotonic()
        entry = {"index": cell["index"], "ok": True}
        try:
            code = compile(cell["source"], f"<cell {cell['index']}>", "exec")
            _cpu_budget(cell_cpu)
            try:
                exec(code, ns)
            finally:
                _cpu_budget(0)
        except _CPUTimeout:
            entry.update(ok=False, error={"type": "Timeout", "message": f"cell used more than {cell_cpu:g} s of CPU time",
                                          "where": "", "not_implemented": False})
        except BaseException as exc:   # noqa: BLE001 - a student cell may raise anything
            entry.update(ok=False, error=_error(exc))
        entry["seconds"] = round(time.monotonic() - t0, 3)
        report.append(entry)
        if cell.get("stop"):
            pid = os.fork()
            if pid == 0:
                try:
                    _cpu_backstop(float(config.get("exercise_timeout", 120)))
                    write_message(proto_out, {"ready": True, "stop": cell["stop"], "cells": report})
                    _serve_requests(ns, proto_in, proto_out, config, cell["stop"])
                except BaseException:   # noqa: BLE001 - serving broke down: the parent says so
                    os._exit(70)
                finally:
                    os._exit(0)
            _, status = os.waitpid(pid, 0)
            if status != 0:   # the exercise's process died: say so, then carry on
                code = os.waitstatus_to_exitcode(status)
                write_message(proto_out, {"child_died": code, "stop": cell["stop"]})
    if not any(c.get("stop") for c in config["cells"]):
        _cpu_backstop(float(config.get("exercise_timeout", 120)))
        write_message(proto_out, {"ready": True, "cells": report})
        _serve_requests(ns, proto_in, proto_out, config)


def _serve_requests(ns: dict, proto_in: int, proto_out: int, config: dict, stop=None) -> None:
    handles = Handles()
    call_cpu = float(config.get("call_timeout", 10))
    while True:
        try:
            req, blobs = read_message(proto_in)
        except EOFError:
            return
        if req.get("op") == "done":
            if req.get("stop") != stop:     # meant for an earlier exercise's process, gone already
                continue
            return
        out_blobs: list = []
        try:
            _cpu_budget(call_cpu)
            try:
                reply = _handle(req, blobs, ns, handles, out_blobs)
            finally:
                _cpu_budget(0)
        except _CPUTimeout:
            out_blobs = []
            reply = {"cpu_timeout": call_cpu}
        except BaseException as exc:   # noqa: BLE001
            out_blobs = []
            reply = {"error": _error(exc)}
        try:
            write_message(proto_out, reply, out_blobs)
        except (TypeError, ValueError) as exc:
            write_message(proto_out, {"error": {"type": "TypeError", "message": f"result cannot be sent: {exc}",
                                                "where": "", "not_implemented": False}})


def _handle(req: dict, blobs: list, ns: dict, handles: Handles, out: list) -> dict:
    op = req.get("op")

    def dec(v):
        return decode(v, handles, blobs=blobs)

    if op == "global":
        name = req["name"]
        if name not in ns:
            return {"missing": True}
        obj = ns[name]
        return {"value": encode(obj, handles, out), "describe": _describe(obj)}
    target = handles.get(req["target"]) if "target" in req else None
    if op == "call":
        args = [dec(a) for a in req.get("args", [])]
        kwargs = {k: dec(v) for k, v in req.get("kwargs", {}).items()}
        result = target(*args, **kwargs)
        reply = {"value": encode(result, handles, out)}
        if req.get("inspect"):   # the check asked for the arguments' state after the call
            reply["after"] = encode(tuple(args), handles, out)
            reply["after_kwargs"] = encode(dict(kwargs), handles, out)
        return reply
    if op == "getattr":
        return {"value": encode(getattr(target, req["name"]), handles, out)}
    if op == "setattr":
        setattr(target, req["name"], dec(req["value"]))
        return {"value": None}
    if op == "getitem":
        return {"value": encode(target[dec(req["key"])], handles, out)}
    if op == "len":
        return {"value": int(len(target))}
    if op == "list":
        return {"value": encode(list(target), handles, out)}
    if op == "repr":
        return {"value": repr(target)[:1000]}
    return {"error": {"type": "ProtocolError", "message": f"unknown op {op!r}", "where": "",
                      "not_implemented": False}}


def main() -> None:
    # Keep the protocol channel on private descriptors, then point 0/1/2 at /dev/null: student
    # prints and input() never touch the channel, and the judge reads nothing but its pipe.
    proto_in = os.dup(0)
    proto_out = os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    sys.stdout = io.TextIOWrapper(os.fdopen(1, "wb", buffering=0), write_through=True)
    sys.stderr = io.TextIOWrapper(os.fdopen(2, "wb", buffering=0), write_through=True)
    sys.stdin = open(os.devnull)
    config, _ = read_message(proto_in)
    for p in config.get("paths", []):
        if p not in sys.path:
            sys.path.append(p)
    sys.meta_path.insert(0, _Blocker())
    import numpy  # noqa: F401  (preloaded so that the codec can see arrays)
    serve(config, proto_in, proto_out)


if __name__ == "__main__":
    main()
