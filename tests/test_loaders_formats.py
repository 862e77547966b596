"""Loaders beyond the basics: block-wise CSV, encodings, compression, templates and casts,
columnar files, globs, and deterministic, spooled results."""

from __future__ import annotations

import bz2
import gzip
import json
import random
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
import pytest
import zstandard

from loaders import SourceConfig, load_source, load_sources
from loaders.base import content_id
from loaders.csv_reader import CsvReader
from loaders.sources import _locations


def build_messy_csv(rows: int, seed: int = 7) -> tuple[bytes, list[tuple[str, str, int]], list]:
    """A CSV with quoted commas, doubled quotes and multi-line fields, and bad rows scattered
    through it; returns the bytes, the expected (id, text, line) rows and (reason, line) errors."""
    rng = random.Random(seed)
    out = [b"id,score,body\n"]
    line = 2
    good, bad = [], []
    for i in range(rows):
        kind = rng.random()
        if kind < 0.01:
            out.append(f"x{i},1\n".encode())
            bad.append(("field_count", line))
            line += 1
        elif kind < 0.02:
            out.append(f'x{i},2,"broken "quote" here\n'.encode())
            bad.append(("csv_parse_error", line))
            line += 1
        elif kind < 0.03:
            out.append(f"x{i},3,bad \xff byte\n".encode("latin-1"))
            bad.append(("invalid_utf8", line))
            line += 1
        elif kind < 0.04:
            out.append(b"\n")
            line += 1
        else:
            words = " ".join(rng.choice(["alpha", "beta", "gamma", "delta"]) for _ in range(12))
            if kind < 0.2:
                text = f'{words}\nsecond line, with a comma and a "quote"'
                cell = '"' + text.replace('"', '""') + '"'
            else:
                text, cell = words, words
            out.append(f"r{i},{i % 5},{cell}\n".encode())
            good.append((f"r{i}", text, line))
            line += 1 + text.count("\n")
    return b"".join(out), good, bad


def load(tmp_path: Path, name: str, data: bytes, **source) -> tuple:
    (tmp_path / name).write_bytes(data)
    result = load_source(SourceConfig(path=name, license="cc0-1.0", **source), tmp_path)
    return result, result.table.to_pylist(), result.quarantine.to_pylist()


@pytest.mark.parametrize("name", ["m.csv", "m.csv.gz"])
def test_block_wise_csv_matches_the_exact_reading_line_for_line(tmp_path, name):
    """A plain file is parsed from its memory map and drops to the buffer around bad rows; a
    compressed one is read through the buffer throughout. Both must read the same rows."""
    data, good, bad = build_messy_csv(6000)
    assert len(data) > 4 * 65536  # several blocks
    if name.endswith(".gz"):
        data = gzip.compress(data)
    result, rows, quarantined = load(
        tmp_path, name, data, text="body", id="id", block_bytes=65536, encoding="utf-8"
    )
    assert [(r["id"], r["text"], r["source"]) for r in rows] == [
        (i, t, f"{name}:{n}") for i, t, n in good
    ]
    assert [(q["reason"], q["source"]) for q in quarantined] == [
        (reason, f"{name}:{n}") for reason, n in bad
    ]
    assert rows[0]["score"] == int(good[0][0][1:]) % 5  # numbers inferred across all blocks
    assert result.rows_read + result.rows_unreadable == len(good) + len(bad)


def test_column_types_are_inferred_over_every_block_of_a_csv(tmp_path):
    """Each block's numbers are spooled as it is read; a late block decides the final type:
    a fraction makes the column float, a word keeps the original strings, empties are null."""
    rows = 30000
    lines = ["id,body,count,ratio,code,blank"]
    for i in range(rows):
        ratio = "2.5" if i == rows - 1 else str(i % 7)
        code = "x7" if i == rows - 1 else f"{i % 100:02d}"
        count = "" if i % 1000 == 0 else str(i)
        lines.append(f"{i},row {i} text,{count},{ratio},{code},")
    result, loaded, _ = load(
        tmp_path, "t.csv", ("\n".join(lines) + "\n").encode(), text="body", block_bytes=65536
    )
    types = dict(zip(result.table.column_names, result.table.schema.types, strict=True))
    assert str(types["count"]) == "int64" and str(types["ratio"]) == "double"
    assert str(types["code"]) == "string" and str(types["blank"]) == "string"
    assert [(r["count"], r["ratio"], r["code"]) for r in loaded[999:1001]] == [
        (999, 5.0, "99"),
        (None, 6.0, "00"),
    ]
    assert loaded[-1]["ratio"] == 2.5 and loaded[-1]["code"] == "x7"
    assert not any(name.startswith("\x00") for name in result.table.column_names)


