"""Recipe section `filters.toxicity`."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# Calibrated on the built-in audit set with `calibrate_scorer` (see filters/toxicity/audit.py):
# the mask token with the best audit ROC-AUC, then the threshold with the best
# recall - false-positive rate among those that keep every identity group's FPR <= 2%.
# A test re-runs the calibration and checks these values.
CALIBRATED_MASK_TOKENS: dict[str, str] = {"profanity": "person"}
DEFAULT_THRESHOLD = 0.4
# For scorers that were not calibrated here: a plain noun every tokenizer knows.
FALLBACK_MASK_TOKEN = "person"


class ToxicityConfig(BaseModel):
    """How rows are scored for toxicity and what happens to those over the threshold."""

    model_config = ConfigDict(extra="forbid")

    scorer: str = Field("profanity", description="profanity | transformers | a registered name")
    model: str | None = Field(
        None, description="transformers scorer: local model directory or hub name"
    )
    toxic_label: str | None = Field(
        None, description="transformers scorer: the model's toxic label; found when None"
    )
    threshold: float = Field(DEFAULT_THRESHOLD, ge=0.0, le=1.0)
    action: Literal["drop", "score"] = Field(
        "drop", description="drop rows at or over the threshold, or keep all and add `toxicity`"
    )
    mask_identity_terms: bool = True
    mask_token: str | None = Field(
        None, description="replacement for identity terms; None uses the scorer's calibrated one"
    )
    extra_identity_terms: list[str] = Field(
        default_factory=list, description="identity terms to mask on top of the built-in lexicon"
    )
    batch_size: int = Field(32, ge=1, description="transformers scorer: texts per forward pass")
    max_length: int = Field(256, ge=8, description="transformers scorer: tokens kept per text")

    def resolved_mask_token(self) -> str:
        """The token that replaces identity terms for this scorer."""
        if self.mask_token is not None:
            return self.mask_token
        return CALIBRATED_MASK_TOKENS.get(self.scorer, FALLBACK_MASK_TOKEN)
