"""A polite crawler for anime pages, standard library only, that can be left running overnight.

Polite means: one request at a time, a random pause between requests (default 4–7 s,
which MyAnimeList asks of crawlers), retries with exponential backoff when the server says
"too many requests" (429) or has a temporary failure (5xx), honouring ``Retry-After`` (seconds
or an HTTP date), and a User-Agent that says who is crawling and how to reach them.

Safe to leave alone means every request and the whole run are bounded:

- a page is cached only once it is a complete anime page of the requested id
  (:func:`anime_genre.scrape.check_anime_page`): a login or captcha page, an empty, cut-off or
  undecodable body is recorded with its reason and retried on the next run, never cached;
- each request has a deadline (``timeout``: connecting, headers and body together, so a
  server dripping one byte a second cannot hold the crawl) and a size cap (``max_bytes``,
  also after gzip decompression);
- redirects are followed only on the host of ``url``;
- a body cut short (a closed connection, an aborted chunked body) is retried like a 5xx;
- retries are bounded (``max_retries``); a ``Retry-After`` longer than ``max_wait`` stops the
  crawl instead of being shortened, and so do ``max_failures_in_row`` ids in a row that fail
  (a site-wide 429, a login wall); ``deadline`` bounds the whole run (checked before each
  request and each wait, so a run ends at most one request ``timeout`` after it).

Every page is saved in an on-disk cache, one file per id (``<cache>/<id>.html``), written
atomically (a temporary ``.part`` file renamed; one left by a killed run is removed at the
next start); a cached page is never fetched again, so a crawl that was stopped resumes where
it stopped. A permanent failure (404 or 410: no such anime) is recorded as
``<cache>/<id>.failed`` and not retried on the next run unless asked; every other failure is recorded too
(``temporary: ...`` or ``rejected: ...``) and retried on the next run.
"""
from __future__ import annotations

import dataclasses
import email.utils
import http.client
import os
import random
import socket
import ssl
import tempfile
import threading
import time
import urllib.parse
import zlib
from pathlib import Path

from .errors import UserError
from .scrape import PageParseError, check_anime_page

DEFAULT_URL = "https://myanimelist.net/anime/{id}"
RETRY_STATUSES = {429, 500, 502, 503, 504}
PERMANENT_STATUSES = {404, 410}
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
MAX_REDIRECTS = 5


@dataclasses.dataclass
class CrawlReport:
    """What one run did. ``requests`` counts HTTP requests, retries included;
    ``not_attempted`` the ids left when the run stopped early, ``stopped`` why."""
    fetched: list[int] = dataclasses.field(default_factory=list)
    cached: list[int] = dataclasses.field(default_factory=list)
    failed: dict[int, str] = dataclasses.field(default_factory=dict)
    skipped_failed: list[int] = dataclasses.field(default_factory=list)
    not_attempted: list[int] = dataclasses.field(default_factory=list)
    stopped: str = ""
    requests: int = 0


class FetchError(Exception):
    """One failed attempt. ``kind``: ``temporary`` (retried now, within ``max_retries``),
    ``rejected`` (a response that is not a usable page: retried on the next run) or
    ``permanent`` (404, 410: not retried unless asked); ``retry_after``: seconds the server asked
    to wait (None if it did not say); ``raw_retry_after``: the header as sent."""

    def __init__(self, kind: str, reason: str, retry_after: float | None = None,
                 raw_retry_after: str = ""):
        super().__init__(reason)
        self.kind, self.reason = kind, reason
        self.retry_after, self.raw_retry_after = retry_after, raw_retry_after


class _Stop(Exception):
    """Ends the whole run (deadline, a Retry-After too long to wait, too many failures)."""


def user_agent(contact: str) -> str:
    """An identifying User-Agent; ``contact`` is a URL or e-mail of the person crawling."""
    if not contact or not contact.strip():
        raise UserError("a contact (URL or e-mail of whoever runs the crawl) is required so the "
                        "site can reach you: pass --contact or set ANIME_GENRE_CONTACT")
    return f"anime-genre-course/0.1 (teaching crawler; +{contact.strip()})"


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return max(0.0, when - (time.time() if now is None else now))


def _duration(seconds: float) -> str:
    if seconds >= 3 * 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 120:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:.3g} s"


