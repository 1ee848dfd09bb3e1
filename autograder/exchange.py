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
  the newest ctime of what was actually copied; a failure costs that student only.
"""
from __future__ import annotations

import datetime
import fnmatch
import os
import pwd
import shutil
import stat

from nbgrader.exchange.default.collect import ExchangeCollect, groupby
from nbgrader.utils import parse_utc
from traitlets import Bool

SLACK = datetime.timedelta(minutes=2)   # nbgrader submit writes the name, then copies files


def _newest_ctime(path: str) -> float:
    """The newest ctime of ``path`` and of everything below it (links not followed)."""
    newest = os.lstat(path).st_ctime
    for dirpath, dirnames, filenames in os.walk(path):
        for name in dirnames + filenames:
            try:
                newest = max(newest, os.lstat(os.path.join(dirpath, name)).st_ctime)
            except OSError:
                pass
    return newest


class SafeCollect(ExchangeCollect):
    require_owner = Bool(True, help="collect only folders owned by the account their name claims "
                         "(student ids are the students' logins on this server)").tag(config=True)

    def init_src(self):
        super().init_src()      # checks the course and inbound; its choice is redone below
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
            record = self._checked(name, parts)
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
        # naive UTC, like nbgrader's parse_utc and the gradebook's due dates
        actual = datetime.datetime.fromtimestamp(_newest_ctime(path), datetime.timezone.utc).replace(tzinfo=None)
        try:
            claimed = parse_utc(parts[2])
        except ValueError:
            claimed = None
        if claimed is None or abs(claimed - actual) > SLACK:
            self.log.warning("inbound/%s: dated %s by its name, last changed %s: using the latter",
                             name, parts[2], actual.strftime("%Y-%m-%d %H:%M:%S UTC"))
        return {"username": student, "filename": name, "timestamp": actual}

    def do_copy(self, src, dest, log=None):
        """Copy through file descriptors opened without following links, so that nothing the
        student swaps in after the checks (a link to the course folder, another folder) is
        read: the folder is opened once, its owner checked again on that descriptor, and every
        entry opened relative to its parent's descriptor. Links are copied as links (the
        pre-convert hook moves them out), other non-regular files not at all, the student's
        own ``timestamp.txt`` never; the date written is the newest ctime of what was copied.
        Any failure leaves this student uncollected and the run going on."""
        record = next((r for r in self.src_records if os.path.join(self.inbound_path, r["filename"]) == src), None)
        try:
            fd = os.open(src, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        except OSError as exc:
            self.log.error("%s: not collected: it changed after it was checked (%s)", src, exc.strerror)
            return
        try:
            st = os.fstat(fd)
            if record is not None and self.require_owner and st.st_uid != _uid(record["username"]):
                self.log.error("%s: not collected: it changed owner after it was checked", src)
                return
            budget = [1000 * self.coursedir.max_dir_size]
            newest = self._copy_fd(fd, dest, budget, top=True)
        except (OSError, _TooBig) as exc:
            self.log.error("%s: not collected: %s", src, exc)
            shutil.rmtree(dest, ignore_errors=True)
            return
        finally:
            os.close(fd)
        secret = os.path.join(dest, "submission_secret.txt")
        if not (os.path.isfile(secret) and not os.path.islink(secret)):
            # release_feedback would stop at it, for the whole class
            self.log.error("%s: not collected: its submission_secret.txt changed while it was copied", src)
            shutil.rmtree(dest, ignore_errors=True)
            return
        when = datetime.datetime.fromtimestamp(newest, datetime.timezone.utc).replace(tzinfo=None)
        if record is not None and abs(when - record["timestamp"]) > SLACK:
            self.log.warning("%s: changed while it was collected; dated by what was copied (%s)", src,
                             when.strftime("%Y-%m-%d %H:%M:%S UTC"))
        with open(os.path.join(dest, "timestamp.txt"), "w") as f:
            f.write(when.strftime("%Y-%m-%d %H:%M:%S.%f UTC"))

    def _copy_fd(self, dir_fd: int, dest: str, budget: list, top: bool = False) -> float:
        """Copy the folder open at ``dir_fd`` to ``dest``; returns the newest ctime seen."""
        newest = os.fstat(dir_fd).st_ctime
        os.mkdir(dest, 0o700)
        max_file = 1000 * self.coursedir.max_file_size
        for name in sorted(os.listdir(dir_fd)):
            if (top and name == "timestamp.txt") or any(fnmatch.fnmatch(name, g) for g in self.coursedir.ignore):
                continue
            try:
                st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
                if stat.S_ISLNK(st.st_mode):
                    os.symlink(os.readlink(name, dir_fd=dir_fd), os.path.join(dest, name))
                    continue
                if not (stat.S_ISDIR(st.st_mode) or stat.S_ISREG(st.st_mode)):
                    self.log.error("%s: not collected: not a regular file", os.path.join(dest, name))
                    continue
                flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | \
                    (os.O_DIRECTORY if stat.S_ISDIR(st.st_mode) else 0)
                fd = os.open(name, flags, dir_fd=dir_fd)
            except FileNotFoundError:        # gone while we looked: not part of the submission
                continue
            try:
                st = os.fstat(fd)
                if stat.S_ISDIR(st.st_mode):
                    newest = max(newest, self._copy_fd(fd, os.path.join(dest, name), budget))
                elif stat.S_ISREG(st.st_mode):
                    if st.st_size > max_file:
                        self.log.warning("%s: not collected: larger than %d bytes", os.path.join(dest, name), max_file)
                        continue
                    budget[0] -= st.st_size
                    if budget[0] < 0:
                        raise _TooBig(f"larger than {1000 * self.coursedir.max_dir_size} bytes in all")
                    with os.fdopen(os.dup(fd), "rb") as f, open(os.path.join(dest, name), "xb") as out:
                        shutil.copyfileobj(f, out)
                    newest = max(newest, st.st_ctime, os.fstat(fd).st_ctime)
            finally:
                os.close(fd)
        return newest


class _TooBig(Exception):
    pass


def _uid(login: str) -> int | None:
    try:
        return pwd.getpwnam(login).pw_uid
    except KeyError:
        return None