def test_clean_blocks_take_the_fast_path_and_dirty_ones_the_exact_path(tmp_path):
    clean = b"id,body\n" + b"".join(f'{i},"row {i}, fine"\n'.encode() for i in range(20000))
    path = tmp_path / "c.csv"
    cut = clean.index(b"\n", 200_000) + 1
    path.write_bytes(clean[:cut] + b"\n\n" + clean[cut:])
    blocks = list(CsvReader(path, None, None, 65536).blocks())
    assert sum(b.table.num_rows for b in blocks) == 20000
    assert any(b.fast for b in blocks) and any(not b.fast for b in blocks)
    lines = [int(n) for b in blocks for n in b.lines]
    assert lines[0] == 2 and lines[-1] == 20003  # the blank lines are counted, not rows


def test_fast_path_numbers_rows_with_multi_line_values_exactly(tmp_path):
    """Line numbers on the fast path come from the newlines inside parsed values; LF and CRLF
    inside quotes, CRLF row ends and rows without quotes all have to add up."""
    rng = random.Random(11)
    out, expected, line = [b"id,body\r\n"], [], 2
    for i in range(20000):
        inner = rng.choice(["", "\n", "\r\n", "\n\n"])
        text = f"row {i}{inner}tail, {i}" if inner or i % 2 else f"row {i}"
        cell = f'"{text}"' if inner or i % 2 else text
        row_end = rng.choice(["\n", "\r\n"])
        out.append(f"{i},{cell}{row_end}".encode())
        expected.append((str(i), text, line))
        line += 1 + text.count("\n")
    path = tmp_path / "m.csv"
    path.write_bytes(b"".join(out))
    blocks = list(CsvReader(path, None, "utf-8", 65536).blocks())
    assert len(blocks) > 5 and all(b.fast for b in blocks)
    got = [
        (row["id"], row["body"], int(n))
        for b in blocks
        for row, n in zip(b.table.to_pylist(), b.lines, strict=True)
    ]
    assert got == expected


def test_quotes_read_as_pythons_csv_reads_them_on_either_path(tmp_path):
    """Quotes that open, close or are doubled inside a field parse on the fast path. A quote
    inside an unquoted value (`a"`) is literal to both parsers but breaks quote parity: here
    the newlines it shifts add up to the right row count with the wrong line numbers, so the
    block must take the exact path. `"a"b` is an error to Python's strict csv only."""
    rng = random.Random(5)
    cells = ["plain", '"quoted, comma"', '""', '""""', '"say ""hi"""', '"two\nlines"']
    rows, line, expected = ["id,body"], 2, []

    def add(cell: str, text: str) -> None:
        nonlocal line
        rows.append(f"{len(rows)},{cell}")
        expected.append((str(len(rows) - 1), text, line))
        line += 1 + cell.count("\n")

    for i in range(20000):
        if i == 5000:
            add('a"', 'a"')
            add('"\nx\ny"', "\nx\ny")
            add('c"', 'c"')
        if i == 15000:  # in another block
            rows.append(f'{len(rows)},"a"b')
            bad_line, line = line, line + 1
        cell = rng.choice(cells)
        text = cell[1:-1].replace('""', '"') if cell.startswith('"') else cell
        add(cell, text)
    path = tmp_path / "q.csv"
    path.write_bytes(("\n".join(rows) + "\n").encode())
    blocks = list(CsvReader(path, None, "utf-8", 65536).blocks())
    assert any(b.fast for b in blocks) and any(not b.fast for b in blocks)
    got = [
        (row["id"], row["body"], int(n))
        for b in blocks
        for row, n in zip(b.table.to_pylist(), b.lines, strict=True)
    ]
    assert got == expected
    assert [(p.reason, p.line) for b in blocks for p in b.problems] == [
        ("csv_parse_error", bad_line)
    ]


