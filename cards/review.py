"""The curator's review page: one standalone HTML file with the card, charts, samples and a diff.

Everything is inlined (charts as data URIs, no scripts, fonts or other external resources), so the
page can be mailed, attached to a ticket or opened from any folder, and renders offline.
Markdown is rendered with raw HTML switched off: card text comes from data and must not inject
markup into the page.
"""

from __future__ import annotations

import base64
import difflib
import html
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from markdown_it import MarkdownIt

from cards.approvals import CARD_FILE, approval_of
from publish.release import split_path
from publish.store import list_versions, read_manifest, resolve_version

SAMPLE_TEXT_CHARS = 300
DIFF_CONTEXT_LINES = 2
STYLE = """
body { font-family: system-ui, sans-serif; max-width: 70rem; margin: 2rem auto; padding: 0 1rem;
       color: #1d1d1f; line-height: 1.45; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; display: block; overflow-x: auto; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; vertical-align: top; text-align: left; }
pre { background: #f5f5f7; padding: 0.75rem; overflow-x: auto; }
img { max-width: 100%; }
.status { padding: 0.5rem 1rem; border-radius: 4px; }
.approved { background: #e3f4e1; } .pending { background: #fff3cd; }
.diff .add { background: #e6ffed; } .diff .del { background: #ffeef0; }
.diff .hunk { color: #6a737d; }
section { border-top: 2px solid #ddd; margin-top: 2rem; }
"""


def split_front_matter(card: str) -> tuple[str, str]:
    """(YAML metadata, markdown body) of a card with a `---` front matter block."""
    if card.startswith("---\n"):
        metadata, _, body = card[4:].partition("\n---\n")
        return metadata, body
    return "", card


def render_markdown(markdown: str, version_dir: Path) -> str:
    """Markdown to HTML; images that are files of the version are inlined as data URIs."""
    parser = MarkdownIt("commonmark", {"html": False}).enable("table")
    tokens = parser.parse(markdown)
    for token in tokens:
        for child in token.children or []:
            if child.type == "image":
                child.attrSet("src", _inline_image(version_dir, str(child.attrGet("src"))))
    return parser.renderer.render(tokens, parser.options, {})


def card_diff(previous: str | None, current: str, previous_label: str, label: str) -> str:
    """The unified diff of two cards as HTML, or a note when there is no previous card."""
    if previous is None:
        return "<p>No previous version: nothing to compare.</p>"
    lines = list(
        difflib.unified_diff(
            previous.splitlines(),
            current.splitlines(),
            fromfile=previous_label,
            tofile=label,
            n=DIFF_CONTEXT_LINES,
            lineterm="",
        )
    )
    if not lines:
        return f"<p>The card is identical to {html.escape(previous_label)}'s.</p>"
    rendered = []
    for line in lines:
        kind = ""
        if line.startswith("@@"):
            kind = "hunk"
        elif line.startswith("+") and not line.startswith("+++"):
            kind = "add"
        elif line.startswith("-") and not line.startswith("---"):
            kind = "del"
        rendered.append(
            f'<span class="{kind}">{html.escape(line)}</span>' if kind else html.escape(line)
        )
    return '<pre class="diff">' + "\n".join(rendered) + "</pre>"


def sample_rows(version_dir: Path, split: str, rows: int) -> list[dict[str, Any]]:
    """The first `rows` rows of a split, reading only the first batch of its Parquet file."""
    path = version_dir / split_path(split)
    if rows == 0 or not path.is_file():
        return []
    batch = next(pq.ParquetFile(path).iter_batches(batch_size=rows), None)
    return batch.to_pylist() if batch is not None else []


def render_review_page(dataset_dir: Path, version: str = "latest", rows_per_split: int = 5) -> str:
    """The standalone HTML review page of one published version."""
    version_dir = resolve_version(dataset_dir, version)
    name, version = dataset_dir.name, version_dir.name
    card = (version_dir / CARD_FILE).read_text(encoding="utf-8")
    metadata, body = split_front_matter(card)
    previous_version = _previous_version(dataset_dir, version)
    previous_card = (
        (dataset_dir / previous_version / CARD_FILE).read_text(encoding="utf-8")
        if previous_version and (dataset_dir / previous_version / CARD_FILE).is_file()
        else None
    )
    splits = read_manifest(version_dir).get("rows", {})
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<link rel="icon" href="data:,">',
        f"<title>Review: {html.escape(name)} {html.escape(version)}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>Review: {html.escape(name)} {html.escape(version)}</h1>",
        _approval_status(dataset_dir, version),
        "<section><h2>Card</h2>",
        "<details><summary>Card metadata (YAML)</summary>",
        f"<pre>{html.escape(metadata)}</pre></details>",
        render_markdown(body, version_dir),
        "</section>",
        "<section><h2>Sample rows</h2>",
    ]
    for split in splits:
        parts.append(f"<h3>{html.escape(split)}</h3>")
        parts.append(_rows_table(sample_rows(version_dir, split, rows_per_split)))
    parts += [
        "</section>",
        f"<section><h2>Changes to the card since {html.escape(previous_version or 'nothing')}</h2>",
        card_diff(previous_card, card, f"{previous_version}/{CARD_FILE}", f"{version}/{CARD_FILE}"),
        "</section></body></html>",
    ]
    return "\n".join(parts) + "\n"


def _previous_version(dataset_dir: Path, version: str) -> str | None:
    versions = list_versions(dataset_dir)
    position = versions.index(version)
    return versions[position - 1] if position > 0 else None


def _approval_status(dataset_dir: Path, version: str) -> str:
    approval = approval_of(dataset_dir, version)
    if approval is None:
        return (
            '<p class="status pending">Not approved. After review: '
            f"<code>curate approve {html.escape(str(dataset_dir))} {html.escape(version)} "
            "--by NAME</code></p>"
        )
    return (
        f'<p class="status approved">Approved by {html.escape(approval["by"])} at '
        f"{html.escape(approval['at'])}.</p>"
    )


def _rows_table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "<p>No rows.</p>"
    columns = list(rows[0])
    header = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_cell(row[c]))}</td>" for c in columns) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>"


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= SAMPLE_TEXT_CHARS else text[:SAMPLE_TEXT_CHARS] + "…"


def _inline_image(version_dir: Path, src: str) -> str:
    """A data URI for a PNG inside the version; other sources are left as they are."""
    path = (version_dir / src).resolve()
    if src.endswith(".png") and path.is_relative_to(version_dir.resolve()) and path.is_file():
        return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")
    return src
