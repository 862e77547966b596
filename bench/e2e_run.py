"""End-to-end bench: `curate run` on a generated corpus against embedding its texts alone.

The corpus mixes the sources of the demo (CSV reviews, JSONL posts, saved HTML articles) with
the demo's lengths, built from examples/make_corpus.py's templates with a quarter of the words
replaced and a random clause per row so that rows are distinct, and a sprinkling of PII, toxic,
duplicate and malformed rows. Three timed steps, each in its own process:

1. `curate run` from scratch (wall time, peak RSS of the process tree);
2. embedding the published texts alone: `Embedder(recipe.index)` without a cache, model load
   included, over the texts of every published split rendered with the recipe's template;
3. `curate run` again after `--growth` (1%) new rows arrive as a new posts file.

    .venv/bin/python bench/e2e_run.py [--rows 100000] [--growth 0.01] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "e2e_run.json"
sys.path.insert(0, str(REPO / "examples"))

import make_corpus as mc  # noqa: E402

PAGE_SHARE = 0.02
REVIEW_SHARE = 0.49
POSTS_PER_FILE = 10_000
VARIED_WORDS = 0.25
CLAUSE_WORDS = sorted(
    {
        word.strip(".,!?").lower()
        for info in mc.PRODUCTS.values()
        for phrase in info["pros"]
        for word in phrase.split()
    }
)
PII_SENTENCES = [
    "You can reach me at {first}.{last}@example.com if you want details.",
    "Call me on +1 202-555-{num:04d} after six.",
    "My neighbour {First} {Last} recommended it to me.",
]
FIRST = ["maria", "james", "aisha", "chen", "olga", "pedro", "fatima", "liam", "noor", "kenji"]
LAST = ["garcia", "smith", "khan", "wang", "ivanova", "silva", "haddad", "brown", "ali", "sato"]
TOXIC = "You are a fucking idiot and this shit review proves it."


def clause(rng: random.Random) -> str:
    """A random clause that makes each generated row distinct (like real reviews are)."""
    words = rng.sample(CLAUSE_WORDS, rng.randint(8, 14))
    return f"Also worth saying: {' '.join(words)}."


def vary(rng: random.Random, text: str) -> str:
    """Replace about a quarter of the words (keeping capitals and punctuation): the templates
    alone would make most rows near duplicates of each other, unlike a real corpus."""
    words = text.split(" ")
    for i, word in enumerate(words):
        if rng.random() < VARIED_WORDS:
            core = word.rstrip(".,!?:;")
            replacement = rng.choice(CLAUSE_WORDS)
            if core[:1].isupper():
                replacement = replacement.capitalize()
            words[i] = replacement + word[len(core) :]
    return " ".join(words)


def decorate(rng: random.Random, text: str) -> str:
    """The row's varied text plus a clause, and now and then PII or toxicity, as in the demo."""
    sentences = re.split(r"(?<=[.!?]) ", vary(rng, text))
    sentences.insert(rng.randint(0, len(sentences)), clause(rng))
    text = " ".join(sentences)
    roll = rng.random()
    if roll < 0.03:
        first, last = rng.choice(FIRST), rng.choice(LAST)
        sentence = rng.choice(PII_SENTENCES).format(
            first=first, last=last, First=first.title(), Last=last.title(), num=rng.randrange(10000)
        )
        text = f"{text} {sentence}"
    elif roll < 0.04:
        text = f"{text} {TOXIC}"
    return text


def reviews_csv(rng: random.Random, count: int) -> bytes:
    rows = []
    for _ in range(count):
        product, rating, text, _ = mc.make_review(rng)
        text = decorate(rng, text)
        if rng.random() < 0.01 and rows:  # exact duplicate of an earlier review
            text = rows[rng.randrange(len(rows))].text
        row = mc.Row(text=text, fields={"product": product, "rating": str(rating)})
        row.fields["author"] = mc.review_author(rng)
        if rng.random() < 0.001:
            row.raw = b'{key},toaster,2,"unterminated quote,anon'
        rows.append(row)
    mc.assign_keys(rows, "r", 2)
    for row in rows:
        row.key = f"r{row.line:07d}"
    return mc.reviews_bytes(rows)


