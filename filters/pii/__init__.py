"""PII detection and redaction (Presidio + spaCy NER + our own recognizers)."""

from filters.pii.config import SUPPORTED_ENTITIES, PiiAction, PiiConfig
from filters.pii.detector import PiiDetector, build_detector
from filters.pii.offline import use_bundled_suffix_list
from filters.pii.spans import PiiSpan
from filters.pii.stage import apply_pii, redact_texts

__all__ = [
    "SUPPORTED_ENTITIES",
    "PiiAction",
    "PiiConfig",
    "PiiDetector",
    "PiiSpan",
    "apply_pii",
    "build_detector",
    "redact_texts",
    "use_bundled_suffix_list",
]
