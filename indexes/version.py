"""Index a published version directory: read its splits, embed through the cache, build, save."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from indexes.build import ID_COLUMNS, build_index, write_index
from indexes.config import IndexConfig
from indexes.embed import Embedder, template_fields

_SHARD = re.compile(r"^(?P<split>.+)-\d{5}-of-\d{5}\.parquet$")


def split_files(version_dir: Path) -> list[tuple[str, Path]]:
    """(split, path) of every data shard, in a stable order (split name, then shard)."""
    found = []
    for path in sorted((Path(version_dir) / "data").glob("*.parquet")):
        match = _SHARD.match(path.name)
        found.append((match.group("split") if match else path.stem, path))
    if not found:
        raise FileNotFoundError(f"no data/*.parquet in version directory {Path(version_dir).name}")
    return sorted(found, key=lambda item: (item[0], item[1].name))


def read_rows(version_dir: Path, extra_columns: list[str] | tuple[str, ...] = ()) -> pa.Table:
    """All rows of a version in index order, with a `split` column and the columns asked for."""
    wanted = [*ID_COLUMNS, "text", *extra_columns]
    tables = []
    for split, path in split_files(version_dir):
        names = pq.read_schema(path).names
        table = pq.read_table(path, columns=[c for c in dict.fromkeys(wanted) if c in names])
        if "split" not in table.column_names:
            table = table.append_column("split", pa.array([split] * table.num_rows, pa.string()))
        tables.append(table)
    return pa.concat_tables(tables, promote_options="default")


def build_version_index(
    version_dir: Path, config: IndexConfig, cache_dir: Path | None = None, seed: int = 0
) -> dict[str, Any]:
    """Embed a version's rows (cache misses only), build the index and write `index/`.

    Returns the index description plus embedding counts, for the manifest and the card.
    """
    rows = read_rows(version_dir, template_fields(config.template))
    embedder = Embedder(config, cache_dir=cache_dir)
    vectors = embedder.embed(rows)
    index, info = build_index(vectors, config, seed=seed)
    write_index(Path(version_dir) / "index", index, rows, info)
    return {
        **info,
        "embedded_rows": embedder.encoded_count,
        "cached_rows": rows.num_rows - embedder.encoded_count,
    }
