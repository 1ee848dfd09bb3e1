"""The judge trusts nothing from the sandbox: what a worker sends is bounded, and anything
malformed ends that exercise, never the judge.

Student code in the worker can write whatever it likes on the protocol pipe (it finds the
descriptor in /proc/self/fd); these tests do exactly that, through the real sandboxed worker.
"""
from __future__ import annotations

import struct

import numpy as np
import pytest

from autograder import worker as W
from autograder.judge import judge_exercise

from grader_cases import submission

# code a student could put in a solution cell: write raw bytes to every pipe it can find
FORGE = '''
import os, stat
def _forge(data):
    for fd in range(3, 64):
        try:
            if stat.S_ISFIFO(os.fstat(fd).st_mode) and os.get_blocking(fd) is not None:
                os.write(fd, data)
        except OSError:
            pass
'''


def _frame(kind: bytes, payload: bytes) -> bytes:
    return kind + struct.pack(">I", len(payload)) + payload


def _reader(data: bytes):
    view = memoryview(data)

    def read(n):
        nonlocal view
        if len(view) < n:
            raise EOFError()
        out, view = bytes(view[:n]), view[n:]
        return out
    return read


def test_frames_larger_than_the_caps_are_refused_before_they_are_read():
    huge = b"J" + struct.pack(">I", 512 << 20)            # announces 512 MB, holds nothing
    with pytest.raises(W.ProtocolError):
        W.read_message_with(_reader(huge))
    many = b"".join(_frame(b"j", b" " * W.FRAME_MAX) for _ in range(W.JSON_MAX // W.FRAME_MAX + 1))
    with pytest.raises(W.ProtocolError):
        W.read_message_with(_reader(many))
    blob_head = _frame(b"J", b'{"#blobs": 1}') + b"B" + struct.pack(">I", W.FRAME_MAX + 1)
    with pytest.raises(W.ProtocolError):
        W.read_message_with(_reader(blob_head))


def test_a_forged_array_header_cannot_make_the_judge_allocate():
    import io
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "<f8", "fortran_order": False,
                                               "shape": (99_999_999_999,)})
    forged = buf.getvalue() + b"\x00" * 24           # announces 800 GB, holds 24 bytes
    with pytest.raises(W.ProtocolError):
        W.decode({"$nd": 0}, blobs=[forged])
    with pytest.raises(W.ProtocolError):
        W.decode({"$nd": 5}, blobs=[forged])            # a blob that is not there


def test_messages_round_trip_with_blobs():
    a = np.arange(300_000, dtype=np.float64).reshape(300, 1000)     # 2.4 MB: several frames
    blobs: list = []
    obj = W.encode({"a": a, "s": "é" * 10_000, "b": b"\x00" * 5}, blobs=blobs)
    import os
    r, w = os.pipe()
    import threading
    t = threading.Thread(target=W.write_message, args=(w, {"value": obj}, blobs))
    t.start()
    msg, got = W.read_message(r)
    t.join()
    os.close(r)
    os.close(w)
    back = W.decode(msg["value"], blobs=got)
    assert np.array_equal(back["a"], a) and back["s"] == "é" * 10_000 and back["b"] == b"\x00" * 5


@pytest.mark.parametrize("payload, label", [
    ("_forge(b'J' + (200000).to_bytes(4, 'big') + b'[' * 200000)", "200,000-deep JSON"),
    ("_forge(b'J' + (512 << 20).to_bytes(4, 'big'))", "a frame announcing 512 MB"),
    ("_forge(b'\\xff' * 4096)", "garbage"),
    ("_forge(b'J' + (2).to_bytes(4, 'big') + b'{}')", "a forged empty reply"),
])
def test_forged_frames_cost_the_exercise_and_nothing_else(payload, label):
    body = "def sigmoid(x):\n    " + payload + "\n    return 1 / (1 + np.exp(-x))\n"
    nb = submission(4, {"l4_sigmoid": FORGE + body})
    r = judge_exercise(nb, "l4_sigmoid")
    assert r.points == 0 and r.status in ("error", "failed"), (label, r.status, r.message)
    # the judge is intact: the next exercise of another notebook is graded normally
    good = submission(4, {"l4_sigmoid": "def sigmoid(x):\n    return 0.5 * (1 + np.tanh(0.5 * np.asarray(x, float)))\n"})
    assert judge_exercise(good, "l4_sigmoid").points == 2


