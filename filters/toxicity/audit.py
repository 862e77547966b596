"""Bias audit: a built-in set of neutral and toxic sentences about identity groups.

The set is ours (filters/toxicity/audit_templates.csv x audit_terms.csv), distinct from any
evaluation file. Every run scores it with the configured filter and reports, per identity
group, how many neutral sentences the filter would remove, plus the recall on toxic ones.
The same set calibrates each scorer's mask token and default threshold (`calibrate_scorer`).
"""

from __future__ import annotations

import csv
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from sklearn.metrics import roc_auc_score

from filters.toxicity.config import ToxicityConfig
from filters.toxicity.identity import GROUP_LABELS
from filters.toxicity.scorers import MaskedScorer, ToxicityScorer, load_scorer

AUDIT_DIR = Path(__file__).parent
MAX_GROUP_FPR = 0.02
MASK_TOKEN_CANDIDATES = ("person", "someone", "people", "group", "")


def _with_article(term: str) -> str:
    return ("an " if term[0].lower() in "aeiou" else "a ") + term


def _sentence(template: str, term: str, plural: str) -> str:
    text = template.format(term=term, a_term=_with_article(term), plural=plural)
    return text[0].upper() + text[1:]


@lru_cache(maxsize=1)
def load_audit_set() -> pa.Table:
    """Every template filled with every audit term: columns text, toxic, group, term."""
    with open(AUDIT_DIR / "audit_templates.csv", newline="") as handle:
        templates = list(csv.DictReader(handle))
    with open(AUDIT_DIR / "audit_terms.csv", newline="") as handle:
        terms = list(csv.DictReader(handle))
    rows = [
        {
            "text": _sentence(template["template"], term["term"], term["plural"]),
            "toxic": template["label"] == "toxic",
            "group": term["group"],
            "term": term["term"],
        }
        for template in templates
        for term in terms
    ]
    return pa.Table.from_pylist(rows)


@dataclass
class BiasAudit:
    """False-positive rate per identity group and toxic recall, at one threshold."""

    scorer: str
    threshold: float
    mask_identity_terms: bool
    groups: list[dict[str, Any]]
    neutral_sentences: int
    false_positive_rate: float
    toxic_sentences: int
    toxic_recall: float
    roc_auc: float
    unmasked: BiasAudit | None = None  # the same scorer without identity masking, for contrast

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_markdown(self) -> str:
        """A table for the dataset card: FPR per identity group, with and without masking."""
        contrast = self.unmasked
        header = "| identity group | neutral sentences | false positives | false-positive rate |"
        rule = "| --- | ---: | ---: | ---: |"
        if contrast is not None:
            header += " without identity masking |"
            rule += " ---: |"
        lines = [
            f"Built-in audit set: {self.neutral_sentences} neutral and {self.toxic_sentences} "
            "toxic template sentences naming identity groups, written for this project. A neutral "
            f"sentence scored at or above the threshold ({self.threshold:.2f}) is a false "
            "positive: the filter would remove it.",
            "",
            header,
            rule,
        ]
        unmasked_rates = (
            {row["group"]: row["false_positive_rate"] for row in contrast.groups}
            if contrast
            else {}
        )
        for row in self.groups:
            line = (
                f"| {GROUP_LABELS.get(row['group'], row['group'])} | {row['neutral_sentences']} "
                f"| {row['false_positives']} | {row['false_positive_rate']:.1%} |"
            )
            if contrast is not None:
                line += f" {unmasked_rates[row['group']]:.1%} |"
            lines.append(line)
        false_positives = sum(row["false_positives"] for row in self.groups)
        total = (
            f"| **all groups** | {self.neutral_sentences} | {false_positives} "
            f"| {self.false_positive_rate:.1%} |"
        )
        if contrast is not None:
            total += f" {contrast.false_positive_rate:.1%} |"
        lines.append(total)
        masking = "on" if self.mask_identity_terms else "off"
        summary = (
            f"Toxic recall: {self.toxic_recall:.1%} of {self.toxic_sentences} toxic audit "
            f"sentences (audit ROC-AUC {self.roc_auc:.3f}). Scorer `{self.scorer}`, threshold "
            f"{self.threshold:.2f}, identity-term masking {masking}."
        )
        if contrast is not None:
            summary += (
                f" Without masking: toxic recall {contrast.toxic_recall:.1%}, "
                f"ROC-AUC {contrast.roc_auc:.3f}."
            )
        lines += ["", summary]
        return "\n".join(lines)


