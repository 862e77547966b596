"""Gopher- and C4-style quality heuristics, computed on Arrow batches.

Each rule is a `QualityConfig` field; `None` switches it off. A removed row's reason is
`quality:<field>` for the first rule it fails (in field order), and its detail gives the
measured value. `stats["failed"]` also counts every rule a row fails, so the card can show
how often each rule fires even when an earlier rule removed the row.

Defaults follow Gopher (Rae et al. 2021, appendix A) and C4 (Raffel et al. 2020), except
`min_words`: Gopher's 50 suits web pages, but would drop most reviews and posts, so it is 5.
Gopher's repetition rules were tuned on texts of 50+ words; on a ten-word post one repeated
bigram already covers 20% of the characters, so they only judge texts of
`min_words_for_repetition` words or more.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict, Field, field_validator

from filters.base import StageResult, split_by_mask

_BATCH_ROWS = 50_000
_ELLIPSIS = ("...", "…")

BOILERPLATE_LINES = [
    r"\bcookies?\b.*\b(use|accept|consent|policy|settings|preferences)\b",
    r"\b(accept|allow|reject) (all )?cookies\b",
    r"\benable javascript\b|\bjavascript (is )?(disabled|required)\b",
    r"\bterms (of use|of service|and conditions)\b",
    r"\bprivacy (policy|notice|statement)\b",
    r"\ball rights reserved\b|^\s*(©|\(c\)|copyright)\s*\d{4}",
    r"\b(subscribe to|sign up for) our newsletter\b",
    r"^\s*(skip to (main )?content|share (this|on)|click here|read more|log ?in|sign ?in)\W*$",
]


class QualityConfig(BaseModel):
    """The recipe's `filters.quality` section; every threshold may be None to disable it."""

    model_config = ConfigDict(extra="forbid")

    min_words: int | None = Field(5, ge=0)
    max_words: int | None = Field(100_000, ge=1)
    min_mean_word_length: float | None = Field(3.0, ge=0)
    max_mean_word_length: float | None = Field(10.0, ge=0)
    max_symbol_ratio: float | None = Field(0.1, ge=0, description="# and ellipses per word")
    max_non_alpha_ratio: float | None = Field(
        0.2, ge=0, le=1, description="fraction of words without any letter"
    )
    min_words_for_repetition: int = Field(
        50, ge=0, description="repetition rules (lines, n-grams) judge only texts this long"
    )
    max_duplicate_line_fraction: float | None = Field(0.3, ge=0, le=1)
    max_top_ngram_fraction: dict[int, float] | None = Field(
        default_factory=lambda: {2: 0.20, 3: 0.18, 4: 0.16},
        description="n -> largest share of word characters the most repeated n-gram may cover",
    )
    forbidden_patterns: list[str] | None = Field(
        default_factory=lambda: [r"lorem ipsum"],
        description="case-insensitive regexes; any match removes the row (C4)",
    )
    boilerplate_patterns: list[str] | None = Field(
        default_factory=lambda: list(BOILERPLATE_LINES),
        description="case-insensitive regexes for boilerplate lines (cookie banners, ...)",
    )
    max_boilerplate_line_fraction: float | None = Field(0.5, ge=0, le=1)

    @field_validator("forbidden_patterns", "boilerplate_patterns")
    @classmethod
    def _patterns_compile(cls, patterns: list[str] | None) -> list[str] | None:
        """Arrow matches with RE2 (no look-arounds or backreferences), so check with it."""
        for pattern in patterns or []:
            try:
                pc.match_substring_regex(pa.array([""]), pattern)
            except pa.ArrowInvalid as error:
                raise ValueError(
                    f"pattern {pattern!r} is not a valid RE2 regex: {error}"
                ) from error
        return patterns


def _any_pattern(patterns: list[str]) -> str:
    return "(?i)" + "|".join(f"(?:{p})" for p in patterns)