def test_row_locations_are_written_digit_by_digit():
    lines = np.array([1, 9, 10, 99, 100, 101, 99999, 100000, 12345678901])
    assert _locations("a/f.csv:", lines).to_pylist() == [f"a/f.csv:{n}" for n in lines]
    with pytest.raises(ValueError, match="in file order"):
        _locations("f.csv:", np.array([3, 2]))


def test_content_ids_are_the_sha256_of_source_name_and_text(tmp_path):
    data = b"id,body\n,first\nkept,second\n,third\n"
    _, rows, _ = load(tmp_path, "c.csv", data, text="body", id="id")
    assert [r["id"] for r in rows] == [content_id("c", "first"), "kept", content_id("c", "third")]
    _, rows, _ = load(tmp_path, "d.csv", data, text="body")
    assert [r["id"] for r in rows] == [content_id("d", t) for t in ("first", "second", "third")]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1252"])
def test_csv_encodings_are_detected(tmp_path, encoding):
    text = "title;body\nCafé;Crème brûlée, naïve “quotes”\nÜber;Straße\n"
    _, rows, bad = load(tmp_path, "e.csv", text.encode(encoding), text="body")
    assert bad == []
    assert [(r["title"], r["text"]) for r in rows] == [
        ("Café", "Crème brûlée, naïve “quotes”"),
        ("Über", "Straße"),
    ]


def test_tsv_and_explicit_delimiter(tmp_path):
    _, rows, _ = load(tmp_path, "t.tsv", b"a\tb\n1\thello, world\n", text="b")
    assert rows[0]["text"] == "hello, world" and rows[0]["a"] == 1
    _, rows, _ = load(tmp_path, "p.csv", b"a|b\nx|y;z\n", text="b", delimiter="|")
    assert rows[0]["text"] == "y;z"


@pytest.mark.parametrize(
    ("suffix", "compress"),
    [(".gz", gzip.compress), (".bz2", bz2.compress), (".zst", zstandard.compress)],
)
def test_compressed_csv_and_jsonl(tmp_path, suffix, compress):
    csv_data = b'id,body\n1,"first\nrow"\n2\n3,third\n'
    _, rows, bad = load(tmp_path, "c.csv" + suffix, compress(csv_data), text="body")
    assert [r["source"] for r in rows] == [f"c.csv{suffix}:2", f"c.csv{suffix}:5"]
    assert [(q["reason"], q["source"]) for q in bad] == [("field_count", f"c.csv{suffix}:4")]
    jsonl = b'{"t": "one"}\n{oops\n{"t": "two"}\n'
    _, rows, bad = load(tmp_path, "j.jsonl" + suffix, compress(jsonl), text="t")
    assert [r["text"] for r in rows] == ["one", "two"]
    assert bad[0]["reason"] == "invalid_json" and bad[0]["source"] == f"j.jsonl{suffix}:2"


def test_template_rename_and_cast_with_cast_error(tmp_path):
    data = b"title,body,stars,when\nHi,there,4,2024-01-02\nYo,again,four,2024-02-03\n"
    _, rows, bad = load(
        tmp_path,
        "t.csv",
        data,
        text_template="{title}\n\n{body}",
        columns={"stars": "rating"},
        types={"rating": "int64", "when": "timestamp"},
    )
    assert [r["text"] for r in rows] == ["Hi\n\nthere"]
    assert rows[0]["rating"] == 4 and rows[0]["when"].year == 2024
    assert [(q["reason"], q["source"]) for q in bad] == [("cast_error", "t.csv:3")]
    assert "'rating' value 'four' is not int64" in bad[0]["detail"]


def test_json_template_over_dotted_paths(tmp_path):
    data = b'{"a": {"t": "Head"}, "b": ["x", "Body"]}\n{"c": 1}\n'
    _, rows, bad = load(tmp_path, "j.jsonl", data, text_template="{a.t}: {b.1}")
    assert rows[0]["text"] == "Head: Body"
    assert [q["reason"] for q in bad] == ["missing_text_field"]


