"""Calibrate a scorer's identity mask token and threshold on the built-in audit set.

Usage: .venv/bin/python -m filters.toxicity.calibrate [--scorer NAME] [--model PATH]
       [--toxic-label LABEL]
Prints the audit ROC-AUC of each candidate mask token, the chosen token and threshold (put them
in the recipe's `filters.toxicity` section as `mask_token` and `threshold`), and the audit table.
"""

from __future__ import annotations

import argparse

from filters.toxicity.audit import calibrate_scorer
from filters.toxicity.config import ToxicityConfig


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scorer", default="profanity")
    parser.add_argument("--model", default=None, help="transformers: model directory or name")
    parser.add_argument("--toxic-label", default=None, help="transformers: the toxic label")
    args = parser.parse_args(argv)
    config = ToxicityConfig(scorer=args.scorer, model=args.model, toxic_label=args.toxic_label)
    calibration = calibrate_scorer(config)
    print(f"scorer {config.scorer}: audit ROC-AUC by mask token")
    for token, roc_auc in calibration.roc_auc_by_token.items():
        print(f"  {token!r:12} {roc_auc:.4f}")
    print(f"mask_token: {calibration.mask_token!r}\nthreshold: {calibration.threshold}\n")
    print(calibration.audit.to_markdown())


if __name__ == "__main__":
    main()
