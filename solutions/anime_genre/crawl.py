"""A polite crawler for anime pages, standard library only.

Polite means: one request at a time, a random pause between requests (default 4–7 s,
which MyAnimeList asks of crawlers), retries with exponential backoff when the server says
"too many requests" (429) or has a temporary failure (5xx), honouring ``Retry-After``, and a
User-Agent that says who is crawling and how to reach them.

Every page is saved in an on-disk cache, one file per id (``<cache>/<id>.html``), written
atomically; a cached page is never fetched again, so a crawl that was stopped resumes where
it stopped. A permanent failure (404 and other 4xx) is recorded as ``<cache>/<id>.failed``
and not retried on the next run unless asked; a temporary failure that outlived its retries
is recorded too but retried next time.
"""
from __future__ import annotations

import dataclasses
import email.utils
import os
import random
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from .errors import UserError

DEFAULT_URL = "https://myanimelist.net/anime/{id}"
RETRY_STATUSES = {429, 500, 502, 503, 504}


@dataclasses.dataclass
class CrawlReport:
    """What one run did. ``requests`` counts HTTP requests, retries included."""
    fetched: list[int] = dataclasses.field(default_factory=list)
    cached: list[int] = dataclasses.field(default_factory=list)
    failed: dict[int, str] = dataclasses.field(default_factory=dict)
    skipped_failed: list[int] = dataclasses.field(default_factory=list)
    requests: int = 0


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
    except (TypeError, ValueError):
        return None
    return max(0.0, when - (time.time() if now is None else now))


class Crawler:
    """Fetch pages ``url.format(id=...)`` into ``cache_dir``.

    ``delay`` (min, max) seconds of uniform random pause before each request after the
    first; ``max_retries`` extra attempts on 429/5xx/network errors, waiting
    ``Retry-After`` when given, else ``backoff * 2**attempt`` seconds (capped at
    ``max_backoff``). ``sleep`` is the function used to wait (``time.sleep``)."""

    def __init__(self, cache_dir, contact: str, url: str = DEFAULT_URL,
                 delay: tuple[float, float] = (4.0, 7.0), max_retries: int = 4,
                 backoff: float = 5.0, max_backoff: float = 300.0, timeout: float = 30.0,
                 seed: int | None = None, sleep=time.sleep):
        if delay[0] < 0 or delay[1] < delay[0]:
            raise UserError(f"delay must be 0 <= min <= max seconds, got {delay}")
        self.cache_dir = Path(cache_dir)
        self.url = url
        self.delay = delay
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.timeout = timeout
        self.headers = {"User-Agent": user_agent(contact)}
        self.rng = random.Random(seed)
        self.sleep = sleep
        self._last_request: float | None = None
        self.requests = 0

    def page_path(self, mal_id: int) -> Path:
        return self.cache_dir / f"{int(mal_id)}.html"

    def failure_path(self, mal_id: int) -> Path:
        return self.cache_dir / f"{int(mal_id)}.failed"

    def _wait_politely(self) -> None:
        """Pause so that consecutive requests are ``delay`` seconds apart."""
        if self._last_request is None:
            return
        pause = self.rng.uniform(*self.delay)
        remaining = self._last_request + pause - time.monotonic()
        if remaining > 0:
            self.sleep(remaining)

    def _request(self, url: str) -> bytes:
        """One polite GET with retries. Raises urllib.error.HTTPError for a final HTTP
        failure, OSError for a final network failure."""
        attempt = 0
        while True:
            self._wait_politely()
            self._last_request = time.monotonic()
            self.requests += 1
            try:
                req = urllib.request.Request(url, headers=self.headers)
                with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                    return resp.read()
            except urllib.error.HTTPError as exc:
                if exc.code not in RETRY_STATUSES or attempt >= self.max_retries:
                    raise
                wait = retry_after_seconds(exc.headers.get("Retry-After"))
            except (urllib.error.URLError, OSError):
                if attempt >= self.max_retries:
                    raise
                wait = None
            if wait is None:
                wait = self.backoff * 2 ** attempt
            self.sleep(min(wait, self.max_backoff))
            attempt += 1

    def _save(self, path: Path, data: bytes) -> None:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".part")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)

    def crawl(self, ids, retry_failed: bool = False, progress: bool = False) -> CrawlReport:
        """Fetch every id not yet cached. Returns a :class:`CrawlReport`."""
        from tqdm.auto import tqdm

        self.cache_dir.mkdir(parents=True, exist_ok=True)
        report = CrawlReport()
        start_requests = self.requests
        ids = [int(i) for i in ids]
        for mal_id in tqdm(ids, unit="page", desc="crawl", disable=not progress):
            page, failure = self.page_path(mal_id), self.failure_path(mal_id)
            if page.exists():
                report.cached.append(mal_id)
                continue
            if failure.exists() and not retry_failed:
                reason = failure.read_text(encoding="utf-8")
                if reason.startswith("permanent"):
                    report.skipped_failed.append(mal_id)
                    continue
            url = self.url.format(id=mal_id)
            try:
                data = self._request(url)
            except urllib.error.HTTPError as exc:
                kind = "temporary" if exc.code in RETRY_STATUSES else "permanent"
                reason = f"{kind}: HTTP {exc.code} {exc.reason} for {url}"
            except OSError as exc:
                reason = f"temporary: {type(exc).__name__}: {exc} for {url}"
            else:
                self._save(page, data)
                failure.unlink(missing_ok=True)
                report.fetched.append(mal_id)
                continue
            self._save(failure, reason.encode("utf-8"))
            report.failed[mal_id] = reason
        report.requests = self.requests - start_requests
        return report
