"""The detector's output unit and the overlap resolution shared by all recognizers."""

from __future__ import annotations

from typing import NamedTuple


class PiiSpan(NamedTuple):
    """One detected entity: character offsets into the text, its type and a confidence."""

    start: int
    end: int
    entity_type: str
    score: float


SECRET_TYPES = frozenset({"CLOUD_KEY", "GITHUB_TOKEN", "API_KEY", "PRIVATE_KEY"})
CERTAIN_SCORE = 0.9


def _precedence(span: PiiSpan) -> tuple[int, int, float]:
    """Secrets first, then validated identifiers (checksum, TLD, international phone), then
    the longest span, which carries the most context (an address contains a street's name)."""
    tier = 2 if span.entity_type in SECRET_TYPES else int(span.score >= CERTAIN_SCORE)
    return (tier, span.end - span.start, span.score)


def resolve_overlaps(text: str, spans: list[PiiSpan]) -> list[PiiSpan]:
    """Make spans disjoint: the span with higher precedence keeps its characters; an overlapped
    span keeps only what sticks out (if that still has a letter or digit)."""
    chosen: list[PiiSpan] = []
    for span in sorted(spans, key=_precedence, reverse=True):
        pieces = [(span.start, span.end)]
        for kept in chosen:
            pieces = [
                piece
                for start, end in pieces
                for piece in ((start, min(end, kept.start)), (max(start, kept.end), end))
                if piece[0] < piece[1]
            ]
        for start, end in pieces:
            if any(c.isalnum() for c in text[start:end]):
                chosen.append(PiiSpan(start, end, span.entity_type, span.score))
    return sorted(chosen)


def carve(text: str, spans: list[PiiSpan], holes: list[tuple[int, int]]) -> list[PiiSpan]:
    """Cut `holes` out of `spans`, keeping the pieces that still hold a letter or digit."""
    for hole_start, hole_end in holes:
        pieces = []
        for span in spans:
            for start, end in (
                (span.start, min(span.end, hole_start)),
                (max(span.start, hole_end), span.end),
            ):
                if start < end and any(c.isalnum() for c in text[start:end]):
                    pieces.append(span._replace(start=start, end=end))
        spans = pieces
    return spans
