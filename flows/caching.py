"""Resume after a crash: stage results persisted under keys built from inputs and code version.

A key hashes the task's name, the code version (every source file of the pipeline's packages and
the versions of the libraries that shape results) and a fingerprint of each input: Arrow tables
and numpy arrays by content, recipe sections by their JSON, sources by the bytes of their files.
Results are written by Prefect's result store into a folder beside the dataset; they are an
internal cache that is never published (published output is written as Parquet by `publish`).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from prefect.cache_policies import CachePolicy
from prefect.context import TaskRunContext
from prefect.filesystems import LocalFileSystem
from pydantic import BaseModel

from curate.versions import tool_versions
from publish.release import DigestSink

REPO = Path(__file__).resolve().parent.parent
CODE_PACKAGES = ("cards", "curate", "filters", "flows", "indexes", "loaders", "publish")
RESULTS_FOLDER = ".stage-cache"


@functools.cache
def code_version() -> str:
    """Digest of the pipeline's source and library versions: new code never reuses old results."""
    digest = hashlib.sha256(json.dumps(tool_versions(), sort_keys=True).encode())
    for package in CODE_PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            digest.update(str(path.relative_to(REPO)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def table_digest(table: pa.Table) -> str:
    """sha256 of the table's Arrow IPC stream: schema and every value, without a copy on disk."""
    sink = DigestSink(hashlib.sha256())
    with pa.ipc.new_stream(pa.PythonFile(sink, mode="w"), table.schema) as writer:
        writer.write_table(table)
    return sink.digest.hexdigest()


def files_digest(paths: list[Path]) -> str:
    """sha256 over the names and bytes of the files a source reads."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(str(path).encode())
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def fingerprint(value: Any) -> Any:
    """A JSON-able stand-in for a stage input that changes whenever the input's content does."""
    if isinstance(value, pa.Table):
        return {"table": table_digest(value)}
    if isinstance(value, np.ndarray):
        data = hashlib.sha256(np.ascontiguousarray(value).tobytes()).hexdigest()
        return {"array": data, "shape": list(value.shape), "dtype": str(value.dtype)}
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, Path):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: fingerprint(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): fingerprint(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [fingerprint(v) for v in value]
    return value


@dataclasses.dataclass
class StageInputs(CachePolicy):
    """Cache key of a stage: task name, code version and the fingerprint of every input."""

    def compute_key(
        self,
        task_ctx: TaskRunContext,
        inputs: dict[str, Any],
        flow_parameters: dict[str, Any],
        **kwargs: Any,
    ) -> str | None:
        payload = {
            "task": task_ctx.task.name,
            "code": code_version(),
            "inputs": {name: fingerprint(value) for name, value in sorted(inputs.items())},
        }
        encoded = json.dumps(payload, sort_keys=True, default=str).encode()
        return hashlib.sha256(encoded).hexdigest()


def result_storage(dataset_dir: Path) -> LocalFileSystem:
    """Where a dataset's stage results live: beside its versions, never inside one.

    Prefect wants result storage saved as a block on the API (so that workers elsewhere can
    find it); the block is named after the folder's path."""
    folder = dataset_dir / RESULTS_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    storage = LocalFileSystem(basepath=str(folder))
    name = "curate-results-" + hashlib.sha256(str(folder).encode()).hexdigest()[:16]
    storage.save(name, overwrite=True)
    return storage