def test_missing_text_column_names_the_columns(tmp_path):
    with pytest.raises(ValueError, match="has no column 'body'"):
        load(tmp_path, "n.csv", b"a,b\n1,2\n", text="body")


def test_parquet_arrow_and_hf_datasets(tmp_path):
    table = pa.table({"doc": ["one", None, "three"], "n": [1, 2, 3]})
    pq.write_table(table, tmp_path / "d.parquet")
    with ipc.new_file(tmp_path / "d.arrow", table.schema) as writer:
        writer.write_table(table)
    with ipc.new_stream(tmp_path / "s.arrow", table.schema) as writer:
        writer.write_table(table)
    for name in ("d.parquet", "d.arrow", "s.arrow"):
        result = load_source(SourceConfig(path=name, text="doc", license="mit"), tmp_path)
        assert result.table["text"].to_pylist() == ["one", "three"]
        assert result.table["source"].to_pylist() == [f"{name}:1", f"{name}:3"]
        assert result.table["n"].to_pylist() == [1, 3]
        assert result.quarantine["reason"].to_pylist() == ["missing_text_field"]
        assert result.quarantine["source"].to_pylist() == [f"{name}:2"]

    from datasets import Dataset, DatasetDict

    DatasetDict(
        {"train": Dataset.from_dict({"doc": ["a", "b"]}), "test": Dataset.from_dict({"doc": ["c"]})}
    ).save_to_disk(str(tmp_path / "hf"))
    source = SourceConfig(path="hf", format="hf", text="doc", license="mit")
    result = load_source(source, tmp_path)
    assert result.table.select(["text", "split"]).to_pylist() == [
        {"text": "c", "split": "test"},
        {"text": "a", "split": "train"},
        {"text": "b", "split": "train"},
    ]


def test_glob_over_many_files_in_order(tmp_path):
    for i in range(300):
        folder = tmp_path / "data" / f"part{i % 7}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"f{i:03d}.jsonl").write_text(json.dumps({"t": f"row {i}", "k": i}) + "\n")
    result = load_source(
        SourceConfig(path="data/**/*.jsonl", name="data", text="t", license="mit"), tmp_path
    )
    assert result.rows_read == 300 and result.per_source["data"]["files"] == 300
    sources = result.table["source"].to_pylist()
    assert sources == sorted(sources) and sources[0] == "data/part0/f000.jsonl:1"
    assert result.table.column("source").num_chunks == 1  # small files share one batch


def test_two_loads_give_identical_ids_and_order_and_leave_no_cache_files(tmp_path):
    data, good, _ = build_messy_csv(3000, seed=3)
    (tmp_path / "a.csv").write_bytes(data)
    (tmp_path / "b.jsonl").write_text("".join(json.dumps({"t": t}) + "\n" for _, t, _ in good))
    sources = [
        SourceConfig(path="a.csv", text="body", license="mit", block_bytes=65536, encoding="utf-8"),
        SourceConfig(path="b.jsonl", text="t", license="mit"),
    ]
    cache = tmp_path / "cache"
    first = load_sources(sources, tmp_path, cache_dir=cache)
    second = load_sources(sources, tmp_path, cache_dir=cache)
    assert first.table.equals(second.table)
    assert first.quarantine.equals(second.quarantine)
    ids = first.table["id"].to_pylist()
    assert len(ids) == 2 * len(good) and all(len(i) == 20 for i in ids)
    assert list(cache.iterdir()) == []  # cache files are unlinked once memory-mapped


def test_oversize_csv_field_is_read_and_left_to_validation(tmp_path):
    from loaders.validate import validate_rows

    data = b"id,body\na,short\nb,bad \xff\n" + b"c," + b"word " * 60_000 + b"\n"
    result, rows, bad = load(tmp_path, "big.csv", data, text="body", id="id", encoding="utf-8")
    assert [r["id"] for r in rows] == ["a", "c"] and [q["reason"] for q in bad] == ["invalid_utf8"]
    _, invalid = validate_rows(result.table, max_text_chars=100_000)
    assert invalid.select(["id", "reason"]).to_pylist() == [{"id": "c", "reason": "text_too_long"}]
