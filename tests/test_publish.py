"""Splits and version storage, without Prefect."""

import os
import threading

import pyarrow as pa
import pytest

from publish.release import data_fingerprint, plan_release, split_path, write_parquet
from publish.splits import SplitConfig, assign_splits
from publish.store import (
    PublishLockedError,
    bump_version,
    checked_name,
    list_versions,
    publish_atomically,
    publish_lock,
    resolve_version,
)


def rows(n: int, start: int = 0) -> pa.Table:
    ids = [f"row-{i}" for i in range(start, start + n)]
    return pa.table({"id": ids, "text": [f"text {i}" for i in range(start, start + n)]})


def split_of(splits: dict[str, pa.Table]) -> dict[str, str]:
    return {i: name for name, t in splits.items() for i in t["id"].to_pylist()}


def test_split_ratios_are_respected_and_rows_partitioned():
    splits = assign_splits(rows(10_000), SplitConfig())
    sizes = {name: t.num_rows for name, t in splits.items()}
    assert sum(sizes.values()) == 10_000
    assert 7700 < sizes["train"] < 8300 and 800 < sizes["test"] < 1200


def test_growth_never_moves_a_row_between_splits():
    config = SplitConfig(ratios={"train": 0.7, "dev": 0.2, "holdout": 0.1}, seed=5)
    before = split_of(assign_splits(rows(1000), config))
    after = split_of(assign_splits(pa.concat_tables([rows(1000), rows(500, 1000)]), config))
    assert all(after[i] == split for i, split in before.items())


def test_seed_changes_assignment():
    a = split_of(assign_splits(rows(500), SplitConfig(seed=1)))
    b = split_of(assign_splits(rows(500), SplitConfig(seed=2)))
    assert a != b


def test_version_bumps():
    previous = {"version": "1.2.3", "schema": {"id": "string", "n": "int64"}, "sources": ["a"]}
    assert bump_version(None, {}, []) == "1.0.0"
    assert bump_version(previous, {"id": "string", "n": "int64"}, ["a"]) == "1.2.4"
    assert bump_version(previous, {"id": "string", "n": "int64", "x": "string"}, ["a"]) == "1.3.0"
    assert bump_version(previous, {"id": "string", "n": "int64"}, ["a", "b"]) == "1.3.0"
    assert bump_version(previous, {"id": "string", "n": "string"}, ["a"]) == "2.0.0"
    assert bump_version(previous, {"id": "string"}, ["a"]) == "2.0.0"


@pytest.mark.parametrize("name", ["../x", "a/b", "", ".hidden", "x" * 200])
def test_unsafe_dataset_names_are_refused(name):
    with pytest.raises(ValueError):
        checked_name(name)


def test_publish_is_atomic_and_latest_moves(tmp_path):
    def write(staging):
        write_parquet(rows(3), staging / split_path("train"))
        (staging / "manifest.json").write_text("{}")

    publish_atomically(tmp_path, "1.0.0", write)
    publish_atomically(tmp_path, "1.0.1", write)
    assert list_versions(tmp_path) == ["1.0.0", "1.0.1"]
    assert os.readlink(tmp_path / "latest") == "1.0.1"
    assert resolve_version(tmp_path).name == "1.0.1"
    with pytest.raises(FileExistsError, match="immutable"):
        publish_atomically(tmp_path, "1.0.0", write)


def test_failed_write_leaves_no_visible_version(tmp_path):
    def crash(staging):
        write_parquet(rows(3), staging / split_path("train"))
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        publish_atomically(tmp_path, "1.0.0", crash)
    assert list_versions(tmp_path) == []
    assert not (tmp_path / "latest").exists()
    assert not list(tmp_path.glob(".staging-*"))


def test_second_publisher_gets_a_clear_lock_error(tmp_path):
    held, release = threading.Event(), threading.Event()

    def hold():
        with publish_lock(tmp_path):
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(10)
    try:
        with (
            pytest.raises(PublishLockedError, match="another flow is publishing"),
            publish_lock(tmp_path),
        ):
            pass
    finally:
        release.set()
        holder.join()


def test_plan_detects_unchanged_data_and_counts_changes(tmp_path):
    splits = assign_splits(rows(100), SplitConfig())
    first = plan_release(tmp_path, splits, ["a"])
    assert (first.version, first.unchanged) == ("1.0.0", False)
    assert data_fingerprint(splits) == first.fingerprint
    assert sum(c["added"] for c in first.changes.values()) == 100
