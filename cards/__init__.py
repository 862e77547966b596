"""Dataset cards: Hub-style README.md with license metadata and the curation record."""

from cards.card import CardContext, combine_licenses, render_card

__all__ = ["CardContext", "combine_licenses", "render_card"]
