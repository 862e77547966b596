"""The sample corpus's review and post bodies, the demo-like texts several benches time."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "examples" / "data"


def demo_texts(rows: int | None = None, data: Path = DATA) -> list[str]:
    """Review and post bodies of examples/data (malformed and oversize rows skipped), repeated
    to `rows` when given."""
    csv.field_size_limit(1 << 30)
    raw = (data / "reviews.csv").read_bytes().decode("utf-8", errors="replace")
    texts = [r["review"] for r in csv.DictReader(io.StringIO(raw)) if r.get("review")]
    for line in (data / "posts.jsonl").read_bytes().splitlines():
        try:
            texts.append(json.loads(line)["body"])
        except (ValueError, KeyError, TypeError):
            continue
    texts = [t for t in texts if isinstance(t, str) and t.strip() and len(t) < 10_000]
    return texts if rows is None else (texts * (rows // len(texts) + 1))[:rows]
