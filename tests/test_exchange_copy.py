"""SafeCollect's copy (autograder/exchange.py) on folders built here: what a student can put
in, or swap in, between collect's checks and its copy. The end-to-end workflow with real users
is tests/test_exchange.py."""
from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from nbgrader.coursedir import CourseDirectory

from autograder.exchange import SafeCollect

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
BIN = str(Path(PY).parent)


@pytest.fixture
def collect(tmp_path):
    c = SafeCollect(coursedir=CourseDirectory(root=str(tmp_path / "course")), authenticator=None)
    c.log = logging.getLogger("test-collect")
    c.src_records, c.inbound_path = [], str(tmp_path / "inbound")
    return c


def _submission(folder):
    folder.mkdir(parents=True)
    (folder / "04_sigmoid_vs_softmax.ipynb").write_text("{}")
    (folder / "submission_secret.txt").write_text("s3cret")
    return folder


def test_links_stay_links_and_odd_files_are_left_out(collect, tmp_path, caplog):
    secret = tmp_path / "instructor-only.txt"
    secret.write_text("GRADEBOOK")
    src = _submission(tmp_path / "inbound" / "me+A+x")
    os.symlink(secret, src / "leak.txt")
    os.mkfifo(src / "pipe")
    (src / "timestamp.txt").mkdir()                # made a whole collect fail before
    (src / "sub").mkdir()
    (src / "sub" / "notes.txt").write_text("mine")
    dest = tmp_path / "submitted" / "me" / "A"
    dest.parent.mkdir(parents=True)
    collect.do_copy(str(src), str(dest))
    assert os.path.islink(dest / "leak.txt") and os.readlink(dest / "leak.txt") == str(secret)
    assert not (dest / "pipe").exists()
    assert (dest / "timestamp.txt").is_file() and (dest / "timestamp.txt").read_text().endswith(" UTC")
    assert (dest / "sub" / "notes.txt").read_text() == "mine"
    assert "GRADEBOOK" not in "".join(p.read_text() for p in dest.rglob("*") if p.is_file() and not p.is_symlink())


def test_a_folder_swapped_for_a_link_after_the_checks_is_not_read(collect, tmp_path):
    course_source = tmp_path / "course" / "source"
    course_source.mkdir(parents=True)
    (course_source / "04_sigmoid_vs_softmax.ipynb").write_text("### BEGIN SOLUTION")
    (course_source / "submission_secret.txt").write_text("x")
    src = tmp_path / "inbound" / "me+A+x"
    src.parent.mkdir(parents=True)
    os.symlink(course_source, src)                 # what the racing student swapped in
    dest = tmp_path / "submitted" / "me" / "A"
    dest.parent.mkdir(parents=True)
    collect.do_copy(str(src), str(dest))
    assert not dest.exists()


def test_a_submission_whose_secret_is_not_a_file_is_not_collected(collect, tmp_path):
    src = _submission(tmp_path / "inbound" / "me+A+x")
    (src / "submission_secret.txt").unlink()
    os.symlink("/proc/self/cwd/gradebook.db", src / "submission_secret.txt")
    dest = tmp_path / "submitted" / "me" / "A"
    dest.parent.mkdir(parents=True)
    collect.do_copy(str(src), str(dest))
    assert not dest.exists()


