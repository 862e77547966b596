"""Hostile input for the loaders: hypothesis fuzzing plus the corpus in tests/nasty/.

Every input must end as rows and/or quarantine entries with a reason code, never as an
exception that fails the whole load, a hang or unbounded memory. Example counts are bounded so
the whole module runs in well under a minute (docs/SECURITY.md lists them).
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import json
import signal
import string
from collections.abc import Iterator
from pathlib import Path

import pytest
import zstandard
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from loaders.limits import InputError, InputLimits, open_limited
from loaders.sources import SourceConfig, load_source

NASTY = Path(__file__).parent / "nasty"
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
KNOWN_REASONS = {
    "invalid_utf8",
    "invalid_json",
    "invalid_unicode",
    "line_too_long",
    "not_an_object",
    "missing_text_field",
    "csv_parse_error",
    "field_count",
    "too_many_fields",
    "truncated",
    "corrupt_compression",
    "decompression_bomb",
    "too_large",
    "too_many_columns",
    "unreadable_file",
    "broken_record",
    "no_main_text",
    "http_status",
}
COMPRESS = {
    ".gz": gzip.compress,
    ".bz2": bz2.compress,
    ".zst": zstandard.ZstdCompressor().compress,
}


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Fail instead of hanging (pytest-timeout is not installed)."""

    def expire(*_: object) -> None:
        raise TimeoutError(f"took longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def load(directory: Path, name: str, **options) -> tuple[list[str], list[str]]:
    """(texts of the rows read, quarantine reasons) of one file."""
    web = name.split(".")[1] in ("html", "warc")
    source = SourceConfig(path=name, license="cc0-1.0", **({} if web else {"text": "text"}))
    source = source.model_copy(update=options)
    result = load_source(source, directory)
    reasons = result.quarantine.column("reason").to_pylist()
    assert set(reasons) <= KNOWN_REASONS, reasons
    assert result.rows_unreadable == len(reasons)
    return result.table.column("text").to_pylist(), reasons


# --- the nasty corpus: each file, its expected rows and reasons -------------------------------

CORPUS = {
    "random_bytes.jsonl": (0, {"invalid_utf8"}),
    "random_bytes.csv": (1, {"invalid_utf8"}),  # one piece between lone \r bytes decodes
    "random_bytes.parquet": (0, {"unreadable_file"}),
    "random_bytes.warc": (0, {"broken_record"}),
    "random_bytes.jsonl.gz": (0, {"corrupt_compression"}),
    "truncated.jsonl.gz": (None, {"truncated"}),
    "truncated.jsonl.zst": (None, {"truncated"}),
    "truncated.jsonl.bz2": (None, {"truncated"}),
    "truncated.csv.zst": (None, {"truncated"}),
    "bomb.jsonl.zst": (0, {"decompression_bomb"}),
    "deep_nesting.jsonl": (1, {"invalid_json"}),
    "deep_nesting.json": (0, {"invalid_json"}),
    "surrogates.jsonl": (1, {"invalid_unicode"}),
    "invalid_utf8.csv": (2, {"invalid_utf8"}),
    "invalid_utf8.jsonl": (2, {"invalid_utf8"}),
    "nul_bytes.csv": (3, set()),
    "nul_bytes.jsonl": (1, {"invalid_json"}),
    "mixed_newlines.csv": (4, set()),  # a lone \r ends a row, as in Python csv and pyarrow
    "mixed_newlines.jsonl": (2, {"invalid_json"}),
    "script_flood.html": (1, set()),
    "broken_record.warc": (1, {"broken_record"}),
    "garbage_between.warc": (2, set()),
}


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_nasty_file_gives_rows_or_quarantine_entries(name: str) -> None:
    with time_limit(60):
        rows, reasons = load(NASTY, name)
    expected_rows, expected_reasons = CORPUS[name]
    assert set(reasons) == expected_reasons
    if expected_rows is not None:
        assert len(rows) == expected_rows
    if name == "script_flood.html":
        assert "while(true)" not in rows[0] and "Actual readable article text" in rows[0]


def test_corpus_has_an_expectation_for_every_file() -> None:
    assert {p.name for p in NASTY.iterdir()} == set(CORPUS) | {"wide_header.csv"}


def test_wide_csv_header_is_refused_by_the_column_limit() -> None:
    rows, reasons = load(NASTY, "wide_header.csv", limits=InputLimits(max_columns=100))
    assert (rows, reasons) == ([], ["too_many_columns"])


def test_a_bad_file_does_not_stop_the_good_files_of_a_source(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text('{"text": "first file"}\n')
    (tmp_path / "b.jsonl.gz").write_bytes(b"\x1f\x8b not really gzip")
    (tmp_path / "c.jsonl").write_text('{"text": "third file"}\n')
    result = load_source(
        SourceConfig(path="*", format="jsonl", license="cc0-1.0", text="text"), tmp_path
    )
    assert result.table.column("text").to_pylist() == ["first file", "third file"]
    entry = result.quarantine.to_pylist()[0]
    assert entry["reason"] == "corrupt_compression" and entry["source"] == "b.jsonl.gz"
    assert str(tmp_path) not in entry["detail"]


def test_lines_over_the_limit_are_quarantined_without_parsing(tmp_path: Path) -> None:
    long_line = json.dumps({"text": "x" * 5000}) + "\n"
    (tmp_path / "l.jsonl").write_text(f'{{"text": "short"}}\n{long_line}{{"text": "after"}}\n')
    rows, reasons = load(tmp_path, "l.jsonl", limits=InputLimits(max_line_bytes=1000))
    assert (rows, reasons) == (["short", "after"], ["line_too_long"])


def test_csv_lines_over_the_limit_are_quarantined(tmp_path: Path) -> None:
    (tmp_path / "l.csv").write_bytes(b"text,n\na,1\n" + b"x" * 5000 + b",2\nb,3\n")
    rows, reasons = load(tmp_path, "l.csv", limits=InputLimits(max_line_bytes=1000))
    assert (rows, reasons) == (["a", "b"], ["line_too_long"])


def test_json_records_widening_a_source_past_the_column_limit(tmp_path: Path) -> None:
    lines = [json.dumps({"text": f"row {i}", f"key{i}": i}) for i in range(10)]
    (tmp_path / "w.jsonl").write_text("\n".join(lines) + "\n")
    rows, reasons = load(tmp_path, "w.jsonl", limits=InputLimits(max_columns=5))
    assert rows == [f"row {i}" for i in range(4)]
    assert reasons == ["too_many_fields"] * 6


def test_pages_over_the_size_limit_are_not_parsed(tmp_path: Path) -> None:
    (tmp_path / "big.html").write_bytes(
        b"<html><body><p>" + b"word " * 3000 + b"</p></body></html>"
    )
    assert load(tmp_path, "big.html", limits=InputLimits(max_page_bytes=10_000)) == (
        [],
        ["too_large"],
    )


def test_ratio_and_size_caps_are_configurable(tmp_path: Path) -> None:
    data = b'{"text": "same line again"}\n' * 700_000  # 20 MB that compresses well over 10x
    path = tmp_path / "r.jsonl.gz"
    path.write_bytes(gzip.compress(data))
    with (
        pytest.raises(InputError) as error,
        open_limited(path, InputLimits(max_compression_ratio=10)) as handle,
    ):
        handle.read()
    assert error.value.reason == "decompression_bomb"
    assert "limits.max_compression_ratio" in str(error.value)
    with open_limited(path, InputLimits(max_compression_ratio=5000)) as handle:
        assert handle.read() == data
    small_cap = InputLimits(max_decompressed_bytes=1_000_000)
    assert load(tmp_path, "r.jsonl.gz", limits=small_cap) == ([], ["too_large"])


# --- hypothesis -------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
hostile_text = st.text(
    alphabet=st.characters(codec=None, blacklist_categories=()), max_size=60
) | st.sampled_from(["\ud800", "\x00", "\r", "\r\n", '"', "\\", "\u2028", "\ufeff"])


@FUZZ
@given(data=st.binary(max_size=3000), suffix=st.sampled_from([*sorted(COMPRESS), ""]))
def test_fuzz_random_bytes_never_fail_the_load(tmp_path_factory, data: bytes, suffix: str) -> None:
    directory = tmp_path_factory.mktemp("bytes")
    for fmt in ("jsonl", "csv", "json"):
        name = f"f.{fmt}{suffix}"
        (directory / name).write_bytes(data if fmt != "csv" else b"text\n" + data)
        with time_limit(30):
            rows, reasons = load(directory, name)
        if fmt == "jsonl" and not suffix:
            assert len(rows) + len(reasons) <= data.count(b"\n") + 1


@FUZZ
@given(
    lines=st.lists(st.one_of(json_values.map(json.dumps), hostile_text), max_size=12),
    newline=st.sampled_from(["\n", "\r\n"]),
)
def test_fuzz_json_lines_every_line_is_a_row_or_a_reason(
    tmp_path_factory, lines: list[str], newline: str
) -> None:
    directory = tmp_path_factory.mktemp("jsonl")
    raw = newline.join(lines).encode("utf-8", "surrogatepass") + b"\n"
    (directory / "f.jsonl").write_bytes(raw)
    rows, reasons = load(directory, "f.jsonl")
    non_blank = sum(1 for line in raw.split(b"\n") if not _blank(line))
    assert len(rows) + len(reasons) == non_blank


def _blank(line: bytes) -> bool:
    """Blank as the loader sees it: valid UTF-8 that is only (Unicode) whitespace."""
    try:
        return not line.decode("utf-8-sig").strip()
    except UnicodeDecodeError:
        return False


@FUZZ
@given(
    cells=st.lists(st.lists(hostile_text, min_size=1, max_size=4), max_size=10),
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
)
@example(cells=[["", "\n", "\n", ""]], newline="\r")  # found with --hypothesis-seed=23
def test_fuzz_csv_cells_never_fail_the_load(tmp_path_factory, cells, newline: str) -> None:
    directory = tmp_path_factory.mktemp("csv")
    body = newline.join(",".join(row) for row in cells)
    (directory / "f.csv").write_bytes(f"text,b{newline}{body}\n".encode("utf-8", "surrogatepass"))
    rows, _ = load(directory, "f.csv")
    assert all(isinstance(text, str) for text in rows)


def test_bare_cr_line_endings_give_the_header_and_exact_lines(tmp_path: Path) -> None:
    """A lone \\r ends a line (old Mac files), as in Python's csv and pyarrow: the header is the
    first line, not whatever follows the first \\n, and quoted values keep their \\r."""
    (tmp_path / "f.csv").write_bytes(b'text,b\r,\n,\n,\n"two\rlines",x\rlast,y\n')
    result = load_source(SourceConfig(path="f.csv", license="mit", text="text"), tmp_path)
    rows = result.table.select(["text", "b", "source"]).to_pylist()
    assert rows == [
        {"text": "", "b": "", "source": "f.csv:2"},
        {"text": "", "b": "", "source": "f.csv:3"},
        {"text": "", "b": "", "source": "f.csv:4"},
        {"text": "two\rlines", "b": "x", "source": "f.csv:5"},
        {"text": "last", "b": "y", "source": "f.csv:7"},
    ]
    assert result.rows_unreadable == 0


@FUZZ
@given(
    payload=st.binary(min_size=1, max_size=5000),
    suffix=st.sampled_from(sorted(COMPRESS)),
    frames=st.integers(1, 3),
    cut=st.floats(0, 1),
)
def test_fuzz_decompression_round_trips_or_reports_truncation(
    tmp_path_factory, payload: bytes, suffix: str, frames: int, cut: float
) -> None:
    """Concatenated members read back whole; a cut stream is `truncated`, never silent."""
    path = tmp_path_factory.mktemp("z") / f"f{suffix}"
    whole = COMPRESS[suffix](payload) * frames
    path.write_bytes(whole)
    with open_limited(path) as handle:
        assert handle.read() == payload * frames
    cut_at = int(len(whole) * cut)
    if cut_at % (len(whole) // frames) == 0:
        return  # a cut between members leaves a valid, shorter stream
    path.write_bytes(whole[:cut_at])
    with pytest.raises(InputError) as error, open_limited(path) as handle:
        handle.read()
    assert error.value.reason in ("truncated", "corrupt_compression")


@FUZZ
@given(html=st.text(alphabet=string.printable + "<>/\"'=&;", max_size=3000))
def test_fuzz_html_pages_never_fail_the_load(tmp_path_factory, html: str) -> None:
    directory = tmp_path_factory.mktemp("html")
    (directory / "p.html").write_text("<html><body>" + html)
    rows, reasons = load(directory, "p.html")
    assert len(rows) + len(reasons) == 1
