"""Vectorised text normalisation shared by exact dedup, near dedup and the leakage check."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

# RE2 syntax: `\s` is ASCII-only there, `\p{Z}` adds Unicode separators such as U+2003.
_WHITESPACE = r"[\s\p{Z}]+"


def as_large_string(texts: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One contiguous large_string array, so tables beyond 2 GiB of text still combine."""
    array = texts.cast(pa.large_string())
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def casefold(texts: pa.Array) -> pa.Array:
    """Full Unicode case folding (`str.casefold`), vectorised for the common ASCII case.

    Arrow only lower-cases, which differs from case folding for a few characters (ß, ς, ſ, …),
    so rows that are not pure ASCII are folded by Python's exact implementation.
    """
    lowered = pc.utf8_lower(texts)
    non_ascii = pc.invert(pc.fill_null(pc.string_is_ascii(texts), True))
    if not pc.any(non_ascii).as_py():
        return lowered
    positions = pc.indices_nonzero(non_ascii)
    folded = [None if t is None else t.casefold() for t in texts.take(positions).to_pylist()]
    index = pc.cumulative_sum(pc.cast(non_ascii, pa.int64())).to_numpy() - 1
    folded_array = pa.array(folded, type=texts.type)
    return pc.if_else(non_ascii, folded_array.take(pa.array(index.clip(0))), lowered)


def normalize_texts(
    texts: pa.Array | pa.ChunkedArray,
    *,
    nfkc: bool = True,
    fold_case: bool = True,
    collapse_whitespace: bool = True,
) -> pa.Array:
    """Normalise texts for duplicate detection: NFKC, case folding, whitespace collapse."""
    array = as_large_string(texts)
    if nfkc:
        array = pc.utf8_normalize(array, form="NFKC")
    if fold_case:
        array = casefold(array)
    if collapse_whitespace:
        array = pc.utf8_trim_whitespace(pc.replace_substring_regex(array, _WHITESPACE, " "))
    return array
