"""Web pages: saved HTML, WARC/ARC archives and lists of URLs, reduced to their main text.

Main text comes from trafilatura (boilerplate such as menus, footers and cookie banners is
dropped); each row keeps the url, title, date, detected language and a SHA-256 of the raw page.
Fetching URLs is polite and guarded: a clear user agent, timeouts, a size cap, a content-type
check, a per-host rate limit, and no private, loopback or link-local addresses unless the
recipe allows them (an SSRF guard, checked again on every redirect).
"""

from __future__ import annotations

import hashlib
import ipaddress
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import trafilatura
from pydantic import BaseModel, ConfigDict, Field

from loaders.limits import InputError, InputLimits
from loaders.records import Record, open_binary

USER_AGENT = "curate-loader/0.1 (dataset curation pipeline; +https://example.org/curate-bot)"
HTML_TYPES = ("text/html", "application/xhtml+xml")
MAX_REDIRECTS = 5


class FetchConfig(BaseModel):
    """How the `urls` format fetches pages (the source's `fetch` section)."""

    model_config = ConfigDict(extra="forbid")

    timeout_s: float = Field(10.0, gt=0, description="connect and read timeout per request")
    max_bytes: int = Field(5_000_000, gt=0, description="larger responses are quarantined")
    per_host_interval_s: float = Field(
        1.0, ge=0, description="minimum seconds between two requests to the same host"
    )
    user_agent: str = USER_AGENT
    allow_private_addresses: bool = Field(
        False, description="allow private, loopback and link-local hosts (SSRF guard off)"
    )


def extract_page(raw: bytes | str, url: str | None = None) -> dict[str, str] | None:
    """Main text and metadata of one page, or None when the page has no main text."""
    document = trafilatura.bare_extraction(
        raw,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        favor_precision=False,
    )
    text = (document.text or "").strip() if document is not None else ""
    if not text:
        return None
    return {
        "text": text,
        "url": document.url or url or "",
        "title": document.title or "",
        "date": document.date or "",
        "language": detect_language(text),
    }


def detect_language(text: str) -> str:
    """ISO 639-1 code of the text's language, or "unknown": lingua as in filters.language, in its
    trigram mode, which loads in about 1 s instead of 13 s and is reliable on page-length text."""
    import pyarrow as pa

    from filters.language import LanguageConfig, detect_languages

    return detect_languages(pa.array([text[:5000]]), LanguageConfig(low_accuracy=True))[0].as_py()


def page_record(raw: bytes, line: int | None, url: str | None = None) -> Record:
    fields = extract_page(raw, url)
    if fields is None:
        return Record(line, reason="no_main_text", detail="no main text found in the page")
    fields["page_sha256"] = hashlib.sha256(raw).hexdigest()
    return Record(line, fields=fields)


def read_html_page(path: Path, limits: InputLimits | None = None) -> Iterator[Record]:
    """One saved page is one row; a page over `limits.max_page_bytes` is not parsed."""
    cap = (limits or InputLimits()).max_page_bytes
    with open_binary(path, limits) as handle:
        raw = handle.read(cap + 1)
    if len(raw) > cap:
        yield Record(None, reason="too_large", detail=f"page over {cap} bytes (max_page_bytes)")
        return
    yield page_record(raw, None)


def read_warc(path: Path, limits: InputLimits | None = None) -> Iterator[Record]:
    """HTML responses in a WARC or ARC file (gzipped or not); `line` is the record's byte offset.

    Other records (requests, metadata, images, ...) are not documents and are not rows. A broken
    record ends the file with a `broken_record` entry: warcio cannot resynchronise after one, and
    it fails in many ways (its own errors, but also AttributeError and ValueError), hence the
    broad except.
    """
    records = _warc_records(path, limits or InputLimits())
    while True:
        try:
            record = next(records)
        except StopIteration:
            return
        except InputError:
            raise
        except Exception as error:
            detail = f"broken WARC record: {type(error).__name__}: {str(error)[:200]}"
            yield Record(None, reason="broken_record", detail=detail)
            return
        yield record


