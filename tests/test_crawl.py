"""The crawler against a real HTTP server on 127.0.0.1 (started here, on a free port)
that serves the project's fixture pages and misbehaves on purpose."""
from __future__ import annotations

import http.server
import signal
import threading
import time
from pathlib import Path

import pytest

from anime_genre import cli
from anime_genre.crawl import Crawler, retry_after_seconds, user_agent
from anime_genre.errors import UserError

FIXTURES = Path(__file__).resolve().parents[1] / "datasets" / "fixtures" / "mal-html-2022"
PAGES = {90001: "invented-2018-anime-90001.html", 90002: "invented-2021-anime-90002.html",
         90003: "invented-2022-anime-90003.html", 90004: "invented-2022-anime-90004.html",
         90005: "invented-2022-anime-90005.html"}


class FlakyServer:
    """Serves /anime/<id>. ``script[id]`` is a list of statuses to answer before the page
    (e.g. [429] = one 429 then the page); ids not in PAGES get 404."""

    def __init__(self, script: dict[int, list[int]]):
        self.script = {k: list(v) for k, v in script.items()}
        self.log: list[tuple[str, int, str]] = []  # (path, status, user agent)
        self.times: list[float] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.times.append(time.monotonic())
                mal_id = int(self.path.rsplit("/", 1)[-1])
                agent = self.headers.get("User-Agent", "")
                pending = outer.script.get(mal_id)
                if pending:
                    status = pending.pop(0)
                    outer.log.append((self.path, status, agent))
                    self.send_response(status)
                    if status == 429:
                        self.send_header("Retry-After", "0")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if mal_id not in PAGES:
                    outer.log.append((self.path, 404, agent))
                    self.send_error(404)
                    return
                body = (FIXTURES / PAGES[mal_id]).read_bytes()
                outer.log.append((self.path, 200, agent))
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/anime/{{id}}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = FlakyServer({90002: [429], 90003: [503]})
    yield s
    s.close()


def _crawler(server, cache, **kw):
    waits = []
    kw.setdefault("delay", (0.01, 0.02))
    c = Crawler(cache, contact="https://example.org/course-contact", url=server.url,
                backoff=0.01, seed=0, sleep=lambda s: (waits.append(s), time.sleep(s)), **kw)
    return c, waits


def test_crawl_retries_caches_and_records_404(server, tmp_path):
    crawler, waits = _crawler(server, tmp_path / "cache")
    report = crawler.crawl([90001, 90002, 90003, 90004, 99999])
    assert report.fetched == [90001, 90002, 90003, 90004]
    assert list(report.failed) == [99999] and "HTTP 404" in report.failed[99999]
    statuses = [status for _, status, _ in server.log]
    assert statuses == [200, 429, 200, 503, 200, 200, 404]
    assert report.requests == 7
    for mal_id in report.fetched:
        assert (tmp_path / "cache" / f"{mal_id}.html").read_bytes() == (FIXTURES / PAGES[mal_id]).read_bytes()
    assert (tmp_path / "cache" / "99999.failed").read_text().startswith("permanent: HTTP 404")
    # identifying user agent with the contact
    assert all("anime-genre-course" in a and "https://example.org/course-contact" in a
               for _, _, a in server.log)
    # consecutive requests were spaced by at least the minimum delay
    gaps = [b - a for a, b in zip(server.times, server.times[1:])]
    assert min(gaps) >= 0.01 - 1e-3
    assert not list((tmp_path / "cache").glob("*.part"))


def test_second_run_makes_zero_requests(server, tmp_path):
    crawler, _ = _crawler(server, tmp_path / "cache")
    crawler.crawl([90001, 90002, 99999])
    before = len(server.log)
    crawler2, _ = _crawler(server, tmp_path / "cache")
    report = crawler2.crawl([90001, 90002, 99999])
    assert len(server.log) == before and report.requests == 0
    assert report.cached == [90001, 90002] and report.skipped_failed == [99999]


