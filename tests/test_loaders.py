"""Loaders: every format, every bad-input case quarantined with its exact reason and line."""

import json
from pathlib import Path

import pyarrow as pa

from loaders import SourceConfig, load_source, load_sources
from loaders.validate import validate_rows

CSV = (
    b"review_id,rating,review\n"
    b'r1,5,"A fine, sturdy kettle"\n'
    b'r2,4,"great "value" here\n'
    b'r3,3,"spans\ntwo lines"\n'
    b"r4,2,bad \xff\xfe bytes\n"
    b"r5,1\n"
    b"r6,5,ok again\n"
)


def load(tmp_path: Path, name: str, data: bytes, **source) -> tuple:
    (tmp_path / name).write_bytes(data)
    result = load_source(SourceConfig(path=name, license="cc0-1.0", **source), tmp_path)
    return result, result.table.to_pylist(), result.quarantine.to_pylist()


def test_csv_rows_and_each_bad_row_reason(tmp_path):
    result, rows, bad = load(
        tmp_path, "r.csv", CSV, text="review", id="review_id", encoding="utf-8"
    )
    assert [r["id"] for r in rows] == ["r1", "r3", "r6"]
    assert rows[1]["text"] == "spans\ntwo lines"
    assert rows[0]["source"] == "r.csv:2" and rows[1]["source"] == "r.csv:4"
    assert rows[2]["source"] == "r.csv:8"
    assert rows[0]["rating"] == 5  # numeric columns become numbers
    assert sorted((q["reason"], q["source"]) for q in bad) == [
        ("csv_parse_error", "r.csv:3"),
        ("field_count", "r.csv:7"),
        ("invalid_utf8", "r.csv:6"),
    ]
    by_reason = {q["reason"]: q for q in bad}
    assert "r.csv:6: invalid UTF-8 byte 0xff" in by_reason["invalid_utf8"]["detail"]
    assert "expected 3 fields, found 2" in by_reason["field_count"]["detail"]
    assert result.rows_read == 3 and result.rows_unreadable == 3


def test_jsonl_bad_lines_and_dotted_text_path(tmp_path):
    lines = [
        json.dumps({"id": "a", "doc": {"parts": [{"body": "first body"}]}}).encode(),
        b'{"id": "b", "doc": ',
        b"[1, 2]",
        json.dumps({"id": "c", "doc": {}}).encode(),
        b'{"id": "d", "doc": {"parts": [{"body": "caf\xc3"}]}}',
        json.dumps({"id": "e", "doc": {"parts": [{"body": "fifth"}]}, "tags": ["x"]}).encode(),
    ]
    _, rows, bad = load(
        tmp_path, "p.jsonl", b"\n".join(lines) + b"\n", text="doc.parts.0.body", id="id"
    )
    assert [r["text"] for r in rows] == ["first body", "fifth"]
    assert [(q["reason"], q["source"]) for q in bad] == [
        ("invalid_json", "p.jsonl:2"),
        ("not_an_object", "p.jsonl:3"),
        ("missing_text_field", "p.jsonl:4"),
        ("invalid_utf8", "p.jsonl:5"),
    ]


def test_json_array_file(tmp_path):
    data = json.dumps([{"t": "one"}, {"t": "two"}, "stray"]).encode()
    _, rows, bad = load(tmp_path, "a.json", data, text="t")
    assert [r["source"] for r in rows] == ["a.json:1", "a.json:2"]
    assert bad[0]["reason"] == "not_an_object"


def test_html_page_main_text_and_metadata(tmp_path):
    body = " ".join(["The harbour museum reopened its restored sailing gallery this week."] * 8)
    page = f"""<html lang="en"><head><title>Museum reopens</title>
    <link rel="canonical" href="https://example.org/articles/museum"></head>
    <body><nav><a href="/">Home</a> <a href="/news">News</a></nav>
    <article><h1>Museum reopens</h1><p>{body}</p><p>{body}</p></article>
    <footer>Copyright 2026. All rights reserved.</footer></body></html>"""
    _, rows, bad = load(tmp_path, "page.html", page.encode())
    assert bad == []
    assert "restored sailing gallery" in rows[0]["text"]
    assert "All rights reserved" not in rows[0]["text"]
    assert rows[0]["url"] == "https://example.org/articles/museum"
    assert rows[0]["title"] == "Museum reopens"
    assert len(rows[0]["page_sha256"]) == 64


def test_html_page_without_text_is_quarantined(tmp_path):
    _, rows, bad = load(
        tmp_path,
        "empty.html",
        b"<html><head><title>x</title></head><body><script>var a = 1;</script></body></html>",
    )
    assert rows == [] and bad[0]["reason"] == "no_main_text"


def test_content_ids_are_stable_and_load_is_deterministic(tmp_path):
    (tmp_path / "a.csv").write_bytes(b"body\nalpha\nbeta\n")
    source = SourceConfig(path="*.csv", text="body", license="mit")
    first = load_sources([source], tmp_path).table
    second = load_sources([source], tmp_path).table
    assert first.equals(second)
    assert len(set(first["id"].to_pylist())) == 2


def test_validation_quarantines_empty_oversize_and_repeated_ids():
    table = pa.table(
        {
            "id": ["a", "b", "c", "a"],
            "text": ["fine", "   ", "x" * 50, "again"],
            "source": ["f:1", "f:2", "f:3", "f:4"],
            "source_name": ["f"] * 4,
            "license": ["mit"] * 4,
        }
    )
    valid, bad = validate_rows(table, max_text_chars=20)
    assert valid["id"].to_pylist() == ["a"]
    assert bad["reason"].to_pylist() == ["empty_text", "text_too_long", "duplicate_id"]
    assert "f:3: text has 50 characters, limit 20" in bad["detail"].to_pylist()


def test_json_file_holding_a_scalar_is_one_quarantined_record(tmp_path):
    _, rows, bad = load(tmp_path, "scalar.json", b"0", text="t")
    assert rows == [] and [q["reason"] for q in bad] == ["not_an_object"]


def test_ascii_header_is_never_read_as_utf16(tmp_path):
    _, rows, bad = load(tmp_path, "n.csv", b"text\n\x00\x00\x01\x00\x02\x80\x01\n", text="text")
    assert len(rows) + len(bad) == 1