def _gunzip(data: bytes, max_bytes: int) -> bytes:
    """Decompress gzip bytes, refusing more than ``max_bytes`` of output (a small
    compressed body can expand to gigabytes)."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, max_bytes + 1)
    except zlib.error as exc:
        raise FetchError("rejected", f"gzip body that cannot be decompressed ({exc})") from None
    if len(out) > max_bytes or inflater.unconsumed_tail:
        raise FetchError("rejected", f"gzip body larger than {max_bytes} bytes once decompressed")
    if not inflater.eof:
        raise FetchError("temporary", "gzip body cut short (the compressed stream does not end)")
    return out


class Crawler:
    """Fetch pages ``url.format(id=...)`` into ``cache_dir``.

    ``delay`` (min, max) seconds of uniform random pause before each request after the
    first; ``max_retries`` extra attempts on 429/5xx/network errors/cut-off bodies, waiting
    ``Retry-After`` when given, else ``backoff * 2**attempt`` seconds (capped at
    ``max_backoff``). A ``Retry-After`` longer than ``max_wait`` seconds stops the run.
    ``timeout``: deadline of one request in seconds (connect, headers and body);
    ``max_bytes``: largest body accepted; ``deadline``: seconds the whole :meth:`crawl` may
    take (None: no limit); ``max_failures_in_row``: ids in a row whose final outcome is a
    temporary or rejected failure after which the run stops. ``sleep`` is the function used
    to wait (``time.sleep``)."""

    def __init__(self, cache_dir, contact: str, url: str = DEFAULT_URL,
                 delay: tuple[float, float] = (4.0, 7.0), max_retries: int = 4,
                 backoff: float = 5.0, max_backoff: float = 300.0, timeout: float = 60.0,
                 max_bytes: int = 5_000_000, max_wait: float = 900.0,
                 deadline: float | None = None, max_failures_in_row: int = 5,
                 seed: int | None = None, sleep=time.sleep):
        if delay[0] < 0 or delay[1] < delay[0]:
            raise UserError(f"delay must be 0 <= min <= max seconds, got {delay}")
        for name, value in (("timeout", timeout), ("max_bytes", max_bytes),
                            ("max_failures_in_row", max_failures_in_row)):
            if value <= 0:
                raise UserError(f"{name} must be positive, got {value}")
        if max_retries < 0 or max_wait < 0 or (deadline is not None and deadline <= 0):
            raise UserError("max_retries and max_wait must be >= 0 and the deadline positive")
        try:
            parts = urllib.parse.urlsplit(url.format(id=0))
        except (KeyError, IndexError, ValueError):
            parts = None
        if "{id}" not in url or parts is None or parts.scheme not in ("http", "https") \
                or not parts.hostname:
            raise UserError(f"--url must be an http(s) address with {{id}}, got {url!r}")
        self.cache_dir = Path(cache_dir)
        self.url = url
        self.host = parts.netloc.lower()
        self.delay = delay
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_wait = max_wait
        self.deadline = deadline
        self.max_failures_in_row = max_failures_in_row
        self.headers = {"User-Agent": user_agent(contact), "Accept": "text/html",
                        "Accept-Encoding": "gzip"}
        self.rng = random.Random(seed)
        self.sleep = sleep
        self._last_request: float | None = None
        self._ends_at: float | None = None
        self.requests = 0

    def page_path(self, mal_id: int) -> Path:
        return self.cache_dir / f"{int(mal_id)}.html"

    def failure_path(self, mal_id: int) -> Path:
        return self.cache_dir / f"{int(mal_id)}.failed"

    # -- waiting
    def _wait(self, seconds: float, why: str) -> None:
        """Sleep ``seconds`` unless that would pass the run's deadline (then stop)."""
        if self._ends_at is not None and time.monotonic() + seconds > self._ends_at:
            raise _Stop(f"deadline: the run's {_duration(self.deadline)} would pass while "
                        f"waiting {_duration(seconds)} ({why})")
        if seconds > 0:
            self.sleep(seconds)

    def _wait_politely(self) -> None:
        """Pause so that a request starts ``delay`` seconds after the previous one ended."""
        if self._last_request is None:
            return
        pause = self.rng.uniform(*self.delay)
        remaining = self._last_request + pause - time.monotonic()
        if remaining > 0:
            self._wait(remaining, "the pause between requests")

    # -- one HTTP exchange
    def _exchange(self, url: str) -> tuple[int, str, http.client.HTTPMessage, bytes]:
        """One GET without following redirects, within ``timeout`` seconds in all:
        ``(status, reason, headers, body)``, the body decompressed and at most ``max_bytes``.
        Raises :class:`FetchError` for network errors, cut-off or oversized bodies."""
        parts = urllib.parse.urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        started = time.monotonic()
        if parts.scheme == "https":
            conn = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=self.timeout,
                                               context=ssl.create_default_context())
        else:
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=self.timeout)
        expired = threading.Event()

        def cut() -> None:  # the deadline passed: wake up whatever read is blocked
            expired.set()
            sock = conn.sock
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        timer = threading.Timer(self.timeout, cut)
        timer.daemon = True
        timer.start()
        size = 0
        try:
            conn.request("GET", target, headers=self.headers)
            resp = conn.getresponse()
            declared = resp.getheader("Content-Length")
            if declared is not None and declared.strip().isdigit() and int(declared) > self.max_bytes:
                raise FetchError("rejected", f"body of {int(declared)} bytes announced, more than "
                                             f"the {self.max_bytes}-byte cap")
            chunks = []
            while True:
                chunk = resp.read1(1 << 16)
                if not chunk:
                    break
                size += len(chunk)
                if size > self.max_bytes:
                    raise FetchError("rejected", f"body larger than the {self.max_bytes}-byte cap")
                if time.monotonic() - started > self.timeout:
                    raise TimeoutError
                chunks.append(chunk)
            if expired.is_set():
                raise TimeoutError
            if declared is not None and declared.strip().isdigit() and size < int(declared):
                raise FetchError("temporary", f"body cut short: {size} of {int(declared)} bytes "
                                              f"received before the connection closed")
            body = b"".join(chunks)
        except FetchError:
            raise
        except (TimeoutError, socket.timeout):
            raise FetchError("temporary", f"no complete response within the {self.timeout:g} s "
                                          f"deadline of a request") from None
        except http.client.IncompleteRead:
            raise FetchError("temporary", f"body cut short ({size} bytes, then the connection "
                                          f"closed inside a chunk)") from None
        except (http.client.HTTPException, OSError, ValueError) as exc:
            if expired.is_set():
                raise FetchError("temporary", f"no complete response within the {self.timeout:g} s "
                                              f"deadline of a request") from None
            raise FetchError("temporary", f"{type(exc).__name__}: {exc}") from None
        finally:
            timer.cancel()
            conn.close()
        encoding = (resp.getheader("Content-Encoding") or "").strip().lower()
        if encoding == "gzip" or body[:2] == b"\x1f\x8b":
            body = _gunzip(body, self.max_bytes)
        elif encoding not in ("", "identity"):
            raise FetchError("rejected", f"unsupported Content-Encoding {encoding!r}")
        return resp.status, resp.reason, resp.headers, body

    def _get(self, url: str) -> bytes:
        """GET following redirects on this crawler's host only (each hop after the polite
        pause); returns the body of a 200. Raises :class:`FetchError`."""
        for _ in range(MAX_REDIRECTS + 1):
            self._wait_politely()
            self.requests += 1
            try:
                status, reason, headers, body = self._exchange(url)
            finally:  # the pause is counted from the end of the previous exchange
                self._last_request = time.monotonic()
            if status in REDIRECT_STATUSES:
                location = headers.get("Location")
                if not location:
                    raise FetchError("rejected", f"HTTP {status} redirect without a Location")
                target = urllib.parse.urljoin(url, location.strip())
                if urllib.parse.urlsplit(target).netloc.lower() != self.host:
                    raise FetchError("rejected", f"HTTP {status} redirect to another host "
                                                 f"({target}); only {self.host} is followed")
                url = target
                continue
            if status == 200:
                return body
            # 404/410: no such anime. Other 4xx (403 from a bot wall, ...) may pass.
            kind = ("temporary" if status in RETRY_STATUSES else
                    "permanent" if status in PERMANENT_STATUSES else "rejected")
            raw = headers.get("Retry-After") or ""
            raise FetchError(kind, f"HTTP {status} {reason}", retry_after_seconds(raw), raw)
        raise FetchError("rejected", f"more than {MAX_REDIRECTS} redirects")

    def _fetch_page(self, mal_id: int) -> bytes:
        """The validated page of one id, with polite pauses and bounded retries. Raises
        :class:`FetchError` for the final failure, :class:`_Stop` to end the run."""
        url = self.url.format(id=mal_id)
        attempt = 0
        while True:
            if self._ends_at is not None and time.monotonic() >= self._ends_at:
                raise _Stop(f"deadline: the run's {_duration(self.deadline)} are over")
            try:
                data = self._get(url)
                try:
                    check_anime_page(data.decode("utf-8-sig"), expected_id=mal_id)
                except UnicodeDecodeError as exc:
                    raise FetchError("rejected", f"not a page: the body is not UTF-8 text "
                                                 f"(byte {exc.start})") from None
                except PageParseError as exc:
                    # an empty or cut-off page is a transfer problem: try again now
                    kind = "temporary" if exc.field == "page" else "rejected"
                    raise FetchError(kind, f"not an anime page: {exc.field}: {exc.reason}") from None
                return data
            except FetchError as exc:
                if exc.kind != "temporary" or attempt >= self.max_retries:
                    raise
                if exc.retry_after is not None and exc.retry_after > self.max_wait:
                    raise _Stop(f"the server asked to wait {_duration(exc.retry_after)} "
                                f"(Retry-After: {exc.raw_retry_after}) after {exc.reason} on "
                                f"{url}, longer than the {_duration(self.max_wait)} this crawl "
                                f"waits: stopped, run again later") from None
                wait = exc.retry_after
                if wait is None:
                    wait = min(self.backoff * 2 ** attempt, self.max_backoff)
                self._wait(wait, f"before retrying {url} after {exc.reason}")
                attempt += 1

    # -- files
    def _save(self, path: Path, data: bytes) -> None:
        """Write ``data`` to ``path`` atomically; the temporary file never outlives a
        failure or an interruption of this function."""
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _cached_ok(self, page: Path, mal_id: int) -> bool:
        """A cached page looks complete and of this id (cheap check; pages cached by this
        crawler were fully checked before they were saved)."""
        try:
            data = page.read_bytes()
        except OSError:
            return False
        return data.rstrip().lower().endswith(b"</html>") and b"/anime/%d" % mal_id in data

    def crawl(self, ids, retry_failed: bool = False, progress: bool = False) -> CrawlReport:
        """Fetch every id not yet cached. Returns a :class:`CrawlReport`."""
        from tqdm.auto import tqdm

        self.cache_dir.mkdir(parents=True, exist_ok=True)
        for stale in self.cache_dir.glob("*.part"):   # left by a run that was killed
            stale.unlink(missing_ok=True)
        report = CrawlReport()
        start_requests = self.requests
        self._ends_at = None if self.deadline is None else time.monotonic() + self.deadline
        ids = [int(i) for i in ids]
        in_row = 0
        try:
            for k, mal_id in enumerate(tqdm(ids, unit="page", desc="crawl", disable=not progress)):
                page, failure = self.page_path(mal_id), self.failure_path(mal_id)
                if page.exists():
                    if self._cached_ok(page, mal_id):
                        report.cached.append(mal_id)
                        continue
                    page.unlink()  # an empty or foreign page cached by an older version
                if failure.exists() and not retry_failed:
                    reason = failure.read_text(encoding="utf-8", errors="replace")
                    if reason.startswith("permanent"):
                        report.skipped_failed.append(mal_id)
                        continue
                url = self.url.format(id=mal_id)
                try:
                    data = self._fetch_page(mal_id)
                except FetchError as exc:
                    reason = f"{exc.kind}: {exc.reason} for {url}"
                except _Stop as stop:
                    report.stopped = str(stop)
                    report.not_attempted = ids[k:]
                    break
                else:
                    self._save(page, data)
                    failure.unlink(missing_ok=True)
                    report.fetched.append(mal_id)
                    in_row = 0
                    continue
                self._save(failure, reason.encode("utf-8"))
                report.failed[mal_id] = reason
                in_row = 0 if reason.startswith("permanent") else in_row + 1
                if in_row >= self.max_failures_in_row:
                    report.stopped = (f"{in_row} ids in a row failed (last: {reason}): the site is "
                                      f"refusing or not serving pages; stopped, run again later")
                    report.not_attempted = ids[k + 1:]
                    break
        finally:
            report.requests = self.requests - start_requests
            self._ends_at = None
        return report
