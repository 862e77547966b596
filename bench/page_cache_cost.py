"""What it costs these machines to write a file into memory the kernel has not used recently.

Writes --mb of data to a new file three times, deleting it in between, and records the wall
and system CPU seconds of each write (no fsync: the data only has to reach the page cache).
On a virtual machine whose balloon driver reports free pages to the host, the first write has
to fault in fresh host memory for every page, and later writes reuse the pages just freed; on
bare metal all three cost the same. This is the cost any loader pays for the cache files it
writes (ours writes ~1.2 GB per GB of CSV) and a read that discards its batches does not.

    .venv/bin/python bench/page_cache_cost.py [--mb 1024]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CHUNK = 8 << 20


def timed_write(path: Path, total: int) -> dict[str, float]:
    chunk = os.urandom(1 << 20) * (CHUNK >> 20)
    before, start = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    with path.open("wb", buffering=0) as handle:
        for _ in range(total // CHUNK):
            handle.write(chunk)
    after = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "seconds": round(time.perf_counter() - start, 2),
        "system_cpu_seconds": round(after.ru_stime - before.ru_stime, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=1024)
    parser.add_argument("--dir", type=Path, default=REPO / ".bench-data")
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    runs = []
    with tempfile.TemporaryDirectory(dir=args.dir) as scratch:
        path = Path(scratch) / "write.bin"
        for _ in range(3):
            runs.append(timed_write(path, args.mb << 20))
            path.unlink()
    figures = {"mb": args.mb}
    for number, run in enumerate(runs, 1):
        figures |= {f"write_{number}_{name}": value for name, value in run.items()}
    result = {
        "title": f"Writing {args.mb:,} MB into the page cache, three times",
        "command": f".venv/bin/python bench/page_cache_cost.py --mb {args.mb}",
        "figures": figures,
        "notes": (
            "Each write creates a new file, writes it in 8 MB chunks without fsync and deletes "
            "it. A first write far slower than the later ones means fresh memory is expensive "
            "on this machine (virtio balloon free page reporting)."
        ),
    }
    out = REPO / "bench" / "results" / "page_cache_cost.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
