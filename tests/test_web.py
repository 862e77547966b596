"""URL lists fetched from a real HTTP server on loopback; the SSRF guard; `curate extract`."""

from __future__ import annotations

import itertools
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from curate.cli import main
from loaders import SourceConfig, load_source
from loaders.web import USER_AGENT, check_url

BODY = " ".join(["The river ferry timetable changes on Monday to add two evening crossings."] * 6)
ARTICLE = f"""<html lang="en"><head><title>Ferry timetable</title></head><body>
<nav><a href="/">Home</a> <a href="/about">About us</a></nav>
<article><h1>Ferry timetable</h1><p>{BODY}</p><p>{BODY}</p></article>
<footer>Subscribe to our newsletter. Cookie settings.</footer></body></html>""".encode()


class Pages(BaseHTTPRequestHandler):
    requests: ClassVar[list[tuple[str, str, float]]] = []

    def do_GET(self) -> None:
        Pages.requests.append((self.path, self.headers.get("User-Agent", ""), time.monotonic()))
        routes = {
            "/article": (200, "text/html; charset=utf-8", ARTICLE),
            "/big": (200, "text/html", b"<p>" + b"x" * 50_000 + b"</p>"),
            "/image.png": (200, "image/png", b"\x89PNG"),
            "/empty": (200, "text/html", b"<html><body><script>1</script></body></html>"),
        }
        if self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", "/article")
            self.end_headers()
            return
        status, content_type, body = routes.get(self.path, (404, "text/html", b"no"))
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.end_headers()  # no Content-Length: the size cap must hold while streaming
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Pages)
    httpd.protocol_version = "HTTP/1.0"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def url_source(tmp_path, lines: list[str], **fetch) -> SourceConfig:
    (tmp_path / "urls.txt").write_text("\n".join(lines) + "\n")
    return SourceConfig(path="urls.txt", format="urls", license="cc-by-4.0", fetch=fetch)


def test_url_list_rows_and_each_failure_reason(tmp_path, server):
    Pages.requests.clear()
    lines = [
        "# pages to fetch",
        f"{server}/article",
        f"{server}/moved",
        f"{server}/big",
        f"{server}/image.png",
        f"{server}/missing",
        f"{server}/empty",
        "ftp://example.org/file",
    ]
    source = url_source(
        tmp_path, lines, allow_private_addresses=True, max_bytes=20_000, per_host_interval_s=0
    )
    result = load_source(source, tmp_path)
    rows = result.table.to_pylist()
    assert [(r["url"], r["source"]) for r in rows] == [
        (f"{server}/article", "urls.txt:2"),
        (f"{server}/moved", "urls.txt:3"),
    ]
    assert "evening crossings" in rows[0]["text"] and "newsletter" not in rows[0]["text"]
    assert rows[0]["title"] == "Ferry timetable" and rows[0]["language"] == "en"
    assert rows[0]["page_sha256"] == rows[1]["page_sha256"]
    assert [(q["reason"], q["source"]) for q in result.quarantine.to_pylist()] == [
        ("too_large", "urls.txt:4"),
        ("content_type", "urls.txt:5"),
        ("http_status", "urls.txt:6"),
        ("no_main_text", "urls.txt:7"),
        ("invalid_url", "urls.txt:8"),
    ]
    assert {agent for _, agent, _ in Pages.requests} == {USER_AGENT}


def test_ssrf_guard_refuses_loopback_unless_allowed(tmp_path, server):
    result = load_source(url_source(tmp_path, [f"{server}/article"]), tmp_path)
    assert result.rows_read == 0
    bad = result.quarantine.to_pylist()[0]
    assert bad["reason"] == "blocked_address" and "127.0.0.1" in bad["detail"]
    for url in (
        "http://10.1.2.3/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://192.168.0.1/",
        "http://0.0.0.0/",
    ):
        assert check_url(url, allow_private=False)[0] == "blocked_address", url
    assert check_url("http://10.1.2.3/", allow_private=True) is None


def test_per_host_rate_limit_spaces_requests(tmp_path, server):
    Pages.requests.clear()
    source = url_source(
        tmp_path, [f"{server}/article"] * 3, allow_private_addresses=True, per_host_interval_s=0.3
    )
    load_source(source, tmp_path)
    times = [t for _, _, t in Pages.requests]
    assert len(times) == 3
    # a lower bound only: the limiter sleeps at least the interval between request starts
    assert all(later - earlier >= 0.25 for earlier, later in itertools.pairwise(times))


def test_curate_extract_prints_the_kept_main_text(tmp_path, server, capsys):
    page = tmp_path / "page.html"
    page.write_bytes(ARTICLE)
    assert main(["extract", str(page)]) == 0
    saved = capsys.readouterr().out
    assert "evening crossings" in saved and "Cookie settings" not in saved
    assert main(["extract", "--metadata", "--allow-private-addresses", f"{server}/article"]) == 0
    fetched = capsys.readouterr().out
    assert fetched.startswith(f"url: {server}/article\ntitle: Ferry timetable\n")
    assert main(["extract", f"{server}/article"]) == 1
    assert "blocked_address" in capsys.readouterr().err
