"""Row-by-row readers (JSON Lines, JSON arrays). Each yields `Record`s: a parsed row and its
line, or an error with a reason code.

Reason codes are machine-readable and stable: `invalid_utf8`, `csv_parse_error`, `field_count`,
`invalid_json`, `invalid_unicode`, `line_too_long`, `not_an_object`, `missing_text_field` (here
and in `csv_reader`), and `no_main_text`, `fetch_error`, `http_status`, `content_type`,
`too_large`, `blocked_address`, `invalid_url`, `broken_record` (in `web`), `cast_error`,
`too_many_fields` (in `sources`); whole files that cannot be read within `loaders.limits` get
`truncated`, `corrupt_compression`, `decompression_bomb`, `too_large`, `too_many_columns` or
`unreadable_file`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from loaders.base import decode_strict
from loaders.limits import InputLimits, open_limited

# A `\ud800`-`\udfff` escape: JSON may spell a lone surrogate, which no UTF-8 column can hold.
SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


@dataclass
class Record:
    line: int | None
    fields: dict[str, Any] | None = None
    reason: str = ""
    detail: str = ""
    raw: str = ""


def open_binary(path: Path, limits: InputLimits | None = None) -> BinaryIO:
    """Open a file for reading bytes, decompressing .gz, .bz2 and .zst within `limits`."""
    return open_limited(path, limits)


def _decoded_lines(path: Path, limits: InputLimits) -> Iterator[tuple[int, str | None, str, bytes]]:
    """Physical lines, streamed (1-based number, decoded text or None, decode error, raw bytes).

    A line over `limits.max_line_bytes` is skipped in bounded reads and reported as None with
    an error starting "line_too_long", so one huge line never sits in memory whole.
    """
    cap = limits.max_line_bytes
    with open_binary(path, limits) as handle:
        number = 0
        while raw := handle.readline(cap + 1):
            number += 1
            if len(raw) > cap and not raw.endswith(b"\n"):
                length = len(raw)
                while (rest := handle.readline(cap)) and not rest.endswith(b"\n"):
                    length += len(rest)
                length += len(rest)
                yield number, None, f"line_too_long: {length} bytes, limit {cap}", raw[:2000]
                continue
            text, error = decode_strict(raw)
            yield number, text, error, raw


def _parse_json(text: str) -> tuple[Any, str, str, int | None]:
    """(value, reason, detail, line of the error): nesting too deep for Python and lone
    surrogates are refused."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        return None, "invalid_json", f"{err.msg} at column {err.colno}", err.lineno
    except RecursionError:
        return None, "invalid_json", "nested too deeply to parse", None
    if SURROGATE_ESCAPE.search(text):
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as err:
            return None, "invalid_unicode", f"lone surrogate at character {err.start}", None
        except RecursionError:
            return None, "invalid_json", "nested too deeply to parse", None
    return value, "", "", None


def read_jsonl(path: Path, limits: InputLimits | None = None) -> Iterator[Record]:
    """Read JSON Lines; each bad line is its own quarantine entry and never stops the file."""
    for number, text, error, raw in _decoded_lines(path, limits or InputLimits()):
        if text is None and error.startswith("line_too_long"):
            reason, detail = error.split(": ", 1)
            yield Record(number, reason=reason, detail=detail, raw=raw.decode("utf-8", "replace"))
            continue
        if text is None:
            yield Record(
                number, reason="invalid_utf8", detail=error, raw=raw.decode("utf-8", "replace")
            )
            continue
        if not text.strip():
            continue
        value, reason, detail, _ = _parse_json(text)
        if reason:
            yield Record(number, reason=reason, detail=detail, raw=text)
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


def read_json_array(path: Path, limits: InputLimits | None = None) -> Iterator[Record]:
    """Read a file holding one JSON array of objects; the record's line is its 1-based position."""
    with open_binary(path, limits) as handle:
        text, error = decode_strict(handle.read())
    if text is None:
        yield Record(None, reason="invalid_utf8", detail=error)
        return
    values, reason, detail, line = _parse_json(text)
    if reason:
        yield Record(line, reason=reason, detail=detail)
        return
    if isinstance(values, dict):
        values = [values]
    if not isinstance(values, list):  # a bare number, string, true or null: one bad record
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
