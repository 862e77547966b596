"""Row validity checks that run right after loading: a row needs real text of a sane size."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from loaders.base import QUARANTINE_SCHEMA, QUARANTINE_TEXT_CHARS


def validate_rows(table: pa.Table, max_text_chars: int) -> tuple[pa.Table, pa.Table]:
    """Split rows into (valid, quarantined): empty text, oversize text and repeated ids are invalid.

    Repeated ids would make splits, dedup records and takedowns ambiguous, so the first row
    with an id wins and later ones are quarantined with reason `duplicate_id`.
    """
    lengths = pc.utf8_length(table["text"])
    empty = pc.equal(pc.utf8_length(pc.utf8_trim_whitespace(table["text"])), 0)
    oversize = pc.greater(lengths, max_text_chars)
    positions = pa.array(np.arange(table.num_rows, dtype=np.int64))
    firsts = (
        pa.table({"id": table["id"], "position": positions})
        .group_by("id", use_threads=False)
        .aggregate([("position", "min")])
    )
    repeated = pc.invert(pc.is_in(positions, value_set=firsts["position_min"]))
    reasons = pc.if_else(
        empty,
        "empty_text",
        pc.if_else(oversize, "text_too_long", pc.if_else(repeated, "duplicate_id", None)),
    )
    invalid = pc.is_valid(reasons)
    bad = table.filter(invalid)
    bad_reasons = reasons.filter(invalid).to_pylist()
    bad_lengths = lengths.filter(invalid).to_pylist()
    details = [
        {
            "empty_text": f"{source}: text is empty",
            "text_too_long": f"{source}: text has {n} characters, limit {max_text_chars}",
            "duplicate_id": f"{source}: id {row_id!r} already used by an earlier row",
        }[reason]
        for reason, n, source, row_id in zip(
            bad_reasons, bad_lengths, bad["source"].to_pylist(), bad["id"].to_pylist(), strict=True
        )
    ]
    quarantined = pa.table(
        {
            "id": bad["id"],
            "source": bad["source"],
            "source_name": bad["source_name"],
            "license": bad["license"],
            "reason": pa.array(bad_reasons, pa.string()),
            "detail": pa.array(details, pa.string()),
            "text": pc.utf8_slice_codeunits(bad["text"], 0, QUARANTINE_TEXT_CHARS),
        },
        schema=QUARANTINE_SCHEMA,
    )
    return table.filter(pc.invert(invalid)), quarantined