def _per_row(values: np.ndarray, row: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(row, weights=values, minlength=n)


def _top_ngram_fraction(
    word_hash: np.ndarray, word_chars: np.ndarray, row: np.ndarray, n_rows: int, size: int
) -> np.ndarray:
    """Per row: characters covered by its most repeated n-gram (if repeated) / word characters."""
    total_chars = _per_row(word_chars, row, n_rows)
    result = np.zeros(n_rows)
    if len(row) < size:
        return result
    starts = np.flatnonzero(row[size - 1 :] == row[: len(row) - size + 1])  # n-gram in one row
    key = np.zeros(len(starts), dtype=np.uint64)
    chars = np.zeros(len(starts))
    for offset in range(size):
        key = (key ^ word_hash[starts + offset]) * np.uint64(0x9E3779B97F4A7C15)
        chars += word_chars[starts + offset]
    ngram_row = row[starts]
    order = np.lexsort((key, ngram_row))
    key, ngram_row, chars = key[order], ngram_row[order], chars[order]
    run_start = np.flatnonzero(
        np.concatenate(([True], (key[1:] != key[:-1]) | (ngram_row[1:] != ngram_row[:-1])))
    )
    count = np.diff(np.append(run_start, len(key)))
    covered = np.where(count > 1, count * chars[run_start], 0.0)
    np.maximum.at(result, ngram_row[run_start], covered)
    return np.divide(result, total_chars, out=np.zeros(n_rows), where=total_chars > 0)


def measure(texts: pa.Array, config: QualityConfig) -> dict[str, np.ndarray]:
    """The per-row measurements the rules compare against their thresholds."""
    n = len(texts)
    texts = pc.fill_null(texts, "")
    tokens = pc.utf8_split_whitespace(texts)
    word_count = pc.list_value_length(tokens).to_numpy(zero_copy_only=False).astype(np.float64)
    flat = pc.list_flatten(tokens)
    row = np.repeat(np.arange(n), word_count.astype(np.int64))
    nonempty = pc.not_equal(flat, "").to_numpy(zero_copy_only=False)
    flat, row = flat.filter(pa.array(nonempty)), row[nonempty]
    words = _per_row(np.ones(len(row)), row, n)
    has_letter = pc.match_substring_regex(flat, r"\p{L}").to_numpy(zero_copy_only=False)
    has_non_punct = pc.match_substring_regex(flat, r"[^\p{P}\p{S}]").to_numpy(zero_copy_only=False)
    length = pc.utf8_length(flat).to_numpy(zero_copy_only=False).astype(np.float64)
    real_words = _per_row(has_non_punct.astype(np.float64), row, n)
    safe_words = np.maximum(words, 1)
    symbols = pc.count_substring(texts, "#").to_numpy(zero_copy_only=False).astype(np.float64)
    for ellipsis in _ELLIPSIS:
        symbols += pc.count_substring(texts, ellipsis).to_numpy(zero_copy_only=False)
    measured = {
        "words": words,
        "mean_word_length": np.divide(
            _per_row(length * has_non_punct, row, n),
            real_words,
            out=np.zeros(n),
            where=real_words > 0,
        ),
        "symbol_ratio": symbols / safe_words,
        "non_alpha_ratio": np.where(
            words > 0, 1 - _per_row(has_letter * 1.0, row, n) / safe_words, 0
        ),
    }
    lines = pc.split_pattern(texts, "\n")
    line_count = pc.list_value_length(lines).to_numpy(zero_copy_only=False)
    line_row = np.repeat(np.arange(n), line_count)
    flat_lines = pc.utf8_trim_whitespace(pc.list_flatten(lines))
    real_line = pc.not_equal(flat_lines, "").to_numpy(zero_copy_only=False)
    flat_lines, line_row = flat_lines.filter(pa.array(real_line)), line_row[real_line]
    line_total = _per_row(np.ones(len(line_row)), line_row, n)
    safe_lines = np.maximum(line_total, 1)
    line_id = pc.dictionary_encode(flat_lines).indices.to_numpy(zero_copy_only=False)
    pair = np.unique(np.stack((line_row, line_id.astype(np.int64))), axis=1)
    unique_lines = _per_row(np.ones(pair.shape[1]), pair[0], n) if pair.size else np.zeros(n)
    measured["duplicate_line_fraction"] = (line_total - unique_lines) / safe_lines
    if config.boilerplate_patterns:
        boiler = pc.match_substring_regex(flat_lines, _any_pattern(config.boilerplate_patterns))
        boiler_lines = _per_row(boiler.to_numpy(zero_copy_only=False) * 1.0, line_row, n)
        measured["boilerplate_line_fraction"] = boiler_lines / safe_lines
    if config.max_top_ngram_fraction:
        lowered = pc.utf8_lower(flat)
        encoded = pc.dictionary_encode(lowered)
        vocabulary = np.asarray(encoded.dictionary.to_pylist(), dtype=object)
        word_hash = pd.util.hash_array(vocabulary)[encoded.indices.to_numpy()]
        for size in config.max_top_ngram_fraction:
            measured[f"top_{size}gram_fraction"] = _top_ngram_fraction(
                word_hash, length, row, n, size
            )
    if config.forbidden_patterns:
        forbidden = pc.match_substring_regex(texts, _any_pattern(config.forbidden_patterns))
        measured["forbidden"] = forbidden.to_numpy(zero_copy_only=False)
    return measured


Failure = tuple[str, np.ndarray, Callable[[int], str]]


def _failures(measured: dict[str, np.ndarray], config: QualityConfig) -> list[Failure]:
    """(rule, failing mask, detail of row i) for every enabled rule, in config field order."""
    rules: list[Failure] = []

    def threshold_rule(rule: str, failing: np.ndarray, values: np.ndarray, fmt: str) -> None:
        rules.append((rule, failing, lambda i: fmt.format(values[i])))

    words, mean_length = measured["words"], measured["mean_word_length"]
    long_enough = words >= config.min_words_for_repetition
    if config.min_words is not None:
        threshold_rule("min_words", words < config.min_words, words, "{:.0f} words")
    if config.max_words is not None:
        threshold_rule("max_words", words > config.max_words, words, "{:.0f} words")
    if config.min_mean_word_length is not None:
        failing = (words > 0) & (mean_length < config.min_mean_word_length)
        threshold_rule("min_mean_word_length", failing, mean_length, "mean word length {:.2f}")
    if config.max_mean_word_length is not None:
        failing = mean_length > config.max_mean_word_length
        threshold_rule("max_mean_word_length", failing, mean_length, "mean word length {:.2f}")
    for rule, key, fmt in (
        ("max_symbol_ratio", "symbol_ratio", "{:.2f} # or ellipses per word"),
        ("max_non_alpha_ratio", "non_alpha_ratio", "{:.0%} of words without letters"),
    ):
        threshold = getattr(config, rule)
        if threshold is not None:
            threshold_rule(rule, measured[key] > threshold, measured[key], fmt)
    if config.max_duplicate_line_fraction is not None:
        values = measured["duplicate_line_fraction"]
        failing = long_enough & (values > config.max_duplicate_line_fraction)
        threshold_rule("max_duplicate_line_fraction", failing, values, "{:.0%} repeated lines")
    if config.max_top_ngram_fraction:
        over = {
            size: long_enough & (measured[f"top_{size}gram_fraction"] > threshold)
            for size, threshold in sorted(config.max_top_ngram_fraction.items())
        }

        def ngram_detail(i: int) -> str:
            size = next(size for size, failing in over.items() if failing[i])
            share = measured[f"top_{size}gram_fraction"][i]
            return f"top {size}-gram covers {share:.0%} of characters"

        rules.append(
            ("max_top_ngram_fraction", np.logical_or.reduce(list(over.values())), ngram_detail)
        )
    if config.forbidden_patterns:
        rules.append(("forbidden_patterns", measured["forbidden"], lambda i: "forbidden pattern"))
    if config.boilerplate_patterns and config.max_boilerplate_line_fraction is not None:
        values = measured["boilerplate_line_fraction"]
        failing = values >= config.max_boilerplate_line_fraction
        threshold_rule("max_boilerplate_line_fraction", failing, values, "{:.0%} boilerplate lines")
    return rules


def apply_quality(table: pa.Table, config: QualityConfig) -> StageResult:
    """Remove rows that fail any enabled quality rule; reason `quality:<rule>`."""
    n = table.num_rows
    reason = np.full(n, "", dtype=object)
    detail = np.full(n, "", dtype=object)
    failed: dict[str, int] = {}
    texts = table["text"]
    for first in range(0, max(n, 1), _BATCH_ROWS):  # an empty table still lists every rule
        batch = texts.slice(first, _BATCH_ROWS).combine_chunks()
        rows = slice(first, first + len(batch))
        batch_reason, batch_detail = reason[rows], detail[rows]
        for rule, failing, describe in _failures(measure(batch, config), config):
            failed[rule] = failed.get(rule, 0) + int(failing.sum())
            fresh = np.flatnonzero(failing & (batch_reason == ""))
            batch_reason[fresh] = f"quality:{rule}"
            batch_detail[fresh] = [describe(i) for i in fresh]
    remove = reason != ""
    kept, removed = split_by_mask(table, remove, list(reason[remove]), list(detail[remove]))
    by_rule = Counter(value.removeprefix("quality:") for value in reason[remove])
    stats = {
        "removed": int(remove.sum()),
        "by_rule": dict(sorted(by_rule.items())),
        "failed": failed,
    }
    return StageResult(kept=kept, removed=removed, stats=stats)
