"""Curate: recipe-driven ingestion, filtering, indexing and publishing of text datasets."""

__version__ = "0.1.0"
