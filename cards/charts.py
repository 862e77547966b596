"""Charts the card shows, as PNG files inside the version: text lengths, composition, funnel.

Figures are drawn with matplotlib's object API on the Agg canvas (no pyplot global state), with a
fixed size and no Software/date metadata, so the same data gives byte-identical files and the
version's manifest hashes stay stable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from cards.card import funnel

CHART_DIR = "charts"
TEXT_LENGTH = f"{CHART_DIR}/text_length.png"
COMPOSITION = f"{CHART_DIR}/composition.png"
FUNNEL = f"{CHART_DIR}/filter_funnel.png"
FIGURE_SIZE = (8.0, 4.0)
DPI = 100
HISTOGRAM_BINS = 40


def write_charts(
    version_dir: Path, splits: dict[str, pa.Table], stats: dict[str, Any]
) -> list[str]:
    """Draw the three charts under `version_dir/charts/`; return their paths relative to it."""
    (version_dir / CHART_DIR).mkdir(parents=True, exist_ok=True)
    _save(text_length_figure(splits), version_dir / TEXT_LENGTH)
    _save(composition_figure(splits), version_dir / COMPOSITION)
    _save(funnel_figure(stats), version_dir / FUNNEL)
    return [TEXT_LENGTH, COMPOSITION, FUNNEL]


def text_length_figure(splits: dict[str, pa.Table]) -> Figure:
    """Histogram of text length in characters, stacked by split, on log-spaced bins."""
    lengths = {
        name: pc.utf8_length(table["text"]).to_numpy(zero_copy_only=False)
        for name, table in splits.items()
    }
    everything = np.concatenate([np.zeros(0, dtype=np.int64), *lengths.values()])
    lower = max(int(everything.min()), 1) if everything.size else 1
    upper = max(int(everything.max()) if everything.size else 1, lower + 1)
    bins = np.unique(np.geomspace(lower, upper + 1, HISTOGRAM_BINS).round())
    figure = Figure(figsize=FIGURE_SIZE, dpi=DPI)
    axes = figure.add_subplot()
    axes.hist(
        [np.maximum(v, 1) for v in lengths.values()],
        bins=bins,
        stacked=True,
        label=list(lengths),
    )
    axes.set_xscale("log")
    axes.set_xlabel("text length (characters, log scale)")
    axes.set_ylabel("rows")
    axes.set_title("Text length of published rows")
    axes.legend(title="split")
    figure.tight_layout()
    return figure


def composition_figure(splits: dict[str, pa.Table]) -> Figure:
    """Published rows by source and by license, each bar stacked by split."""
    figure = Figure(figsize=FIGURE_SIZE, dpi=DPI)
    for position, column in enumerate(("source_name", "license"), start=1):
        counts = {name: _value_counts(table[column]) for name, table in splits.items()}
        labels = sorted({label for c in counts.values() for label in c})
        axes = figure.add_subplot(1, 2, position)
        left = np.zeros(len(labels))
        for split, split_counts in counts.items():
            widths = np.array([split_counts.get(label, 0) for label in labels], dtype=float)
            axes.barh(labels, widths, left=left, label=split)
            left += widths
        axes.invert_yaxis()
        axes.set_xlabel("rows")
        axes.set_title(f"by {column.replace('_name', '')}")
    figure.axes[-1].legend(title="split", fontsize="small")
    figure.suptitle("Composition of the published rows")
    figure.tight_layout()
    return figure


def funnel_figure(stats: dict[str, Any]) -> Figure:
    """Rows remaining after each step, from rows in to rows published."""
    steps = funnel(stats)
    labels = [step for step, _ in steps]
    rows = np.array([n for _, n in steps], dtype=float)
    figure = Figure(figsize=FIGURE_SIZE, dpi=DPI)
    axes = figure.add_subplot()
    bars = axes.barh(labels, rows, color="#4c72b0")
    axes.bar_label(bars, labels=[str(int(n)) for n in rows], padding=3)
    axes.invert_yaxis()
    axes.set_xlim(0, max(rows.max(), 1) * 1.15)
    axes.set_xlabel("rows")
    axes.set_title("Filter funnel: rows remaining after each step")
    figure.tight_layout()
    return figure


def _value_counts(column: pa.ChunkedArray) -> dict[str, int]:
    counted = pc.value_counts(column)
    return dict(
        zip(counted.field("values").to_pylist(), counted.field("counts").to_pylist(), strict=True)
    )


def _save(figure: Figure, path: Path) -> None:
    FigureCanvasAgg(figure)
    figure.savefig(path, format="png", metadata={"Software": None})
