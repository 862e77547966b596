"""Toxicity filter on a labelled CSV (columns Text, Label): ROC-AUC and FPR per identity term.

Usage: .venv/bin/python bench/toxicity_eval.py [PATH]   (default: the madlibs eval file)

Compares the unmitigated scorer (no identity masking) with the filter as configured by
default, both at the default threshold. Identity terms are detected with the filter's lexicon;
non-toxic rows where none is found are reported as "(no identity term)" so gaps show.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import pyarrow.csv as pacsv
from sklearn.metrics import roc_auc_score

from filters.toxicity import IdentityMasker, ToxicityConfig, load_scorer
from filters.toxicity.stage import score_texts

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "shared/eval/bias_madlibs_77k.csv"
RESULTS = Path(__file__).resolve().parent / "results" / "toxicity_eval.json"
TOXIC_LABELS = {"bad", "toxic", "1", "true", "yes"}
FPR_BAR = 0.05
AUC_BAR = 0.95
NO_TERM = "(no identity term)"


def per_term_fpr(
    flagged: np.ndarray, toxic: np.ndarray, terms: list[list[str]]
) -> dict[str, tuple[int, float]]:
    """(non-toxic sentences, false-positive rate) per identity term found in them."""
    counts: dict[str, list[int]] = {}
    for is_flagged, is_toxic, row_terms in zip(flagged, toxic, terms, strict=True):
        if is_toxic:
            continue
        for term in set(row_terms) or {NO_TERM}:
            count = counts.setdefault(term, [0, 0])
            count[0] += 1
            count[1] += int(is_flagged)
    return {term: (n, fp / n) for term, (n, fp) in sorted(counts.items())}


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_PATH
    table = pacsv.read_csv(path)
    labels = [str(label).strip().lower() for label in table.column("Label").to_pylist()]
    toxic = np.array([label in TOXIC_LABELS for label in labels])
    config = ToxicityConfig()
    baseline_config = config.model_copy(update={"mask_identity_terms": False})
    texts = table.column("Text")
    masker = IdentityMasker(config.resolved_mask_token(), config.extra_identity_terms)
    terms = masker.find_terms(texts.to_pylist())

    results = {}
    for name, run_config in (("baseline", baseline_config), ("filter", config)):
        scores = score_texts(texts, load_scorer(run_config))
        flagged = scores >= config.threshold
        results[name] = {
            "roc_auc": float(roc_auc_score(toxic, scores)),
            "recall": float(flagged[toxic].mean()),
            "fpr": float(flagged[~toxic].mean()),
            "terms": per_term_fpr(flagged, toxic, terms),
        }

    base, ours = results["baseline"], results["filter"]
    print(
        f"{path.name}: {len(labels)} rows, {int(toxic.sum())} toxic, threshold "
        f"{config.threshold:.2f}, scorer {config.scorer}, mask token "
        f"{config.resolved_mask_token()!r}"
    )
    print(f"{'':28} {'baseline (no masking)':>22} {'filter (masking)':>18}")
    for key, label in (("roc_auc", "ROC-AUC"), ("recall", "toxic recall"), ("fpr", "overall FPR")):
        print(f"{label:28} {base[key]:>22.4f} {ours[key]:>18.4f}")
    print(f"\n{'identity term':28} {'non-toxic n':>11} {'baseline FPR':>13} {'filter FPR':>11}")
    for term, (count, fpr) in ours["terms"].items():
        print(f"{term:28} {count:>11} {base['terms'][term][1]:>13.3f} {fpr:>11.3f}")

    identity_fprs = {t: fpr for t, (_, fpr) in ours["terms"].items() if t != NO_TERM}
    worst = max(identity_fprs, key=identity_fprs.get) if identity_fprs else None
    max_fpr = identity_fprs[worst] if worst else 0.0
    base_fprs = {t: fpr for t, (_, fpr) in base["terms"].items() if t != NO_TERM}
    base_worst = max(base_fprs, key=base_fprs.get) if base_fprs else None
    fpr_ok, auc_ok = max_fpr <= FPR_BAR, ours["roc_auc"] >= AUC_BAR
    print(
        f"\nmax identity-term FPR: {max_fpr:.3f} ({worst}) "
        f"-> bar <= {FPR_BAR}: {'MET' if fpr_ok else 'NOT MET'}"
    )
    print(f"ROC-AUC: {ours['roc_auc']:.4f} -> bar >= {AUC_BAR}: {'MET' if auc_ok else 'NOT MET'}")

    figures = {
        "rows": len(labels),
        "threshold": config.threshold,
        "identity_terms_found": len(identity_fprs),
        "roc_auc": round(ours["roc_auc"], 4),
        "roc_auc_baseline": round(base["roc_auc"], 4),
        "max_term_fpr": round(max_fpr, 4),
        "max_term_fpr_term": worst,
        "max_term_fpr_baseline": round(base_fprs[base_worst], 4) if base_worst else 0.0,
        "max_term_fpr_baseline_term": base_worst,
        "toxic_recall": round(ours["recall"], 4),
        "toxic_recall_baseline": round(base["recall"], 4),
        "overall_fpr": round(ours["fpr"], 4),
        "overall_fpr_baseline": round(base["fpr"], 4),
        "bar_fpr_met": fpr_ok,
        "bar_auc_met": auc_ok,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "title": f"Toxicity filter bias eval ({path.name})",
                "command": " ".join(["python bench/toxicity_eval.py", *sys.argv[1:]]),
                "figures": figures,
                "notes": "baseline = same scorer and threshold without identity-term "
                "masking; FPR per identity term on non-toxic rows, terms detected with the "
                "filter's lexicon.",
            },
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
