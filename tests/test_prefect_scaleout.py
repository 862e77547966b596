"""Scale-out and resume on the real Prefect engine, on a small subset of the demo data.

One uninterrupted run on the default runner is the reference: a run on a Dask LocalCluster with
two workers and small shards, and a run killed with SIGKILL while embedding and then rerun, must
both publish byte-identical files. Curator artifacts are read back from the API.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from flows.curate import RunSummary, curate
from flows.shards import merge_stats, row_blocks

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "examples" / "data"
# Every published file whose bytes do not name the run (the manifest and card record run ids).
COMPARED = ("data", "quarantine", "index")
PER_SHARD_STAGES = {"load", "pii", "quality", "language", "toxicity", "dedup"}


def small_recipe(folder: Path) -> Path:
    """The demo recipe over the first rows of each source (with the planted bad rows in them)."""
    data = folder / "data"
    (data / "pages").mkdir(parents=True)
    for name in ("reviews.csv", "posts.jsonl"):
        lines = (DATA / name).read_bytes().splitlines(keepends=True)
        (data / name).write_bytes(b"".join(lines[:90]))
    for page in sorted((DATA / "pages").glob("*.html"))[:4]:
        (data / "pages" / page.name).write_bytes(page.read_bytes())
    recipe = yaml.safe_load((REPO / "recipes" / "demo.yaml").read_text())
    for source in recipe["sources"]:
        source["path"] = str(data / source["path"].removeprefix("../examples/data/"))
    recipe["publish"]["root"] = str(folder / "published")
    recipe["index"]["cache_chunk_rows"] = 64  # several embedding units
    recipe["index"]["progress"] = False
    path = folder / "recipe.yaml"
    path.write_text(yaml.safe_dump(recipe))
    return path


def published_files(summary: RunSummary) -> dict[str, str]:
    return {
        str(path.relative_to(summary.version_dir)): hashlib.sha256(path.read_bytes()).hexdigest()
        for part in COMPARED
        for path in sorted((summary.version_dir / part).rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="module")
def reference(prefect_harness, tmp_path_factory) -> RunSummary:
    return curate(str(small_recipe(tmp_path_factory.mktemp("reference"))))


def test_reference_run_publishes(reference):
    files = published_files(reference)
    assert "index/faiss.index" in files and "quarantine/filtered.parquet" in files
    assert reference.stats["rows_published"] > 100
    assert reference.cached_stages == []  # a fresh dataset folder has no persisted results


def test_dask_local_cluster_output_is_byte_identical(reference, prefect_harness, tmp_path):
    """The recipe's `runner` section picks a 2-worker LocalCluster; `curate run` runs in its own
    process, as a user would, so no state of earlier tests in this process reaches the cluster."""
    from prefect.settings import PREFECT_API_URL

    recipe = small_recipe(tmp_path)
    body = yaml.safe_load(recipe.read_text())
    body["runner"] = {"kind": "dask", "n_workers": 2, "shard_rows": 40}
    recipe.write_text(yaml.safe_dump(body))
    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()}
    completed = subprocess.run(
        [sys.executable, "-m", "curate.cli", "run", str(recipe)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    version_dir = tmp_path / "published" / "demo-corpus" / reference.version
    manifest = json.loads((version_dir / "manifest.json").read_text())
    assert manifest["stats"] == json.loads(json.dumps(reference.stats))
    on_dask = RunSummary("demo-corpus", reference.version, version_dir, False, manifest["stats"])
    assert published_files(on_dask) == published_files(reference)


def test_sigkill_while_embedding_then_rerun_resumes(reference, prefect_harness, tmp_path):
    from prefect.settings import PREFECT_API_URL

    recipe = small_recipe(tmp_path)
    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value(), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "curate.cli", "run", str(recipe)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    seen = []
    try:
        deadline = time.monotonic() + 300
        for line in process.stdout:
            seen.append(line)
            if "stage=embed started" in line or time.monotonic() > deadline:
                break
        os.killpg(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
    assert any("stage=embed started" in line for line in seen), "".join(seen[-30:])
    dataset_dir = tmp_path / "published" / "demo-corpus"
    assert not (dataset_dir / "latest").exists()  # killed before publishing

    resumed = curate(str(recipe))
    assert set(resumed.cached_stages) >= PER_SHARD_STAGES
    assert "embed" not in resumed.cached_stages  # the killed stage runs again
    assert resumed.stats == reference.stats
    assert published_files(resumed) == published_files(reference)


def test_each_run_posts_card_funnel_and_per_source_artifacts(reference, prefect_harness):
    import httpx
    from prefect.settings import PREFECT_API_URL

    def latest(key: str) -> list[dict]:
        body = {"artifacts": {"key": {"any_": [key]}}, "sort": "CREATED_DESC", "limit": 1}
        response = httpx.post(f"{PREFECT_API_URL.value()}/artifacts/filter", json=body)
        response.raise_for_status()
        return response.json()

    markdown, tables = latest("card-demo-corpus"), latest("sources-demo-corpus")
    assert markdown and tables
    text = markdown[0]["data"]
    assert "### Filter funnel" in text and f"**{reference.stats['rows_published']}**" in text
    assert "| toxicity |" in text and "| dedup |" in text
    rows = tables[0]["data"]
    rows = rows if isinstance(rows, list) else yaml.safe_load(rows)
    assert {row["source"] for row in rows} == {"reviews", "posts", "pages"}
    published = reference.stats["published_per_source"]
    assert {row["source"]: row["rows_published"] for row in rows} == published


def test_merged_shard_statistics_do_not_depend_on_grouping():
    shards = [
        {"scored": 3, "score_mean": 0.2, "threshold": 0.4, "by_rule": {"b": 1, "a": 2}},
        {"scored": 1, "score_mean": 0.6, "threshold": 0.4, "by_rule": {"c": 1}},
        {"scored": 2, "score_mean": 0.1, "threshold": 0.4, "by_rule": {"a": 1}},
    ]
    together = merge_stats(shards)
    assert together["scored"] == 6 and together["threshold"] == 0.4
    assert together["by_rule"] == {"b": 1, "a": 3, "c": 1}
    assert together["score_mean"] == round((0.6 + 0.6 + 0.2) / 6, 6)
    with pytest.raises(ValueError, match="threshold"):
        merge_stats([{"threshold": 0.4}, {"threshold": 0.5}])


def test_row_blocks_cover_every_row_once_with_a_share_for_every_worker():
    import pickle

    import pyarrow as pa

    table = pa.table({"id": [f"row-{i:05d}" for i in range(4000)]})
    for shard_rows, workers in [(400, 1), (400, 2), (5000, 2), (1, 1)]:
        blocks = row_blocks(table, shard_rows, workers)
        assert pa.concat_tables(blocks)["id"].to_pylist() == table["id"].to_pylist()
        assert len(blocks) >= 4 * workers  # no worker sits idle
        assert max(b.num_rows for b in blocks) <= 2 * shard_rows
        assert shard_rows == 1 or len(blocks) <= 16 * workers  # not needlessly many tasks
    # Compact copies: a pickled slice would carry the whole parent table.
    whole = len(pickle.dumps(table))
    assert all(len(pickle.dumps(b)) < whole / 3 for b in row_blocks(table, 400, 2))
    assert [b.num_rows for b in row_blocks(table.slice(0, 0), 4, 2)] == [0]
    assert [b.num_rows for b in row_blocks(table.slice(0, 1), 4, 2)] == [1]


def test_row_blocks_move_only_the_blocks_next_to_new_rows():
    """Growth in one place keeps the other blocks byte-equal, so their cached results hold."""
    import pyarrow as pa

    ids = [f"row-{i:05d}" for i in range(20_000)]
    grown = ids[:9000] + [f"new-{i:03d}" for i in range(200)] + ids[9000:]
    before = row_blocks(pa.table({"id": ids}), 1000, 2)
    after = row_blocks(pa.table({"id": grown}), 1000, 2)
    unchanged = {tuple(b["id"].to_pylist()) for b in before}
    moved = [b for b in after if tuple(b["id"].to_pylist()) not in unchanged]
    assert 1 <= len(moved) <= 3
    assert sum(b.num_rows for b in moved) < 4000