def test_resume_after_interruption(server, tmp_path):
    crawler, _ = _crawler(server, tmp_path / "cache")
    crawler.crawl([90001, 90004])  # "stopped" after two pages
    first = len(server.log)
    report = _crawler(server, tmp_path / "cache")[0].crawl([90001, 90004, 90003, 90002])
    assert report.cached == [90001, 90004] and report.fetched == [90003, 90002]
    requested = [p for p, _, _ in server.log[first:]]
    assert "/anime/90001" not in requested and "/anime/90004" not in requested


def test_temporary_failure_after_retries_is_retried_next_run(tmp_path):
    s = FlakyServer({90001: [503, 503, 503]})
    try:
        crawler, waits = _crawler(s, tmp_path / "c", max_retries=1)
        report = crawler.crawl([90001])
        assert report.failed[90001].startswith("temporary: HTTP 503")
        assert any(w == pytest.approx(0.01) for w in waits)  # backoff * 2**0 after the first 503
        report = _crawler(s, tmp_path / "c", max_retries=1)[0].crawl([90001])
        assert report.fetched == [90001] and not (tmp_path / "c" / "90001.failed").exists()
    finally:
        s.close()


def test_backoff_doubles(tmp_path):
    s = FlakyServer({90001: [500, 502, 504]})
    try:
        crawler, waits = _crawler(s, tmp_path / "c", delay=(0.0, 0.0))
        crawler.crawl([90001])
        backoffs = [w for w in waits if w >= 0.009]
        assert backoffs == pytest.approx([0.01, 0.02, 0.04])
    finally:
        s.close()


def test_retry_after_parsing():
    assert retry_after_seconds("120") == 120.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == pytest.approx(10.0)
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_contact_required():
    with pytest.raises(UserError, match="contact"):
        user_agent("")


def test_default_delay_is_4_to_7_seconds(tmp_path):
    assert Crawler(tmp_path, contact="x@example.org").delay == (4.0, 7.0)


def test_crawl_command_then_scrape(tmp_path, capsys):
    server = FlakyServer({})  # no failures: the command's default backoff is 5 s
    cache = tmp_path / "cache"
    try:
        code = cli.main(["crawl", "90001-90003", "--cache", str(cache), "--contact",
                         "me@example.org", "--delay", "0.01", "0.02", "--url", server.url,
                         "--no-progress"])
    finally:
        server.close()
    assert code == 0
    assert "3 fetched" in capsys.readouterr().out
    code = cli.main(["scrape", str(cache), "-o", str(tmp_path / "t.csv"), "--no-progress"])
    assert code == 0
    assert (tmp_path / "t.csv").read_text(encoding="utf-8").count("\n") >= 4


# ----------------------------------------------------------------------------- hostile server
#
# Every misbehaviour the crawler must survive, served by a real HTTP server on 127.0.0.1.
# Deadlines and waits are small settings of the crawler; no test asserts on elapsed time.

import _thread
import email.utils
import gzip
import socket

from anime_genre import crawl as crawl_module

LOGIN_PAGE = b"""<!DOCTYPE html><html><head><title>Login - Fixture Anime List</title>
<link rel="canonical" href="https://myanimelist.net/login.php" /></head><body>
<h1>Log in</h1><form action="/login.php" method="post"><input name="user_name"></form>
</body></html>"""
CAPTCHA_PAGE = b"""<!DOCTYPE html><html><head><title>Are you a robot?</title></head><body>
<div class="captcha"><p>Please complete the check to continue.</p></div></body></html>"""


def _page(mal_id: int) -> bytes:
    return (FIXTURES / PAGES[mal_id]).read_bytes()


