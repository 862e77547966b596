"""Search over a published version directory built with the real model."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from indexes import IndexConfig, RetrievalIndex, build_version_index, search

os.environ.setdefault("HF_HUB_OFFLINE", "1")

DOCS = {
    "train": [
        ("d1", "The Eiffel Tower is a wrought-iron lattice tower in Paris.", "cc0-1.0", "en"),
        (
            "d2",
            "Photosynthesis turns sunlight, water and carbon dioxide into sugar.",
            "cc-by-4.0",
            "en",
        ),
        (
            "d3",
            "A recipe for sourdough bread needs flour, water, salt and a starter.",
            "cc0-1.0",
            "en",
        ),
        ("d4", "The Great Wall of China stretches thousands of kilometres.", "cc-by-4.0", "en"),
        ("d5", "Le pain au levain demande de la farine, de l'eau et du sel.", "cc0-1.0", "fr"),
    ],
    "test": [
        (
            "d6",
            "Baking bread at home: knead the dough and let it rise overnight.",
            "cc-by-4.0",
            "en",
        ),
        ("d7", "Leaves capture light energy to make glucose in plants.", "cc0-1.0", "en"),
    ],
}


def write_version(root: Path, version: str, docs: dict = DOCS) -> Path:
    """A published version as the publish stage lays it out: data/<split>-...parquet."""
    version_dir = root / "demo" / version
    (version_dir / "data").mkdir(parents=True)
    for split, rows in docs.items():
        table = pa.table(
            {
                "id": [r[0] for r in rows],
                "text": [r[1] for r in rows],
                "source": [f"docs.jsonl:{r[0][1:]}" for r in rows],
                "source_name": ["docs"] * len(rows),
                "license": [r[2] for r in rows],
                "language": [r[3] for r in rows],
            }
        )
        pq.write_table(table, version_dir / "data" / f"{split}-00000-of-00001.parquet")
    return version_dir


@pytest.fixture(scope="module")
def version_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("published")
    version_dir = write_version(root, "1.0.0")
    build_version_index(version_dir, IndexConfig(progress=False), cache_dir=root / "cache")
    (root / "demo" / "latest").symlink_to("1.0.0")
    return version_dir


@pytest.fixture(scope="module")
def loaded(version_dir: Path) -> RetrievalIndex:
    return RetrievalIndex.open(version_dir)


def test_text_query_finds_the_relevant_rows_with_metadata(loaded: RetrievalIndex) -> None:
    hits = loaded.search("how do I bake bread?", k=3)[0]
    assert {hit.id for hit in hits[:2]} <= {"d3", "d6", "d5"}
    assert hits[0].score >= hits[1].score >= hits[2].score
    top = {hit.id: hit for hit in hits}
    assert top.get("d6") is None or top["d6"].split == "test"
    first = hits[0]
    assert first.text.startswith(("A recipe", "Baking", "Le pain")) and first.source.startswith(
        "docs"
    )


def test_filters_restrict_split_license_and_language(loaded: RetrievalIndex) -> None:
    hits = loaded.search("bread", k=5, where={"split": "test"})[0]
    assert [hit.id for hit in hits][:1] == ["d6"] and {hit.split for hit in hits} == {"test"}
    hits = loaded.search("bread", k=10, where={"license": ["cc-by-4.0"], "language": "en"})[0]
    assert {hit.id for hit in hits} == {"d2", "d4", "d6"}
    assert loaded.search("bread", k=3, where={"license": "unknown"})[0] == []
    with pytest.raises(ValueError, match="cannot filter"):
        loaded.search("bread", where={"text": "x"})


def test_batches_of_texts_and_vectors_agree(loaded: RetrievalIndex) -> None:
    queries = ["plants make sugar from light", "famous towers"]
    by_text = loaded.search(queries, k=2)
    vectors = loaded.embedder.encode(queries) * 3.0  # cosine: any scale gives the same ranking
    by_vector = loaded.search(vectors, k=2)
    assert [[h.id for h in hits] for hits in by_text] == [
        [h.id for h in hits] for hits in by_vector
    ]
    assert by_text[0][0].id in {"d2", "d7"} and by_text[1][0].id in {"d1", "d4"}
    with pytest.raises(ValueError, match="dimension 384"):
        loaded.search(np.zeros((1, 3), dtype=np.float32))


def test_k_larger_than_the_index_returns_every_row(loaded: RetrievalIndex) -> None:
    assert len(loaded.search("anything", k=50)[0]) == 7
    assert loaded.search([], k=3) == []


def test_convenience_search_follows_latest_and_mmap_loads(version_dir: Path) -> None:
    latest = version_dir.parent / "latest"
    hits = search(latest, "Paris landmark", k=1)
    assert hits[0].id == "d1"
    mapped = RetrievalIndex.open(latest, mmap=True)
    assert mapped.version == "1.0.0" and mapped.search("Paris landmark", k=1)[0][0].id == "d1"


def test_index_metadata_is_saved_with_the_version(version_dir: Path) -> None:
    ids = pq.read_table(version_dir / "index" / "ids.parquet")
    assert ids.column("id").to_pylist() == ["d6", "d7", "d1", "d2", "d3", "d4", "d5"]
    info = RetrievalIndex.open(version_dir).info
    assert info["factory"] == "Flat" and info["embedding"]["model"] == "all-MiniLM-L6-v2"


def test_republish_with_one_new_row_embeds_only_that_row(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    build_version_index(write_version(tmp_path, "1"), IndexConfig(progress=False), cache)
    grown = {
        **DOCS,
        "train": [*DOCS["train"], ("d8", "Volcanoes erupt molten rock.", "cc0-1.0", "en")],
    }
    info = build_version_index(
        write_version(tmp_path, "2", grown), IndexConfig(progress=False), cache
    )
    assert info["embedded_rows"] == 1 and info["rows"] == 8
    assert search(tmp_path / "demo" / "2", "lava and eruptions", k=1)[0].id == "d8"
