"""Toxicity filter with identity-term masking and a built-in bias audit (issue 5)."""

from filters.toxicity.audit import (
    BiasAudit,
    Calibration,
    calibrate_scorer,
    load_audit_set,
    run_bias_audit,
)
from filters.toxicity.config import ToxicityConfig
from filters.toxicity.identity import IDENTITY_TERMS, IdentityMasker
from filters.toxicity.scorers import (
    MaskedScorer,
    ProfanityScorer,
    ToxicityScorer,
    TransformersScorer,
    load_bare_scorer,
    load_scorer,
    register_scorer,
    registered_scorers,
)
from filters.toxicity.stage import SCORE_COLUMN, apply_toxicity

__all__ = [
    "IDENTITY_TERMS",
    "SCORE_COLUMN",
    "BiasAudit",
    "Calibration",
    "IdentityMasker",
    "MaskedScorer",
    "ProfanityScorer",
    "ToxicityConfig",
    "ToxicityScorer",
    "TransformersScorer",
    "apply_toxicity",
    "calibrate_scorer",
    "load_audit_set",
    "load_bare_scorer",
    "load_scorer",
    "register_scorer",
    "registered_scorers",
    "run_bias_audit",
]