def posts_jsonl(rng: random.Random, count: int, prefix: str) -> bytes:
    rows = []
    for _ in range(count):
        topic, text, _ = mc.make_post(rng)
        fields = {"lang": "en", "author": mc.post_author(rng), "tags": mc.TOPICS[topic]["tags"]}
        row = mc.Row(text=decorate(rng, text), fields=fields)
        if rng.random() < 0.001:
            row.raw = b'{"post_id": "{key}", "body": "cut off'
        rows.append(row)
    mc.assign_keys(rows, prefix, 1)
    for row in rows:
        row.key = f"{prefix}{row.line:06d}"
    return mc.posts_bytes(rows)


def write_pages(rng: random.Random, directory: Path, count: int) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        topic = mc.PAGE_TOPICS[i % len(mc.PAGE_TOPICS)]
        paragraphs = mc.article_paragraphs(rng, topic, clause(rng))
        date = f"2026-{rng.randint(1, 10):02d}-{rng.randint(1, 28):02d}"
        related = rng.sample([t for t in mc.PAGE_TOPICS if t is not topic], 3)
        html = mc.render_page(topic, paragraphs, date, related)
        (directory / f"page-{i:06d}.html").write_text(html, encoding="utf-8")


def write_posts(rng: random.Random, directory: Path, count: int, part: int) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for start in range(0, count, POSTS_PER_FILE):
        prefix = f"p{part:03d}-"
        size = min(POSTS_PER_FILE, count - start)
        (directory / f"part-{part:03d}.jsonl").write_bytes(posts_jsonl(rng, size, prefix))
        part += 1


def generate(data: Path, rows: int, seed: int) -> None:
    """The corpus: reviews.csv, posts/part-*.jsonl and pages/*.html, `rows` rows in all."""
    rng = random.Random(seed)
    pages = int(rows * PAGE_SHARE)
    reviews = int(rows * REVIEW_SHARE)
    (data / "reviews.csv").parent.mkdir(parents=True, exist_ok=True)
    (data / "reviews.csv").write_bytes(reviews_csv(rng, reviews))
    write_posts(rng, data / "posts", rows - pages - reviews, 0)
    write_pages(rng, data / "pages", pages)


def write_recipe(workdir: Path) -> Path:
    """The demo recipe over the generated corpus, publishing under `workdir`."""
    recipe = (REPO / "recipes" / "demo.yaml").read_text(encoding="utf-8")
    recipe = recipe.replace("../examples/data/posts.jsonl", "data/posts/*.jsonl")
    recipe = recipe.replace("../examples/data/", "data/").replace("../published", "published")
    recipe = recipe.replace("name: demo-corpus", "name: e2e-bench")
    path = workdir / "recipe.yaml"
    path.write_text(recipe, encoding="utf-8")
    return path


def run_measured(
    command: list[str], env: dict[str, str], log: Path, memory_log: Path
) -> dict[str, float]:
    """Wall and CPU seconds and the peak RSS summed over the process tree (polled).

    Every second's sample (wall clock, RSS per process) goes to `memory_log` as JSON lines, so
    a peak can be matched to the stage that the run log shows at that time.
    """
    peak = 0
    start = time.perf_counter()
    with log.open("ab") as out, memory_log.open("w", encoding="utf-8") as samples:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        root = psutil.Process(process.pid)
        done = threading.Event()

        def poll() -> None:
            nonlocal peak
            last_sample = 0.0
            while not done.is_set():
                try:
                    tree = [root, *root.children(recursive=True)]
                    rss = {f"{p.pid} {p.name()}": p.memory_info().rss >> 20 for p in tree}
                except psutil.Error:
                    rss = {}
                peak = max(peak, sum(rss.values()) << 20)
                if rss and time.monotonic() - last_sample >= 1.0:
                    last_sample = time.monotonic()
                    clock = time.strftime("%H:%M:%S")
                    samples.write(json.dumps({"time": clock, "rss_mib": rss}) + "\n")
                done.wait(0.2)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        before = os.times()
        code = process.wait()
        after = os.times()
        done.set()
        poller.join()
    if code != 0:
        raise SystemExit(f"{' '.join(command)} exited {code}; see {log}")
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return {
        "seconds": round(time.perf_counter() - start, 2),
        "cpu_seconds": round(cpu, 2),
        "peak_rss_mib": round(peak / 2**20),
    }


