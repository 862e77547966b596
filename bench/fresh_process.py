"""Run a bench step in a new interpreter, so its time and peak RSS are its own."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def run_json(code: str, *args: str) -> dict[str, Any]:
    """Run `python -c code args...` at the repository root and return the JSON object its
    last line of output holds."""
    out = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=REPO, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])
