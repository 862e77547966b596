"""Takedown requests: a ledger of salted hashes, and a stage that drops matching rows.

The ledger (`<dataset>/takedowns.jsonl`) never holds a requested value, only keyed BLAKE2b
digests of it: of the id (`--id`), of the lower-cased address (`--email`), or of each word of
the lower-cased phrase, in order (`--contains`, matched as a run of whole words). The key is
the salt: `CURATE_TAKEDOWN_SALT` when set, else a random per-dataset file created once. Every
version published after a request excludes the matching rows; older versions stay immutable.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import secrets
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from filters.base import StageResult, split_by_mask

LEDGER = "takedowns.jsonl"
SALT_FILE = ".takedown-salt"
SALT_ENV = "CURATE_TAKEDOWN_SALT"
# Columns a removed row keeps: they say where it came from without saying what it held.
BOOKKEEPING_COLUMNS = ("source_name", "license", "reason")
# Request kind -> (separator pattern, hash namespace) for the token-matched kinds.
TOKENS = {"contains": (r"[^\p{L}\p{N}]+", "word"), "email": (r"[^\p{L}\p{N}._%+@-]+", "email")}
BATCH_ROWS = 65_536

Kind = Literal["id", "contains", "email"]


class TakedownSaltError(RuntimeError):
    """The ledger was hashed with a different salt, so its requests cannot be matched."""


def takedown_salt(dataset_dir: Path) -> bytes:
    """The hashing key: from the environment, else the dataset's salt file (created once)."""
    configured = os.environ.get(SALT_ENV)
    if configured:
        return hashlib.sha256(configured.encode()).digest()
    path = dataset_dir / SALT_FILE
    dataset_dir.mkdir(parents=True, exist_ok=True)
    try:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return bytes.fromhex(path.read_text().strip())
    with os.fdopen(handle, "w") as salt_file:
        salt_file.write(secrets.token_hex(32))
        salt_file.flush()
        os.fsync(salt_file.fileno())
    return bytes.fromhex(path.read_text().strip())


def salt_id(salt: bytes) -> str:
    """A short tag of the salt: a changed salt is reported instead of silently matching nothing."""
    return hashlib.blake2b(salt, digest_size=4, person=b"salt-id").hexdigest()


def keyed_hash(salt: bytes, kind: str, value: str) -> str:
    return hashlib.blake2b(
        value.encode(), key=salt, digest_size=16, person=kind.encode()[:16]
    ).hexdigest()


def record_takedown(dataset_dir: Path, kind: Kind, value: str, reason: str) -> dict[str, Any]:
    """Append a request to the ledger and return the entry (which holds no clear value)."""
    if not reason.strip():
        raise ValueError("a takedown needs a --reason")
    terms = _request_terms(kind, value)
    if _normalised(value) in _normalised(reason):
        raise ValueError("the reason must not repeat the value being taken down")
    salt = takedown_salt(dataset_dir)
    token_kind = TOKENS[kind][1] if kind in TOKENS else kind
    entry = {
        "request": f"td-{uuid.uuid4().hex[:12]}",
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "kind": kind,
        "reason": reason.strip(),
        "salt": salt_id(salt),
        "hashes": [keyed_hash(salt, token_kind, term) for term in terms],
    }
    with open(dataset_dir / LEDGER, "a", encoding="utf-8") as ledger:
        fcntl.flock(ledger, fcntl.LOCK_EX)
        ledger.write(json.dumps(entry, sort_keys=True) + "\n")
        ledger.flush()
        os.fsync(ledger.fileno())
    return entry


def list_takedowns(dataset_dir: Path) -> list[dict[str, Any]]:
    path = dataset_dir / LEDGER
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def apply_takedowns(table: pa.Table, dataset_dir: Path) -> StageResult:
    """Remove rows matching any ledger request (reason `takedown`).

    Removed rows keep only their bookkeeping columns (`source_name`, `license`); every other
    value is nulled, because the filter log is published and must not repeat what was taken down.
    """
    requests = list_takedowns(dataset_dir)
    matched = match_takedowns(table, dataset_dir, requests)
    remove = matched >= 0
    details = [f"takedown request {requests[i]['request']}" for i in matched[remove]]
    kept, removed = split_by_mask(table, remove, "takedown", details)
    per_request = np.bincount(matched[remove], minlength=len(requests))
    stats = {
        "requests": len(requests),
        "rows_removed": int(remove.sum()),
        "rows_per_request": {
            r["request"]: int(n) for r, n in zip(requests, per_request, strict=True)
        },
    }
    return StageResult(kept, _blank(removed, (*BOOKKEEPING_COLUMNS, "detail")), stats)


def redact_takedowns(table: pa.Table, dataset_dir: Path) -> tuple[pa.Table, int]:
    """Blank matching rows in place (for the quarantine, whose rows are counted, not dropped)."""
    matched = match_takedowns(table, dataset_dir, list_takedowns(dataset_dir)) >= 0
    if not matched.any():
        return table, 0
    mask = pa.array(matched)
    columns = [
        column
        if name in BOOKKEEPING_COLUMNS
        else pc.if_else(mask, pa.scalar(None, column.type), column)
        for name, column in zip(table.column_names, table.columns, strict=True)
    ]
    return pa.table(columns, schema=table.schema), int(matched.sum())


