"""The PII filter stage: rewrite detected values per entity action, drop rows where asked.

Detected values never leave this module except rewritten: stats and removal details carry only
entity types and counts, and logs only counts.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
from collections import Counter
from collections.abc import Sequence

import pyarrow as pa

from filters.base import StageResult, split_by_mask
from filters.pii.config import PiiConfig
from filters.pii.detector import PiiDetector, build_detector
from filters.pii.spans import PiiSpan

logger = logging.getLogger(__name__)

# Types whose values are compared without their formatting when hashing ("+1 555-0100" and
# "+1 (555) 0100" hash alike), so joins on hashed values survive formatting differences.
_FORMAT_FREE_TYPES = {"PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "US_SSN"}
_DETECT_CHUNK = 4096


def resolve_salt(config: PiiConfig, salt: str) -> str:
    """The hashing salt: the explicit one, else the environment variable the config names."""
    return salt or os.environ.get(config.salt_env, "")


def _hash_token(entity_type: str, value: str, salt: str, length: int) -> str:
    normalized = value.casefold().strip()
    if entity_type in _FORMAT_FREE_TYPES:
        normalized = re.sub(r"[\W_]", "", normalized)
    digest = hmac.new(salt.encode(), f"{entity_type}\x00{normalized}".encode(), hashlib.sha256)
    return f"<{entity_type}:{digest.hexdigest()[:length]}>"


def _mask(value: str, mask_char: str) -> str:
    """Hide letters and digits but keep the value's shape (separators, length)."""
    return "".join(mask_char if c.isalnum() else c for c in value)


def rewrite_text(text: str, spans: Sequence[PiiSpan], config: PiiConfig, salt: str) -> str:
    """Apply each span's action; `drop_row` spans are redacted here (the caller drops rows)."""
    pieces: list[str] = []
    cursor = 0
    for span in spans:
        pieces.append(text[cursor : span.start])
        value = text[span.start : span.end]
        action = config.action_for(span.entity_type)
        if action == "mask":
            pieces.append(_mask(value, config.mask_char))
        elif action == "hash":
            pieces.append(_hash_token(span.entity_type, value, salt, config.hash_length))
        else:
            pieces.append(f"<{span.entity_type}>")
        cursor = span.end
    pieces.append(text[cursor:])
    return "".join(pieces)


def _check_salt(config: PiiConfig, salt: str) -> None:
    uses_hash = config.action == "hash" or "hash" in config.actions.values()
    if uses_hash and not salt:
        raise ValueError(
            f"filters.pii: the hash action needs a salt; pass salt=... or set ${config.salt_env}"
        )


def _detect_all(detector: PiiDetector, texts: Sequence[str]) -> list[list[PiiSpan]]:
    spans: list[list[PiiSpan]] = []
    for start in range(0, len(texts), _DETECT_CHUNK):
        spans.extend(detector.detect(texts[start : start + _DETECT_CHUNK]))
    return spans


def redact_texts(
    texts: Sequence[str | None],
    config: PiiConfig,
    *,
    detector: PiiDetector | None = None,
    salt: str = "",
) -> list[str | None]:
    """Rewrite PII in `texts` without dropping anything (e.g. quarantined raw text)."""
    salt = resolve_salt(config, salt)
    _check_salt(config, salt)
    detector = detector or build_detector(config)
    strings = [text or "" for text in texts]
    return [
        None if original is None else rewrite_text(text, spans, config, salt)
        for original, text, spans in zip(
            texts, strings, _detect_all(detector, strings), strict=True
        )
    ]


def apply_pii(
    table: pa.Table,
    config: PiiConfig,
    *,
    detector: PiiDetector | None = None,
    salt: str = "",
) -> StageResult:
    """Rewrite PII in the `text` column; rows with a `drop_row` entity go to `removed`.

    Removed rows keep their columns with the text rewritten as well (`drop_row` entities as
    typed placeholders), since the filter log is published.
    """
    salt = resolve_salt(config, salt)
    _check_salt(config, salt)
    detector = detector or build_detector(config)
    originals = table.column("text").to_pylist()
    all_spans = _detect_all(detector, [text or "" for text in originals])

    counts: Counter[str] = Counter()
    new_texts: list[str | None] = []
    drop_mask: list[bool] = []
    reasons: list[str] = []
    details: list[str] = []
    for original, spans in zip(originals, all_spans, strict=True):
        counts.update(span.entity_type for span in spans)
        dropping = sorted(
            {s.entity_type for s in spans if config.action_for(s.entity_type) == "drop_row"}
        )
        drop_mask.append(bool(dropping))
        if dropping:
            reasons.append(f"pii:{dropping[0]}")
            details.append("contains " + ", ".join(dropping))
        # Removed rows are published in the filter log, so they are rewritten too.
        new_texts.append(original if not spans else rewrite_text(original, spans, config, salt))

    text_index = table.schema.get_field_index("text")
    text_field = table.schema.field(text_index)
    rewritten = table.set_column(text_index, text_field, pa.array(new_texts, type=text_field.type))
    kept, removed = split_by_mask(rewritten, drop_mask, reasons, details)
    stats = {
        "entities": dict(sorted(counts.items())),
        "rows_with_pii": sum(1 for spans in all_spans if spans),
        "rows_dropped": removed.num_rows,
    }
    logger.info(
        "pii: %d rows, %d with PII, %d dropped",
        table.num_rows,
        stats["rows_with_pii"],
        removed.num_rows,
    )
    return StageResult(kept=kept, removed=removed, stats=stats)
