"""``nbgrader collect`` that trusts neither the names nor the contents of the exchange's inbound.

nbgrader's own collect (0.9) takes the student and the time of a submission from its folder
name, which any student can choose (``inbound/`` is writable by all): a folder named
``alice+<assignment>+2099-...`` made by bob replaced alice's work, with only a warning; a
folder dated 2000 escaped every late penalty. It copies with ``shutil.copytree``, which
follows links: a link to ``/proc/self/cwd/gradebook.db`` became a regular file in
``submitted/``. :class:`SafeCollect` (``c.ExchangeFactory.collect`` in the course's config):

- takes only real folders (not links) owned by the account the name claims, holding the
  ``submission_secret.txt`` that ``nbgrader submit`` writes (``release_feedback`` fails for the
  whole class at the first submission without one); others are left in the exchange, with an
  error naming the folder and why;
- dates a submission by what the kernel recorded, not what the student wrote: the newest
  status-change time (ctime, which no student can set) of the folder and of everything in it.
  That time chooses the newest submission and goes to ``timestamp.txt`` (late penalties use
  it); a claimed time more than :data:`SLACK` away is reported;
- copies through file descriptors opened without following links (the folder once, every
  entry relative to its parent), so that what a student swaps in after the checks is never
  read; links are copied as links, which the course's pre-convert hook moves to ``rejected/``
  before anything opens them; FIFOs, sockets and devices are not copied; the date written is
  the newest ctime of what was actually copied; a failure costs that student only;
- walks every folder without recursion, through descriptors, and refuses (leaves in the
  exchange, with an error naming the folder and the limit) a submission deeper than
  :attr:`SafeCollect.max_depth` folders or holding more than :attr:`SafeCollect.max_entries`
  names: a student's 1500-level folder once stopped collect for the whole class (RecursionError
  in ``os.walk``), and any other error in one student's folder is logged and costs that student
  only (so does a folder name that is not a date, on which nbgrader's ``init_src`` failed, and
  a folder replaced by a dangling link before its copy, on which nbgrader's owner warning did);
- copies a file only up to the size it had when it was opened (under ``max_file_size``),
  charges ``max_dir_size`` with the bytes actually copied, and refuses the submission if the
  file grew, shrank or changed while it was copied: a sparse file the student grew during the
  copy once put 2.5 GB in ``submitted/`` with caps of 100 MB and 1 GB.
"""
from __future__ import annotations

import contextlib
import datetime
import fnmatch
import os
import pwd
import shutil
import stat
from typing import Callable, Iterator

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.exchange.default.collect import ExchangeCollect, groupby
from nbgrader.utils import check_mode, parse_utc
from traitlets import Bool, Integer

SLACK = datetime.timedelta(minutes=2)   # nbgrader submit writes the name, then copies files
CHUNK = 1 << 20                         # bytes read at a time when copying a file
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_NONBLOCK


