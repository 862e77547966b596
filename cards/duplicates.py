"""The card's deduplication record: counts per method and a few example pairs, after redaction."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

EXAMPLE_CHARS = 160
METHODS = {
    "duplicate:exact": "exact (normalised text)",
    "duplicate:near": "near (MinHash-LSH Jaccard)",
    "duplicate:semantic": "semantic (embedding cosine)",
    "leakage:near_duplicate": "cross-split leakage",
}


def _short(text: str | None) -> str:
    flat = " ".join((text or "").split())
    flat = flat if len(flat) <= EXAMPLE_CHARS else flat[: EXAMPLE_CHARS - 1] + "…"
    return flat.replace("|", "\\|")


def duplicates_markdown(filtered: pa.Table, published: pa.Table, examples: int = 3) -> str:
    """Rows removed per duplicate method, and example pairs of (removed, kept) text.

    Both tables hold text after PII redaction (dedup runs after the PII stage), so the card
    repeats no personal data. Kept rows are looked up among the published rows.
    """
    reasons = filtered["reason"].to_pylist()
    lines = ["| method | rows removed |", "| --- | ---: |"]
    lines += [f"| {label} | {reasons.count(reason)} |" for reason, label in METHODS.items()]
    duplicates = filtered.filter(pc.is_in(filtered["reason"], pa.array(list(METHODS))))
    kept_text = dict(zip(published["id"].to_pylist(), published["text"].to_pylist(), strict=True))
    pairs = [
        (row["reason"], row["detail"], row["text"], kept_text[row["duplicate_of"]])
        for row in duplicates.to_pylist()
        if row["duplicate_of"] in kept_text
    ][:examples]
    if pairs:
        lines += ["", "Examples (removed row → the row that was kept):", ""]
        lines += ["| method | similarity | removed | kept |", "| --- | --- | --- | --- |"]
        lines += [
            f"| {METHODS[reason]} | {detail} | {_short(removed)} | {_short(kept)} |"
            for reason, detail, removed, kept in pairs
        ]
    return "\n".join(lines)
