"""The detector's output unit and the overlap resolution shared by all recognizers."""

from __future__ import annotations

import bisect
from typing import NamedTuple

from filters.pii.config import SECRET_ENTITIES


class PiiSpan(NamedTuple):
    """One detected entity: character offsets into the text, its type and a confidence."""

    start: int
    end: int
    entity_type: str
    score: float


CERTAIN_SCORE = 0.9


def _precedence(span: PiiSpan) -> tuple[int, int, float]:
    """Secrets first, then validated identifiers (checksum, TLD, international phone), then
    the longest span, which carries the most context (an address contains a street's name)."""
    tier = 2 if span.entity_type in SECRET_ENTITIES else int(span.score >= CERTAIN_SCORE)
    return (tier, span.end - span.start, span.score)


def resolve_overlaps(text: str, spans: list[PiiSpan]) -> list[PiiSpan]:
    """Make spans disjoint: the span with higher precedence keeps its characters; an overlapped
    span keeps only what sticks out (if that still has a letter or digit)."""
    chosen: list[PiiSpan] = []  # disjoint, sorted by start
    for span in sorted(spans, key=_precedence, reverse=True):
        for start, end in _uncovered(text, span.start, span.end, chosen):
            bisect.insort(chosen, PiiSpan(start, end, span.entity_type, span.score))
    return chosen


def carve(text: str, spans: list[PiiSpan], holes: list[tuple[int, int]]) -> list[PiiSpan]:
    """Cut `holes` (disjoint) out of `spans`, keeping pieces that still hold a letter or digit."""
    ordered = [PiiSpan(start, end, "", 0.0) for start, end in sorted(holes)]
    return [
        span._replace(start=start, end=end)
        for span in spans
        for start, end in _uncovered(text, span.start, span.end, ordered)
    ]


def _uncovered(text: str, start: int, end: int, covers: list[PiiSpan]) -> list[tuple[int, int]]:
    """Pieces of [start, end) outside `covers` (disjoint, sorted) that hold a letter or digit."""
    # Disjoint sorted covers have sorted ends, so the first one that reaches `start` is found
    # by bisection and the overlapping ones follow it.
    first = bisect.bisect_left(covers, start, key=lambda cover: cover.end)
    pieces = []
    cursor = start
    for cover in covers[first:]:
        if cover.start >= end:
            break
        pieces.append((cursor, cover.start))
        cursor = max(cursor, cover.end)
    pieces.append((cursor, end))
    return [(s, e) for s, e in pieces if s < e and any(c.isalnum() for c in text[s:e])]
