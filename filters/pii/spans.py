"""The detector's output unit and the overlap resolution shared by all recognizers."""

from __future__ import annotations

from typing import NamedTuple


class PiiSpan(NamedTuple):
    """One detected entity: character offsets into the text, its type and a confidence."""

    start: int
    end: int
    entity_type: str
    score: float


def resolve_overlaps(spans: list[PiiSpan]) -> list[PiiSpan]:
    """Make spans disjoint: the longest span wins an overlap (then the higher score).

    A longer span carries more context (an address contains the name of its street, an email
    contains a name), so it names the type. The winner absorbs any part of a loser that sticks
    out, so every character any recognizer flagged is still covered exactly once.
    """
    chosen: list[PiiSpan] = []
    for span in sorted(spans, key=lambda s: (s.start - s.end, -s.score, s.start)):
        clashes = [kept for kept in chosen if span.start < kept.end and kept.start < span.end]
        if not clashes:
            chosen.append(span)
            continue
        for kept in clashes:
            chosen.remove(kept)
        winner = clashes[0]
        start = min(span.start, *(k.start for k in clashes))
        end = max(span.end, *(k.end for k in clashes))
        chosen.append(PiiSpan(start, end, winner.entity_type, winner.score))
    return sorted(chosen)
