"""Versions end to end: growth, crashes, verification, diffs, approval and Hub loading."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pyarrow as pa
import pytest

from curate import cli
from publish.release import publish_splits, split_path
from publish.splits import SplitConfig, assign_splits, parent_splits, published_splits
from publish.store import (
    latest_version,
    list_versions,
    point_latest,
    read_manifest,
    resolve_version,
)

REPO = Path(__file__).resolve().parent.parent


def rows(n: int, start: int = 0) -> pa.Table:
    ids = [f"row-{i}" for i in range(start, start + n)]
    return pa.table(
        {
            "id": ids,
            "text": [f"text number {i}" for i in range(start, start + n)],
            "label": [
                ["pos", "neg", "rare"][i % 3 if i % 10 else 2] for i in range(start, start + n)
            ],
            "score": pa.array([i / 7 for i in range(start, start + n)], pa.float64()),
            "tags": [[f"t{i % 5}"] for i in range(start, start + n)],
        }
    )


def curate(*argv: str) -> int:
    """The real `curate` entry point, with this package's commands registered."""
    if "publish.cli" not in cli.COMMAND_MODULES:
        cli.COMMAND_MODULES.append("publish.cli")
    return cli.main([str(a) for a in argv])


def table_rows(markdown: str) -> dict[str, dict[str, int]]:
    """The `| split | rows | added | removed |` table of a changelog or diff."""
    lines = markdown.split("| split | rows | added | removed |", 1)[1].splitlines()[2:]
    table = itertools.takewhile(lambda line: line.startswith("|"), lines)
    cells = [[c.strip() for c in line.strip("|").split("|")] for line in table]
    return {c[0]: {"rows": int(c[1]), "added": int(c[2]), "removed": int(c[3])} for c in cells}


def split_of(version_dir: Path) -> dict[str, str]:
    table = published_splits(version_dir)
    return dict(zip(table["id"].to_pylist(), table["split"].to_pylist(), strict=True))


@pytest.mark.parametrize(
    "config",
    [
        SplitConfig(ratios={"train": 0.7, "dev": 0.2, "holdout": 0.1}, seed=5),
        SplitConfig(stratify_by="label"),
    ],
    ids=["hash", "stratified"],
)
def test_growth_across_three_versions_moves_no_row_between_splits(tmp_path, config):
    data = rows(600)
    for growth in (rows(300, 600), rows(400, 900)):
        publish_splits(tmp_path, assign_splits(data, config, parent_splits(tmp_path)), ["a"])
        data = pa.concat_tables([data, growth])
    publish_splits(tmp_path, assign_splits(data, config, parent_splits(tmp_path)), ["a"])
    assert list_versions(tmp_path) == ["1.0.0", "1.0.1", "1.0.2"]
    first, second, third = (split_of(tmp_path / v) for v in list_versions(tmp_path))
    assert len(third) == 1300
    assert all(second[i] == s for i, s in first.items())
    assert all(third[i] == s for i, s in second.items())
    changelog = (tmp_path / "1.0.2" / "CHANGELOG.md").read_text()
    assert "Parent version: 1.0.1" in changelog
    changes = table_rows(changelog)
    assert sum(c["added"] for c in changes.values()) == 400
    assert sum(c["rows"] for c in changes.values()) == 1300


def test_stratified_splits_keep_each_label_in_ratio_and_report_balance():
    from publish.splits import split_stats

    config = SplitConfig(stratify_by="label")
    splits = assign_splits(rows(1000), config)
    balance = split_stats(splits, config)["class_balance"]
    rare_total = sum(balance[s]["rare"]["rows"] for s in splits)
    assert balance["test"]["rare"]["rows"] == round(rare_total * 0.1)
    assert balance["validation"]["rare"]["rows"] == round(rare_total * 0.1)


def test_group_by_keeps_each_group_in_one_split():
    table = rows(2000).append_column("author", pa.array([f"a{i % 37}" for i in range(2000)]))
    config = SplitConfig(group_by="author")
    splits = assign_splits(table, config)
    owner = {}
    for name, split in splits.items():
        for author in set(split["author"].to_pylist()):
            assert owner.setdefault(author, name) == name
    assert len(set(owner.values())) > 1
    with pytest.raises(ValueError, match="not in the data"):
        assign_splits(rows(5), SplitConfig(group_by="domain"))


def publish_in_subprocess(dataset_dir: Path, version: str, marker: Path) -> subprocess.Popen:
    """A publisher whose write callback writes a split, says so, then hangs until killed."""
    script = textwrap.dedent(
        f"""
        import time
        from pathlib import Path
        import pyarrow as pa
        from publish.release import split_path, write_parquet
        from publish.store import publish_atomically, publish_lock

        def write(staging):
            write_parquet(pa.table({{"id": ["x"], "text": ["t"]}}), staging / split_path("train"))
            Path({str(marker)!r}).write_text(str(staging))
            time.sleep(60)

        with publish_lock(Path({str(dataset_dir)!r})):
            publish_atomically(Path({str(dataset_dir)!r}), {version!r}, write)
        """
    )
    return subprocess.Popen([sys.executable, "-c", script], cwd=REPO)


