"""Mirroring versions to an fsspec root: manifest-last commit and the `latest` pointer."""

from __future__ import annotations

import uuid

import fsspec
import pyarrow as pa
import pytest

from publish.release import publish_splits, split_path
from publish.remote import mirror_version, remote_latest, remote_versions
from publish.splits import SplitConfig, assign_splits


def rows(n: int) -> pa.Table:
    return pa.table({"id": [f"r{i}" for i in range(n)], "text": [f"t {i}" for i in range(n)]})


def test_mirror_commits_with_the_manifest_last_and_moves_latest(tmp_path):
    root = f"memory://published-{uuid.uuid4().hex}"
    dataset = tmp_path / "demo"
    _, first = publish_splits(dataset, assign_splits(rows(50), SplitConfig()), ["a"])
    _, second = publish_splits(dataset, assign_splits(rows(80), SplitConfig()), ["a"])

    fs = fsspec.filesystem("memory")
    partial = f"{root}/demo/1.0.1/{split_path('train')}"
    fs.pipe_file(partial, b"half a file")  # a push that died before its manifest
    assert remote_versions(root, "demo") == []

    url = mirror_version(first, root)
    assert url.endswith("/demo/1.0.0")
    assert remote_versions(root, "demo") == ["1.0.0"] and remote_latest(root, "demo") == "1.0.0"
    mirror_version(second, root)
    assert remote_versions(root, "demo") == ["1.0.0", "1.0.1"]
    assert remote_latest(root, "demo") == "1.0.1"
    local = (second / split_path("train")).read_bytes()
    assert fs.cat_file(partial) == local  # the leftover was overwritten by the real file
    with pytest.raises(FileExistsError, match="immutable"):
        mirror_version(first, root)


def test_mirror_refuses_a_damaged_version(tmp_path):
    _, version_dir = publish_splits(
        tmp_path / "demo", assign_splits(rows(20), SplitConfig()), ["a"]
    )
    (version_dir / "CHANGELOG.md").write_text("edited")
    root = f"memory://published-{uuid.uuid4().hex}"
    with pytest.raises(ValueError, match=r"CHANGELOG\.md"):
        mirror_version(version_dir, root)
    assert remote_versions(root, "demo") == []
