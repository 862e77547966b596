"""Row-by-row readers (JSON Lines, JSON arrays). Each yields `Record`s: a parsed row and its
line, or an error with a reason code.

Reason codes are machine-readable and stable: `invalid_utf8`, `csv_parse_error`, `field_count`,
`invalid_json`, `not_an_object`, `missing_text_field` (here and in `csv_reader`), and
`no_main_text`, `fetch_error`, `http_status`, `content_type`, `too_large`, `blocked_address`,
`invalid_url` (in `web`), `cast_error` (in `sources`).
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import zstandard

from loaders.base import decode_strict


@dataclass
class Record:
    line: int | None
    fields: dict[str, Any] | None = None
    reason: str = ""
    detail: str = ""
    raw: str = ""


def open_binary(path: Path) -> BinaryIO:
    """Open a file for reading bytes, decompressing .gz, .bz2 and .zst on the fly."""
    suffix = path.suffix.lower()
    if suffix == ".gz":
        return gzip.open(path, "rb")
    if suffix == ".bz2":
        return bz2.open(path, "rb")
    if suffix == ".zst":
        return io.BufferedReader(zstandard.open(path, "rb"))
    return path.open("rb")


def _decoded_lines(path: Path) -> Iterator[tuple[int, str | None, str, bytes]]:
    """Physical lines, streamed (1-based number, decoded text or None, decode error, raw bytes)."""
    with open_binary(path) as handle:
        for number, raw in enumerate(handle, start=1):
            text, error = decode_strict(raw)
            yield number, text, error, raw


def read_jsonl(path: Path) -> Iterator[Record]:
    """Read JSON Lines; each bad line is its own quarantine entry and never stops the file."""
    for number, text, error, raw in _decoded_lines(path):
        if text is None:
            yield Record(
                number, reason="invalid_utf8", detail=error, raw=raw.decode("utf-8", "replace")
            )
            continue
        if not text.strip():
            continue
        try:
            value = json.loads(text)
        except json.JSONDecodeError as err:
            yield Record(
                number, reason="invalid_json", detail=f"{err.msg} at column {err.colno}", raw=text
            )
            continue
        if not isinstance(value, dict):
            yield Record(
                number,
                reason="not_an_object",
                detail=f"expected a JSON object, found {type(value).__name__}",
                raw=text,
            )
            continue
        yield Record(number, fields=value)


def read_json_array(path: Path) -> Iterator[Record]:
    """Read a file holding one JSON array of objects; the record's line is its 1-based position."""
    with open_binary(path) as handle:
        text, error = decode_strict(handle.read())
    if text is None:
        yield Record(None, reason="invalid_utf8", detail=error)
        return
    try:
        values = json.loads(text)
    except json.JSONDecodeError as err:
        yield Record(err.lineno, reason="invalid_json", detail=f"{err.msg} at column {err.colno}")
        return
    if isinstance(values, dict):
        values = [values]
    for position, value in enumerate(values, start=1):
        if isinstance(value, dict):
            yield Record(position, fields=value)
        else:
            yield Record(
                position,
                reason="not_an_object",
                detail=f"expected a JSON object, found {type(value).__name__}",
                raw=str(value),
            )
