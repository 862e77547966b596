"""Huge hostile inputs, generated in tmp (never committed): each is loaded in a subprocess with
a timeout, and its peak RSS over the interpreter's baseline is measured, so a hang or an
unbounded allocation fails the test instead of the machine."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MB = 1 << 20

LOAD_AND_MEASURE = textwrap.dedent(
    """
    import json, resource, sys
    from pathlib import Path
    from loaders.sources import SourceConfig, load_source
    config = json.loads(sys.argv[1])
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = load_source(SourceConfig(**config), Path(sys.argv[2]))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({
        "rows": result.rows_read,
        "reasons": result.quarantine.column("reason").to_pylist(),
        "peak_over_baseline_mb": (peak - baseline) / 1024,
    }))
    """
)


def load_in_subprocess(directory: Path, timeout_s: float = 90, **config) -> dict:
    config = {"license": "cc0-1.0", **config}
    completed = subprocess.run(
        [sys.executable, "-c", LOAD_AND_MEASURE, json.dumps(config), str(directory)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout_s,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])


def write_repeated(path: Path, head: bytes, unit: bytes, total_bytes: int, tail: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(head)
        block = unit * (MB // len(unit))
        for _ in range(total_bytes // len(block)):
            handle.write(block)
        handle.write(tail)


@pytest.fixture()
def big_dir(tmp_path: Path) -> Path:
    return tmp_path


def test_100_mb_json_line_is_quarantined_with_bounded_memory(big_dir: Path) -> None:
    write_repeated(
        big_dir / "huge.jsonl",
        b'{"text": "before"}\n{"text": "',
        b"abcdefgh",
        100 * MB,
        b'"}\n{"text": "after"}\n',
    )
    result = load_in_subprocess(big_dir, path="huge.jsonl", text="text")
    assert result["rows"] == 2 and result["reasons"] == ["line_too_long"]
    # the default max_line_bytes is 64 MiB: one capped read, never the whole 100 MB line decoded
    assert result["peak_over_baseline_mb"] < 200


def test_100_mb_csv_line_is_quarantined_with_bounded_memory(big_dir: Path) -> None:
    write_repeated(
        big_dir / "huge.csv",
        b"text,n\nbefore,1\n",
        b"abcdefgh",
        100 * MB,
        b",2\nafter,3\n",
    )
    result = load_in_subprocess(big_dir, path="huge.csv", text="text")
    assert result["rows"] == 2 and result["reasons"] == ["line_too_long"]
    assert result["peak_over_baseline_mb"] < 300


def test_csv_with_a_million_columns_is_refused_quickly(big_dir: Path) -> None:
    header = ",".join(f"c{i}" for i in range(1_000_000)) + ",text\n"
    (big_dir / "wide.csv").write_text(header + ",".join(["x"] * 1_000_001) + "\n")
    result = load_in_subprocess(big_dir, timeout_s=60, path="wide.csv", text="text")
    assert result["rows"] == 0 and result["reasons"] == ["too_many_columns"]
    assert result["peak_over_baseline_mb"] < 300


def test_gzip_bomb_stops_at_the_ratio_limit_with_bounded_memory(big_dir: Path) -> None:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(MB)
    with open(big_dir / "bomb.jsonl.gz", "wb") as handle:
        for _ in range(2048):  # 2 GiB of zeros in about 2 MB
            handle.write(compressor.compress(zeros))
        handle.write(compressor.flush())
    result = load_in_subprocess(big_dir, path="bomb.jsonl.gz", text="text")
    assert result["rows"] == 0 and result["reasons"] == ["decompression_bomb"]
    assert result["peak_over_baseline_mb"] < 300
