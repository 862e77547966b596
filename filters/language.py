"""Language identification with lingua (offline) and an ISO 639-1 allow-list.

Every row, kept or removed, gets a `language` column: the ISO 639-1 code of the most likely
candidate language, or "unknown" when lingua's confidence is below `min_confidence` (very
short texts, digits only, or a language outside the candidates). Confidence is lingua's
relative probability among the candidate languages, so it shrinks as candidates are added;
restricting the candidates also makes detection faster.
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder
from pydantic import BaseModel, ConfigDict, Field, field_validator

from filters.base import StageResult, split_by_mask

UNKNOWN = "unknown"
_BATCH_ROWS = 20_000
DEFAULT_CANDIDATES = [
    *["en", "es", "fr", "de", "it", "pt", "nl", "sv", "pl", "cs", "tr", "id", "vi"],
    *["ru", "uk", "ar", "hi", "zh", "ja", "ko"],
]


def _language(code: str) -> Language:
    try:
        return Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper()))
    except (AttributeError, ValueError) as error:
        raise ValueError(f"{code!r} is not an ISO 639-1 code that lingua supports") from error


class LanguageConfig(BaseModel):
    """The recipe's `filters.language` section."""

    model_config = ConfigDict(extra="forbid")

    languages: list[str] | None = Field(
        None, description="ISO 639-1 allow-list; None keeps every language (and only tags rows)"
    )
    candidates: list[str] | None = Field(
        default_factory=lambda: list(DEFAULT_CANDIDATES),
        description="languages lingua chooses among (allow-list added); None = all 75",
    )
    min_confidence: float = Field(0.25, ge=0.0, le=1.0)
    keep_unknown: bool = Field(False, description="keep rows whose language is unknown")
    low_accuracy: bool = Field(
        True,
        description="lingua's trigram-only mode: 71 MiB of models instead of 478 MiB, a little "
        "faster; the full mode is more accurate on texts under ~120 characters",
    )

    @field_validator("languages", "candidates")
    @classmethod
    def _known_codes(cls, codes: list[str] | None) -> list[str] | None:
        if codes is None:
            return None
        normalized = [code.lower() for code in codes]
        for code in normalized:
            _language(code)
        return normalized


@lru_cache(maxsize=4)
def _detector(candidates: tuple[str, ...] | None, low_accuracy: bool) -> LanguageDetector:
    """Built once per candidate set: loading the language models is the slow part."""
    if candidates is None:
        builder = LanguageDetectorBuilder.from_all_languages()
    else:
        builder = LanguageDetectorBuilder.from_languages(*map(_language, candidates))
    if low_accuracy:
        builder = builder.with_low_accuracy_mode()
    return builder.with_preloaded_language_models().build()


def release_language_models() -> None:
    """Drop the loaded detectors (the flow frees them once the language stage is over)."""
    _detector.cache_clear()


def detect_languages(texts: pa.Array | pa.ChunkedArray, config: LanguageConfig) -> pa.Array:
    """ISO 639-1 code (or "unknown") per text, detected in parallel batches."""
    candidates = None
    if config.candidates is not None:
        candidates = tuple(sorted(set(config.candidates) | set(config.languages or [])))
    detector = _detector(candidates, config.low_accuracy)
    codes: list[str] = []
    for first in range(0, len(texts), _BATCH_ROWS):
        batch = pc.fill_null(texts.slice(first, _BATCH_ROWS), "").to_pylist()
        for values in detector.compute_language_confidence_values_in_parallel(batch):
            top = values[0] if values else None
            confident = top is not None and top.value > 0 and top.value >= config.min_confidence
            codes.append(top.language.iso_code_639_1.name.lower() if confident else UNKNOWN)
    return pa.array(codes, type=pa.string())


def apply_language(table: pa.Table, config: LanguageConfig) -> StageResult:
    """Tag every row with `language`; remove rows outside the allow-list (`language:<code>`)."""
    language = detect_languages(table["text"], config)
    if "language" in table.column_names:  # e.g. the web loader's guess: ours is authoritative
        table = table.drop_columns(["language"])
    tagged = table.append_column("language", language)
    codes = np.asarray(language.to_pylist(), dtype=object)
    if config.languages is None:
        remove = np.zeros(len(codes), dtype=bool)
    else:
        remove = ~np.isin(codes, config.languages)
        if config.keep_unknown:
            remove &= codes != UNKNOWN
    removed_codes = codes[remove]
    kept, removed = split_by_mask(
        tagged,
        remove,
        [f"language:{code}" for code in removed_codes],
        [
            "language not detected confidently"
            if code == UNKNOWN
            else f"detected {code}, not in {config.languages}"
            for code in removed_codes
        ],
    )
    stats = {
        "detected": dict(sorted(Counter(codes.tolist()).items())),
        "removed": int(remove.sum()),
        "removed_by_language": dict(sorted(Counter(removed_codes.tolist()).items())),
    }
    return StageResult(kept=kept, removed=removed, stats=stats)