EMBED_ALONE = """
import json, sys, time
start = time.perf_counter()
import pyarrow.parquet as pq
from curate.recipe import load_recipe
from indexes import Embedder
recipe = load_recipe(sys.argv[1])
version = recipe.dataset_dir() / "latest"
tables = [pq.read_table(p) for p in sorted((version / "data").glob("*.parquet"))]
import pyarrow as pa
table = pa.concat_tables(tables, promote_options="default")
loaded = time.perf_counter()
vectors = Embedder(recipe.index).embed(table)
done = time.perf_counter()
print(json.dumps({"rows": table.num_rows, "encode_seconds": round(done - loaded, 2),
                  "with_imports_seconds": round(done - start, 2), "dim": vectors.shape[1]}))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--growth", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="work in this directory and keep it")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args()

    workdir = args.keep or Path(tempfile.mkdtemp(prefix="e2e-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    data = workdir / "data"
    started = time.perf_counter()
    generate(data, args.rows, args.seed)
    generate_s = time.perf_counter() - started
    recipe = write_recipe(workdir)
    env = {
        **os.environ,
        "PREFECT_HOME": str(workdir / "prefect"),
        "HF_HUB_OFFLINE": "1",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
        "PYTHONPATH": str(REPO),
    }
    python = sys.executable
    curate = [python, "-m", "curate.cli", "run", str(recipe)]
    log = workdir / "run.log"
    load_before = os.getloadavg()[0]
    first = run_measured(curate, env, log, workdir / "memory-first.jsonl")
    embed_run = subprocess.run(
        [python, "-c", EMBED_ALONE, str(recipe)], env=env, capture_output=True, text=True
    )
    if embed_run.returncode != 0:
        raise SystemExit(embed_run.stderr)
    embed_alone = json.loads(embed_run.stdout.strip().splitlines()[-1])

    growth_rows = int(args.rows * args.growth)
    write_posts(random.Random(args.seed + 1), data / "posts", growth_rows, 900)
    second = run_measured(curate, env, log, workdir / "memory-second.jsonl")
    load_after = os.getloadavg()[0]

    figures = {
        "rows_generated": args.rows,
        "rows_published": embed_alone["rows"],
        "generate_seconds": round(generate_s, 1),
        "first_run_seconds": first["seconds"],
        "first_run_cpu_seconds": first["cpu_seconds"],
        "first_run_peak_rss_mib": first["peak_rss_mib"],
        "first_run_rows_per_second": round(args.rows / first["seconds"], 1),
        "embed_alone_seconds": embed_alone["encode_seconds"],
        "embed_alone_with_model_load_seconds": embed_alone["with_imports_seconds"],
        "run_over_embed_alone": round(first["seconds"] / embed_alone["with_imports_seconds"], 3),
        "growth_rows": growth_rows,
        "second_run_seconds": second["seconds"],
        "second_run_peak_rss_mib": second["peak_rss_mib"],
        "second_over_first": round(second["seconds"] / first["seconds"], 3),
        "load_avg_before": round(load_before, 2),
        "load_avg_after": round(load_after, 2),
    }
    result = {
        "title": f"End to end: curate run on {args.rows:,} generated rows",
        "command": f".venv/bin/python bench/e2e_run.py --rows {args.rows} --growth {args.growth}",
        "figures": figures,
        "notes": (
            "Corpus: the demo's three source kinds (49% CSV reviews, 49% JSONL posts in "
            f"{POSTS_PER_FILE:,}-row files, 2% saved HTML articles) from the demo generator's "
            "templates with a quarter of the words replaced and a random clause per row, "
            "~3% with PII, ~1% toxic, ~1% exact duplicates, 0.1% malformed. "
            "run_over_embed_alone = first run's wall time / the time to embed the published "
            "texts alone (same model and settings, no cache, model load and imports included), "
            "each in its own process. The second run follows "
            f"{args.growth:.0%} new rows arriving as a new posts file. Peak RSS is polled (0.2 s) "
            "over the run's process tree. Recipe: recipes/demo.yaml with the generated paths."
        ),
    }
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
