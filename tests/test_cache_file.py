"""The load cache file: written around the page cache, read back memory-mapped, byte-exact."""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pyarrow.ipc as ipc
import pytest

from loaders.cache_file import ALIGNMENT, CHUNK_BYTES, DirectWriter, read_mapped

SIZES = [0, 1, ALIGNMENT - 1, ALIGNMENT, CHUNK_BYTES, CHUNK_BYTES + ALIGNMENT + 3]


@pytest.mark.parametrize("size", SIZES)
def test_direct_writer_keeps_every_byte_whatever_the_alignment(tmp_path, size):
    data = os.urandom(size)
    writer = DirectWriter(tmp_path / "cache.bin")
    for start in range(0, size, 1000_003):  # writes that straddle chunk and block edges
        writer.write(data[start : start + 1000_003])
    assert writer.tell() == size
    writer.close()
    assert (tmp_path / "cache.bin").read_bytes() == data


def test_direct_writer_falls_back_where_o_direct_is_refused():
    """tmpfs refuses O_DIRECT at open; the writer then goes through the page cache."""
    shm = Path("/dev/shm")
    if not shm.is_dir() or not os.access(shm, os.W_OK):
        pytest.skip("no writable tmpfs at /dev/shm")
    path = shm / f"curate-test-{os.getpid()}.bin"
    try:
        writer = DirectWriter(path)
        writer.write(b"abc" * 5000)
        writer.close()
        assert path.read_bytes() == b"abc" * 5000
    finally:
        path.unlink(missing_ok=True)


def test_direct_writer_refuses_to_overwrite(tmp_path):
    (tmp_path / "taken.bin").write_bytes(b"x")
    with pytest.raises(FileExistsError):
        DirectWriter(tmp_path / "taken.bin")


def test_an_arrow_file_written_direct_reads_back_memory_mapped(tmp_path):
    table = pa.table({"text": [f"row {i} " * (i % 50) for i in range(20000)], "n": range(20000)})
    writer = DirectWriter(tmp_path / "part.arrow")
    with ipc.new_file(writer, table.schema) as ipc_writer:
        for batch in table.to_batches(max_chunksize=3000):
            ipc_writer.write_batch(batch)
    writer.close()
    back = read_mapped(tmp_path / "part.arrow")
    assert back.equals(table)
    (tmp_path / "part.arrow").unlink()  # the mapping keeps the rows readable
    assert back.column("text")[19999].as_py() == table.column("text")[19999].as_py()
