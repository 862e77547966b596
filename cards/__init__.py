"""Dataset cards: Hub-style README.md with license metadata, charts, Croissant and review page."""

from cards.card import CardContext, SourceSummary, card_summary, render_card
from cards.config import CardConfig
from cards.licenses import (
    LicenseConflictError,
    assess_licenses,
    combine_licenses,
    enforce_license_policy,
)

__all__ = [
    "CardConfig",
    "CardContext",
    "LicenseConflictError",
    "SourceSummary",
    "assess_licenses",
    "card_summary",
    "combine_licenses",
    "enforce_license_policy",
    "render_card",
]
