"""Faults while publishing: a full disk or a permission error leaves the previous version intact
(files, manifest checksums and `latest`) and reports clearly; nothing half-written stays."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

from publish.release import publish_splits, split_path, write_parquet
from publish.store import (
    PublishWriteError,
    latest_version,
    list_versions,
    publish_atomically,
    publish_lock,
    verify_version,
)


def rows(n: int, start: int = 0) -> pa.Table:
    ids = range(start, start + n)
    return pa.table(
        {
            "id": [f"r{i}" for i in ids],
            "text": [f"row {i}" for i in ids],
            "source": [f"rows.csv:{i}" for i in ids],
            "source_name": ["rows"] * n,
            "license": ["cc0-1.0"] * n,
        }
    )


@pytest.fixture()
def dataset(tmp_path: Path) -> Path:
    dataset = tmp_path / "published" / "demo"
    publish_splits(dataset, {"train": rows(5)}, sources=["rows"])
    assert latest_version(dataset) == "1.0.0"
    return dataset


def assert_previous_intact(dataset: Path) -> None:
    assert list_versions(dataset) == ["1.0.0"]
    assert latest_version(dataset) == "1.0.0"
    assert verify_version(dataset / "1.0.0") == []
    assert not [p.name for p in dataset.iterdir() if p.name.startswith((".staging", ".latest-"))]


@pytest.mark.parametrize(
    ("code", "words"),
    [(errno.ENOSPC, "No space left on device"), (errno.EACCES, "Permission denied")],
)
def test_write_error_midway_keeps_the_previous_version(dataset: Path, code: int, words: str):
    def write(staging: Path) -> None:
        write_parquet(rows(5, start=100), staging / split_path("train"))
        raise OSError(code, os.strerror(code))  # the disk fills up after the first file

    with publish_lock(dataset), pytest.raises(PublishWriteError) as error:
        publish_atomically(dataset, "1.0.1", write)
    assert error.value.errno == code
    message = str(error.value)
    assert words in message and "nothing was published" in message and "latest: 1.0.0" in message
    assert_previous_intact(dataset)


def test_disk_full_while_writing_parquet_through_publish_splits(
    dataset: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import publish.release as release

    real = release.write_parquet
    calls = []

    def full_disk(table: pa.Table, path: Path) -> release.FileDigest:
        calls.append(path.name)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return real(table, path)

    monkeypatch.setattr(release, "write_parquet", full_disk)
    with pytest.raises(PublishWriteError, match="No space left on device"):
        publish_splits(dataset, {"train": rows(5, 10), "test": rows(2, 20)}, sources=["rows"])
    assert len(calls) == 2
    assert_previous_intact(dataset)
    monkeypatch.setattr(release, "write_parquet", real)
    _, version_dir = publish_splits(dataset, {"train": rows(5, 10)}, sources=["rows"])
    assert version_dir.name == "1.0.1" and latest_version(dataset) == "1.0.1"


@contextlib.contextmanager
def read_only(directory: Path) -> Iterator[None]:
    """chmod for ordinary users; root ignores modes, so it gets the immutable attribute."""
    if os.geteuid() != 0:
        directory.chmod(0o555)
        undo = ["chmod", "755", str(directory)]
    elif shutil.which("chattr") and not subprocess.run(["chattr", "+i", str(directory)]).returncode:
        undo = ["chattr", "-i", str(directory)]
    else:
        pytest.skip("no way to make a directory read-only for root here")
    try:
        yield
    finally:
        subprocess.run(undo, check=True)


def test_read_only_dataset_directory_is_reported(dataset: Path) -> None:
    with read_only(dataset), pytest.raises(PublishWriteError) as error:
        publish_splits(dataset, {"train": rows(3, 50)}, sources=["rows"])
    assert error.value.errno in (errno.EACCES, errno.EPERM)
    assert "nothing was published" in str(error.value) and "latest: 1.0.0" in str(error.value)
    assert_previous_intact(dataset)


def test_unwritable_publish_root_is_reported(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the publish root should be")
    with pytest.raises(PublishWriteError, match="cannot lock for publishing"):
        publish_splits(blocker / "demo", {"train": rows(3)}, sources=["rows"])


def test_an_interrupted_publish_leaves_nothing_behind(dataset: Path) -> None:
    def write(staging: Path) -> None:
        write_parquet(rows(5, start=200), staging / split_path("train"))
        raise KeyboardInterrupt

    with publish_lock(dataset), pytest.raises(KeyboardInterrupt):
        publish_atomically(dataset, "1.0.1", write)
    assert_previous_intact(dataset)
