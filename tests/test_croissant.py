"""croissant.json: mlcroissant loads it and iterates every split's records from Parquet."""

from __future__ import annotations

import json
from pathlib import Path

import mlcroissant as mlc
import pyarrow as pa
import pytest

from cards.croissant import croissant_type, write_croissant
from publish.release import split_path, write_parquet
from publish.store import sha256_file

SPLITS = {
    "train": pa.table(
        {
            "id": ["a", "b", "c"],
            "text": ["first row", "second row", "third ü row"],
            "license": ["cc-by-4.0", "cc-by-4.0", "cc-by-nc-4.0"],
            "stars": [5, None, 3],
            "score": [0.25, 0.5, 0.75],
            "tags": [["x"], [], ["y", "z"]],
        }
    ),
    "test": pa.table(
        {
            "id": ["d"],
            "text": ["fourth row"],
            "license": ["cc-by-4.0"],
            "stars": [1],
            "score": [1.0],
            "tags": [["q"]],
        }
    ),
}


@pytest.fixture(scope="module")
def croissant(tmp_path_factory) -> Path:
    version_dir = tmp_path_factory.mktemp("version")
    for name, table in SPLITS.items():
        write_parquet(table, version_dir / split_path(name))
    return write_croissant(
        version_dir,
        "unit-corpus",
        "1.0.0",
        {name: table.schema for name, table in SPLITS.items()},
        ["cc-by-4.0", "cc-by-nc-4.0"],
        description="Rows for the Croissant test.",
        citation="@misc{unit}",
    )


def test_mlcroissant_loads_the_metadata(croissant: Path):
    dataset = mlc.Dataset(jsonld=str(croissant))
    metadata = dataset.metadata
    assert metadata.name == "unit-corpus" and metadata.version == "1.0.0"
    assert sorted(r.name for r in metadata.record_sets) == ["test", "train"]
    assert metadata.license == [
        "https://creativecommons.org/licenses/by-nc/4.0/",
        "https://creativecommons.org/licenses/by/4.0/",
    ]


@pytest.mark.parametrize("split", list(SPLITS))
def test_records_of_every_split_equal_the_parquet_rows(croissant: Path, split: str):
    records = list(mlc.Dataset(jsonld=str(croissant)).records(record_set=split))
    expected = SPLITS[split].to_pylist()
    assert len(records) == len(expected)
    for record, row in zip(records, expected, strict=True):
        assert record[f"{split}/id"].decode() == row["id"]
        assert record[f"{split}/text"].decode() == row["text"]
        assert record[f"{split}/license"].decode() == row["license"]
        assert record[f"{split}/score"] == pytest.approx(row["score"])
        assert f"{split}/tags" not in record  # nested columns are left out, not mis-typed


def test_files_are_pinned_by_sha256(croissant: Path):
    document = json.loads(croissant.read_text())
    for entry in document["distribution"]:
        assert entry["sha256"] == sha256_file(croissant.parent / entry["contentUrl"])
        assert entry["encodingFormat"] == "application/x-parquet"
    assert document["conformsTo"] == "http://mlcommons.org/croissant/1.0"
    assert document["citeAs"] == "@misc{unit}"


def test_arrow_types_map_to_croissant_types():
    assert croissant_type(pa.string()) == "sc:Text"
    assert croissant_type(pa.int32()) == "sc:Integer"
    assert croissant_type(pa.float32()) == "sc:Float"
    assert croissant_type(pa.bool_()) == "sc:Boolean"
    assert croissant_type(pa.list_(pa.string())) is None
