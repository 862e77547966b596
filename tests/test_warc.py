"""WARC files: HTML responses become rows with url and offset; other records are not rows."""

from __future__ import annotations

import io

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from loaders import SourceConfig, load_source

BODY = " ".join(["Volunteers planted four hundred oak saplings along the old canal path."] * 6)
PAGE = f"""<html lang="en"><head><title>Canal oaks</title></head><body>
<nav>Home | News | Contact</nav><article><h1>Canal oaks</h1><p>{BODY}</p><p>{BODY}</p></article>
<footer>All rights reserved.</footer></body></html>""".encode()


def write_warc(path, gzip: bool) -> None:
    with path.open("wb") as handle:
        writer = WARCWriter(handle, gzip=gzip)

        def response(url: str, status: str, content_type: str, body: bytes) -> None:
            headers = StatusAndHeaders(
                status, [("Content-Type", content_type)], protocol="HTTP/1.1"
            )
            record = writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), http_headers=headers
            )
            writer.write_record(record)

        writer.write_record(writer.create_warc_record("https://a.example/", "request"))
        response("https://a.example/oaks", "200 OK", "text/html; charset=utf-8", PAGE)
        response("https://a.example/logo.png", "200 OK", "image/png", b"\x89PNG")
        response("https://a.example/gone", "404 Not Found", "text/html", b"<p>gone</p>")
        response("https://a.example/blank", "200 OK", "text/html", b"<html><body></body></html>")


def test_warc_responses_rows_and_reasons(tmp_path):
    for name, gzip in (("crawl.warc", False), ("crawl.warc.gz", True)):
        write_warc(tmp_path / name, gzip)
        result = load_source(SourceConfig(path=name, license="cc-by-4.0"), tmp_path)
        rows = result.table.to_pylist()
        assert len(rows) == 1
        row = rows[0]
        assert row["url"] == "https://a.example/oaks" and row["title"] == "Canal oaks"
        assert "oak saplings" in row["text"] and "All rights reserved" not in row["text"]
        assert row["language"] == "en" and len(row["page_sha256"]) == 64 and row["fetched"]
        assert row["source"].startswith(f"{name}:")  # name:byte offset of the record
        assert [q["reason"] for q in result.quarantine.to_pylist()] == [
            "http_status",
            "no_main_text",
        ]