class Hostile:
    """A server on 127.0.0.1 for /anime/<id>[/<slug>]: ``plan[id]`` is a list of behaviours
    used one per request (then the page is served normally); a behaviour is a function
    ``(handler, page_bytes)`` writing the whole response. ``log``: (path, behaviour name)."""

    def __init__(self, plan=None):
        self.plan = {k: list(v) for k, v in (plan or {}).items()}
        self.log: list[tuple[str, str]] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                mal_id = int(self.path.split("/")[2])
                pending = outer.plan.get(mal_id)
                behaviour = pending.pop(0) if pending else serve
                outer.log.append((self.path, behaviour.__name__))
                try:
                    behaviour(self, _page(mal_id) if mal_id in PAGES else b"")
                except (BrokenPipeError, ConnectionResetError):
                    pass
                self.close_connection = True

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/anime/{{id}}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def _headers(h, status=200, **headers):
    h.send_response(status)
    for k, v in headers.items():
        h.send_header(k.replace("_", "-"), str(v))
    h.end_headers()


def serve(h, page):
    if not page:
        _headers(h, 404, Content_Length=0)
        return
    _headers(h, Content_Type="text/html; charset=utf-8", Content_Length=len(page))
    h.wfile.write(page)


def closes_early(h, page):
    _headers(h, Content_Length=len(page))
    h.wfile.write(page[: len(page) // 2])
    h.wfile.flush()
    h.connection.shutdown(socket.SHUT_RDWR)


def chunked_aborted(h, page):
    _headers(h, Transfer_Encoding="chunked")
    half = page[: len(page) // 2]
    h.wfile.write(b"%x\r\n%s\r\n" % (len(half), half))
    h.wfile.flush()
    h.connection.shutdown(socket.SHUT_RDWR)


def no_length_cut(h, page):
    """HTTP/1.0 style: no Content-Length, half the page, then the connection closes."""
    _headers(h, Connection="close")
    h.wfile.write(page[: len(page) // 2])


def empty_body(h, page):
    _headers(h, Content_Length=0)


def login_page(h, page):
    _headers(h, Content_Length=len(LOGIN_PAGE))
    h.wfile.write(LOGIN_PAGE)


def captcha_page(h, page):
    _headers(h, Content_Length=len(CAPTCHA_PAGE))
    h.wfile.write(CAPTCHA_PAGE)


def gzip_encoded(h, page):
    body = gzip.compress(page)
    _headers(h, Content_Encoding="gzip", Content_Length=len(body))
    h.wfile.write(body)


def gzip_unannounced(h, page):
    body = gzip.compress(page)
    _headers(h, Content_Length=len(body))
    h.wfile.write(body)


def gzip_bomb(h, page):
    body = gzip.compress(b"<html>" + b" " * 3_000_000 + b"</html>")
    _headers(h, Content_Encoding="gzip", Content_Length=len(body))
    h.wfile.write(body)


def huge_declared(h, page):
    _headers(h, Content_Length=200_000_000)
    h.wfile.write(b"<html>" + b"x" * 1000)


def huge_chunked(h, page):
    _headers(h, Transfer_Encoding="chunked")
    block = b"y" * 65536
    for _ in range(50):  # 3.2 MB, no length announced
        h.wfile.write(b"%x\r\n%s\r\n" % (len(block), block))
    h.wfile.write(b"0\r\n\r\n")


def slow_drip(h, page):
    """One byte every 50 ms for up to 60 s (the page would take far longer)."""
    _headers(h, Content_Length=len(page))
    for i in range(1200):
        h.wfile.write(page[i:i + 1])
        h.wfile.flush()
        time.sleep(0.05)


def slow_headers(h, page):
    """The status line and headers themselves, one byte every 50 ms."""
    head = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n" % len(page) + b"X-Pad: " + b"a" * 1200
    for i in range(len(head)):
        h.wfile.write(head[i:i + 1])
        h.wfile.flush()
        time.sleep(0.05)


def forbidden(h, page):
    _headers(h, 403, Content_Length=0)


def too_many(h, page):
    _headers(h, 429, Retry_After=0, Content_Length=0)


def too_many_for_a_day_date(h, page):
    _headers(h, 429, Retry_After=email.utils.formatdate(time.time() + 86400, usegmt=True),
             Content_Length=0)


def too_many_for_a_day_seconds(h, page):
    _headers(h, 429, Retry_After=86400, Content_Length=0)


def too_many_briefly_date(h, page):
    _headers(h, 429, Retry_After=email.utils.formatdate(time.time() + 2, usegmt=True),
             Content_Length=0)


def redirect_same_host(h, page):
    _headers(h, 301, Location=h.path + "/Kestrel_Bay_no_Touka", Content_Length=0)


@pytest.fixture
def hostile():
    servers = []

    def make(plan=None):
        servers.append(Hostile(plan))
        return servers[-1]

    yield make
    for s in servers:
        s.close()


def _quick(server, cache, fake_sleep=True, **kw):
    """A crawler with small settings; ``waits`` records every wait it asked for."""
    waits = []
    kw.setdefault("delay", (0.0, 0.0))
    kw.setdefault("backoff", 0.01)
    kw.setdefault("timeout", 5.0)
    sleep = waits.append if fake_sleep else (lambda s: (waits.append(s), time.sleep(s)))
    return Crawler(cache, contact="me@example.org", url=server.url, seed=0, sleep=sleep, **kw), waits


def _files(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.iterdir())


def truncated_page(h, page):
    """A complete HTTP response whose page stops halfway (no </html>)."""
    half = page[: len(page) // 2]
    _headers(h, Content_Length=len(half))
    h.wfile.write(half)


@pytest.mark.parametrize("behaviour", [closes_early, chunked_aborted, no_length_cut, empty_body,
                                       truncated_page], ids=lambda b: b.__name__)
def test_cut_off_body_is_retried_then_cached_whole(hostile, tmp_path, behaviour):
    server = hostile({90001: [behaviour]})
    report = _quick(server, tmp_path / "c", max_retries=2)[0].crawl([90001])
    assert report.fetched == [90001] and not report.failed
    assert [b for _, b in server.log] == [behaviour.__name__, "serve"]
    assert (tmp_path / "c" / "90001.html").read_bytes() == _page(90001)


def test_cut_off_body_every_time_is_recorded_not_cached(hostile, tmp_path):
    server = hostile({90001: [closes_early] * 3})
    report = _quick(server, tmp_path / "c", max_retries=2)[0].crawl([90001])
    assert report.failed[90001].startswith("temporary: body cut short")
    assert _files(tmp_path / "c") == ["90001.failed"]


@pytest.mark.parametrize("behaviour, words", [
    (login_page, "mal_id"), (captcha_page, "mal_id"), (forbidden, "HTTP 403"),
    (huge_declared, "cap"), (huge_chunked, "cap"), (gzip_bomb, "decompressed")],
    ids=lambda x: getattr(x, "__name__", x))
def test_not_a_page_is_recorded_and_retried_next_run(hostile, tmp_path, behaviour, words):
    server = hostile({90002: [behaviour]})
    cache = tmp_path / "c"
    report = _quick(server, cache, max_bytes=1_000_000)[0].crawl([90002])
    assert not report.fetched and report.failed[90002].startswith("rejected:"), report.failed
    assert words in report.failed[90002]
    assert _files(cache) == ["90002.failed"]          # nothing cached, no .part left
    assert len(server.log) == 1                       # not retried within the run
    report = _quick(server, cache)[0].crawl([90002])  # the next run asks again
    assert report.fetched == [90002] and _files(cache) == ["90002.html"]
    assert (cache / "90002.html").read_bytes() == _page(90002)


def test_redirect_to_another_host_is_not_followed(hostile, tmp_path):
    other = hostile()

    def elsewhere(h, page):
        _headers(h, 302, Location=other.url.format(id=90001), Content_Length=0)

    server = hostile({90001: [elsewhere]})
    report = _quick(server, tmp_path / "c")[0].crawl([90001])
    assert report.failed[90001].startswith("rejected: HTTP 302 redirect to another host")
    assert other.log == [] and _files(tmp_path / "c") == ["90001.failed"]
    report = _quick(server, tmp_path / "c")[0].crawl([90001])  # recorded, asked again next run
    assert report.fetched == [90001] and _files(tmp_path / "c") == ["90001.html"]


def test_redirect_on_the_same_host_is_followed(hostile, tmp_path):
    server = hostile({90001: [redirect_same_host]})
    report = _quick(server, tmp_path / "c")[0].crawl([90001])
    assert report.fetched == [90001] and report.requests == 2
    assert server.log[1][0] == "/anime/90001/Kestrel_Bay_no_Touka"


@pytest.mark.parametrize("behaviour", [gzip_encoded, gzip_unannounced], ids=lambda b: b.__name__)
def test_gzip_bodies_are_decompressed(hostile, tmp_path, behaviour):
    server = hostile({90003: [behaviour]})
    report = _quick(server, tmp_path / "c")[0].crawl([90003])
    assert report.fetched == [90003]
    assert (tmp_path / "c" / "90003.html").read_bytes() == _page(90003)


def test_wrong_anime_is_not_cached(hostile, tmp_path):
    def other_anime(h, page):
        serve(h, _page(90004))

    server = hostile({90003: [other_anime]})
    report = _quick(server, tmp_path / "c")[0].crawl([90003])
    assert "the page is anime 90004, not the requested 90003" in report.failed[90003]


@pytest.mark.parametrize("behaviour", [slow_drip, slow_headers], ids=lambda b: b.__name__)
def test_request_deadline_stops_a_slow_drip(hostile, tmp_path, behaviour):
    server = hostile({90001: [behaviour]})
    report = _quick(server, tmp_path / "c", timeout=0.5, max_retries=0)[0].crawl([90001])
    assert "deadline of a request" in report.failed[90001]
    assert _files(tmp_path / "c") == ["90001.failed"]


def test_site_wide_429_stops_the_crawl(hostile, tmp_path):
    ids = [90001, 90002, 90003, 90004] + list(range(91000, 91030))
    server = hostile({i: [too_many] * 10 for i in ids})
    report = _quick(server, tmp_path / "c", max_retries=1, max_failures_in_row=3)[0].crawl(ids)
    assert len(report.failed) == 3 and report.requests == 6 == len(server.log)
    assert "3 ids in a row failed" in report.stopped and "HTTP 429" in report.stopped
    assert report.not_attempted == ids[3:]


@pytest.mark.parametrize("behaviour", [too_many_for_a_day_date, too_many_for_a_day_seconds],
                         ids=lambda b: b.__name__)
def test_retry_after_of_a_day_stops_instead_of_retrying_early(hostile, tmp_path, behaviour):
    server = hostile({90001: [behaviour]})
    crawler, waits = _quick(server, tmp_path / "c", max_wait=600)
    report = crawler.crawl([90001, 90002])
    assert len(server.log) == 1 and waits == []
    assert "Retry-After" in report.stopped and "run again later" in report.stopped
    assert report.not_attempted == [90001, 90002] and not report.fetched


def test_short_retry_after_date_is_honoured(hostile, tmp_path):
    server = hostile({90001: [too_many_briefly_date]})
    crawler, waits = _quick(server, tmp_path / "c")
    report = crawler.crawl([90001])
    assert report.fetched == [90001]
    assert len(waits) == 1 and 0.0 <= waits[0] <= 2.0  # the date's wait, not the backoff


def test_overall_deadline_ends_the_run(hostile, tmp_path):
    server = hostile()
    crawler, _ = _quick(server, tmp_path / "c", fake_sleep=False, delay=(0.2, 0.2), deadline=0.5)
    ids = [90001, 90002, 90003, 90004, 90005, 90006, 90007, 90008]
    report = crawler.crawl(ids)
    assert report.stopped.startswith("deadline")
    assert report.not_attempted and report.fetched + list(report.failed) + report.not_attempted == ids


def test_interrupted_download_leaves_no_partial_file(hostile, tmp_path):
    cache = tmp_path / "c"
    cache.mkdir()
    (cache / "90004.html.abc123.part").write_bytes(b"<html>half a page")  # a killed run's
    server = hostile({90001: [slow_drip]})
    crawler, _ = _quick(server, cache, timeout=30)
    # interrupt_main does nothing where SIGINT is ignored (a job started in the background by
    # a non-interactive shell inherits that): Python's own handler, for this test only
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(0.3, _thread.interrupt_main)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            crawler.crawl([90001])
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    assert _files(cache) == []


def test_interrupted_save_leaves_no_partial_file(hostile, tmp_path, monkeypatch):
    server = hostile()

    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(crawl_module.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _quick(server, tmp_path / "c")[0].crawl([90001])
    assert _files(tmp_path / "c") == []


def test_junk_cached_by_an_older_version_is_fetched_again(hostile, tmp_path):
    cache = tmp_path / "c"
    cache.mkdir()
    (cache / "90001.html").write_bytes(b"")
    (cache / "90002.html").write_bytes(LOGIN_PAGE)
    server = hostile()
    report = _quick(server, cache)[0].crawl([90001, 90002])
    assert report.fetched == [90001, 90002] and report.cached == []


def test_crawl_command_on_a_hostile_server(hostile, tmp_path, capsys):
    server = hostile({90001: [login_page], 90002: [too_many_for_a_day_seconds]})
    code = cli.main(["crawl", "90001-90003", "--cache", str(tmp_path / "c"), "--contact",
                     "me@example.org", "--delay", "0", "0", "--url", server.url, "--no-progress",
                     "--timeout", "5", "--max-wait", "60"])
    out = capsys.readouterr().out
    assert code == 1
    assert "0 fetched" in out and "1 failed" in out and "2 not attempted" in out
    assert "90001: rejected: not an anime page: mal_id" in out
    assert "stopped early: the server asked to wait 24.0 h" in out


@pytest.mark.parametrize("args, words", [
    (["1-99999999"], "at most"), (["5-1"], "range"), (["abc"], "not an anime id"),
    (["1", "--max-hours", "0"], "--max-hours"), (["1", "--timeout", "0"], "timeout"),
    (["1", "--url", "ftp://x/{id}"], "--url"), (["1", "--url", "https://x/anime/1"], "--url")])
def test_crawl_command_bad_arguments(tmp_path, capsys, args, words):
    code = cli.main(["crawl", *args, "--cache", str(tmp_path / "c"), "--contact", "me@example.org",
                     "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and words in err and len(err.strip().splitlines()) == 1


# ----------------------------------------------------------------------------- issue 13 at full size
#
# The sizes of the report: a body of 200 MB, a drip of 60 s, a crawl process interrupted in
# the middle of a 200 MB download (the one-day Retry-After, in both forms, is tested above).
# Deadlines stay small settings; nothing asserts on elapsed time.

import os
import subprocess
import sys
import tracemalloc

SOLUTIONS = Path(__file__).resolve().parents[1] / "solutions"


def stream_200_mb(h, page, sent=None):
    """200 MB in 64 KiB chunks, no length announced, generated as it is sent."""
    _headers(h, Transfer_Encoding="chunked")
    block = b"z" * 65536
    for _ in range(200_000_000 // len(block)):
        h.wfile.write(b"%x\r\n%s\r\n" % (len(block), block))
        if sent is not None:
            sent.append(len(block))
    h.wfile.write(b"0\r\n\r\n")


def test_a_200_mb_body_is_cut_at_the_cap_without_being_held(hostile, tmp_path):
    sent: list[int] = []

    def behaviour(h, page):
        stream_200_mb(h, page, sent)

    server = hostile({90001: [behaviour]})
    crawler, _ = _quick(server, tmp_path / "c")
    assert crawler.max_bytes == 5_000_000  # the default cap
    tracemalloc.start()
    try:
        report = crawler.crawl([90001])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert report.failed[90001].startswith("rejected: body larger than the 5000000-byte cap")
    assert _files(tmp_path / "c") == ["90001.failed"] and report.requests == 1
    assert peak < 4 * crawler.max_bytes          # not 200 MB (the report measured 348 MB)
    assert sum(sent) < 100_000_000               # the crawler hung up long before the end


def _cli(*args) -> tuple:
    """``(command, environment)`` of ``python -m anime_genre crawl ...`` in a real process,
    running this checkout's code."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(SOLUTIONS)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    return [sys.executable, "-m", "anime_genre", "crawl", *map(str, args)], env


def test_crawl_process_left_alone_on_a_hostile_server(hostile, tmp_path):
    """One ``anime-genre crawl`` process meets a 60 s drip, a 200 MB body, an aborted chunked
    body and a redirect to another host, and caches only the one good (gzip) page; the next
    run fetches exactly the four that failed, the run after that makes no request."""
    other = hostile()

    def elsewhere(h, page):
        _headers(h, 302, Location=other.url.format(id=90004), Content_Length=0)

    server = hostile({90001: [slow_drip], 90002: [stream_200_mb], 90003: [chunked_aborted],
                      90004: [elsewhere], 90005: [gzip_encoded]})
    cache = tmp_path / "c"
    cmd, env = _cli("90001-90005", "--cache", cache, "--contact", "me@example.org", "--delay",
                    "0", "0", "--retries", "0", "--timeout", "1", "--url", server.url, "--no-progress")
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    assert "5 ids: 1 fetched, 0 already cached, 4 failed" in r.stdout, r.stdout
    assert "90001: temporary: no complete response within the 1 s deadline" in r.stdout
    assert "90002: rejected: body larger than the 5000000-byte cap" in r.stdout
    assert "90003: temporary: body cut short" in r.stdout
    assert "90004: rejected: HTTP 302 redirect to another host" in r.stdout and other.log == []
    assert _files(cache) == ["90001.failed", "90002.failed", "90003.failed", "90004.failed",
                             "90005.html"]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
    assert r.returncode == 0 and "5 ids: 4 fetched, 1 already cached, 0 failed" in r.stdout, r.stdout
    assert _files(cache) == [f"{i}.html" for i in range(90001, 90006)]
    assert all((cache / f"{i}.html").read_bytes() == _page(i) for i in PAGES)
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
    assert r.returncode == 0 and "5 already cached" in r.stdout and "; 0 requests" in r.stdout


# Python ignores SIGINT when it starts with SIGINT ignored (a job started in the background by
# a non-interactive shell); the child restores the usual handler, then runs the command line.
_WITH_SIGINT = ("import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
                "from anime_genre import cli; sys.exit(cli.main())")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_crawl_process_interrupted_in_a_200_mb_download_leaves_nothing(hostile, tmp_path, sig):
    flowing = threading.Event()

    def slow_200_mb(h, page):
        _headers(h, Content_Length=200_000_000)
        block = b"q" * 65536
        for k in range(3052):  # 200 MB if nobody hangs up
            h.wfile.write(block)
            if k == 32:  # 2 MB are on their way
                flowing.set()
            time.sleep(0.01)

    server = hostile({90001: [slow_200_mb]})
    cache = tmp_path / "c"
    cmd, env = _cli("90001", "--cache", cache, "--contact", "me@example.org", "--delay", "0", "0",
                    "--max-bytes", "300000000", "--timeout", "600", "--url", server.url,
                    "--no-progress")
    cmd = [cmd[0], "-c", _WITH_SIGINT, *cmd[3:]]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            cwd=tmp_path)
    try:
        assert flowing.wait(120), "the crawl never started downloading"
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if sig == signal.SIGINT:
        assert proc.returncode == 130 and err.strip() == "interrupted", err
    else:
        assert proc.returncode == -signal.SIGKILL
    assert _files(cache) == []  # no .part, no half page, no failure record
    report = _quick(server, cache)[0].crawl([90001])  # the next run starts clean
    assert report.fetched == [90001] and _files(cache) == ["90001.html"]
