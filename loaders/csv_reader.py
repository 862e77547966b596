r"""CSV/TSV at any size: pyarrow parses clean blocks, Python's csv module parses the rest exactly.

The file is cut into blocks at row boundaries (a newline after an even number of quotes). A
block is parsed by `pyarrow.csv` when it is provably clean: every row has the header's field
count, every byte is valid UTF-8, no quote sits mid-field, no \r stands alone, and the
newlines add up (each ends a row or sits inside a parsed value: no blank lines). Row line
numbers then follow from the newlines inside each row's values. Any other block goes through
the per-line Python path, which names the exact line and reason of each bad row, so the fast
path never changes what is read, only how quickly. Plain UTF-8 files are parsed straight from
a memory map, without copying their bytes, several blocks at once in worker threads (only the
cut is serial); compressed and transcoded ones through a buffer, one block at a time.
"""

from __future__ import annotations

import codecs
import csv
import io
import mmap
import re
import threading
from collections import deque
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import charset_normalizer
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from loaders.base import decode_strict
from loaders.limits import InputError, InputLimits, open_limited
from loaders.records import Record

# Python's csv refuses fields over 128 KiB; an oversize row must reach validation (text_too_long).
csv.field_size_limit(2**31 - 1)
SNIFF_BYTES = 1 << 16
MIN_FAST_BYTES = 1 << 18  # a failing block is retried in smaller pieces down to this size
NO_QUOTES = np.zeros(0, np.int64)
PARSE_THREADS = max(1, min(pa.cpu_count(), 4))  # blocks parsed at once, one thread each
DELIMITER_CANDIDATES = (",", "\t", ";", "|")
QUOTE, LF, CR = ord('"'), ord("\n"), ord("\r")
UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


@dataclass
class CsvBlock:
    """Rows of one block as string columns named by the header, each row's first line, and
    the block's unreadable rows."""

    table: pa.Table
    lines: np.ndarray
    problems: list[Record] = field(default_factory=list)
    fast: bool = True
    newlines: int = 0


class Utf8Stream:
    """A file (maybe compressed) as a stream of UTF-8 bytes, whatever its encoding.

    Bytes the detected encoding cannot decode pass through unchanged, so they later show up as
    invalid UTF-8 on their own line instead of being replaced silently.
    """

    def __init__(self, path: Path, encoding: str | None, limits: InputLimits | None = None) -> None:
        self._raw = open_limited(path, limits)
        head = self._raw.read(SNIFF_BYTES)
        self.encoding = encoding or detect_encoding(head)
        self._decoder = None
        if self.encoding.replace("-", "").replace("_", "").lower() in ("utf8", "utf8sig"):
            head = head.removeprefix(codecs.BOM_UTF8)
        else:
            self._decoder = codecs.getincrementaldecoder(self.encoding)("surrogateescape")
        self._pending = self._transcode(head, final=False)

    def read(self, size: int) -> bytes:
        """Up to about `size` bytes of UTF-8; b"" at the end of the file."""
        while len(self._pending) < size:
            chunk = self._raw.read(size)
            self._pending += self._transcode(chunk, final=not chunk)
            if not chunk:
                break
        out, self._pending = self._pending, b""
        return out

    def plain_file(self) -> BinaryIO | None:
        """The open file itself when its bytes are the stream's bytes (uncompressed UTF-8 with
        nothing pending), so a reader may map it and seek in it; None otherwise."""
        plain = self._decoder is None and isinstance(getattr(self._raw, "raw", None), io.FileIO)
        return self._raw if plain and not self._pending else None

    def close(self) -> None:
        self._raw.close()

    def _transcode(self, data: bytes, final: bool) -> bytes:
        if self._decoder is None:
            return data
        return self._decoder.decode(data, final).encode("utf-8", "surrogateescape")


