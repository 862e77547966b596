"""Splits and version storage, without Prefect."""

import errno
import json
import os
import threading
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from publish.release import (
    PARQUET_OPTIONS,
    FileDigest,
    data_fingerprint,
    plan_release,
    publish_splits,
    split_path,
    write_parquet,
    written_sha256,
)
from publish.splits import SplitConfig, assign_splits
from publish.store import (
    PublishLockedError,
    bump_version,
    checked_name,
    list_versions,
    publish_atomically,
    publish_lock,
    resolve_version,
    sha256_file,
    verify_version,
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


def random_rows(n: int, seed: int = 0) -> pa.Table:
    """Incompressible text, so the Parquet file spans many write chunks."""
    rng = np.random.default_rng(seed)
    text = pa.array([rng.bytes(100).hex() for _ in range(n)], pa.string())
    return pa.table({"id": [f"row-{i}" for i in range(n)], "text": text})


def test_write_parquet_digest_matches_the_file_and_a_plain_write(tmp_path, monkeypatch):
    import publish.release as release

    monkeypatch.setattr(release, "SYNC_EVERY_BYTES", 1 << 20)  # several syncs mid-file
    table = random_rows(30_000)
    digest = write_parquet(table, tmp_path / "hashed.parquet")
    pq.write_table(table, tmp_path / "plain.parquet", **PARQUET_OPTIONS)
    written = (tmp_path / "hashed.parquet").read_bytes()
    assert len(written) > 2 * release.WRITE_CHUNK_BYTES
    assert written == (tmp_path / "plain.parquet").read_bytes()
    assert digest == FileDigest(sha256_file(tmp_path / "hashed.parquet"), len(written))


def test_write_error_in_the_writer_thread_reaches_the_caller():
    threads = threading.active_count()
    with pytest.raises(OSError) as error:
        write_parquet(random_rows(20_000), Path("/dev/full"))
    assert error.value.errno == errno.ENOSPC
    assert threading.active_count() == threads


def test_manifest_reuses_write_digests_only_for_files_of_that_size(tmp_path):
    write_parquet(rows(3), tmp_path / "a.parquet")
    size = (tmp_path / "a.parquet").stat().st_size
    on_disk = sha256_file(tmp_path / "a.parquet")
    assert written_sha256(tmp_path, "a.parquet", {"a.parquet": FileDigest("f" * 64, size)}) == (
        "f" * 64
    )
    stale = {"a.parquet": FileDigest("f" * 64, size + 1)}
    assert written_sha256(tmp_path, "a.parquet", stale) == on_disk
    assert written_sha256(tmp_path, "a.parquet") == on_disk


def test_published_version_verifies_and_counts_rows_added_and_removed(tmp_path):
    publish_splits(tmp_path, assign_splits(rows(100), SplitConfig()), ["a"])
    grown = assign_splits(rows(130, start=20), SplitConfig())
    expected = plan_release(tmp_path, grown, ["a"]).changes
    extra = {"quarantine/filtered.parquet": rows(4, start=500)}
    plan, version_dir = publish_splits(tmp_path, grown, ["a"], extra_tables=extra)
    assert plan.changes == expected
    assert sum(c["added"] for c in plan.changes.values()) == 50
    assert sum(c["removed"] for c in plan.changes.values()) == 20
    assert "| train | " in (version_dir / "CHANGELOG.md").read_text()
    assert verify_version(version_dir) == []
    manifest = json.loads((version_dir / "manifest.json").read_text())
    assert set(manifest["files"]) >= {"quarantine/filtered.parquet", split_path("train")}
    unchanged, same_dir = publish_splits(tmp_path, grown, ["a"])
    assert unchanged.unchanged and same_dir == version_dir
    assert {c["added"] + c["removed"] for c in unchanged.changes.values()} == {0}
