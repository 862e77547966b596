"""Language filter: tags every row, keeps the allow-list, explains removals."""

from __future__ import annotations

import pyarrow as pa
import pytest

from filters.language import UNKNOWN, LanguageConfig, apply_language, detect_languages

CANDIDATES = ["en", "de", "fr", "es"]
TEXTS = [
    "The kettle boils water quickly and the handle stays cool to the touch.",
    "Der Wasserkocher ist schnell, leise und der Griff bleibt angenehm kühl.",
    "La bouilloire chauffe l'eau rapidement et la poignée reste froide.",
    "El hervidor calienta el agua muy rápido y el asa se mantiene fría.",
    "12345 67890",
    None,
]


def table_of(texts: list[str | None]) -> pa.Table:
    n = len(texts)
    return pa.table(
        {
            "id": [f"l{i}" for i in range(n)],
            "text": pa.array(texts, type=pa.string()),
            "source": ["posts.jsonl"] * n,
            "source_name": ["posts"] * n,
            "license": ["cc0-1.0"] * n,
        }
    )


def test_detects_iso_codes_and_unknown() -> None:
    codes = detect_languages(pa.array(TEXTS), LanguageConfig(candidates=CANDIDATES))
    assert codes.to_pylist() == ["en", "de", "fr", "es", UNKNOWN, UNKNOWN]


def test_allow_list_removes_other_languages_with_reason() -> None:
    config = LanguageConfig(languages=["en", "DE"], candidates=CANDIDATES)
    result = apply_language(table_of(TEXTS), config)
    assert result.kept["id"].to_pylist() == ["l0", "l1"]
    assert result.kept["language"].to_pylist() == ["en", "de"]
    assert result.removed["reason"].to_pylist() == [
        "language:fr",
        "language:es",
        "language:unknown",
        "language:unknown",
    ]
    assert result.removed["language"].to_pylist() == ["fr", "es", UNKNOWN, UNKNOWN]
    assert result.stats["detected"] == {"de": 1, "en": 1, "es": 1, "fr": 1, UNKNOWN: 2}
    assert result.stats["removed_by_language"] == {"es": 1, "fr": 1, UNKNOWN: 2}


def test_keep_unknown_and_no_allow_list() -> None:
    keep_unknown = LanguageConfig(languages=["en"], candidates=CANDIDATES, keep_unknown=True)
    result = apply_language(table_of(TEXTS), keep_unknown)
    assert result.kept["id"].to_pylist() == ["l0", "l4", "l5"]
    tag_only = apply_language(table_of(TEXTS), LanguageConfig(candidates=CANDIDATES))
    assert tag_only.removed.num_rows == 0
    assert tag_only.kept["language"].to_pylist()[:4] == ["en", "de", "fr", "es"]


def test_allow_list_joins_the_candidates() -> None:
    # Italian is not a candidate, but allowing it makes lingua consider it
    config = LanguageConfig(languages=["it"], candidates=CANDIDATES)
    text = "Il bollitore scalda l'acqua molto velocemente e il manico resta freddo."
    assert detect_languages(pa.array([text]), config).to_pylist() == ["it"]


def test_config_rejects_unknown_codes() -> None:
    with pytest.raises(ValueError, match="ISO 639-1"):
        LanguageConfig(languages=["english"])
    with pytest.raises(ValueError):
        LanguageConfig(allow=["en"])
