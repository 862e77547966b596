"""Versioned dataset storage: semantic versions, a publish lock and atomic directory renames.

A version directory is written under a hidden staging name and renamed into place only when
complete, so readers never see half a version. `latest` is a symlink swapped atomically.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
VERSION_PATTERN = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")
LATEST = "latest"
MANIFEST = "manifest.json"


class PublishConfig(BaseModel):
    """The recipe's `publish` section."""

    model_config = ConfigDict(extra="forbid")

    root: str = Field("published", description="directory that holds every dataset's versions")
    version: str | None = Field(None, description="force this version instead of auto-bumping")
    mirror: str | None = Field(
        None,
        description="fsspec url (e.g. s3://bucket/published) each new version is copied to "
        "after publishing, manifest last (see docs/PUBLISHING.md)",
    )
    require_approval: bool = Field(
        False,
        description="stage new versions without moving `latest` until `curate approve` is run",
    )


class PublishLockedError(RuntimeError):
    """Another flow is publishing the same dataset right now."""


class PublishWriteError(OSError):
    """Writing a version failed (disk full, permissions, ...); nothing was published."""


def _write_failed(dataset_dir: Path, version: str, error: OSError) -> PublishWriteError:
    reason = error.strerror or str(error) or type(error).__name__
    return PublishWriteError(
        error.errno,
        f"{dataset_dir.name} {version}: publishing failed: {reason}; nothing was published and "
        f"the previous versions (latest: {latest_version(dataset_dir) or 'none'}) are unchanged",
    )


def checked_name(name: str) -> str:
    """Dataset names become directory names, so they may not contain separators or `..`."""
    if not NAME_PATTERN.match(name) or ".." in name:
        raise ValueError(
            f"dataset name {name!r} is not allowed: use letters, digits, '.', '_' and '-', "
            "starting with a letter or digit"
        )
    return name


def parse_version(version: str) -> tuple[int, int, int]:
    match = VERSION_PATTERN.match(version)
    if not match:
        raise ValueError(f"version {version!r} is not of the form MAJOR.MINOR.PATCH")
    major, minor, patch = (int(g) for g in match.groups())
    return major, minor, patch


def list_versions(dataset_dir: Path) -> list[str]:
    """Published versions, oldest first (staging directories are never listed)."""
    if not dataset_dir.is_dir():
        return []
    found = [p.name for p in dataset_dir.iterdir() if p.is_dir() and VERSION_PATTERN.match(p.name)]
    return sorted(found, key=parse_version)


def latest_version(dataset_dir: Path) -> str | None:
    """The version `latest` points at: the newest approved one (None before the first)."""
    link = dataset_dir / LATEST
    return os.readlink(link) if link.is_symlink() else None


def newest_version(dataset_dir: Path) -> str | None:
    """The highest published version, approved or not: the parent of the next one."""
    versions = list_versions(dataset_dir)
    return versions[-1] if versions else None


def read_manifest(version_dir: Path) -> dict:
    return json.loads((version_dir / MANIFEST).read_text())


def resolve_version(dataset_dir: Path, version: str = LATEST) -> Path:
    """The directory of `version` (an exact version or `latest`), with a clear error if absent."""
    name = latest_version(dataset_dir) if version == LATEST else version
    if name is not None:
        parse_version(name)  # before touching the disk: `../x` or `/x` never names a path
    if name is None or not (dataset_dir / name / MANIFEST).is_file():
        available = ", ".join(list_versions(dataset_dir)) or "none"
        raise FileNotFoundError(
            f"{dataset_dir}: no published version {version!r} (available: {available})"
        )
    if (dataset_dir / name).is_symlink():
        raise ValueError(f"{dataset_dir.name}: version {name} is a symlink; refusing to follow it")
    return dataset_dir / name


def bump_version(previous: dict | None, schema: dict[str, str], sources: list[str]) -> str:
    """Next semantic version: major for removed or retyped columns, minor for new sources or
    columns, patch for data changes only."""
    if previous is None:
        return "1.0.0"
    major, minor, patch = parse_version(previous["version"])
    old_schema: dict[str, str] = previous["schema"]
    if any(col not in schema or schema[col] != kind for col, kind in old_schema.items()):
        return f"{major + 1}.0.0"
    if set(schema) - set(old_schema) or set(sources) - set(previous["sources"]):
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"