class SafeCollect(ExchangeCollect):
    require_owner = Bool(True, help="collect only folders owned by the account their name claims "
                         "(student ids are the students' logins on this server)").tag(config=True)
    max_depth = Integer(32, help="a submission with folders nested deeper than this below its top "
                        "folder is not collected").tag(config=True)
    max_entries = Integer(10_000, help="a submission holding more names than this (files, folders, "
                          "links; in all its folders together) is not collected").tag(config=True)

    def init_src(self):
        # nbgrader's checks of the course and inbound, without its parsing of every folder name
        # as a date: the first name that is not one (any student can make one) failed the run
        if self.coursedir.course_id == "":
            self.fail("No course id specified. Re-run with --course flag.")
        self.course_path = os.path.join(self.root, self.coursedir.course_id)
        self.inbound_path = os.path.join(self.course_path, "inbound")
        if not os.path.isdir(self.inbound_path):
            self.fail("Course not found: {}".format(self.inbound_path))
        if not check_mode(self.inbound_path, read=True, execute=True):
            self.fail("You don't have read permissions for the directory: {}".format(self.inbound_path))
        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            try:
                self.duedate = gb.find_assignment(self.coursedir.assignment_id).duedate
            except MissingEntry:
                self.duedate = None
        if not os.stat(self.inbound_path).st_mode & stat.S_ISVTX:
            # without the sticky bit any student may rename or remove a classmate's submission
            self.log.warning("%s has no sticky bit: any student can rename or delete another's "
                             "submission there; run `chmod +t %s` once (INSTRUCTOR.md)",
                             self.inbound_path, self.inbound_path)
        only = self.coursedir.student_id or "*"
        records = []
        for name in sorted(os.listdir(self.inbound_path)):
            parts = name.rsplit("+", 3)
            if len(parts) < 3 or parts[1] != self.coursedir.assignment_id:
                continue
            if only not in ("*", parts[0]):
                continue
            try:
                record = self._checked(name, parts)
            except Exception as exc:    # whatever one folder holds, the others are still collected
                self.log.error("inbound/%s: not collected: %s: %s", name, type(exc).__name__, exc)
                self.log.debug("inbound/%s", name, exc_info=True)
                record = None
            if record is not None:
                records.append(record)
        self.src_records = []
        for recs in groupby(records, lambda r: r["username"]).values():
            recs = sorted(recs, key=lambda r: r["timestamp"], reverse=True)
            if self.duedate is not None and self.before_duedate:
                before = [r for r in recs if r["timestamp"] <= self.duedate]
                recs = before or recs
            self.src_records.append(recs[0])

    def _checked(self, name: str, parts: list) -> dict | None:
        path = os.path.join(self.inbound_path, name)
        student = parts[0]
        try:
            st = os.lstat(path)
        except OSError as exc:
            self.log.error("inbound/%s: not collected (%s)", name, exc.strerror)
            return None
        if not stat.S_ISDIR(st.st_mode):
            self.log.error("inbound/%s: not collected: not a folder (a link or a file)", name)
            return None
        try:
            secret = os.lstat(os.path.join(path, "submission_secret.txt"))
        except OSError:
            secret = None
        if secret is None or not stat.S_ISREG(secret.st_mode):
            # nbgrader submit always writes it, and release_feedback stops at the first
            # submission without one (every student's feedback with it)
            self.log.error("inbound/%s: not collected: not made by `nbgrader submit` (no "
                           "submission_secret.txt)", name)
            return None
        if self.require_owner:
            if st.st_uid != _uid(student):
                try:
                    owner = pwd.getpwuid(st.st_uid).pw_name
                except KeyError:
                    owner = f"uid {st.st_uid}"
                self.log.error("inbound/%s: not collected: it claims to be %s's submission but %s "
                               "made it", name, student, owner)
                return None
        try:
            newest = self._newest_ctime(path)
        except (OSError, _Refused) as exc:
            self.log.error("inbound/%s: not collected: %s", name, exc)
            return None
        # naive UTC, like nbgrader's parse_utc and the gradebook's due dates
        actual = datetime.datetime.fromtimestamp(newest, datetime.timezone.utc).replace(tzinfo=None)
        try:
            claimed = parse_utc(parts[2])
        except ValueError:
            claimed = None
        if claimed is None or abs(claimed - actual) > SLACK:
            self.log.warning("inbound/%s: dated %s by its name, last changed %s: using the latter",
                             name, parts[2], actual.strftime("%Y-%m-%d %H:%M:%S UTC"))
        return {"username": student, "filename": name, "timestamp": actual}

    def _newest_ctime(self, path: str) -> float:
        """The newest ctime of the folder ``path`` and of what would be copied from it (links
        not followed); raises :class:`_Refused` past :attr:`max_depth` or :attr:`max_entries`."""
        fd = os.open(path, _DIR_FLAGS)
        try:
            newest = os.fstat(fd).st_ctime
            with contextlib.closing(self._walk(fd, self._skipped)) as entries:
                for _parent, _rel, st in entries:
                    newest = max(newest, st.st_ctime)
            return newest
        finally:
            os.close(fd)

    def _skipped(self, rel: str) -> bool:
        """Whether the entry at ``rel`` (relative to the submission) is left out of the copy:
        the student's own ``timestamp.txt``, and what matches ``CourseDirectory.ignore``."""
        return rel == "timestamp.txt" or any(fnmatch.fnmatch(os.path.basename(rel), g) for g in self.coursedir.ignore)

    def _walk(self, top_fd: int, skipped: Callable[[str], bool]) -> Iterator[tuple[int, str, os.stat_result]]:
        """Every entry below the folder open at ``top_fd`` that ``skipped`` keeps, a folder
        before what it holds, names sorted: ``(descriptor of its folder, path relative to the
        top, status)``. Nothing is followed: a folder's status is that of the descriptor the walk
        opened it with (``O_NOFOLLOW``), and its entries are looked up relative to that
        descriptor; anything else's is its ``lstat``. No recursion (an explicit stack holding at
        most :attr:`max_depth` descriptors); a folder nested deeper than :attr:`max_depth`, or
        more than :attr:`max_entries` names listed in all, raises :class:`_Refused` before it
        is read further. An entry gone while it is looked at is left out. Use it under
        ``contextlib.closing`` so that its descriptors are closed when the consumer stops."""
        count = 0

        def names(fd: int) -> Iterator[str]:
            nonlocal count
            listed = []
            with os.scandir(fd) as it:      # lazily: a folder of millions of names is not read whole
                for entry in it:
                    count += 1
                    if count > self.max_entries:
                        raise _Refused(f"more than {self.max_entries} files and folders "
                                       f"(SafeCollect.max_entries)")
                    listed.append(entry.name)
            return iter(sorted(listed))

        stack = [(top_fd, "", 0, names(top_fd))]
        try:
            while stack:
                fd, rel, depth, pending = stack[-1]
                name = next(pending, None)
                if name is None:
                    stack.pop()
                    if fd != top_fd:
                        os.close(fd)
                    continue
                path = os.path.join(rel, name)
                if skipped(path):
                    continue
                try:
                    st = os.stat(name, dir_fd=fd, follow_symlinks=False)
                except FileNotFoundError:
                    continue
                if not stat.S_ISDIR(st.st_mode):
                    yield fd, path, st
                    continue
                if depth + 1 > self.max_depth:
                    raise _Refused(f"folders nested more than {self.max_depth} levels deep "
                                   f"(SafeCollect.max_depth)")
                try:
                    sub = os.open(name, _DIR_FLAGS, dir_fd=fd)
                except FileNotFoundError:
                    continue
                stack.append((sub, path, depth + 1, iter(())))     # closed by the finally if what follows fails
                st = os.fstat(sub)
                yield fd, path, st
                stack[-1] = (sub, path, depth + 1, names(sub))
        finally:
            for fd, *_ in stack:
                if fd != top_fd:
                    os.close(fd)

    def copy_files(self):
        if self.require_owner:
            # SafeCollect checks the owner itself (in init_src, and again on the descriptor in
            # do_copy); nbgrader's own check (a warning) stats the path following links, so a
            # folder its student replaced meanwhile by a dangling link stopped the run for all
            self.check_owner = False
        super().copy_files()

    def do_copy(self, src, dest, log=None):
        """Copy through file descriptors opened without following links, so that nothing the
        student swaps in after the checks (a link to the course folder, another folder) is
        read: the folder is opened once, its owner checked again on that descriptor, and every
        entry opened relative to its parent's descriptor. Links are copied as links (the
        pre-convert hook moves them out), other non-regular files not at all, the student's
        own ``timestamp.txt`` never; the date written is the newest ctime of what was copied.
        Any failure (a limit, a file changed while it was copied, any error at all) leaves this
        student uncollected, nothing of it in ``submitted/``, and the run going on."""
        record = next((r for r in self.src_records if os.path.join(self.inbound_path, r["filename"]) == src), None)
        try:
            fd = os.open(src, _DIR_FLAGS)
        except OSError as exc:
            self.log.error("%s: not collected: it changed after it was checked (%s)", src, exc.strerror)
            return
        try:
            st = os.fstat(fd)
            if record is not None and self.require_owner and st.st_uid != _uid(record["username"]):
                self.log.error("%s: not collected: it changed owner after it was checked", src)
                return
            newest = self._copy_fd(fd, dest)
        except Exception as exc:        # one student's folder never stops the run for the others
            why = exc if isinstance(exc, (OSError, _Refused)) else f"{type(exc).__name__}: {exc}"
            self.log.error("%s: not collected: %s", src, why)
            self.log.debug("%s", src, exc_info=True)
            _discard(dest)
            return
        finally:
            os.close(fd)
        secret = os.path.join(dest, "submission_secret.txt")
        if not (os.path.isfile(secret) and not os.path.islink(secret)):
            # release_feedback would stop at it, for the whole class
            self.log.error("%s: not collected: its submission_secret.txt changed while it was copied", src)
            _discard(dest)
            return
        when = datetime.datetime.fromtimestamp(newest, datetime.timezone.utc).replace(tzinfo=None)
        if record is not None and abs(when - record["timestamp"]) > SLACK:
            self.log.warning("%s: changed while it was collected; dated by what was copied (%s)", src,
                             when.strftime("%Y-%m-%d %H:%M:%S UTC"))
        with open(os.path.join(dest, "timestamp.txt"), "w") as f:
            f.write(when.strftime("%Y-%m-%d %H:%M:%S.%f UTC"))

    def _copy_fd(self, top_fd: int, dest: str) -> float:
        """Copy the folder open at ``top_fd`` to ``dest`` (within ``max_file_size`` per file,
        ``max_dir_size`` in all, and the walk's limits); returns the newest ctime seen."""
        newest = os.fstat(top_fd).st_ctime
        os.mkdir(dest, 0o700)
        max_file = 1000 * self.coursedir.max_file_size
        budget = 1000 * self.coursedir.max_dir_size
        with contextlib.closing(self._walk(top_fd, self._skipped)) as entries:
            for dir_fd, rel, st in entries:
                target = os.path.join(dest, rel)
                newest = max(newest, st.st_ctime)
                if stat.S_ISDIR(st.st_mode):
                    os.mkdir(target, 0o700)
                    continue
                name = os.path.basename(rel)
                if stat.S_ISLNK(st.st_mode):
                    os.symlink(os.readlink(name, dir_fd=dir_fd), target)
                    continue
                if not stat.S_ISREG(st.st_mode):
                    self.log.error("%s: not collected: not a regular file", target)
                    continue
                try:
                    fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
                except FileNotFoundError:    # gone while we looked: not part of the submission
                    continue
                try:
                    st = os.fstat(fd)
                    if not stat.S_ISREG(st.st_mode):
                        raise _Refused(f"{rel} changed while it was copied")
                    if st.st_size > max_file:
                        self.log.warning("%s: not collected: larger than %d bytes", target, max_file)
                        continue
                    if st.st_size > budget:
                        raise _Refused(f"larger than {1000 * self.coursedir.max_dir_size} bytes in all")
                    budget -= _copy_file(fd, st, target, rel)
                    newest = max(newest, st.st_ctime)
                finally:
                    os.close(fd)
        return newest


