"""The curator review page and approvals: `curate card --html`, `curate approve`, Chromium."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pyarrow as pa
import pytest

from cards.approvals import APPROVALS_FILE, is_approved, read_approvals, record_approval
from cards.files import write_card_files
from cards.review import render_review_page
from curate.cli import main
from publish.release import split_path, write_manifest, write_parquet
from publish.store import latest_version, point_latest, publish_atomically
from tests.test_card import make_context, make_splits

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "headless_shell")


def publish_version(dataset_dir: Path, version: str, splits: dict[str, pa.Table], **overrides):
    context = make_context(version=version, **overrides)

    def write(staging: Path) -> None:
        for name, table in splits.items():
            write_parquet(table, staging / split_path(name))
        write_card_files(staging, context, splits)
        rows = {name: table.num_rows for name, table in splits.items()}
        write_manifest(staging, {"name": dataset_dir.name, "version": version, "rows": rows})

    return publish_atomically(dataset_dir, version, write)


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    """Two published versions; the second changes the description and one row's text."""
    dataset_dir = tmp_path_factory.mktemp("published") / "unit-corpus"
    splits = make_splits()
    publish_version(dataset_dir, "1.0.0", splits)
    train = splits["train"]
    texts = train["text"].to_pylist()
    texts[0] = "<script>alert('row text is data, not markup')</script>"
    splits["train"] = train.set_column(1, "text", pa.array(texts))
    publish_version(dataset_dir, "1.1.0", splits, description="Now with a second description.")
    return dataset_dir


@pytest.fixture
def dataset(published: Path, tmp_path: Path) -> Path:
    """A private copy of the published dataset, for tests that approve or move `latest`."""
    return shutil.copytree(published, tmp_path / "published" / published.name, symlinks=True)


def test_review_page_has_card_charts_samples_and_diff(published: Path):
    page = render_review_page(published, "latest", rows_per_split=3)
    assert "<h1>Review: unit-corpus 1.1.0</h1>" in page
    assert page.count('src="data:image/png;base64,') == 3  # charts inlined, page standalone
    assert "<table>" in page and "<h2>Sample rows</h2>" in page
    for split in ("train", "validation", "test"):
        assert f"<h3>{split}</h3>" in page
    assert "row-0" in page and "row-3" not in page  # three sample rows per split
    assert "&lt;script&gt;alert(" in page and "<script>" not in page
    assert '<span class="del">-Reviews and posts for the card tests.</span>' in page
    assert '<span class="add">+Now with a second description.</span>' in page
    assert "Not approved." in page


def test_first_version_has_no_diff(published: Path):
    page = render_review_page(published, "1.0.0")
    assert "No previous version: nothing to compare." in page


def test_card_command_writes_markdown_and_html(published: Path, tmp_path: Path, capsys):
    assert main(["card", str(published), "1.0.0"]) == 0
    assert capsys.readouterr().out == (published / "1.0.0" / "README.md").read_text()
    out = tmp_path / "review.html"
    assert main(["card", str(published), "--html", "--out", str(out)]) == 0
    assert out.read_text().startswith("<!DOCTYPE html>") and "unit-corpus 1.1.0" in out.read_text()
    assert main(["card", str(published), "9.9.9"]) == 2
    assert "no published version '9.9.9'" in capsys.readouterr().err


def test_approve_records_reviewer_time_and_card_hash(dataset: Path, capsys):
    assert not is_approved(dataset, "1.1.0")
    assert main(["approve", str(dataset), "1.1.0", "--by", "Ada Curator"]) == 0
    assert "approved by Ada Curator" in capsys.readouterr().out
    (approval,) = read_approvals(dataset)
    assert approval["version"] == "1.1.0" and approval["by"] == "Ada Curator"
    assert approval["at"].endswith("Z") and len(approval["card_sha256"]) == 64
    assert is_approved(dataset, "1.1.0") and not is_approved(dataset, "1.0.0")
    assert "Approved by Ada Curator at" in render_review_page(dataset, "1.1.0")
    assert not (dataset / "1.1.0" / APPROVALS_FILE).exists()  # version directories stay intact


def test_approving_a_staged_version_makes_it_latest_but_never_moves_latest_back(dataset: Path):
    point_latest(dataset, "1.0.0")  # 1.1.0 staged, waiting for review
    assert main(["approve", str(dataset), "1.1.0", "--by", "Ada"]) == 0
    assert latest_version(dataset) == "1.1.0"
    assert main(["approve", str(dataset), "1.0.0", "--by", "Ada"]) == 0
    assert latest_version(dataset) == "1.1.0"


