"""The dataset card: Hub metadata validated by huggingface_hub, counts equal to the run's stats."""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa
import pytest
from huggingface_hub import DatasetCard, DatasetCardData

from cards import CardConfig, CardContext, SourceSummary, card_summary, render_card
from cards.card import funnel
from cards.charts import write_charts
from cards.files import write_card_files
from cards.licenses import hub_licenses

SPLIT_ROWS = {"train": 16, "validation": 2, "test": 2}
STATS = {
    "rows_read": 31,
    "rows_unreadable": 2,
    "rows_quarantined": 4,
    "rows_filtered": 9,
    "rows_published": 20,
    "rows_per_split": SPLIT_ROWS,
    "removed_by_reason": {
        "csv_parse_error": 2,
        "empty_text": 2,
        "pii:US_SSN": 1,
        "toxicity": 3,
        "duplicate:exact": 4,
        "quality:min_words": 1,
    },
    "published_per_source": {"reviews": 12, "posts": 8},
    "stages": {
        "pii": {"entities": {"EMAIL_ADDRESS": 3, "US_SSN": 1}, "rows_with_pii": 4},
        "toxicity": {"scorer": "profanity", "threshold": 0.9, "removed": 3},
        "dedup": {"exact": 4, "near": 0, "examples": [{"id": "a", "duplicate_of": "b"}]},
    },
}


def make_splits() -> dict[str, pa.Table]:
    tables, offset = {}, 0
    for split, n in SPLIT_ROWS.items():
        ids = range(offset, offset + n)
        offset += n
        tables[split] = pa.table(
            {
                "id": [f"row-{i}" for i in ids],
                "text": [f"Row {i} says " + "something useful " * (i % 7 + 1) for i in ids],
                "source": [f"reviews.csv:{i}" for i in ids],
                "source_name": ["reviews" if i % 5 < 3 else "posts" for i in ids],
                "license": ["cc-by-4.0" if i % 5 < 3 else "cc0-1.0" for i in ids],
                "stars": [i % 5 + 1 for i in ids],
            }
        )
    return tables


def make_context(licenses: tuple[str, str] = ("cc-by-4.0", "cc0-1.0"), **overrides) -> CardContext:
    splits = make_splits()
    fields = {
        "name": "unit-corpus",
        "version": "1.2.0",
        "description": "Reviews and posts for the card tests.",
        "sources": [
            SourceSummary("reviews", "data/reviews.csv", licenses[0], 20, 1, 12),
            SourceSummary("posts", "https://example.org/posts/*.jsonl", licenses[1], 11, 1, 8),
        ],
        "splits": SPLIT_ROWS,
        "schema": splits["train"].schema,
        "stats": STATS,
        "example": {"id": "row-0", "text": "Mail me at <EMAIL_ADDRESS>.", "stars": 4},
        "changelog": "# unit-corpus 1.2.0\n\nParent version: 1.1.0\n",
        "curation_sections": {"Toxicity bias audit": "| identity group | rate |\n| --- | ---: |"},
        "filter_configs": {
            "pii": {"action": "redact"},
            "toxicity": {"threshold": 0.9},
            "dedup": {"keep": "first"},
            "quality": {"min_words": 3},
            "language": None,
            "safety": {"level": 1},
        },
    }
    return CardContext(**{**fields, **overrides})


def table_rows(card: str, header: str) -> list[list[str]]:
    """Cells of the markdown table whose header line starts with `header`."""
    lines = card.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def test_yaml_header_validates_with_huggingface_hub():
    card = DatasetCard(render_card(make_context()))
    data = card.data.to_dict()
    DatasetCardData(**data)  # round-trips through the Hub's own model
    assert data["license"] == "other" and data["license"] in hub_licenses()
    assert data["license_name"] == "mixed-cc-by-4.0-and-cc0-1.0"
    assert data["license_link"] == "LICENSE.md"
    assert data["pretty_name"] == "unit-corpus" and data["language"] == ["en"]
    assert data["size_categories"] == ["n<1K"]
    assert data["source_datasets"] == ["original"]
    assert data["task_categories"] == ["text-classification", "text-retrieval"]
    files = data["configs"][0]["data_files"]
    assert files == [{"split": s, "path": f"data/{s}-00000-of-00001.parquet"} for s in SPLIT_ROWS]
    info = data["dataset_info"]
    assert {s["name"]: s["num_examples"] for s in info["splits"]} == SPLIT_ROWS
    assert [f["name"] for f in info["features"]] == [
        "id",
        "text",
        "source",
        "source_name",
        "license",
        "stars",
    ]


def test_single_license_is_the_dataset_license():
    data = DatasetCard(render_card(make_context(("cc-by-4.0", "CC-BY-4.0")))).data.to_dict()
    assert data["license"] == "cc-by-4.0"
    assert "license_name" not in data and "license_link" not in data