def _nest(folder, depth: int) -> None:
    """``depth`` folders ``a/a/...`` inside ``folder``, made through descriptors (os.makedirs
    recurses once per level)."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for _ in range(depth):
            os.mkdir("a", dir_fd=fd)
            sub = os.open("a", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = sub
    finally:
        os.close(fd)


def _unnest(folder, depth: int) -> None:
    """Remove what :func:`_nest` made, deepest first (shutil.rmtree, pytest's clean-up too,
    recurses once per level)."""
    for level in range(depth, 0, -1):
        path = os.path.join(folder, *["a"] * level)
        if os.path.isdir(path):
            os.rmdir(path)


COURSE_CONFIG = """c = get_config()
c.CourseDirectory.course_id = "anime-genre"
c.CourseDirectory.root = {course!r}
c.Exchange.root = {exchange!r}
c.ExchangeFactory.collect = "autograder.exchange.SafeCollect"
c.SafeCollect.require_owner = False
"""


@pytest.fixture
def classroom(tmp_path):
    """A course and its exchange in tmp_path, and a function running a real ``nbgrader collect``
    in it (everything it writes, HOME and TMPDIR included, in tmp_path). The folders are all this
    test runner's, so the owner check is off here; tests/test_exchange.py runs it with real users."""
    course, exchange, home = tmp_path / "course", tmp_path / "exchange", tmp_path / "home"
    for folder in (course, home, tmp_path / "tmp"):
        folder.mkdir()
    inbound = exchange / "anime-genre" / "inbound"
    inbound.mkdir(parents=True)
    os.chmod(inbound, 0o1777)
    (course / "nbgrader_config.py").write_text(COURSE_CONFIG.format(course=str(course), exchange=str(exchange)))
    env = {"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(home), "TMPDIR": str(tmp_path / "tmp"),
           "PYTHONPATH": str(ROOT), "JUPYTER_CONFIG_DIR": str(home / ".jupyter"),
           "JUPYTER_DATA_DIR": str(home / ".local"), "JUPYTER_RUNTIME_DIR": str(home / "run")}

    def collect(assignment: str) -> subprocess.CompletedProcess:
        return subprocess.run([PY, "-m", "nbgrader", "collect", assignment], cwd=course, env=env,
                              capture_output=True, text=True)
    return collect, inbound, course / "submitted"


def test_one_students_deep_folder_does_not_stop_collect_for_the_class(classroom):
    """A 1500-level folder in mallory's own submission made collect die with RecursionError
    (os.walk) before anyone was collected. A folder name that is not a date stopped it too
    (nbgrader's init_src parsed every name)."""
    collect, inbound, submitted = classroom
    _submission(inbound / "alice+A+2024-01-01 10:00:00.000000 UTC+1234")
    deep = _submission(inbound / "mallory+A+2024-01-01 10:00:00.000000 UTC+5678")
    _nest(deep, 1500)
    _submission(inbound / "carol+A+not a date")
    try:
        run = collect("A")
    finally:
        _unnest(deep, 1500)
    log = run.stdout + run.stderr
    assert run.returncode == 0, log
    assert (submitted / "alice" / "A" / "04_sigmoid_vs_softmax.ipynb").read_text() == "{}", log
    assert (submitted / "alice" / "A" / "timestamp.txt").is_file()
    assert (submitted / "carol" / "A" / "submission_secret.txt").is_file(), log    # dated by ctime
    assert not (submitted / "mallory").exists()
    errors = [line for line in log.splitlines() if "| ERROR]" in line or "| CRITICAL]" in line]
    assert len(errors) == 1, log
    assert "mallory+A+" in errors[0] and "not collected" in errors[0] and "SafeCollect.max_depth" in errors[0], log
    assert os.path.isdir(deep)              # what is refused stays in the exchange


@pytest.mark.parametrize("depth, collected", [(32, True), (33, False)])
def test_the_copy_itself_stops_at_the_depth_limit(collect, tmp_path, caplog, depth, collected):
    """do_copy walks again (the folder may have changed since the checks), with the same limit."""
    src = _submission(tmp_path / "inbound" / "me+A+x")
    _nest(src, depth)
    (tmp_path / "submitted" / "me").mkdir(parents=True)
    dest = tmp_path / "submitted" / "me" / "A"
    collect.do_copy(str(src), str(dest))
    assert dest.exists() == collected
    if collected:
        assert (dest / os.path.join(*["a"] * depth)).is_dir()
    else:
        assert "SafeCollect.max_depth" in caplog.text


