"""Takedown requests: salted-hash ledger, matching, and exclusion from the next version."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from curate import cli
from publish.release import publish_splits
from publish.splits import SplitConfig, assign_splits
from publish.takedown import (
    LEDGER,
    SALT_FILE,
    TakedownSaltError,
    apply_takedowns,
    list_takedowns,
    record_takedown,
    redact_takedowns,
)

EMAIL = "Jane.Roe@Example.org"
PHRASE = "Jane Roe of Harbour Lane"
ROW_ID = "post-0042"


def corpus(n: int = 300) -> pa.Table:
    texts = [f"Ferry note {i}: the morning crossing ran on time." for i in range(n)]
    texts[7] = f"Write to {EMAIL}. about the lost bag"
    texts[11] = "Signed, JANE   roe of harbour-lane, who saw it all."
    texts[13] = "Jane and Roe of Harbour Lane are two different people here"
    ids = [f"post-{i:04d}" for i in range(n)]
    authors = [None] * n
    authors[20] = "jane.roe@example.org"
    return pa.table(
        {
            "id": ids,
            "text": texts,
            "source": [f"posts.jsonl:{i + 1}" for i in range(n)],
            "source_name": ["posts"] * n,
            "license": ["cc0-1.0"] * n,
            "author_email": pa.array(authors, pa.string()),
        }
    )


def curate(*argv: str) -> int:
    if "publish.cli" not in cli.COMMAND_MODULES:
        cli.COMMAND_MODULES.append("publish.cli")
    return cli.main([str(a) for a in argv])


@pytest.fixture(autouse=True)
def _per_dataset_salt(monkeypatch):
    monkeypatch.delenv("CURATE_TAKEDOWN_SALT", raising=False)


def published_strings(version_dir: Path) -> str:
    """Every value of every Parquet file, and the raw text of every other file, of a version."""
    found = []
    for path in sorted(version_dir.rglob("*")):
        if path.suffix == ".parquet":
            for column in pq.read_table(path).columns:
                found += [str(v) for v in column.to_pylist() if v is not None]
        elif path.is_file():
            found.append(path.read_text(encoding="utf-8"))
    return "\n".join(found).lower()


def test_takedown_removes_rows_from_the_next_version_and_stores_no_clear_value(tmp_path, capsys):
    table = corpus()
    publish_splits(tmp_path, assign_splits(table, SplitConfig()), ["posts"])
    assert EMAIL.lower() in published_strings(tmp_path / "1.0.0")

    assert curate("takedown", tmp_path, "--email", EMAIL, "--reason", "subject request") == 0
    assert curate("takedown", tmp_path, "--contains", PHRASE, "--reason", "named person") == 0
    assert curate("takedown", tmp_path, "--id", ROW_ID, "--reason", "author request") == 0
    capsys.readouterr()

    result = apply_takedowns(table, tmp_path)
    stats = {"removed_by_reason": {"takedown": result.removed.num_rows}}
    _, version_dir = publish_splits(
        tmp_path,
        assign_splits(result.kept, SplitConfig()),
        ["posts"],
        stats=stats,
        extra_tables={"quarantine/filtered.parquet": result.removed},
    )
    assert version_dir.name == "1.0.1"
    assert result.stats["rows_removed"] == 4 == result.removed.num_rows
    kept_ids = set(result.kept["id"].to_pylist())
    assert not kept_ids & {"post-0007", "post-0011", "post-0020", ROW_ID}
    assert "post-0013" in kept_ids  # the same words, not as one phrase

    published = published_strings(version_dir)
    ledger = (tmp_path / LEDGER).read_text().lower()
    for secret in (EMAIL.lower(), "jane roe of harbour", ROW_ID, "lost bag", "who saw it all"):
        assert secret not in published
        assert secret not in ledger
    assert "| takedown | 4 | 0 | +4 |" in (version_dir / "CHANGELOG.md").read_text()
    assert set(
        pq.read_table(version_dir / "quarantine/filtered.parquet")["reason"].to_pylist()
    ) == {"takedown"}

    assert curate("takedown", tmp_path, "--list") == 0
    listing = capsys.readouterr().out
    assert "3 request(s)" in listing and "subject request" in listing
    assert EMAIL.lower() not in listing.lower()


def test_ledger_holds_only_salted_hashes_and_the_salt_file_is_private(tmp_path):
    entry = record_takedown(tmp_path, "contains", "Harbour Lane", "a named street")
    assert len(entry["hashes"]) == 2 and all(len(h) == 32 for h in entry["hashes"])
    line = json.loads((tmp_path / LEDGER).read_text())
    assert line == entry and "harbour" not in json.dumps(line).lower()
    assert stat.S_IMODE((tmp_path / SALT_FILE).stat().st_mode) == 0o600
    other = tmp_path / "other"
    again = record_takedown(other, "contains", "Harbour Lane", "a named street")
    assert again["hashes"] != entry["hashes"]  # a per-dataset salt: hashes do not link datasets


def test_a_changed_salt_is_an_error_not_a_silent_miss(tmp_path, monkeypatch):
    record_takedown(tmp_path, "id", ROW_ID, "author request")
    monkeypatch.setenv("CURATE_TAKEDOWN_SALT", "another secret")
    with pytest.raises(TakedownSaltError, match="another salt"):
        apply_takedowns(corpus(), tmp_path)
    monkeypatch.delenv("CURATE_TAKEDOWN_SALT")
    assert apply_takedowns(corpus(), tmp_path).removed.num_rows == 1


@pytest.mark.parametrize(
    ("kind", "value", "reason", "message"),
    [
        ("email", "not-an-address", "asked", "e-mail address"),
        ("contains", " ... ", "asked", "at least one word"),
        ("id", ROW_ID, "", "--reason"),
        ("email", EMAIL, f"asked by {EMAIL}", "must not repeat"),
    ],
)
def test_bad_requests_are_refused_before_anything_is_recorded(
    tmp_path, kind, value, reason, message
):
    with pytest.raises(ValueError, match=message):
        record_takedown(tmp_path, kind, value, reason)
    assert list_takedowns(tmp_path) == []


def test_cli_requires_a_reason_and_an_existing_dataset(tmp_path, capsys):
    assert curate("takedown", tmp_path, "--id", ROW_ID) == 2
    assert "--reason" in capsys.readouterr().err
    missing = tmp_path / "typo"
    assert curate("takedown", missing, "--id", ROW_ID, "--reason", "asked") == 2
    assert "no such dataset directory" in capsys.readouterr().err and not missing.exists()


def test_quarantined_rows_are_blanked_but_still_counted(tmp_path):
    record_takedown(tmp_path, "email", EMAIL, "subject request")
    quarantine = pa.table(
        {
            "id": ["q1", "q2"],
            "source": ["a.csv:3", "a.csv:9"],
            "source_name": ["a", "a"],
            "license": ["cc0-1.0", "cc0-1.0"],
            "reason": ["csv_parse_error", "text_too_long"],
            "text": [f"broken,{EMAIL.upper()},row", "fine"],
        }
    )
    scrubbed, blanked = redact_takedowns(quarantine, tmp_path)
    assert blanked == 1 and scrubbed.num_rows == 2
    assert scrubbed.to_pylist()[0] == {
        "id": None,
        "source": None,
        "source_name": "a",
        "license": "cc0-1.0",
        "reason": "csv_parse_error",
        "text": None,
    }
    assert scrubbed.to_pylist()[1] == quarantine.to_pylist()[1]


def test_no_requests_keeps_every_row(tmp_path):
    result = apply_takedowns(corpus(), tmp_path)
    assert result.kept.num_rows == 300 and result.removed.num_rows == 0
    assert result.stats == {"requests": 0, "rows_removed": 0, "rows_per_request": {}}
