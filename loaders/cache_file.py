"""Load cache files: written around the page cache, read back without pulling them into memory.

A load's cache can be as large as its input. Written through the page cache, every gigabyte
of it becomes a gigabyte of dirty memory first: charged to the container's memory limit, and
on VMs that hand freed memory back to the host, seconds of page faults per gigabyte. So the
cache is written with O_DIRECT from one reused, page-aligned buffer, and mapped back with
readahead off while only the batch headers are read; the rows come into memory when a later
step reads them.
"""

from __future__ import annotations

import errno
import fcntl
import mmap
import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc

ALIGNMENT = 4096  # O_DIRECT needs buffers, offsets and lengths in whole blocks
CHUNK_BYTES = 8 << 20


class DirectWriter:
    """A new write-only file that bypasses the page cache where the file system allows it
    (O_DIRECT; tmpfs and some others refuse it, and then writes go through the page cache)."""

    def __init__(self, path: Path) -> None:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
        try:
            self._fd = os.open(path, flags | os.O_DIRECT)
        except OSError as error:
            if error.errno != errno.EINVAL:
                raise
            self._fd = os.open(path, flags)
        self._buffer = mmap.mmap(-1, CHUNK_BYTES)  # page-aligned, reused for every chunk
        self._bytes = np.frombuffer(self._buffer, np.uint8)
        self._filled = 0
        self._size = 0
        self.closed = False

    def write(self, data: bytes | pa.Buffer) -> int:
        # Copied with numpy, which lets go of the GIL while it copies; a memoryview copy holds
        # it, and the loading threads' Python steps would wait on every chunk.
        incoming = np.frombuffer(data, np.uint8)
        taken = 0
        while taken < len(incoming):
            step = min(len(incoming) - taken, CHUNK_BYTES - self._filled)
            self._bytes[self._filled : self._filled + step] = incoming[taken : taken + step]
            self._filled += step
            taken += step
            if self._filled == CHUNK_BYTES:
                self._write_out(CHUNK_BYTES)
        self._size += taken
        return taken

    def tell(self) -> int:
        return self._size

    def writable(self) -> bool:
        return True

    def flush(self) -> None:
        """Nothing to do: only whole blocks can be written, so the tail waits for `close`."""

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            if self._filled:
                # The last block is written whole, then the file is cut back to its real size.
                self._write_out(-(-self._filled // ALIGNMENT) * ALIGNMENT)
                os.ftruncate(self._fd, self._size)
        finally:
            os.close(self._fd)
            del self._bytes  # the mapping closes only once no array views it
            self._buffer.close()

    def _write_out(self, length: int) -> None:
        chunk = self._bytes[:length]
        try:
            written = os.write(self._fd, chunk)
        except OSError as error:
            if error.errno != errno.EINVAL:
                raise
            # Some file systems accept O_DIRECT at open and refuse it on write.
            flags = fcntl.fcntl(self._fd, fcntl.F_GETFL)
            fcntl.fcntl(self._fd, fcntl.F_SETFL, flags & ~os.O_DIRECT)
            written = os.write(self._fd, chunk)
        if written != length:
            raise OSError(errno.EIO, f"short write to the load cache ({written} of {length})")
        self._filled = 0


def read_mapped(path: Path) -> pa.Table:
    """The Arrow IPC file at `path`, memory-mapped: reading its batch headers pulls in only
    their pages, not the whole file (readahead is off until the table is built)."""
    with open(path, "rb") as handle:
        mapping = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    mapping.madvise(mmap.MADV_RANDOM)
    table = ipc.open_file(pa.BufferReader(pa.py_buffer(mapping))).read_all()
    mapping.madvise(mmap.MADV_NORMAL)  # later steps read the rows in order
    return table