def test_a_submission_with_too_many_names_is_not_collected(collect, tmp_path, caplog):
    """Refused when checked (init_src) and again when copied."""
    collect.max_entries, collect.require_owner = 50, False
    src = _submission(tmp_path / "inbound" / "me+A+x")
    (src / "many").mkdir()
    for i in range(60):
        (src / "many" / str(i)).write_text("")
    (tmp_path / "submitted" / "me").mkdir(parents=True)
    dest = tmp_path / "submitted" / "me" / "A"
    assert collect._checked("me+A+x", ["me", "A", "x"]) is None
    assert "inbound/me+A+x: not collected: more than 50 files and folders (SafeCollect.max_entries)" in caplog.text
    collect.do_copy(str(src), str(dest))
    assert not dest.exists()
    assert f"{src}: not collected: more than 50 files and folders" in caplog.text
    collect.max_entries = 100
    assert collect._checked("me+A+x", ["me", "A", "x"])["username"] == "me"


@pytest.mark.parametrize("change", ["grows", "shrinks"])
def test_a_file_changed_during_the_copy_is_not_copied_past_its_size(collect, tmp_path, caplog, monkeypatch, change):
    """The student extends (sparse, ftruncate) or cuts a file once collect starts reading it:
    collect read to the end of the file and charged only the size it saw first (2.5 GB copied
    under caps of 100 MB per file and 1 GB in all). The change is made, deterministically, at
    the copy's first read of that file; the copy itself is the real one."""
    collect.coursedir.max_file_size = 100          # kB
    collect.coursedir.max_dir_size = 1000
    src = _submission(tmp_path / "inbound" / "me+A+x")
    data = src / "data.bin"
    with open(data, "wb") as f:
        f.truncate(99_000)                          # under max_file_size, sparse
    ident = (os.stat(data).st_dev, os.stat(data).st_ino)
    new_size = 50_000_000 if change == "grows" else 1_000
    real_read, read = os.read, []

    def read_and_change(fd, n):
        st = os.fstat(fd)
        if (st.st_dev, st.st_ino) != ident:
            return real_read(fd, n)
        if not read:
            os.truncate(data, new_size)
        chunk = real_read(fd, n)
        read.append(len(chunk))
        return chunk

    monkeypatch.setattr(os, "read", read_and_change)
    (tmp_path / "submitted" / "me").mkdir(parents=True)
    dest = tmp_path / "submitted" / "me" / "A"
    collect.do_copy(str(src), str(dest))
    monkeypatch.undo()
    assert read and sum(read) <= 99_000 + 1, sum(read)     # never past the size it had when opened
    assert not dest.exists()                                # nothing partial left in submitted/
    assert f"data.bin {'grew' if change == 'grows' else 'shrank'} while it was copied" in caplog.text
    assert os.stat(data).st_size == new_size                # the exchange is left as it is


@pytest.mark.parametrize("sizes", [[150_000], [60_000, 60_000]], ids=["one-file", "two-files"])
def test_a_submission_over_the_budget_in_all_is_not_collected(collect, tmp_path, caplog, sizes):
    """Each file is under max_file_size, but together (or alone) over max_dir_size."""
    collect.coursedir.max_file_size = 1000      # kB
    collect.coursedir.max_dir_size = 100
    src = _submission(tmp_path / "inbound" / "me+A+x")
    for i, size in enumerate(sizes):
        (src / f"data{i}.bin").write_bytes(b"x" * size)
    (tmp_path / "submitted" / "me").mkdir(parents=True)
    dest = tmp_path / "submitted" / "me" / "A"
    collect.do_copy(str(src), str(dest))
    assert not dest.exists()
    assert "larger than 100000 bytes in all" in caplog.text


def test_a_file_over_max_file_size_alone_is_left_out(collect, tmp_path, caplog):
    collect.coursedir.max_file_size = 100       # kB
    src = _submission(tmp_path / "inbound" / "me+A+x")
    (src / "big.bin").write_bytes(b"x" * 100_001)
    (src / "small.bin").write_bytes(b"y" * 100_000)
    (tmp_path / "submitted" / "me").mkdir(parents=True)
    dest = tmp_path / "submitted" / "me" / "A"
    collect.do_copy(str(src), str(dest))
    assert not (dest / "big.bin").exists() and (dest / "small.bin").read_bytes() == b"y" * 100_000
    assert "big.bin: not collected: larger than 100000 bytes" in caplog.text