def test_an_approval_binds_to_the_reviewed_card(dataset: Path):
    record_approval(dataset, "1.0.0", "Ada")
    card = dataset / "1.0.0" / "README.md"
    card.write_text(card.read_text() + "\nEdited after review.\n")
    assert not is_approved(dataset, "1.0.0")
    with pytest.raises(ValueError, match="reviewer"):
        record_approval(dataset, "1.0.0", "  ")


def chromium_binary() -> str | None:
    return next((path for name in CHROMIUM_NAMES if (path := shutil.which(name))), None)


class DevTools:
    """A minimal Chrome DevTools Protocol client over one page's websocket."""

    def __init__(self, websocket_url: str):
        from websockets.sync.client import connect

        self.socket = connect(websocket_url, max_size=None, open_timeout=30)
        self.next_id = 0
        self.events: list[dict] = []

    def call(self, method: str, **params) -> dict:
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv(timeout=60))
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]
            self.events.append(message)

    def wait_for(self, method: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == method for e in self.events):
            self.events.append(json.loads(self.socket.recv(timeout=deadline - time.monotonic())))


def page_errors(events: list[dict]) -> list[str]:
    """Console errors, uncaught exceptions and failed loads that Chromium reported."""
    errors = []
    for event in events:
        params = event.get("params", {})
        if event.get("method") == "Runtime.exceptionThrown":
            errors.append(params["exceptionDetails"].get("text", "exception"))
        elif event.get("method") == "Runtime.consoleAPICalled" and params["type"] in (
            "error",
            "assert",
        ):
            errors.append(json.dumps(params["args"]))
        elif event.get("method") == "Log.entryAdded" and params["entry"]["level"] == "error":
            errors.append(params["entry"]["text"])
    return errors


@pytest.fixture
def chromium(tmp_path: Path):
    """A headless Chromium with remote debugging; skipped where no Chromium is installed."""
    binary = chromium_binary()
    if binary is None:
        pytest.skip(
            "no Chromium binary on PATH (looked for "
            + ", ".join(CHROMIUM_NAMES)
            + "); install Debian's chromium package (apt-get install -y chromium) to run this test"
        )
    profile = tmp_path / "chromium-profile"
    process = subprocess.Popen(
        [
            binary,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--remote-debugging-port=0",
            f"--user-data-dir={profile}",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not (port_file.is_file() and port_file.read_text().count("\n") >= 1):
            assert process.poll() is None, "chromium exited before opening its debugging port"
            assert time.monotonic() < deadline, "chromium did not open its debugging port"
            time.sleep(0.1)
        port = port_file.read_text().split()[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30) as reply:
            targets = json.load(reply)
        page = next(t for t in targets if t["type"] == "page")
        client = DevTools(page["webSocketDebuggerUrl"])
        yield client
        client.socket.close()
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def load_page(chromium: DevTools, path: Path) -> None:
    chromium.events.clear()
    chromium.call("Page.navigate", url=path.resolve().as_uri())
    chromium.wait_for("Page.loadEventFired")


def test_review_page_renders_in_headless_chromium_without_errors(published, chromium, tmp_path):
    for domain in ("Page", "Runtime", "Log"):
        chromium.call(f"{domain}.enable")
    chromium.call(
        "Emulation.setDeviceMetricsOverride",
        width=1280,
        height=1000,
        deviceScaleFactor=1,
        mobile=False,
    )
    broken = tmp_path / "broken.html"
    broken.write_text('<img src="missing.png"><script>notDefined()</script>')
    load_page(chromium, broken)  # the error check must see a missing file and an exception
    assert len(page_errors(chromium.events)) >= 2, chromium.events

    page_path = tmp_path / "review.html"
    assert main(["card", str(published), "--html", "--out", str(page_path)]) == 0
    load_page(chromium, page_path)
    images = chromium.call(
        "Runtime.evaluate",
        expression="Array.from(document.images).map(i => i.complete && i.naturalWidth > 0)",
        returnByValue=True,
    )["result"]["value"]
    assert images == [True, True, True]
    title = chromium.call("Runtime.evaluate", expression="document.title", returnByValue=True)
    assert title["result"]["value"] == "Review: unit-corpus 1.1.0"
    shot = base64.b64decode(chromium.call("Page.captureScreenshot", format="png")["data"])
    screenshot = Path(os.environ.get("REVIEW_SCREENSHOT", tmp_path / "review.png"))
    screenshot.write_bytes(shot)
    assert shot.startswith(b"\x89PNG\r\n\x1a\n") and len(shot) > 10_000
    assert page_errors(chromium.events) == []