def _copy_file(fd: int, st: os.stat_result, target: str, rel: str) -> int:
    """Copy the regular file open at ``fd`` (``st`` its status when it was opened) to ``target``:
    at most ``st.st_size`` bytes, whatever it holds by then. Returns the bytes copied.

    A file that grew, shrank or was written (its ctime changed) while it was copied raises
    :class:`_Refused`, so the whole submission is left uncollected rather than just this file,
    as for every other change during the copy (a folder swapped, the secret replaced, an entry
    that became a link): what was read is then a mix of two versions that the student never
    had, no date can be given to it, and collecting the rest without it would grade something
    else than what was submitted. The submission stays in the exchange; an honest one never
    changes once ``nbgrader submit`` is done (a new submit makes a new folder), so the next
    collect takes it. A sparse file grown with ``ftruncate`` once copied 2.5 GB past both caps
    when the copy read to the end of the file."""
    size, copied = st.st_size, 0
    with open(target, "xb") as out:
        while copied < size:
            chunk = os.read(fd, min(CHUNK, size - copied))
            if not chunk:
                break
            out.write(chunk)
            copied += len(chunk)
        more = os.read(fd, 1)           # one byte past the size it had: has it grown?
    after = os.fstat(fd)
    if more or copied != size or after.st_size != size or after.st_ctime_ns != st.st_ctime_ns \
            or after.st_mtime_ns != st.st_mtime_ns:
        how = "grew" if more or after.st_size > size else "shrank" if copied != size or after.st_size < size \
            else "was written to"
        raise _Refused(f"{rel} {how} while it was copied ({size} bytes when opened)")
    return copied


class _Refused(Exception):
    """The submission is not collected; the message says why."""


def _discard(dest: str) -> None:
    """Remove what was copied to ``dest``, and its student's folder in ``submitted/`` if that
    is left empty (nbgrader's collect makes it before the copy)."""
    shutil.rmtree(dest, ignore_errors=True)
    with contextlib.suppress(OSError):
        os.rmdir(os.path.dirname(dest))


def _uid(login: str) -> int | None:
    try:
        return pwd.getpwnam(login).pw_uid
    except KeyError:
        return None
