"""Curator approvals, kept in `<dataset>/approvals.json` because version directories are immutable.

An approval names the reviewer, the time and the sha256 of the card they reviewed, so an approval
cannot silently carry over to a different card. `is_approved` is what publishing checks when the
recipe sets `publish.require_approval`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from pathlib import Path
from typing import Any

from publish.store import parse_version, sha256_file

APPROVALS_FILE = "approvals.json"
CARD_FILE = "README.md"


def read_approvals(dataset_dir: Path) -> list[dict[str, Any]]:
    """Every approval recorded for the dataset, oldest first."""
    path = dataset_dir / APPROVALS_FILE
    return json.loads(path.read_text(encoding="utf-8"))["approvals"] if path.is_file() else []


def approval_of(dataset_dir: Path, version: str) -> dict[str, Any] | None:
    """The latest approval of `version` whose card hash matches the version's card, if any."""
    card = dataset_dir / version / CARD_FILE
    if not card.is_file():
        return None
    card_sha = sha256_file(card)
    matching = [
        a
        for a in read_approvals(dataset_dir)
        if a["version"] == version and a["card_sha256"] == card_sha
    ]
    return matching[-1] if matching else None


def is_approved(dataset_dir: Path, version: str) -> bool:
    return approval_of(dataset_dir, version) is not None


def record_approval(
    dataset_dir: Path, version: str, by: str, at: dt.datetime | None = None
) -> dict[str, Any]:
    """Append an approval of `version` by `by` (now, in UTC, unless `at` is given).

    The caller holds the dataset's publish lock, so two approvals never interleave.
    """
    parse_version(version)
    reviewer = by.strip()
    if not reviewer:
        raise ValueError("an approval needs the reviewer's name (--by NAME)")
    card = dataset_dir / version / CARD_FILE
    if not card.is_file():
        raise FileNotFoundError(f"{dataset_dir / version}: no card to approve (no {CARD_FILE})")
    moment = (at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    approval = {
        "version": version,
        "by": reviewer,
        "at": moment.isoformat().replace("+00:00", "Z"),
        "card_sha256": sha256_file(card),
    }
    body = {"approvals": [*read_approvals(dataset_dir), approval]}
    temporary = dataset_dir / f".{APPROVALS_FILE}-{uuid.uuid4().hex}"
    temporary.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, dataset_dir / APPROVALS_FILE)
    return approval
