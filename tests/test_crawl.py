"""The crawler against a real HTTP server on 127.0.0.1 (started here, on a free port)
that serves the project's fixture pages and misbehaves on purpose."""
from __future__ import annotations

import http.server
import threading
import time
from pathlib import Path

import pytest

from anime_genre import cli
from anime_genre.crawl import Crawler, retry_after_seconds, user_agent
from anime_genre.errors import UserError

FIXTURES = Path(__file__).resolve().parents[1] / "datasets" / "fixtures" / "mal-html-2022"
PAGES = {90001: "invented-2018-anime-90001.html", 90002: "invented-2021-anime-90002.html",
         90003: "invented-2022-anime-90003.html", 90004: "invented-2022-anime-90004.html"}


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
    for mal_id, file in PAGES.items():
        assert (tmp_path / "cache" / f"{mal_id}.html").read_bytes() == (FIXTURES / file).read_bytes()
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