def _warc_records(path: Path, limits: InputLimits) -> Iterator[Record]:
    from warcio.archiveiterator import ArchiveIterator

    cap = limits.max_page_bytes
    with open_binary(path, limits) as handle:
        records = ArchiveIterator(handle, arc2warc=True)
        for record in records:
            if record.rec_type not in ("response", "resource"):
                continue
            if record.http_headers is not None:
                status = record.http_headers.get_statuscode()
                content_type = record.http_headers.get_header("Content-Type") or ""
            else:
                status = "200"
                content_type = record.rec_headers.get_header("Content-Type") or ""
            if content_type.split(";")[0].strip().lower() not in HTML_TYPES:
                continue
            url = record.rec_headers.get_header("WARC-Target-URI") or ""
            raw = record.content_stream().read(cap + 1)
            offset = records.get_record_offset()
            if len(raw) > cap:
                detail = f"{url}: page over {cap} bytes (max_page_bytes)"
                yield Record(offset, reason="too_large", detail=detail)
                continue
            missing = getattr(record.raw_stream, "limit", 0)
            if missing > 0:
                detail = f"{url}: record ends {missing} bytes before its Content-Length"
                yield Record(offset, reason="broken_record", detail=detail)
                continue
            if not status.startswith("2"):
                detail = f"{url}: HTTP status {status}"
                yield Record(offset, reason="http_status", detail=detail)
                continue
            result = page_record(raw, offset, url)
            if result.fields is not None:
                result.fields["url"] = url or result.fields["url"]
                result.fields["fetched"] = record.rec_headers.get_header("WARC-Date") or ""
            yield result


def read_url_list(path: Path, config: FetchConfig) -> Iterator[Record]:
    """Fetch each URL of a text file (one per line; blank lines and `#` comments skipped)."""
    fetcher = Fetcher(config)
    with fetcher, open_binary(path) as handle:
        for number, raw_line in enumerate(handle, start=1):
            url = raw_line.decode("utf-8", "replace").strip()
            if not url or url.startswith("#"):
                continue
            body, problem = fetcher.fetch(url)
            if problem is not None:
                yield Record(number, reason=problem[0], detail=f"{url}: {problem[1]}", raw=url)
                continue
            result = page_record(body, number, url)
            if result.fields is not None:
                result.fields["url"] = url
            else:
                result.detail = f"{url}: {result.detail}"
                result.raw = url
            yield result


class Fetcher:
    """Guarded HTTP GET for pages; returns the body, or a (reason, detail) problem."""

    def __init__(self, config: FetchConfig) -> None:
        self.config = config
        self._last_request: dict[str, float] = {}
        self._client = httpx.Client(
            timeout=config.timeout_s,
            follow_redirects=False,
            headers={"User-Agent": config.user_agent, "Accept": "text/html,application/xhtml+xml"},
        )

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self._client.close()

    def fetch(self, url: str) -> tuple[bytes, tuple[str, str] | None]:
        for _ in range(MAX_REDIRECTS + 1):
            problem = check_url(url, self.config.allow_private_addresses)
            if problem is not None:
                return b"", problem
            self._wait_for_host(urlsplit(url).hostname or "")
            try:
                with self._client.stream("GET", url) as response:
                    if response.is_redirect and "location" in response.headers:
                        url = urljoin(url, response.headers["location"])
                        continue
                    return self._body(response)
            except httpx.HTTPError as err:
                return b"", ("fetch_error", f"{type(err).__name__}: {err}")
        return b"", ("fetch_error", f"more than {MAX_REDIRECTS} redirects")

    def _body(self, response: httpx.Response) -> tuple[bytes, tuple[str, str] | None]:
        if not response.is_success:
            return b"", ("http_status", f"HTTP status {response.status_code}")
        content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type not in HTML_TYPES:
            return b"", ("content_type", f"content type {content_type or 'missing'!r} is not HTML")
        declared = int(response.headers.get("content-length") or 0)
        limit = self.config.max_bytes
        if declared > limit:
            return b"", ("too_large", f"{declared} bytes declared, limit {limit}")
        body = bytearray()
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > limit:
                return b"", ("too_large", f"more than {limit} bytes, limit {limit}")
        return bytes(body), None

    def _wait_for_host(self, host: str) -> None:
        last = self._last_request.get(host)
        if last is not None:
            delay = self.config.per_host_interval_s - (time.monotonic() - last)
            if delay > 0:
                time.sleep(delay)
        self._last_request[host] = time.monotonic()


def check_url(url: str, allow_private: bool) -> tuple[str, str] | None:
    """Why a URL must not be fetched, or None: only http(s), and (unless allowed) no host that
    resolves to a private, loopback, link-local, multicast, reserved or unspecified address."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "invalid_url", "only absolute http(s) URLs are fetched"
    if allow_private:
        return None
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as err:
        return "fetch_error", f"cannot resolve {parts.hostname}: {err}"
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not address.is_global or address.is_multicast:
            return "blocked_address", (
                f"{parts.hostname} resolves to non-public address {address}; "
                "set fetch.allow_private_addresses to allow it"
            )
    return None


def fetch_page(url: str, config: FetchConfig) -> tuple[dict[str, Any] | None, str]:
    """The row the web loader would keep for one URL, or None and why not (for `curate extract`)."""
    with Fetcher(config) as fetcher:
        body, problem = fetcher.fetch(url)
    if problem is not None:
        return None, f"{problem[0]}: {problem[1]}"
    record = page_record(body, None, url)
    return record.fields, record.detail