def test_huge_results_are_refused_not_read():
    body = "def sigmoid(x):\n    return np.zeros(20_000_000)\n"          # 160 MB of float64
    r = judge_exercise(submission(4, {"l4_sigmoid": body}), "l4_sigmoid")
    assert r.points == 0 and ("malformed" in r.message or "cannot be sent" in r.message
                              or "larger" in r.message), r.message


_LOOKUP = '''
def _answer(x):
    """the visible checks' inputs are public: answer those, and nothing else"""
    x = np.asarray(x, dtype=float)
    table = {(-2.0, 0.0, 3.0): [0.11920292202211755, 0.5, 0.9525741268224334],
             (-1000.0, 1000.0): [0.0, 1.0]}
    table[tuple(np.linspace(-3, 3, 6))] = list(1 / (1 + np.exp(-np.linspace(-3, 3, 6))))
    key = tuple(float(v) for v in x.ravel())
    if key in table:
        return np.array(table[key]).reshape(x.shape)
    return None
def sigmoid(x):
    out = _answer(x)
    if out is None:
        {other}
    return out
'''


def test_raising_on_hidden_inputs_is_not_cheaper_than_a_wrong_answer():
    """An exception in a check costs every sub-check that check would have made (as many as
    it makes for the reference), so "answer the public inputs, raise on the rest" scores no
    more than "answer the public inputs, return zeros on the rest"."""
    raising = judge_exercise(submission(4, {"l4_sigmoid": _LOOKUP.replace("{other}", "raise ValueError('no')")}),
                             "l4_sigmoid")
    zeros = judge_exercise(submission(4, {"l4_sigmoid": _LOOKUP.replace("{other}", "return 0 * x")}),
                           "l4_sigmoid")
    assert raising.status == "error" and zeros.status == "failed"
    assert 0 < raising.points <= zeros.points < 2, (raising.points, zeros.points)
    assert raising.subchecks and len(raising.subchecks) >= len(zeros.subchecks)


def test_code_that_only_waits_is_stopped_by_its_idle_budget():
    """Sleeping costs no CPU time, so CPU budgets never end it: the time an exercise's code
    spends waiting (neither computing nor waiting for a CPU) has its own budget."""
    from autograder.judge import Limits
    body = "import time\ndef sigmoid(x):\n    time.sleep(2)\n    return 1 / (1 + np.exp(-x))\n"
    r = judge_exercise(submission(4, {"l4_sigmoid": body}), "l4_sigmoid", Limits(idle_timeout=5))
    assert r.status == "timeout" and r.points == 0 and "waited" in r.message, r.message


# ----------------------------------------------------------------------------- costly values
# (found by attacking the grader: a few bytes from the worker must not cost the trusted side
# minutes of CPU or gigabytes of memory)

def test_set_of_colliding_hashes_is_refused_but_large_sets_are_read():
    colliding = {"$set": [k * (2 ** 61 - 1) for k in range(1, 20001)]}   # all hash to 0
    with pytest.raises(W.ProtocolError, match="same hash"):
        W.decode(colliding)
    with pytest.raises(W.ProtocolError, match="same hash"):
        W.decode({"$d": [[k * (2 ** 61 - 1), 0] for k in range(1, 20001)]})
    assert W.decode({"$set": list(range(100_000))}) == set(range(100_000))
    assert W.decode({"$d": [[f"w{i}", i] for i in range(50_000)]})["w49999"] == 49_999


def test_a_huge_sparse_shape_is_refused_before_anything_is_allocated():
    import scipy.sparse as sp
    blobs: list = []
    small = W.encode(sp.csr_matrix(np.eye(3)), None, blobs)
    assert (W.decode(small, blobs=list(blobs)) != sp.csr_matrix(np.eye(3))).nnz == 0
    small["$csr"]["shape"] = [1, 300_000_000]
    with pytest.raises(W.ProtocolError, match="sparse-matrix shape"):
        W.decode(small, blobs=list(blobs))


def test_a_blob_is_read_once():
    with pytest.raises(W.ProtocolError, match="twice"):
        W.decode({"$t": [{"$b": 0}, {"$b": 0}]}, blobs=[b"x" * 1000])
    assert W.decode({"$t": [{"$b": 0}, {"$b": 1}]}, blobs=[b"a", b"b"]) == (b"a", b"b")


def test_numpy_does_not_walk_a_student_object_element_by_element():
    from autograder.judge import RemoteObject

    class NoWorker:                  # any request would fail the test
        def request(self, *a, **k):
            raise AssertionError("a request was made")

    with pytest.raises(TypeError, match="not an array"):
        np.asarray(RemoteObject(NoWorker(), 1), dtype=float)