@contextlib.contextmanager
def publish_lock(dataset_dir: Path) -> Iterator[None]:
    """Hold an exclusive, non-blocking lock on a dataset for the whole publish."""
    try:
        dataset_dir.mkdir(parents=True, exist_ok=True)
        handle = open(dataset_dir / ".lock", "w")  # noqa: SIM115 - closed below
    except OSError as error:
        raise PublishWriteError(
            error.errno, f"{dataset_dir.name}: cannot lock for publishing: {error.strerror}"
        ) from error
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            if err.errno in (errno.EAGAIN, errno.EACCES):
                raise PublishLockedError(
                    f"{dataset_dir.name}: another flow is publishing this dataset right now "
                    f"(lock {dataset_dir / '.lock'}); wait for it to finish and run again"
                ) from None
            raise
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def sha256_file(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def publish_atomically(
    dataset_dir: Path, version: str, write: Callable[[Path], None], make_latest: bool = True
) -> Path:
    """Let `write` fill a staging directory, then rename it to `version` in one step.

    Call this while holding `publish_lock`. Files are fsynced before the rename and the
    directory after it, so a crash at any point leaves either no version or a complete one;
    a crash before the rename leaves only a hidden `.staging-*` directory, which no reader lists
    and the next publish removes. `make_latest=False` publishes without moving `latest`, for
    versions that still need approval (`point_latest` moves it later).
    """
    parse_version(version)
    final = dataset_dir / version
    if final.exists():
        raise FileExistsError(f"{final} already exists; published versions are immutable")
    remove_stale_staging(dataset_dir)
    staging = dataset_dir / f".staging-{version}-{uuid.uuid4().hex}"
    try:
        staging.mkdir(parents=True)
        write(staging)
        _fsync_tree(staging)
        os.rename(staging, final)
        _fsync_directory(dataset_dir)
    except OSError as error:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(error, PublishWriteError | FileExistsError):
            raise
        raise _write_failed(dataset_dir, version, error) from error
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if make_latest:
        point_latest(dataset_dir, version)
    return final


def remove_stale_staging(dataset_dir: Path) -> list[str]:
    """Remove what a crashed publish left behind; call only while holding `publish_lock`."""
    stale = sorted(dataset_dir.glob(".staging-*")) + sorted(dataset_dir.glob(".latest-*"))
    for path in stale:
        if path.is_symlink() or path.is_file():
            path.unlink()
        else:
            shutil.rmtree(path, ignore_errors=True)
    return [p.name for p in stale]


def point_latest(dataset_dir: Path, version: str) -> None:
    """Swap the `latest` symlink in one rename, so readers see the old or the new target."""
    resolve_version(dataset_dir, version)
    temporary = dataset_dir / f".latest-{uuid.uuid4().hex}"
    os.symlink(version, temporary)
    os.replace(temporary, dataset_dir / LATEST)
    _fsync_directory(dataset_dir)


def verify_version(version_dir: Path) -> list[str]:
    """Recheck every file against the manifest; return one line per problem (empty: intact)."""
    manifest = read_manifest(version_dir)
    problems = []
    for relative, entry in sorted(manifest["files"].items()):
        path = version_dir / relative
        if not path.is_file():
            problems.append(f"{relative}: missing")
        elif (size := path.stat().st_size) != entry["bytes"]:
            problems.append(f"{relative}: {size} bytes, the manifest says {entry['bytes']}")
        elif sha256_file(path) != entry["sha256"]:
            problems.append(f"{relative}: sha256 does not match the manifest")
    listed = set(manifest["files"]) | {MANIFEST}
    for path in sorted(version_dir.rglob("*")):
        relative = path.relative_to(version_dir).as_posix()
        if path.is_file() and relative not in listed:
            problems.append(f"{relative}: not in the manifest")
    return problems


class IntegrityError(ValueError):
    """A file of a version does not match the sha256 its manifest records."""


def check_against_manifest(version_dir: Path, relatives: list[str]) -> bool:
    """Check files (paths relative to the version) against the manifest before loading them.

    Raises IntegrityError naming the first file that is missing from the manifest, missing on
    disk, or different; returns False when the directory has no manifest (not a published
    version, e.g. one being built), True when every file matched.
    """
    if not (version_dir / MANIFEST).is_file():
        return False
    files = read_manifest(version_dir).get("files", {})
    for relative in relatives:
        entry = files.get(relative)
        path = version_dir / relative
        if entry is None:
            problem = "not listed in the manifest"
        elif not path.is_file():
            problem = "missing"
        elif path.stat().st_size != entry["bytes"] or sha256_file(path) != entry["sha256"]:
            problem = "sha256 does not match the manifest"
        else:
            continue
        raise IntegrityError(
            f"version {version_dir.name}: {relative}: {problem}; refusing to load it "
            f"(run `curate verify` on the dataset)"
        )
    return True


def _fsync_tree(directory: Path) -> None:
    for path in directory.rglob("*"):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
    for path in [directory, *(p for p in directory.rglob("*") if p.is_dir())]:
        _fsync_directory(path)


def _fsync_directory(directory: Path) -> None:
    """Make renames and new entries in `directory` durable."""
    handle = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)
