"""SafeCollect's copy (autograder/exchange.py) on folders built here: what a student can put
in, or swap in, between collect's checks and its copy. The end-to-end workflow with real users
is tests/test_exchange.py."""
from __future__ import annotations

import logging
import os

import pytest
from nbgrader.coursedir import CourseDirectory

from autograder.exchange import SafeCollect


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