def detect_encoding(head: bytes) -> str:
    """BOMs first; then UTF-8 when the sample decodes (a cut-off last character is fine) or
    holds multi-byte UTF-8 characters (bad bytes among them are then quarantined per line); else
    charset-normalizer's least chaotic guess among legacy encodings (ties go to cp1252)."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as err:
        if err.start >= len(head) - 3 and err.reason == "unexpected end of data":
            return "utf-8"
    if UTF8_MULTIBYTE.search(head):
        return "utf-8"  # real UTF-8 characters next to a few bad bytes: corrupted UTF-8
    matches = list(charset_normalizer.from_bytes(head))
    if head.split(b"\n", 1)[0].isascii():
        # An ASCII header line rules out encodings that are not ASCII-compatible (UTF-16/32
        # without a BOM would interleave NUL bytes in it), however the rest of the sample looks.
        matches = [m for m in matches if _ascii_compatible(m.encoding)]
        if not matches:
            return "cp1252"
    if not matches:
        return "utf-8"
    # Short samples often tie; among equally plausible guesses prefer the most common legacy
    # encoding (cp1252, a superset of printable latin-1) over its regional cousins.
    best = min(matches, key=lambda m: (m.chaos, -m.coherence))
    tied = [m for m in matches if m.chaos <= best.chaos and m.coherence >= best.coherence]
    return next((m.encoding for m in tied if m.encoding == "cp1252"), best.encoding)


def _ascii_compatible(encoding: str) -> bool:
    probe = b"id,text\n"
    try:
        return probe.decode(encoding) == probe.decode("ascii")
    except (UnicodeDecodeError, LookupError):
        return False


def detect_delimiter(head: bytes) -> str:
    """The candidate that occurs most often in the header line (outside quotes)."""
    first_line = head.split(b"\n", 1)[0].decode("utf-8", "replace")
    unquoted = first_line.split('"')[::2]
    counts = {d: sum(part.count(d) for part in unquoted) for d in DELIMITER_CANDIDATES}
    best = max(DELIMITER_CANDIDATES, key=lambda d: counts[d])
    return best if counts[best] else ","


class CsvReader:
    """Reads one CSV file in blocks of about `block_size` bytes; see the module docstring."""

    def __init__(
        self,
        path: Path,
        delimiter: str | None,
        encoding: str | None,
        block_size: int,
        limits: InputLimits | None = None,
    ) -> None:
        self.path = path
        self.block_size = block_size
        self.max_columns = (limits or InputLimits()).max_columns
        self.max_line = (limits or InputLimits()).max_line_bytes
        self.stream = Utf8Stream(path, encoding, limits)
        self.buf = b""
        self.line = 1  # physical line number of buf[0]
        self.eof = False
        self._fill(SNIFF_BYTES)
        self.delimiter = delimiter or detect_delimiter(self.buf)
        self._boundary = np.zeros(256, dtype=bool)
        self._boundary[[ord(self.delimiter), LF, CR, QUOTE]] = True
        self._scratch = threading.local()
        try:
            header_block = self._exact(target=1, header=True)
        except BaseException:
            self.stream.close()
            raise
        self.header: list[str] = header_block.table.column_names
        self.header_problems = header_block.problems
        self._file = self.stream.plain_file()
        self._map = _map_file(self._file) if self._file is not None else None
        self._buf_is_file = True  # buf is the file's bytes just before the file position
        self._released = 0  # mapped bytes before this offset are no longer needed

    def blocks(self) -> Iterator[CsvBlock]:
        """Blocks of rows in file order. A plain UTF-8 file is parsed straight from its memory
        map whenever the buffer is empty (no copy of the bytes), several blocks at a time;
        other files, and the exact path, go through the buffer."""
        if self.header_problems:
            yield CsvBlock(_empty(self.header), np.zeros(0, np.int64), self.header_problems)
        size = self.block_size
        try:
            while True:
                if self._map is not None and self._give_back_buffer():
                    if size == self.block_size and (yield from self._parallel_blocks()):
                        size = max(size // 8, MIN_FAST_BYTES)  # narrow down to the bad rows
                    source, base = self._map, self._file.tell()
                    if base >= len(self._map):
                        return
                else:
                    self._fill(self.block_size)
                    if not self.buf:
                        return
                    source, base = self.buf, 0
                cut, quotes = self._safe_cut(source, base, size)
                block = self._fast(source, base, cut, quotes, use_threads=True) if cut else None
                if block is not None:
                    self._take(block, source, base + cut)
                    size = min(size * 4, self.block_size)
                    yield block
                elif cut and size > MIN_FAST_BYTES:
                    size = max(size // 8, MIN_FAST_BYTES)  # narrow down to the bad rows
                else:
                    self._fill(self.block_size)
                    yield self._exact(target=cut or len(self.buf))
        finally:
            self.stream.close()

    def _parallel_blocks(self) -> Generator[CsvBlock, None, bool]:
        """Full-size blocks from the map at the file position: cut here, in order, and checked
        and parsed in worker threads, a few blocks ahead. Returns True when it stopped at a
        block that needs a closer look (the file position is then that block's start); False
        at the end of the file or where no row ends within a block."""
        in_flight: deque[tuple[int, int, Future[CsvBlock | None]]] = deque()
        next_base = self._file.tell()
        with ThreadPoolExecutor(PARSE_THREADS, thread_name_prefix="csv-parse") as pool:
            try:
                while True:
                    while len(in_flight) <= PARSE_THREADS and next_base < len(self._map):
                        cut, quotes = self._safe_cut(self._map, next_base, self.block_size)
                        if not cut:
                            break
                        job = pool.submit(self._fast, self._map, next_base, cut, quotes, False)
                        in_flight.append((next_base, cut, job))
                        next_base += cut
                    if not in_flight:
                        return False
                    base, cut, job = in_flight.popleft()
                    block = job.result()
                    if block is None:
                        return True
                    self._take(block, self._map, base + cut)
                    yield block
            finally:
                for _, _, job in in_flight:
                    job.cancel()

    def _take(self, block: CsvBlock, source: bytes | mmap.mmap, end: int) -> None:
        """Number the block's rows from the current line and drop its bytes."""
        block.lines += self.line
        self.line += block.newlines
        self._consume(source, end)

    def _give_back_buffer(self) -> bool:
        """Empty the buffer by moving the file position back over it, so that reading goes on
        from the map; only possible while the buffer holds exactly the file's bytes."""
        if not self.buf:
            self._buf_is_file = True
            return True
        if self.eof or not self._buf_is_file:
            return False
        self._file.seek(-len(self.buf), io.SEEK_CUR)
        self.buf = b""
        return True

    def _consume(self, source: bytes | mmap.mmap, end: int) -> None:
        """Drop the bytes up to `end` of `source` (the buffer, or the map at the file position)."""
        if source is self.buf:
            self.buf = self.buf[end:]
            return
        self._file.seek(end)
        # Hand parsed pages back, or they would count towards the process's resident memory
        # for as long as the file is mapped.
        release_end = end - end % mmap.PAGESIZE
        if release_end > self._released:
            self._map.madvise(mmap.MADV_DONTNEED, self._released, release_end - self._released)
            self._released = release_end

    def _fill(self, size: int) -> None:
        while not self.eof and len(self.buf) < size:
            chunk = self.stream.read(max(size - len(self.buf), SNIFF_BYTES))
            if not chunk:
                self.eof = True
                if self.buf and not self.buf.endswith(b"\n"):
                    self.buf += b"\n"  # a last row without a newline ends at the end of file
            self.buf += chunk

    def _matches(self, data: np.ndarray, byte: int) -> np.ndarray:
        """`data == byte` in a scratch array reused across blocks (one per thread): a fresh
        block-sized mask per scan costs more in page faults than the comparison itself."""
        scratch = getattr(self._scratch, "mask", None)
        if scratch is None or len(scratch) < len(data):
            scratch = self._scratch.mask = np.empty(len(data), dtype=bool)
        return np.equal(data, byte, out=scratch[: len(data)])

    def _safe_cut(self, source: bytes | mmap.mmap, base: int, size: int) -> tuple[int, np.ndarray]:
        """End of the last complete row within `size` bytes from `base` of `source`, judged by
        quote parity (0 if unsure), and the positions of the quotes before it (relative to
        `base`), which the fast path checks next."""
        end = source.rfind(b"\n", base, base + size) - base
        if end < 0:
            return 0, NO_QUOTES
        if source.find(b'"', base, base + end) < 0:
            return end + 1, NO_QUOTES
        data = np.frombuffer(source, np.uint8, count=end, offset=base)
        quotes = np.flatnonzero(self._matches(data, QUOTE))
        for _ in range(16):
            count = int(np.searchsorted(quotes, end))
            if count % 2 == 0:
                return end + 1, quotes[:count]
            end = source.rfind(b"\n", base, base + end) - base
            if end < 0:
                break
        return 0, NO_QUOTES

    def _fast(
        self,
        source: bytes | mmap.mmap,
        base: int,
        length: int,
        quotes: np.ndarray,
        use_threads: bool,
    ) -> CsvBlock | None:
        """Parse `length` bytes from `base` of `source` with pyarrow, or None when they need the
        exact path. Row line numbers are counted from the block's first line. Safe to run in
        several threads at once."""
        block = memoryview(source)[base : base + length]
        data = np.frombuffer(block, np.uint8)
        if len(quotes) and self._mid_field_quote(data, quotes):
            return None
        if len(block) > self.max_line and self._longest_line(data) > self.max_line:
            return None  # an over-long line: the exact path quarantines it
        if source.find(b"\r", base, base + length) >= 0 and self._bare_cr(data):
            return None  # a lone \r ends a line for both parsers; the exact path numbers it
        newlines = int(np.count_nonzero(self._matches(data, LF)))
        table = self._parse(block, newlines_in_values=len(quotes) > 0, use_threads=use_threads)
        if table is None:
            return None
        # Every newline either ends a row or sits inside a value; anything else is a blank line
        # that pyarrow skipped without a trace, and the exact path must count it.
        inner = _inner_newlines(table, self._matches)
        if newlines != table.num_rows + int(inner.sum()):
            return None
        lines_before = np.arange(table.num_rows, dtype=np.int64)
        if inner.any():
            lines_before += np.concatenate(([0], np.cumsum(inner[:-1], dtype=np.int64)))
        return CsvBlock(table, lines_before, newlines=newlines)

    def _parse(
        self, block: memoryview, newlines_in_values: bool, use_threads: bool
    ) -> pa.Table | None:
        """The block's rows as string columns, or None on any bad row, byte or quote.

        The block is checked as UTF-8 once, as a whole, and parsed into binary columns that are
        then read as strings: every value lies between ASCII delimiters, quotes and newlines of
        valid UTF-8, so it is valid itself, and pyarrow's check of each value costs more.
        """
        if not _is_utf8(block):
            return None  # the exact path names the line
        problems: list[object] = []

        def invalid_row(row: object) -> str:
            problems.append(row)
            return "skip"

        try:
            table = pacsv.read_csv(
                pa.py_buffer(block),
                read_options=pacsv.ReadOptions(
                    column_names=self.header,
                    block_size=max(1 << 20, len(block) // 4),
                    use_threads=use_threads,
                ),
                parse_options=pacsv.ParseOptions(
                    delimiter=self.delimiter,
                    newlines_in_values=newlines_in_values,
                    invalid_row_handler=invalid_row,
                ),
                convert_options=pacsv.ConvertOptions(
                    column_types={name: pa.binary() for name in self.header},
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None  # a parse error: the exact path names the line
        if problems:
            return None
        return pa.table([_as_strings(column) for column in table.columns], names=self.header)

    def _longest_line(self, data: np.ndarray) -> int:
        newlines = np.flatnonzero(self._matches(data, LF))
        return int(np.diff(newlines, prepend=-1).max()) if len(newlines) else len(data)

    def _bare_cr(self, data: np.ndarray) -> bool:
        """A \\r not followed by \\n (blocks end with \\n, so every \\r has a next byte)."""
        returns = np.flatnonzero(self._matches(data, CR))
        return bool(np.any(data[returns + 1] != LF))

    def _drop_line(self, start: int) -> tuple[int, str]:
        """Remove the over-long line at `start` from the buffer, reading past its end in
        bounded chunks; return its length and its first characters (for the quarantine)."""
        head = self.buf[start : start + 2000].decode("utf-8", "replace")
        end = self.buf.find(b"\n", start)
        self._buf_is_file = False  # the line is cut out of the buffer
        if end >= 0:
            self.buf = self.buf[:start] + self.buf[end + 1 :]
            return end + 1 - start, head
        length = len(self.buf) - start
        self.buf = self.buf[:start]
        while chunk := self.stream.read(self.block_size):
            newline = chunk.find(b"\n")
            if newline >= 0:
                self.buf += chunk[newline + 1 :]
                return length + newline + 1, head
            length += len(chunk)
        self.eof = True
        return length, head

    def _line_end(self, start: int) -> int:
        """Index of the byte ending the line at `start`: a \\n, or a \\r not followed by \\n
        (old Mac files; Python's csv and pyarrow both end a row there, so counting it keeps the
        header and line numbers right); -1 when the line's end is not in the buffer yet."""
        end = self.buf.find(b"\n", start)
        cr = self.buf.find(b"\r", start, (end if end >= 0 else len(self.buf)) - 1)
        return cr if cr >= 0 else end

    def _mid_field_quote(self, data: np.ndarray, quotes: np.ndarray) -> bool:
        """A quote with a non-boundary byte on both sides (`"a"b`): Python's strict csv rejects
        it and pyarrow does not, so such blocks take the exact path."""
        inner = quotes[(quotes > 0) & (quotes < len(data) - 1)]
        return bool(np.any(~self._boundary[data[inner - 1]] & ~self._boundary[data[inner + 1]]))

    def _exact(self, target: int, header: bool = False) -> CsvBlock:
        """Parse rows with Python's csv module from the start of the buffer until at least
        `target` bytes are consumed (pulling more of the file for a row that runs past it)."""
        consumed = 0
        lines_seen = 0
        numbers: list[int] = []  # physical line number of each line handed to the csv reader
        texts: list[str] = []
        problems: list[Record] = []
        pending_bad: list[Record] = []

        def decoded_lines() -> Iterator[str]:
            nonlocal consumed, lines_seen
            while True:
                end = self._line_end(consumed)
                while end < 0 and not self.eof and len(self.buf) - consumed <= self.max_line:
                    self._fill(len(self.buf) + self.block_size)
                    end = self._line_end(consumed)
                number = self.line + lines_seen
                if (end < 0 and not self.eof) or end + 1 - consumed > self.max_line:
                    if header:
                        raise InputError("line_too_long", f"header over {self.max_line} bytes")
                    length, head = self._drop_line(consumed)
                    lines_seen += 1
                    detail = f"{length} bytes, limit {self.max_line} (max_line_bytes)"
                    pending_bad.append(
                        Record(number, reason="line_too_long", detail=detail, raw=head)
                    )
                    continue
                if end < 0:
                    return
                raw = self.buf[consumed : end + 1]
                consumed, lines_seen = end + 1, lines_seen + 1
                text, error = decode_strict(raw)
                if text is None:
                    shown = raw.decode("utf-8", "replace")
                    pending_bad.append(
                        Record(number, reason="invalid_utf8", detail=error, raw=shown)
                    )
                    continue
                numbers.append(number)
                texts.append(text)
                yield text

        reader = csv.reader(decoded_lines(), delimiter=self.delimiter, strict=True)
        rows: list[list[str]] = []
        row_lines: list[int] = []
        names: list[str] | None = None if header else self.header
        used = 0  # lines the reader had consumed before the current record
        while consumed < target or (header and names is None):
            try:
                row, error = next(reader), None
            except StopIteration:
                break
            except csv.Error as err:
                row, error = None, err
            start = numbers[used] if used < len(numbers) else self.line + lines_seen
            raw = "".join(texts[used : reader.line_num])
            used = reader.line_num
            problems.extend(pending_bad)
            pending_bad.clear()
            if error is not None:
                detail = str(error)
                problems.append(Record(start, reason="csv_parse_error", detail=detail, raw=raw))
            elif not row:
                continue
            elif names is None:
                if len(row) > self.max_columns:
                    raise InputError(
                        "too_many_columns",
                        f"header has {len(row)} columns, limit {self.max_columns} (max_columns)",
                    )
                names = _unique_names(row)
            elif len(row) != len(names):
                detail = f"expected {len(names)} fields, found {len(row)}"
                problems.append(Record(start, reason="field_count", detail=detail, raw=raw))
            else:
                rows.append(row)
                row_lines.append(start)
        problems.extend(pending_bad)
        self.buf = self.buf[consumed:]
        self.line += lines_seen
        names = names or []
        columns = list(zip(*rows, strict=True)) if rows else [[] for _ in names]
        table = pa.table(
            {
                name: pa.array(values, pa.string())
                for name, values in zip(names, columns, strict=True)
            }
        )
        return CsvBlock(table, np.array(row_lines, np.int64), problems, fast=False)


def _map_file(file: BinaryIO) -> mmap.mmap | None:
    """The file memory-mapped read-only, or None where it cannot be (empty, or not a regular
    file); the reader then reads it into its buffer instead."""
    try:
        return mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):
        return None


def _inner_newlines(
    table: pa.Table, matches: Callable[[np.ndarray, int], np.ndarray]
) -> np.ndarray:
    """Newlines inside each row's values, counted in the parsed string buffers (a newline in a
    quoted value survives parsing as itself), so row line numbers need no scan of the block."""
    counts = np.zeros(table.num_rows, np.int64)
    for column in table.columns:
        start = 0
        for chunk in column.chunks:
            _, offsets_buffer, data_buffer = chunk.buffers()
            if data_buffer is None:
                start += len(chunk)
                continue
            offsets = np.frombuffer(offsets_buffer, np.int32)[
                chunk.offset : chunk.offset + len(chunk) + 1
            ]
            values = np.frombuffer(data_buffer, np.uint8)[offsets[0] : offsets[-1]]
            mask = matches(values, LF)
            if mask.any():
                rows = np.searchsorted(offsets, np.flatnonzero(mask) + offsets[0], "right") - 1
                counts[start : start + len(chunk)] += np.bincount(rows, minlength=len(chunk))
            start += len(chunk)
    return counts


def _is_utf8(block: memoryview) -> bool:
    """Whether the whole block is valid UTF-8, by Arrow's validator (quick over ASCII runs)."""
    whole = pa.LargeStringArray.from_buffers(
        1, pa.py_buffer(np.array([0, len(block)], np.int64)), pa.py_buffer(block)
    )
    try:
        whole.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _as_strings(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Binary values known to be UTF-8 read as strings, without copying or checking again."""
    return pa.chunked_array([chunk.view(pa.string()) for chunk in column.chunks], pa.string())


def _unique_names(row: list[str]) -> list[str]:
    """Header names, with repeats suffixed `_2`, `_3` so that no column is lost."""
    seen: dict[str, int] = {}
    names = []
    for name in row:
        name = name.strip() or "column"
        seen[name] = seen.get(name, 0) + 1
        names.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return names


def _empty(names: list[str]) -> pa.Table:
    return pa.table({name: pa.array([], pa.string()) for name in names})
