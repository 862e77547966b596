"""Embedding backends with the real packaged model: ONNX Runtime (fp32, int8) and model2vec.

The ONNX exports are made once per session into a shared model store. The model2vec model is
distilled from the real model with a vocabulary cut to its 1,485 one- and two-character tokens
(a full distillation is a forward pass per token, ~30k, minutes on 2 cores); everything after
distillation is the production path.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from model2vec import StaticModel

from indexes import Embedder, IndexConfig, RetrievalIndex, build_version_index
from indexes.backends import distill_static, ensure_exported, store_dir
from indexes.embed import resolve_model_path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

SMALL_VOCAB = r"^.{3,}$"  # removes every token of three characters or more
TEXTS = [
    "A cat sat on the mat.",
    "A kitten rests on a rug.",
    "Stock markets fell today after the central bank raised rates. " * 40,  # > 256 tokens
    "ok",
    "He is at an inn by the sea, so we go up to it.",
    "The kettle boils water in under two minutes, and it is quiet too.",
]


def config(backend: str, **options: object) -> IndexConfig:
    return IndexConfig(backend=backend, progress=False, batch_size=2, **options)


@pytest.fixture(scope="session")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One model store for the session: ONNX fp32 and int8 exports, a small-vocabulary model2vec."""
    root = tmp_path_factory.mktemp("models")
    for backend in ("onnx", "onnx-int8"):
        Embedder(config(backend), model_dir=root).model  # noqa: B018 - export once
    model = IndexConfig().model
    ensure_exported(
        store_dir(root, model, "model2vec"),
        lambda tmp: distill_static(resolve_model_path(model), tmp, SMALL_VOCAB),
    )
    return root


def test_onnx_matches_torch_across_batches_and_truncation(store: Path) -> None:
    torch_vectors = Embedder(config("torch")).embed_texts(TEXTS)
    onnx = Embedder(config("onnx"), model_dir=store)
    vectors = onnx.embed_texts(TEXTS)
    assert vectors.shape == (len(TEXTS), 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(vectors, torch_vectors, atol=1e-4)
    assert (store / store_dir(store, IndexConfig().model, "onnx").name / "model.onnx").exists()


def test_onnx_int8_is_quantised_but_close(store: Path) -> None:
    fp32 = Embedder(config("onnx"), model_dir=store).embed_texts(TEXTS)
    int8 = Embedder(config("onnx-int8"), model_dir=store).embed_texts(TEXTS)
    cosine = (fp32 * int8).sum(axis=1)
    assert cosine.min() > 0.95
    assert not np.allclose(fp32, int8, atol=1e-4)  # really the quantised graph
    folder = store_dir(store, IndexConfig().model, "onnx-int8")
    assert sorted(path.name for path in folder.glob("*.onnx")) == ["model-int8.onnx"]


def test_backend_switch_never_reuses_another_backends_vectors(store: Path, tmp_path: Path) -> None:
    first = Embedder(config("torch"), cache_dir=tmp_path, model_dir=store)
    first.embed_texts(TEXTS)
    for backend, dim in (("onnx", 384), ("onnx-int8", 384), ("model2vec", 256)):
        switched = Embedder(config(backend), cache_dir=tmp_path, model_dir=store)
        vectors = switched.embed_texts(TEXTS)
        assert switched.encoded_count == len(TEXTS), backend
        assert vectors.shape == (len(TEXTS), dim)
    again = Embedder(config("torch"), cache_dir=tmp_path, model_dir=store)
    again.embed_texts(TEXTS)
    assert again.encoded_count == 0
    assert len(list(tmp_path.glob("all-MiniLM-L6-v2-*/model.json"))) == 4


def test_model2vec_vectors_have_the_static_shape_and_are_deterministic(
    store: Path, tmp_path: Path
) -> None:
    embedder = Embedder(config("model2vec"), model_dir=store)
    vectors = embedder.embed_texts(TEXTS)
    assert vectors.shape == (len(TEXTS), 256) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    assert vectors[0] @ vectors[1] != pytest.approx(vectors[0] @ vectors[3])
    np.testing.assert_array_equal(
        Embedder(config("model2vec"), model_dir=store).encode(TEXTS), vectors
    )
    path = resolve_model_path(IndexConfig().model)
    distill_static(path, tmp_path, SMALL_VOCAB)  # a second, independent distillation
    again = StaticModel.from_pretrained(tmp_path, normalize=False, force_download=False)
    first = StaticModel.from_pretrained(
        store_dir(store, IndexConfig().model, "model2vec"), normalize=False, force_download=False
    )
    np.testing.assert_array_equal(again.embedding, first.embedding)


def test_a_failed_export_leaves_nothing_behind(tmp_path: Path) -> None:
    def broken(directory: Path) -> None:
        (directory / "model.onnx").write_bytes(b"partial")
        raise RuntimeError("export failed")

    target = tmp_path / "store" / "model-onnx-0"
    with pytest.raises(RuntimeError, match="export failed"):
        ensure_exported(target, broken)
    assert not target.exists() and list(target.parent.iterdir()) == []
    built = ensure_exported(target, lambda directory: (directory / "model.onnx").write_text("x"))
    assert (built / "model.onnx").read_text() == "x"
    ensure_exported(target, broken)  # already there: not rebuilt


def test_search_embeds_queries_with_the_backend_the_index_was_built_with(
    store: Path, tmp_path: Path
) -> None:
    version_dir = tmp_path / "dataset" / "1.0.0"
    (version_dir / "data").mkdir(parents=True)
    texts = [text[:200] for text in TEXTS]
    table = pa.table({"id": [f"r{i}" for i in range(len(texts))], "text": texts})
    pq.write_table(table, version_dir / "data" / "test-00000-of-00001.parquet")
    cache = tmp_path / "dataset" / ".embedding-cache"
    cache.mkdir()
    (cache / "models").symlink_to(store)  # where the flow keeps exports for this dataset
    info = build_version_index(version_dir, config("model2vec", kind="flat"), cache_dir=cache)
    assert info["dim"] == 256 and info["embedding"]["backend"] == "model2vec"
    index = RetrievalIndex.open(version_dir)
    assert index.embedder.config.backend == "model2vec"
    hits = index.search(["He is at an inn by the sea, so we go up to it."], k=1)[0]
    assert hits[0].id == "r4"
