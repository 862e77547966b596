"""The recipe's `card` section (kept free of heavy imports: the recipe schema imports it)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class CardConfig(BaseModel):
    """How the dataset card is written, and whether license conflicts stop the flow."""

    model_config = ConfigDict(extra="forbid")

    fail_on_license_conflict: bool = Field(
        False,
        description="fail the run when sources' licenses conflict (e.g. NonCommercial mixed "
        "with commercial-use sources); otherwise the conflict is flagged in the card",
    )
    pretty_name: str | None = Field(None, description="display name; default: the dataset name")
    task_categories: list[str] = Field(
        default_factory=lambda: ["text-classification", "text-retrieval"],
        description="Hub task categories of the card metadata",
    )
    limitations: list[str] = Field(
        default_factory=list, description="known limitations to state besides the generated ones"
    )
    citation: str | None = Field(None, description="BibTeX to cite; default: a generated @misc")
    sample_rows: int = Field(5, ge=0, le=100, description="rows per split on the review page")
