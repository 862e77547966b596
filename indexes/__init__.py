"""Embeddings with a cache, FAISS index choice/build/save/load, search and the HTTP service."""

from indexes.build import build_index, choose_factory, write_index
from indexes.config import IndexConfig, ServeLimits
from indexes.embed import Embedder
from indexes.search import Hit, RetrievalIndex, search
from indexes.version import build_version_index

__all__ = [
    "Embedder",
    "Hit",
    "IndexConfig",
    "RetrievalIndex",
    "ServeLimits",
    "build_index",
    "build_version_index",
    "choose_factory",
    "search",
    "write_index",
]