def test_counts_in_the_card_equal_the_stats():
    card = render_card(make_context())
    sentence = re.search(
        r"(\d+) rows published from (\d+) rows read \((\d+) unreadable, (\d+) quarantined, "
        r"(\d+) removed by curation filters\)",
        card,
    )
    assert sentence is not None
    assert [int(g) for g in sentence.groups()] == [
        STATS[k]
        for k in (
            "rows_published",
            "rows_read",
            "rows_unreadable",
            "rows_quarantined",
            "rows_filtered",
        )
    ]
    reasons = {r[0].strip("`"): int(r[1]) for r in table_rows(card, "| reason | rows |")}
    assert reasons == STATS["removed_by_reason"]
    steps = table_rows(card, "| step | rows |")
    assert int(steps[0][1]) == STATS["rows_read"] + STATS["rows_unreadable"]
    assert int(steps[-1][1]) == STATS["rows_published"]
    splits = {r[0]: int(r[1]) for r in table_rows(card, "| split | rows |")}
    assert splits == SPLIT_ROWS
    sources = {r[0]: r for r in table_rows(card, "| source | path or url |")}
    assert [int(sources["reviews"][i]) for i in (3, 4, 5)] == [21, 1, 12]
    assert sources["posts"][6] == "https://example.org/posts/*.jsonl"


def test_funnel_attributes_removals_to_stages_and_ends_at_published():
    steps = funnel(STATS)
    assert steps == [
        ("rows in", 33),
        ("readable and valid", 29),
        ("after PII", 28),
        ("after Toxicity", 25),
        ("after Deduplication", 21),
        ("after Quality", 20),
    ]


def test_prose_sections_and_curation_record():
    card = render_card(make_context())
    headings = re.findall(r"^## (.+)$", card, flags=re.M)
    for section in (
        "Summary",
        "License",
        "Sources",
        "Curation",
        "Dataset structure",
        "Known limitations",
        "Changelog",
        "Citation",
    ):
        assert section in headings
    assert "### Filter: PII" in card and '"action": "redact"' in card
    assert "### Filter: Quality\n\nRows removed: 1." in card
    assert "Switched off in the recipe: Language." in card
    assert "Configured but not applied in this run: safety." in card
    assert "| rows_with_pii | 4 |" in card
    assert "| examples |" not in card and "duplicate_of" not in card  # only scalar statistics
    assert "### Toxicity bias audit" in card
    assert "Mail me at <EMAIL_ADDRESS>." in card
    assert "### unit-corpus 1.2.0" in card  # the changelog's heading nests under ## Changelog
    assert "Filters that did not run for this version: Language, safety." in card


def test_card_config_sets_name_limitations_and_citation():
    config = CardConfig(
        pretty_name="Unit Corpus",
        limitations=["Reviews are from one shop."],
        citation="@misc{unit, title={Unit}}",
        task_categories=["text-generation"],
    )
    card = render_card(make_context(config=config))
    data = DatasetCard(card).data.to_dict()
    assert data["pretty_name"] == "Unit Corpus" and data["task_categories"] == ["text-generation"]
    assert "- Reviews are from one shop." in card and "@misc{unit, title={Unit}}" in card
    with pytest.raises(ValueError):
        CardConfig(fail_on_license_conflcit=True)


def test_card_summary_is_short_and_states_counts_and_conflicts():
    summary = card_summary(make_context(("cc-by-4.0", "cc-by-nc-4.0")))
    assert "20 rows published from 31 rows read" in summary
    assert "mixed: cc-by-4.0, cc-by-nc-4.0" in summary
    assert "non_commercial_with_commercial" in summary
    assert "---" not in summary.splitlines()[0] and len(summary) < len(render_card(make_context()))


def test_charts_are_deterministic_pngs(tmp_path: Path):
    splits = make_splits()
    first = write_charts(tmp_path / "a", splits, STATS)
    second = write_charts(tmp_path / "b", splits, STATS)
    assert (
        first
        == second
        == [
            "charts/text_length.png",
            "charts/composition.png",
            "charts/filter_funnel.png",
        ]
    )
    for chart in first:
        data = (tmp_path / "a" / chart).read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 5_000
        assert data == (tmp_path / "b" / chart).read_bytes()
        assert b"Software" not in data and b"matplotlib" not in data


@pytest.fixture
def version_dir(tmp_path: Path) -> Path:
    from publish.release import split_path, write_parquet

    for split, table in make_splits().items():
        write_parquet(table, tmp_path / split_path(split))
    return tmp_path


def test_write_card_files_references_files_that_exist(version_dir: Path):
    context = make_context()
    card = write_card_files(version_dir, context, make_splits())
    assert (version_dir / "README.md").read_text() == card
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", card)
    assert len(images) == 3 and all((version_dir / p).is_file() for p in images)
    license_file = (version_dir / "LICENSE.md").read_text()
    assert "| reviews | Creative Commons Attribution 4.0 (`cc-by-4.0`)" in license_file
    assert (version_dir / "croissant.json").is_file()