def match_takedowns(
    table: pa.Table, dataset_dir: Path, requests: list[dict[str, Any]]
) -> np.ndarray:
    """For each row, the index of the first request it matches, or -1.

    Each value is tokenised and each distinct token hashed once per batch, whatever the number
    of requests; requests are then matched on token codes with numpy.
    """
    matched = np.full(table.num_rows, -1)
    if not requests or table.num_rows == 0:
        return matched
    salt = takedown_salt(dataset_dir)
    if any(r["salt"] != salt_id(salt) for r in requests):
        raise TakedownSaltError(
            f"{dataset_dir / LEDGER} was hashed with another salt: set {SALT_ENV} to the value "
            f"used when the requests were recorded (or restore {dataset_dir / SALT_FILE})"
        )
    by_kind = {kind: [i for i, r in enumerate(requests) if r["kind"] == kind] for kind in TOKENS}
    if any(r["kind"] == "id" for r in requests):
        wanted = {
            r["hashes"][0]: i for i, r in reversed(list(enumerate(requests))) if r["kind"] == "id"
        }
        ids = table["id"].to_pylist()
        found = [wanted.get(keyed_hash(salt, "id", i), -1) if i is not None else -1 for i in ids]
        matched = np.array(found)
    text_columns = [
        name
        for name, kind in zip(table.column_names, table.schema.types, strict=True)
        if pa.types.is_string(kind) or pa.types.is_large_string(kind)
    ]
    for kind, numbers in by_kind.items():
        if not numbers:
            continue
        for column in text_columns:
            for start, batch in _batches(table[column]):
                parents, codes, digests = _hashed_tokens(batch, kind, salt)
                for number in numbers:
                    rows = start + _phrase_rows(parents, codes, digests, requests[number]["hashes"])
                    first = matched[rows]
                    matched[rows] = np.where((first < 0) | (first > number), number, first)
    return matched


def _hashed_tokens(
    texts: pa.Array, kind: str, salt: bytes
) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """Row of each token, token codes, and the keyed hash of each distinct token -> its code."""
    parents, tokens = _tokens(texts, kind)
    encoded = pc.dictionary_encode(tokens)
    digests = {
        keyed_hash(salt, TOKENS[kind][1], token): code
        for code, token in enumerate(encoded.dictionary.to_pylist())
    }
    return parents, encoded.indices.to_numpy(), digests


def _phrase_rows(
    parents: np.ndarray, codes: np.ndarray, digests: dict[str, int], hashes: list[str]
) -> np.ndarray:
    """Rows holding the hashed tokens as consecutive tokens."""
    wanted = [digests.get(h, -1) for h in hashes]
    if min(wanted) < 0 or len(codes) < len(wanted):
        return np.array([], dtype=np.int64)
    n = len(wanted)
    starts = np.arange(len(codes) - n + 1)
    ok = parents[starts] == parents[starts + n - 1]
    for offset, code in enumerate(wanted):
        ok &= codes[starts + offset] == code
    return np.unique(parents[starts[ok]])


def _tokens(texts: pa.Array, kind: str) -> tuple[np.ndarray, pa.Array]:
    """Lower-cased tokens of every row, with the row each came from."""
    pattern, token_kind = TOKENS[kind]
    lists = pc.split_pattern_regex(pc.utf8_lower(texts), pattern=pattern)
    parents = pc.list_parent_indices(lists)
    tokens = pc.list_flatten(lists)
    if token_kind == "email":
        tokens = pc.utf8_trim(tokens, characters=".-")
        keep = pc.match_substring(tokens, "@")
    else:
        keep = pc.not_equal(tokens, "")
    return parents.filter(keep).to_numpy(), tokens.filter(keep)


def _batches(column: pa.ChunkedArray) -> Iterator[tuple[int, pa.Array]]:
    start = 0
    for chunk in column.chunks:
        for offset in range(0, len(chunk), BATCH_ROWS):
            piece = chunk.slice(offset, BATCH_ROWS)
            yield start + offset, piece
        start += len(chunk)


def _request_terms(kind: Kind, value: str) -> list[str]:
    """What gets hashed for a request, normalised exactly as rows are at matching time."""
    if kind == "id":
        if not value:
            raise ValueError("--id needs a row id")
        return [value]
    _, tokens = _tokens(pa.array([value], pa.string()), kind)
    terms = tokens.to_pylist()
    if kind == "email" and (len(terms) != 1 or "." not in terms[0].split("@")[-1]):
        raise ValueError("--email needs one e-mail address, like name@example.org")
    if not terms:
        raise ValueError("--contains needs at least one word")
    return terms


def _normalised(text: str) -> str:
    return " ".join(text.lower().split())


def _blank(table: pa.Table, keep: tuple[str, ...]) -> pa.Table:
    columns = [
        column if name in keep else pa.nulls(table.num_rows, column.type)
        for name, column in zip(table.column_names, table.columns, strict=True)
    ]
    return pa.table(columns, schema=table.schema)
