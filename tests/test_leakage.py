"""Cross-split leakage: a near duplicate planted across train and test is caught and resolved."""

from __future__ import annotations

import random

import pyarrow as pa
import pytest

from filters.dedup import NearDedupConfig
from filters.leakage import LeakageConfig, find_cross_split_leaks, resolve_leaks

WORDS = [f"term{i}" for i in range(5000)]


def document(rng: random.Random) -> str:
    return " ".join(
        " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 14))) + "."
        for _ in range(rng.randint(5, 9))
    )


def split_table(prefix: str, texts: list[str]) -> pa.Table:
    n = len(texts)
    return pa.table(
        {
            "id": [f"{prefix}-{i}" for i in range(n)],
            "text": texts,
            "source": [f"data.jsonl:{i}" for i in range(n)],
            "source_name": ["posts"] * n,
            "license": ["cc-by-4.0"] * n,
        }
    )


def light_edit(text: str) -> str:
    """A near duplicate: one word changed and the case and spacing of the first word altered."""
    words = text.split(" ")
    words[3] = "changed"
    words[0] = "  " + words[0].upper()
    return " ".join(words)


@pytest.fixture(scope="module")
def planted() -> dict[str, pa.Table]:
    rng = random.Random(11)
    train = [document(rng) for _ in range(40)]
    validation = [document(rng) for _ in range(8)]
    test = [document(rng) for _ in range(8)]
    train[17] = light_edit(test[5])  # the planted train/test leak
    validation[2] = light_edit(test[1])  # and a validation/test one
    train[30] = light_edit(validation[6])  # and a train/validation one
    return {
        "train": split_table("train", train),
        "validation": split_table("validation", validation),
        "test": split_table("test", test),
    }


def test_planted_leaks_are_found(planted) -> None:
    leaks = find_cross_split_leaks(planted, NearDedupConfig()).to_pylist()
    pairs = {(r["leaked_split"], r["leaked_id"], r["kept_split"], r["kept_id"]) for r in leaks}
    assert pairs == {
        ("train", "train-17", "test", "test-5"),
        ("validation", "validation-2", "test", "test-1"),
        ("train", "train-30", "validation", "validation-6"),
    }
    assert all(r["jaccard"] >= NearDedupConfig().jaccard for r in leaks)


def test_resolve_removes_the_non_protected_row(planted) -> None:
    splits, removed, stats = resolve_leaks(planted, NearDedupConfig())
    assert removed["id"].to_pylist() == ["train-17", "train-30", "validation-2"]
    assert removed["duplicate_of"].to_pylist() == ["test-5", "validation-6", "test-1"]
    assert set(removed["reason"].to_pylist()) == {"leakage:near_duplicate"}
    assert stats["pairs"] == 3
    assert stats["removed"] == {"train": 2, "validation": 1, "test": 0}
    assert splits["test"].equals(planted["test"])
    total = sum(t.num_rows for t in splits.values()) + removed.num_rows
    assert total == sum(t.num_rows for t in planted.values())
    # the check now passes
    assert find_cross_split_leaks(splits, NearDedupConfig()).num_rows == 0


def test_resolve_by_moving_keeps_every_row(planted) -> None:
    splits, removed, stats = resolve_leaks(planted, NearDedupConfig(), action="move")
    assert removed.num_rows == 0
    assert stats["moved"] == {"train->test": 1, "train->validation": 1, "validation->test": 1}
    test_ids = splits["test"]["id"].to_pylist()
    assert test_ids[:8] == planted["test"]["id"].to_pylist()
    assert set(test_ids[8:]) == {"train-17", "validation-2"}
    assert "train-30" in splits["validation"]["id"].to_pylist()
    assert sum(t.num_rows for t in splits.values()) == sum(t.num_rows for t in planted.values())
    assert find_cross_split_leaks(splits, NearDedupConfig()).num_rows == 0


def test_resolution_is_deterministic(planted) -> None:
    first = resolve_leaks(planted, NearDedupConfig())
    second = resolve_leaks(planted, NearDedupConfig())
    assert first[1].equals(second[1])
    assert all(first[0][name].equals(second[0][name]) for name in planted)


def test_leakage_config_rejects_unknown_keys() -> None:
    with pytest.raises(ValueError):
        LeakageConfig(near={"jaccard": 0.8}, protect="test")
    assert LeakageConfig().action == "remove"
