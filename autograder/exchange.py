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
- copies links as links and nothing else that is not a regular file or folder, so that the
  course's pre-convert hook moves them to ``rejected/`` before anything opens them.
"""
from __future__ import annotations

import datetime
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
            try:
                expected = pwd.getpwnam(student).pw_uid
            except KeyError:
                expected = None
            if st.st_uid != expected:
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
        """Links are copied as links (the pre-convert hook moves them out), FIFOs, sockets and
        devices not at all; then ``timestamp.txt`` gets the time the collect trusts."""
        dir_size = self.get_size(src)
        if dir_size > 1000 * self.coursedir.max_dir_size:
            raise RuntimeError(f"Directory size is too big. Size is {dir_size}, maximum size is "
                               f"{1000 * self.coursedir.max_dir_size}")
        from nbgrader.exchange.default.exchange import ignore_patterns
        base_ignore = ignore_patterns(exclude=self.coursedir.ignore, include=self.coursedir.include,
                                      max_file_size=self.coursedir.max_file_size, log=self.log)

        def ignore(directory, names):
            skip = set(base_ignore(directory, names))
            for n in names:
                mode = os.lstat(os.path.join(directory, n)).st_mode
                if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode) or stat.S_ISLNK(mode)):
                    self.log.error("%s: not collected: not a regular file", os.path.join(directory, n))
                    skip.add(n)
            return skip

        shutil.copytree(src, dest, symlinks=True, ignore=ignore)
        record = next((r for r in self.src_records if os.path.join(self.inbound_path, r["filename"]) == src), None)
        if record is not None:
            stamp = os.path.join(dest, "timestamp.txt")
            if os.path.lexists(stamp):
                os.remove(stamp)
            with open(stamp, "w") as f:
                f.write(record["timestamp"].strftime("%Y-%m-%d %H:%M:%S.%f UTC"))
