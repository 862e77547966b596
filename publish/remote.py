"""Copy published versions to any fsspec root (object storage) with a manifest-last commit.

Object stores have no directory rename, so a version counts as published only once its
`manifest.json` exists, and that object is written after every other file; `latest` is a
small object holding the version name, replaced by one PUT. See docs/PUBLISHING.md.
"""

from __future__ import annotations

from pathlib import Path

import fsspec

from publish.store import LATEST, MANIFEST, VERSION_PATTERN, parse_version, verify_version


def mirror_version(version_dir: Path, root_url: str, make_latest: bool = True) -> str:
    """Upload a complete local version to `<root_url>/<name>/<version>/`; return its url."""
    problems = verify_version(version_dir)
    if problems:
        raise ValueError(f"{version_dir} does not match its manifest: {'; '.join(problems)}")
    fs, root = fsspec.core.url_to_fs(root_url)
    target = f"{root.rstrip('/')}/{version_dir.parent.name}/{version_dir.name}"
    if fs.exists(f"{target}/{MANIFEST}"):
        raise FileExistsError(
            f"{root_url}: {version_dir.name} already exists; versions are immutable"
        )
    files = sorted(p for p in version_dir.rglob("*") if p.is_file() and p.name != MANIFEST)
    for path in files:
        fs.put_file(str(path), f"{target}/{path.relative_to(version_dir).as_posix()}")
    fs.put_file(str(version_dir / MANIFEST), f"{target}/{MANIFEST}")
    if make_latest:
        fs.pipe_file(
            f"{root.rstrip('/')}/{version_dir.parent.name}/{LATEST}", version_dir.name.encode()
        )
    return fs.unstrip_protocol(target)


def remote_versions(root_url: str, name: str) -> list[str]:
    """Committed versions (those with a manifest) under an fsspec root, oldest first."""
    fs, root = fsspec.core.url_to_fs(root_url)
    base = f"{root.rstrip('/')}/{name}"
    if not fs.exists(base):
        return []
    found = [
        entry.rstrip("/").rsplit("/", 1)[-1]
        for entry in fs.ls(base, detail=False)
        if VERSION_PATTERN.match(entry.rstrip("/").rsplit("/", 1)[-1])
    ]
    return sorted((v for v in found if fs.exists(f"{base}/{v}/{MANIFEST}")), key=parse_version)


def remote_latest(root_url: str, name: str) -> str | None:
    fs, root = fsspec.core.url_to_fs(root_url)
    pointer = f"{root.rstrip('/')}/{name}/{LATEST}"
    return fs.cat_file(pointer).decode().strip() if fs.exists(pointer) else None