def test_kill_9_while_publishing_leaves_no_visible_version(tmp_path):
    publish_splits(tmp_path, assign_splits(rows(50), SplitConfig()), ["a"])
    marker = tmp_path.parent / "marker"
    process = publish_in_subprocess(tmp_path, "1.0.1", marker)
    try:
        deadline = time.monotonic() + 60
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.exists(), "the publisher never reached its write callback"
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(30)
    assert process.returncode == -signal.SIGKILL
    assert Path(marker.read_text()).is_dir()  # the partial staging directory is still there
    assert list_versions(tmp_path) == ["1.0.0"] and latest_version(tmp_path) == "1.0.0"
    assert curate("verify", tmp_path) == 0
    plan, version_dir = publish_splits(tmp_path, assign_splits(rows(60), SplitConfig()), ["a"])
    assert plan.version == "1.0.1" and latest_version(tmp_path) == "1.0.1"
    assert not list(tmp_path.glob(".staging-*")) and not Path(marker.read_text()).exists()
    assert read_manifest(version_dir)["rows"] == {
        n: t.num_rows for n, t in assign_splits(rows(60), SplitConfig()).items()
    }


def test_verify_catches_a_flipped_byte(tmp_path, capsys):
    publish_splits(tmp_path, assign_splits(rows(200), SplitConfig()), ["a"])
    assert curate("verify", tmp_path, "1.0.0") == 0
    target = tmp_path / "1.0.0" / split_path("validation")
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.chmod(0o644)
    target.write_bytes(bytes(data))
    capsys.readouterr()
    assert curate("verify", tmp_path, "1.0.0") == 1
    captured = capsys.readouterr()
    assert "data/validation-00000-of-00001.parquet: sha256 does not match" in captured.err
    assert "FAILED" in captured.out
    assert curate("verify", tmp_path) == 1


def test_versions_and_diff_commands(tmp_path, capsys):
    publish_splits(tmp_path, assign_splits(rows(100), SplitConfig()), ["a"])
    grown = rows(150).append_column("lang", pa.array(["en"] * 150))
    publish_splits(tmp_path, assign_splits(grown, SplitConfig()), ["a"])
    assert list_versions(tmp_path) == ["1.0.0", "1.1.0"]  # a new column is a minor bump
    capsys.readouterr()
    assert curate("versions", tmp_path) == 0
    listing = capsys.readouterr().out.splitlines()
    assert listing[1].split()[0] == "1.0.0" and listing[2].split()[:1] == ["1.1.0"]
    assert listing[2].rstrip().endswith("*") and not listing[1].rstrip().endswith("*")
    assert curate("diff", tmp_path, "1.0.0", "1.1.0") == 0
    diff = capsys.readouterr().out
    assert sum(c["added"] for c in table_rows(diff).values()) == 50
    assert "| lang | added | string |" in diff
    assert curate("diff", tmp_path, "1.0.0", "9.9.9") == 2


def test_dropping_a_column_is_a_major_version_listed_in_the_changelog(tmp_path):
    publish_splits(tmp_path, assign_splits(rows(100), SplitConfig()), ["a"])
    plan, version_dir = publish_splits(
        tmp_path, assign_splits(rows(100).drop_columns(["tags"]), SplitConfig()), ["a"]
    )
    assert plan.version == "2.0.0"
    assert "| tags | removed | list<item: string> |" in (version_dir / "CHANGELOG.md").read_text()


def test_unapproved_versions_do_not_move_latest(tmp_path):
    publish_splits(tmp_path, assign_splits(rows(100), SplitConfig()), ["a"])
    plan, _ = publish_splits(
        tmp_path, assign_splits(rows(120), SplitConfig()), ["a"], make_latest=False
    )
    assert plan.version == "1.0.1" and latest_version(tmp_path) == "1.0.0"
    plan, _ = publish_splits(
        tmp_path, assign_splits(rows(130), SplitConfig()), ["a"], make_latest=False
    )
    assert plan.parent == "1.0.1" and plan.version == "1.0.2"
    point_latest(tmp_path, "1.0.2")
    assert resolve_version(tmp_path).name == "1.0.2"


def test_load_dataset_round_trips_splits_and_features(tmp_path):
    from datasets import Features, load_dataset

    config = SplitConfig(ratios={"train": 0.6, "dev": 0.3, "holdout": 0.1})
    table = rows(300).append_column("ok", pa.array([i % 2 == 0 for i in range(300)]))
    splits = assign_splits(table, config)
    _, version_dir = publish_splits(tmp_path, splits, ["a"])
    loaded = load_dataset(str(version_dir), cache_dir=str(tmp_path.parent / "hf-cache"))
    assert set(loaded) == {"train", "dev", "holdout"}
    for name, split in splits.items():
        assert loaded[name].data.table.schema.remove_metadata() == split.schema
        assert loaded[name]["id"] == split["id"].to_pylist()
    assert loaded["holdout"].features == Features.from_arrow_schema(splits["holdout"].schema)


def test_push_fails_clearly_without_network_or_token(tmp_path, monkeypatch, capsys):
    publish_splits(tmp_path, assign_splits(rows(20), SplitConfig()), ["a"])
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert curate("push", tmp_path, "1.0.0", "--repo", "org/name") == 2
    assert "HF_HUB_OFFLINE" in capsys.readouterr().err
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HUGGING_FACE_HUB_TOKEN", raising=False)
    monkeypatch.setattr("huggingface_hub.constants.HF_TOKEN_PATH", str(tmp_path / "no-token"))
    assert curate("push", tmp_path, "1.0.0", "--repo", "org/name") == 2
    assert "no Hugging Face token" in capsys.readouterr().err