def audit_scores(
    scores: np.ndarray, audit: pa.Table, config: ToxicityConfig, *, masked: bool
) -> BiasAudit:
    """Summarise scores of the audit set at `config.threshold`."""
    toxic = np.asarray(audit.column("toxic").to_numpy(zero_copy_only=False), dtype=bool)
    groups = np.asarray(audit.column("group").to_pylist())
    flagged = scores >= config.threshold
    rows = []
    for group in dict.fromkeys(groups.tolist()):
        neutral = (groups == group) & ~toxic
        false_positives = int(flagged[neutral].sum())
        rows.append(
            {
                "group": group,
                "neutral_sentences": int(neutral.sum()),
                "false_positives": false_positives,
                "false_positive_rate": false_positives / max(int(neutral.sum()), 1),
            }
        )
    return BiasAudit(
        scorer=config.scorer,
        threshold=config.threshold,
        mask_identity_terms=masked,
        groups=rows,
        neutral_sentences=int((~toxic).sum()),
        false_positive_rate=float(flagged[~toxic].mean()),
        toxic_sentences=int(toxic.sum()),
        toxic_recall=float(flagged[toxic].mean()),
        roc_auc=float(roc_auc_score(toxic, scores)),
    )


def run_bias_audit(config: ToxicityConfig, *, scorer: ToxicityScorer | None = None) -> BiasAudit:
    """Score the built-in audit set with the configured filter (or `scorer`, used as given).

    When the scorer masks identity terms, the report also holds the same scorer unmasked,
    so the card shows what masking changed.
    """
    audit = load_audit_set()
    texts = audit.column("text").to_pylist()
    scorer = scorer if scorer is not None else load_scorer(config)
    masked = isinstance(scorer, MaskedScorer)
    report = audit_scores(_scores(scorer, texts), audit, config, masked=masked)
    if masked:
        bare_scores = _scores(scorer.inner, texts)
        report.unmasked = audit_scores(bare_scores, audit, config, masked=False)
    return report


def _scores(scorer: ToxicityScorer, texts: list[str]) -> np.ndarray:
    return np.asarray(scorer.score(texts), dtype=np.float64)


@dataclass
class Calibration:
    """A scorer's mask token and default threshold, and the audit figures that chose them."""

    mask_token: str
    threshold: float
    roc_auc_by_token: dict[str, float]
    audit: BiasAudit


def calibrate_scorer(
    config: ToxicityConfig,
    *,
    mask_tokens: tuple[str, ...] = MASK_TOKEN_CANDIDATES,
    max_group_fpr: float = MAX_GROUP_FPR,
) -> Calibration:
    """Pick the mask token and threshold for `config.scorer` on the audit set.

    Token: the best audit ROC-AUC to three decimals, earlier candidates winning ties (a word
    keeps the sentence's shape for context-aware models). Threshold (a 0.05 grid): the best
    toxic recall minus overall false-positive rate among thresholds that keep every group's
    FPR <= max_group_fpr.
    """
    audit = load_audit_set()
    texts = audit.column("text").to_pylist()
    toxic = np.asarray(audit.column("toxic").to_pylist(), dtype=bool)
    scores_by_token: dict[str, np.ndarray] = {}
    for token in mask_tokens:
        masked = config.model_copy(update={"mask_identity_terms": True, "mask_token": token})
        scores_by_token[token] = _scores(load_scorer(masked), texts)
    roc_auc_by_token = {
        token: float(roc_auc_score(toxic, scores)) for token, scores in scores_by_token.items()
    }
    best_token = max(mask_tokens, key=lambda token: round(roc_auc_by_token[token], 3))
    scores = scores_by_token[best_token]
    best: tuple[float, BiasAudit] | None = None
    for threshold in np.round(np.arange(0.05, 1.0, 0.05), 2):
        candidate = config.model_copy(
            update={"threshold": float(threshold), "mask_token": best_token}
        )
        report = audit_scores(scores, audit, candidate, masked=True)
        if max(row["false_positive_rate"] for row in report.groups) > max_group_fpr:
            continue
        gain = report.toxic_recall - report.false_positive_rate
        if best is None or gain > best[1].toxic_recall - best[1].false_positive_rate:
            best = (float(threshold), report)
    if best is None:
        raise ValueError(f"no threshold keeps every group's FPR <= {max_group_fpr}")
    return Calibration(best_token, best[0], roc_auc_by_token, best[1])
