"""Limits on hostile input: decompression bombs, truncated archives, huge lines and wide files.

A file that breaks a limit, or cannot be decoded at all, becomes one quarantine entry with a
reason code (`InputError.reason`) and the load goes on with the next file.
"""

from __future__ import annotations

import bz2
import io
import zlib
from pathlib import Path
from typing import BinaryIO

import zstandard
from pydantic import BaseModel, ConfigDict, Field

READ_BYTES = 1 << 20  # compressed bytes read from disk at a time
# zstd can expand 4 bytes into a 128 KiB block; feeding 2 KiB at a time bounds one step's output
# to 64 MiB even for a bomb, where zstandard's decompressobj has no max_length of its own.
ZSTD_SLICE = 2048
RATIO_GRACE_BYTES = 16 << 20  # tiny, very repetitive files may exceed the ratio; that is harmless
COMPRESSED_SUFFIXES = (".gz", ".bz2", ".zst")


class InputLimits(BaseModel):
    """Per-source limits on what one input file may make the loader do (the `limits` key)."""

    model_config = ConfigDict(extra="forbid")

    max_decompressed_bytes: int = Field(
        64 << 30, gt=0, description="a compressed file that expands past this is quarantined"
    )
    max_compression_ratio: float = Field(
        200.0, gt=1, description="decompressed/compressed bytes above this is a bomb (after 16 MiB)"
    )
    max_line_bytes: int = Field(
        64 << 20, gt=0, description="JSON Lines lines longer than this are quarantined unread"
    )
    max_columns: int = Field(
        10_000, gt=0, description="a CSV header or JSON source with more columns is refused"
    )
    max_page_bytes: int = Field(
        5_000_000, gt=0, description="saved HTML pages and WARC records larger than this"
    )


class InputError(ValueError):
    """A file that cannot be read within the limits; `reason` is the quarantine reason code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


class LimitedDecompressor(io.RawIOBase):
    """Decompresses .gz, .bz2 or .zst on the fly, refusing bombs and truncated streams.

    Concatenated members (gzip) and frames (zstd) are read in turn. A stream that ends inside a
    member raises `InputError("truncated", ...)` instead of silently dropping its tail.
    """

    def __init__(self, path: Path, limits: InputLimits) -> None:
        self._path = path
        self._kind = path.suffix.lower()
        self._limits = limits
        self._file = open(path, "rb")  # noqa: SIM115 - closed in close()
        self._stream = self._new_stream()
        self._input = memoryview(b"")
        self._more_output = False  # bz2 holds output for an empty-input call
        self._started = False
        self._output = b""
        self.compressed_bytes = 0
        self.decompressed_bytes = 0

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._file.close()
        super().close()

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        size = len(buffer)
        if not self._output:
            self._output = self._produce(size)
        count = min(size, len(self._output))
        buffer[:count] = self._output[:count]
        self._output = self._output[count:]
        return count

    def _new_stream(self):
        if self._kind == ".gz":
            return zlib.decompressobj(wbits=31)
        if self._kind == ".bz2":
            return bz2.BZ2Decompressor()
        return zstandard.ZstdDecompressor().decompressobj()

    def _produce(self, size: int) -> bytes:
        while True:
            if not self._input and not self._more_output:
                chunk = self._file.read(READ_BYTES)
                if not chunk:
                    if self._started and not self._stream.eof:
                        raise InputError(
                            "truncated",
                            f"compressed stream ends early after {self.decompressed_bytes} bytes",
                        )
                    return b""
                self.compressed_bytes += len(chunk)
                self._input = memoryview(chunk)
            if self._stream.eof:
                self._stream = self._new_stream()  # the next member or frame
            self._started = True
            out = self._step(size)
            if out:
                self._count(len(out))
                return out

    def _step(self, size: int) -> bytes:
        stream = self._stream
        try:
            if self._kind == ".gz":
                out = stream.decompress(self._input, size)
                rest = stream.unused_data if stream.eof else stream.unconsumed_tail
                self._input = memoryview(rest)
            elif self._kind == ".bz2":
                data, self._input = self._input, memoryview(b"")
                out = stream.decompress(data, size)
                self._more_output = not stream.eof and not stream.needs_input
                if stream.eof:
                    self._input = memoryview(stream.unused_data)
            else:
                piece, self._input = self._input[:ZSTD_SLICE], self._input[ZSTD_SLICE:]
                out = stream.decompress(piece)
                if stream.eof:
                    self._input = memoryview(stream.unused_data + bytes(self._input))
        except (zlib.error, OSError, EOFError, zstandard.ZstdError) as error:
            raise InputError("corrupt_compression", f"cannot decompress: {error}") from None
        return out

    def _count(self, produced: int) -> None:
        self.decompressed_bytes += produced
        limits = self._limits
        if self.decompressed_bytes > limits.max_decompressed_bytes:
            raise InputError(
                "too_large",
                f"decompresses to more than {limits.max_decompressed_bytes} bytes "
                "(limits.max_decompressed_bytes)",
            )
        ratio = self.decompressed_bytes / max(self.compressed_bytes, 1)
        if self.decompressed_bytes > RATIO_GRACE_BYTES and ratio > limits.max_compression_ratio:
            raise InputError(
                "decompression_bomb",
                f"expands {ratio:.0f}x, over the limit of {limits.max_compression_ratio:g}x "
                "(limits.max_compression_ratio)",
            )


def open_limited(path: Path, limits: InputLimits | None = None) -> BinaryIO:
    """Open a file for reading bytes; .gz, .bz2 and .zst are decompressed within `limits`."""
    if path.suffix.lower() not in COMPRESSED_SUFFIXES:
        return path.open("rb")
    return io.BufferedReader(LimitedDecompressor(path, limits or InputLimits()), READ_BYTES)
