"""The demo flow end to end on the bundled corpus, on the real Prefect engine."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from datasets import load_dataset
from huggingface_hub import DatasetCard

from curate.cli import main
from flows.curate import curate
from publish.store import list_versions, read_manifest

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "examples" / "data"
PLANTED = json.loads((DATA / "planted.json").read_text())
SPLITS = ("train", "validation", "test")
GROWTH_POSTS = [
    "The night ferry now leaves the north pier at half past ten, so plan your dinner early.",
    "Our allotment society swapped heirloom tomato seeds with the school garden this spring.",
    "A volunteer crew repainted the old railway signal box in its original green and cream.",
    "The library's repair cafe fixed eleven toasters and a sewing machine on Saturday.",
    "Beekeepers reported a late honey flow after the lime trees flowered in July.",
    "The choir rehearses in the chapel on Thursdays and newcomers can borrow sheet music.",
    "Cyclists asked the council for a covered rack outside the swimming baths.",
    "Someone left a box of vintage postcards of the harbour at the charity shop.",
    "The astronomy club will point its telescope at Saturn from the cricket ground.",
    "Wind turbines on the ridge were paused for a week while engineers replaced a gearbox.",
]


def recipe_copy(tmp: Path, data_dir: Path = DATA, root: Path | None = None) -> Path:
    """The demo recipe, reading `data_dir` and publishing under `root` (default: tmp/published)."""
    recipe = yaml.safe_load((REPO / "recipes" / "demo.yaml").read_text())
    for source in recipe["sources"]:
        source["path"] = str(data_dir / source["path"].removeprefix("../examples/data/"))
    recipe["publish"]["root"] = str(root or tmp / "published")
    path = tmp / "recipe.yaml"
    path.write_text(yaml.safe_dump(recipe, sort_keys=False))
    return path


def read_split(version_dir: Path, split: str):
    return pq.read_table(version_dir / "data" / f"{split}-00000-of-00001.parquet")


def file_sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def demo(prefect_harness, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("demo")
    return curate(str(recipe_copy(tmp)))


def test_demo_publishes_a_complete_version(demo):
    version_dir = demo.version_dir
    assert demo.version == "1.0.0" and version_dir.name == "1.0.0"
    assert (version_dir.parent / "latest").resolve() == version_dir.resolve()
    for name in (
        "README.md",
        "CHANGELOG.md",
        "manifest.json",
        "index/faiss.index",
        "index/ids.parquet",
        "quarantine/quarantine.parquet",
        "quarantine/filtered.parquet",
    ):
        assert (version_dir / name).is_file(), name
    manifest = read_manifest(version_dir)
    for relative, entry in manifest["files"].items():
        assert file_sha(version_dir / relative) == entry["sha256"], relative


def test_every_row_is_accounted_for_with_a_reason(demo):
    version_dir, stats = demo.version_dir, demo.stats
    published = sum(read_split(version_dir, s).num_rows for s in SPLITS)
    quarantine = pq.read_table(version_dir / "quarantine" / "quarantine.parquet")
    filtered = pq.read_table(version_dir / "quarantine" / "filtered.parquet")
    incoming = stats["rows_read"] + stats["rows_unreadable"]
    assert incoming == published + quarantine.num_rows + filtered.num_rows
    assert stats["rows_published"] == published
    assert all(quarantine["reason"].to_pylist()) and all(filtered["reason"].to_pylist())
    ids = [i for s in SPLITS for i in read_split(version_dir, s)["id"].to_pylist()]
    removed_ids = [i for i in filtered["id"].to_pylist() + quarantine["id"].to_pylist() if i]
    assert len(set(ids)) == len(ids) and not set(ids) & set(removed_ids)


def test_planted_malformed_rows_are_quarantined_with_their_reason(demo):
    quarantine = pq.read_table(demo.version_dir / "quarantine" / "quarantine.parquet").to_pylist()
    # Sources are shown relative to the recipe; this test's recipe uses absolute paths.
    found = {(q["source"].removeprefix(f"{DATA}/"), q["reason"]) for q in quarantine}
    expected_reason = {
        "bad_quoting": "csv_parse_error",
        "field_count": "field_count",
        "invalid_utf8": "invalid_utf8",
        "empty_text": "empty_text",
        "oversize_text": "text_too_long",
        "invalid_json": "invalid_json",
    }
    checked = 0
    for case in PLANTED["cases"]:
        if case["category"] in expected_reason:
            source = f"{case['file']}:{case['line']}"
            assert (source, expected_reason[case["category"]]) in found, case
            checked += 1
    assert checked >= 10


def test_planted_duplicates_and_toxic_rows_are_filtered(demo):
    filtered = pq.read_table(demo.version_dir / "quarantine" / "filtered.parquet").to_pylist()
    reasons = {row["id"]: row["reason"] for row in filtered}
    exact = [c for c in PLANTED["cases"] if c["category"] == "exact_duplicate"]
    toxic = [c for c in PLANTED["cases"] if c["category"] == "toxic"]
    assert all(reasons.get(c["key"]) == "duplicate:exact" for c in exact)
    assert sum(reasons.get(c["key"]) == "toxicity" for c in toxic) >= 0.9 * len(toxic)


def test_identity_mentions_are_not_filtered_as_toxic(demo):
    filtered = pq.read_table(demo.version_dir / "quarantine" / "filtered.parquet").to_pylist()
    toxic_ids = {row["id"] for row in filtered if row["reason"] == "toxicity"}
    neutral = [c["key"] for c in PLANTED["cases"] if c["category"] == "identity_neutral"]
    assert neutral and not toxic_ids & set(neutral)


def test_planted_pii_is_not_published_in_clear(demo):
    texts = "\n".join(
        t for s in SPLITS for t in read_split(demo.version_dir, s)["text"].to_pylist()
    )
    structured = [c for c in PLANTED["cases"] if c["category"] == "pii" and c["entity"] != "PERSON"]
    assert structured
    leaked = [c["entity"] for c in structured if c["value"] in texts]
    assert leaked == []
    card = (demo.version_dir / "README.md").read_text()
    assert not [c for c in structured if c["value"] in card]


def test_load_dataset_returns_the_three_splits(demo):
    loaded = load_dataset(str(demo.version_dir))
    assert set(loaded) == set(SPLITS)
    assert {s: loaded[s].num_rows for s in SPLITS} == demo.stats["rows_per_split"]
    assert {"id", "text", "source", "license"} <= set(loaded["train"].column_names)


def test_card_has_valid_license_metadata(demo):
    card = DatasetCard.load(demo.version_dir / "README.md")
    data = card.data.to_dict()
    assert data["license"] == "other"  # three sources under three licenses
    assert "cc-by-sa-4.0" in data["license_details"]
    assert [c["split"] for c in data["configs"][0]["data_files"]] == list(SPLITS)
    assert "| reviews |" in card.text and "cc-by-4.0" in card.text


def test_same_inputs_give_byte_identical_splits(demo, prefect_harness, tmp_path):
    again = curate(str(recipe_copy(tmp_path)))
    for split in SPLITS:
        name = f"data/{split}-00000-of-00001.parquet"
        assert file_sha(again.version_dir / name) == file_sha(demo.version_dir / name)
    assert (
        read_manifest(again.version_dir)["fingerprint"]
        == read_manifest(demo.version_dir)["fingerprint"]
    )


def test_rerun_without_changes_publishes_nothing(demo, prefect_harness):
    recipe = demo.version_dir.parent.parent.parent / "recipe.yaml"
    again = curate(str(recipe))
    assert again.unchanged and again.version == "1.0.0"
    assert list_versions(demo.version_dir.parent) == ["1.0.0"]


def test_growth_publishes_a_new_version_and_keeps_test_rows_out_of_train(prefect_harness, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    recipe = recipe_copy(tmp_path, data_dir=data)
    first = curate(str(recipe))
    first_hashes = {p: file_sha(p) for p in first.version_dir.rglob("*") if p.is_file()}
    with open(data / "posts.jsonl", "a") as handle:
        for i, body in enumerate(GROWTH_POSTS):
            handle.write(json.dumps({"post_id": f"g{i:03d}", "body": body, "lang": "en"}) + "\n")
    second = curate(str(recipe))
    assert second.version == "1.0.1" and not second.unchanged
    assert {p: file_sha(p) for p in first_hashes} == first_hashes  # old version untouched
    old_test = set(read_split(first.version_dir, "test")["id"].to_pylist())
    new_train = set(read_split(second.version_dir, "train")["id"].to_pylist())
    assert not old_test & new_train
    manifest = read_manifest(second.version_dir)
    assert manifest["stats"]["rows_published"] == first.stats["rows_published"] + len(GROWTH_POSTS)
    assert manifest["index"]["encoded"] == len(GROWTH_POSTS)  # only the new rows are embedded


def test_search_finds_planted_sentences_from_paraphrases(demo, capsys):
    dataset_dir = demo.version_dir.parent
    for target in PLANTED["search"]:
        assert main(["search", str(dataset_dir), target["query"], "-k", "3"]) == 0
        output = capsys.readouterr().out
        assert f" {target['key']} " in output, (target, output)


def test_card_shows_the_bias_audit_and_the_flow_counts(demo):
    card = (demo.version_dir / "README.md").read_text()
    audit = demo.stats["bias_audit"]
    assert "| identity group | neutral sentences | false positives | false-positive rate |" in card
    for group in audit["groups"]:
        assert f"| {group['neutral_sentences']} | {group['false_positives']} |" in card
    assert "| exact (normalised text) | " in card and "Examples (removed row" in card
    stats = demo.stats
    assert f"{stats['rows_published']} rows" in card
    for reason, count in stats["removed_by_reason"].items():
        assert f"`{reason}`" in card and str(count) in card


def test_croissant_metadata_loads_and_iterates(demo):
    import mlcroissant

    dataset = mlcroissant.Dataset(jsonld=str(demo.version_dir / "croissant.json"))
    record_sets = [rs.uuid for rs in dataset.metadata.record_sets]
    assert record_sets
    first = next(iter(dataset.records(record_set=record_sets[0])))
    assert first
