"""Loaders turn raw files into Arrow tables with provenance; unreadable rows go to quarantine."""

from loaders.base import QUARANTINE_SCHEMA, LoadResult
from loaders.sources import SourceConfig, load_source, load_sources

__all__ = ["QUARANTINE_SCHEMA", "LoadResult", "SourceConfig", "load_source", "load_sources"]
