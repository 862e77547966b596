"""Main-text extraction quality: token F1 of the web loader's text against a gold main text.

Default input: pages built here from six hand-written articles, each wrapped in four layouts
with realistic boilerplate (navigation, breadcrumbs, cookie banner, sidebar, related links,
share buttons, comments, newsletter box, footer), 24 pages in all. They show whether the
boilerplate is dropped and the article kept; they are small and synthetic, so they are not a
substitute for a public benchmark.

`--dir DIR` scores a directory instead, in either layout:
- ScrapingHub article-extraction-benchmark: `DIR/ground-truth.json` ({id: {"articleBody": ...}})
  and `DIR/html/<id>.html.gz`;
- pairs `DIR/<name>.html` and `DIR/<name>.txt` (gold main text).

Token F1 follows that benchmark: bags of lower-cased word tokens, precision and recall of their
overlap, F1 per page, then averaged over pages.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ARTICLES = {
    "ferry": (
        "Evening ferry crossings return to the river",
        [
            "The river ferry will add two evening crossings from Monday, the transport "
            "authority said, after a year in which commuters complained about the long gap "
            "between the last afternoon boat and the first night bus.",
            "The new departures leave the north pier at 19:10 and 20:40 and call at the "
            "market landing before reaching the old customs quay twenty minutes later.",
            "Fares are unchanged. Season tickets bought before the change remain valid, and "
            "bicycles travel free outside the morning peak, as they have since the spring.",
            "Crew numbers will rise from eleven to fourteen so that the extra sailings do not "
            "cut into maintenance time on the two older vessels.",
        ],
    ),
    "kettle": (
        "Review: a sturdy stovetop kettle that whistles on time",
        [
            "After three months of daily use, this stainless kettle still looks new. The "
            "handle stays cool, the lid seals well and the whistle is loud enough to hear "
            "from the next room without being shrill.",
            "It boils a litre of water on a medium gas ring in a little under six minutes, "
            "which is about average for its size. On induction it is noticeably quicker.",
            "The spout pours cleanly but drips if you tilt it back too fast. Limescale comes "
            "off with a vinegar rinse, and the base has not discoloured.",
            "At its price it is good value. We would buy it again, though a wider opening "
            "would make it easier to clean by hand.",
        ],
    ),
    "oaks": (
        "Volunteers plant four hundred oaks along the canal",
        [
            "More than sixty volunteers spent Saturday planting oak saplings along a two "
            "kilometre stretch of the old canal towpath, replacing trees lost to disease.",
            "The saplings were grown from acorns collected in the same valley, which the "
            "conservation trust says gives them a better chance of surviving local droughts.",
            "Each tree was staked and guarded against deer. Schoolchildren from the village "
            "will water them through the first summer as part of a science project.",
            "The trust plans a second planting in November and is asking landowners along "
            "the upper canal to offer space for another two hundred trees.",
        ],
    ),
    "museum": (
        "Harbour museum reopens its sailing gallery",
        [
            "The harbour museum reopened its sailing gallery this week after an eighteen "
            "month restoration that uncovered the original timber roof.",
            "Visitors can now walk beneath a full-size fishing smack suspended from the "
            "beams, and listen to recordings of former crew describing winter voyages.",
            "Curators catalogued more than two thousand objects during the closure, "
            "including logbooks, brass instruments and a rare painted sail.",
            "Entry remains free. The gallery is open daily except Mondays, with guided "
            "tours on Saturday mornings that can be booked at the front desk.",
        ],
    ),
    "bread": (
        "How to keep sourdough starter alive on holiday",
        [
            "A sourdough starter can survive two weeks without feeding if you prepare it. "
            "Feed it a stiff mix of flour and water, let it rise for an hour, then chill it.",
            "In the fridge its yeast slows almost to a stop. Put it in a jar with room to "
            "grow and a loose lid, because pressure can still build over several days.",
            "When you return, discard most of it and feed the rest twice a day for two or "
            "three days. It will smell sharp at first and then recover its usual aroma.",
            "For longer trips, dry a thin layer on baking paper, crumble it and keep the "
            "flakes in a sealed bag. They revive in warm water and flour within a week.",
        ],
    ),
    "library": (
        "Library extends opening hours during exams",
        [
            "The central library will stay open until midnight for the next four weeks to "
            "give students a quiet place to revise during the examination period.",
            "The late hours cover the main reading room and the second floor study area. "
            "The café and the children's section close at the usual time.",
            "Security staff will check library cards after nine in the evening, and the "
            "book return machine will remain available throughout the night.",
            "The council said the extension costs less than one percent of the annual "
            "library budget and will be reviewed after the summer term.",
        ],
    ),
}

NAV = """<nav class="menu"><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li>
<li><a href="/local">Local</a></li><li><a href="/sport">Sport</a></li>
<li><a href="/contact">Contact us</a></li></ul></nav>"""
COOKIES = """<div id="cookie-banner" class="cookie-consent">We use cookies to improve your
experience and to show you relevant adverts. <button>Accept all</button>
<button>Manage preferences</button></div>"""
RELATED = """<aside class="related"><h3>Related stories</h3><ul>
<li><a href="/a">Council approves new bus lanes for the ring road</a></li>
<li><a href="/b">Weekend weather: showers clearing by Sunday afternoon</a></li>
<li><a href="/c">Five walks to try before the clocks go back</a></li></ul></aside>"""
SHARE = """<div class="share">Share this article: <a href="#">Facebook</a>
<a href="#">Twitter</a> <a href="#">Email</a></div>"""
NEWSLETTER = """<div class="newsletter"><h3>Get our free newsletter</h3><p>Sign up for the
morning briefing and never miss a story from your area.</p><input type="email">
<button>Subscribe</button></div>"""
COMMENTS = """<section id="comments" class="comments"><h3>3 comments</h3>
<div class="comment"><b>jo_k</b>: Great news, about time too!</div>
<div class="comment"><b>Mark</b>: Does anyone know if this applies on bank holidays?</div>
<div class="comment"><b>Sam</b>: Thanks for sharing.</div></section>"""
FOOTER = """<footer><p>&copy; 2026 The Valley Gazette. All rights reserved.</p>
<p><a href="/privacy">Privacy policy</a> | <a href="/terms">Terms of use</a> |
<a href="/advertise">Advertise with us</a></p></footer>"""


def page(title: str, paragraphs: list[str], layout: int) -> str:
    body = "".join(f"<p>{p}</p>\n" for p in paragraphs)
    article = f'<article><h1>{title}</h1><p class="byline">By Staff Reporter</p>\n{body}</article>'
    parts = {
        0: [NAV, COOKIES, article, SHARE, RELATED, FOOTER],
        1: [NAV, '<div class="crumbs">Home &gt; News &gt; Local</div>', article, COMMENTS, FOOTER],
        2: [
            COOKIES,
            '<div class="wrap"><main>',
            article,
            NEWSLETTER,
            "</main>",
            RELATED,
            "</div>",
            FOOTER,
        ],
        3: [NAV, f'<div id="content"><h1>{title}</h1>{body}</div>', SHARE, NEWSLETTER, FOOTER],
    }[layout]
    head = f"<head><title>{title} | The Valley Gazette</title></head>"
    return f'<!DOCTYPE html><html lang="en">{head}<body>{"".join(parts)}</body></html>'


def builtin_pages() -> list[tuple[str, str, str]]:
    """(name, html, gold text) for every article in every layout."""
    return [
        (f"{key}-layout{layout}", page(title, paragraphs, layout), "\n".join(paragraphs))
        for key, (title, paragraphs) in ARTICLES.items()
        for layout in range(4)
    ]


def directory_pages(folder: Path) -> list[tuple[str, str, str]]:
    truth = folder / "ground-truth.json"
    if truth.exists():
        gold = json.loads(truth.read_text(encoding="utf-8"))
        pages = []
        for key, item in sorted(gold.items()):
            raw = gzip.decompress((folder / "html" / f"{key}.html.gz").read_bytes())
            pages.append((key, raw.decode("utf-8", "replace"), item.get("articleBody") or ""))
        return pages
    return [
        (
            html.stem,
            html.read_text(encoding="utf-8", errors="replace"),
            html.with_suffix(".txt").read_text(encoding="utf-8"),
        )
        for html in sorted(folder.glob("*.html"))
        if html.with_suffix(".txt").exists()
    ]


def tokens(text: str) -> Counter:
    return Counter(re.findall(r"\w+", text.lower()))


def scores(predicted: str, gold: str) -> tuple[float, float, float]:
    got, want = tokens(predicted), tokens(gold)
    overlap = sum((got & want).values())
    precision = overlap / max(sum(got.values()), 1)
    recall = overlap / max(sum(want.values()), 1)
    f1 = 2 * precision * recall / (precision + recall) if overlap else 0.0
    return precision, recall, f1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dir", type=Path, help="a directory of pages with gold main text")
    args = parser.parse_args()
    from loaders.web import extract_page

    pages = directory_pages(args.dir) if args.dir else builtin_pages()
    results = []
    started = time.perf_counter()
    for name, html, gold in pages:
        fields = extract_page(html)
        results.append((name, *scores(fields["text"] if fields else "", gold)))
    seconds = time.perf_counter() - started
    print(f"{'page':<22} {'precision':>9} {'recall':>7} {'F1':>6}")
    for name, precision, recall, f1 in results:
        print(f"{name:<22} {precision:>9.3f} {recall:>7.3f} {f1:>6.3f}")
    figures = {
        "pages": len(results),
        "mean_precision": round(statistics.mean(r[1] for r in results), 4),
        "mean_recall": round(statistics.mean(r[2] for r in results), 4),
        "mean_f1": round(statistics.mean(r[3] for r in results), 4),
        "median_f1": round(statistics.median(r[3] for r in results), 4),
        "pages_per_s": round(len(results) / seconds, 1),
    }
    print("\n" + "  ".join(f"{k}={v}" for k, v in figures.items()))
    source = str(args.dir) if args.dir else "24 built-in pages (6 articles x 4 layouts)"
    record = {
        "title": f"Main-text extraction token F1 ({source})",
        "command": ".venv/bin/python bench/load_extraction.py"
        + (f" --dir {args.dir}" if args.dir else ""),
        "figures": figures,
        "notes": (
            "Token F1 (bag of lower-cased \\w+ tokens, per page, averaged) of "
            "loaders.web.extract_page (trafilatura) against gold main text. The built-in pages "
            "are synthetic: hand-written articles in four boilerplate layouts; they test "
            "boilerplate removal, not the variety of real sites. No public benchmark (e.g. "
            "ScrapingHub article-extraction-benchmark) is available offline here; run with "
            "--dir on it to get a comparable figure. pages_per_s includes language detection "
            "and is measured on 2 shared cores. On the built-in pages every boilerplate block is "
            "dropped; the only extra tokens are the headline, which the loader keeps at the top "
            "of `text` while the gold body (like ScrapingHub's articleBody) leaves it out."
        ),
    }
    name = "load_extraction" if not args.dir else "load_extraction_dir"
    out = REPO / "bench" / "results" / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
