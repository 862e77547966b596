"""The bundled sample corpus agrees with planted.json, and the generator reproduces it exactly."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import trafilatura
from profanity_check import predict_prob

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "examples" / "data"
GENERATOR = REPO / "examples" / "make_corpus.py"
PII_ENTITIES = [
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "CREDIT_CARD",
    "IP_ADDRESS",
    "IBAN_CODE",
    "US_SSN",
    "PERSON",
]
NON_ENGLISH = {"fr", "de", "es", "it", "pt", "nl"}


@pytest.fixture(scope="module")
def planted() -> dict:
    return json.loads((DATA / "planted.json").read_text())


@pytest.fixture(scope="module")
def lines() -> dict[str, list[bytes]]:
    """Physical lines of the row files, 1-based (index 0 is a placeholder)."""
    result = {}
    for name in ("reviews.csv", "posts.jsonl"):
        raw = (DATA / name).read_bytes()
        assert raw.endswith(b"\n")
        result[name] = [b"", *raw[:-1].split(b"\n")]
    return result


@pytest.fixture(scope="module")
def texts(lines) -> dict[str, str]:
    """key -> text for every row that decodes and parses; malformed rows are skipped."""
    csv.field_size_limit(1 << 24)
    result = {}
    for raw in lines["reviews.csv"][2:]:
        try:
            record = next(csv.reader([raw.decode("utf-8")], strict=True))
        except (UnicodeDecodeError, csv.Error):
            continue
        if len(record) == 5:
            result[record[0]] = record[3]
    for raw in lines["posts.jsonl"][1:]:
        try:
            post = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            continue
        result[post["post_id"]] = post["body"]
    return result


def cases_of(planted: dict, category: str) -> list[dict]:
    return [c for c in planted["cases"] if c["category"] == category]


def planted_keys(planted: dict) -> set[str]:
    return {c["key"] for c in planted["cases"] if c["key"]}


def normalize(text: str) -> str:
    return " ".join(text.lower().split())


def shingle_jaccard(a: str, b: str, size: int = 3) -> float:
    def grams(text: str) -> set[tuple[str, ...]]:
        tokens = re.findall(r"[a-z0-9']+", text.lower())
        return {tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1)}

    ga, gb = grams(a), grams(b)
    return len(ga & gb) / len(ga | gb)


def test_file_sizes(lines):
    assert len(lines["reviews.csv"]) - 2 >= 320  # minus placeholder and header
    assert lines["reviews.csv"][1] == b"review_id,product,rating,review,author"
    assert len(lines["posts.jsonl"]) - 1 >= 320
    assert len(list((DATA / "pages").glob("page-*.html"))) >= 20


def test_every_row_has_a_unique_sequential_key(lines):
    review_keys = [raw.split(b",", 1)[0].decode() for raw in lines["reviews.csv"][2:]]
    assert review_keys == [f"r{i:04d}" for i in range(1, len(review_keys) + 1)]
    post_keys = [re.search(rb"post_id['\"]: ['\"](p\d+)", raw) for raw in lines["posts.jsonl"][1:]]
    assert [m.group(1).decode() for m in post_keys if m] == [
        f"p{i:04d}" for i in range(1, len(post_keys) + 1)
    ]


def test_each_case_points_at_its_own_line(planted, lines):
    seen = set()
    for case in planted["cases"]:
        if case["file"].startswith("pages/"):
            assert case["key"] is None
            continue
        raw = lines[case["file"]][case["line"]]
        assert case["key"].encode() in raw[:40], case
        assert case["key"] not in seen, "one planted category per row"
        seen.add(case["key"])


def test_counts_agree_with_cases_and_meet_the_minimums(planted):
    counted = Counter(c["category"] for c in planted["cases"])
    assert {k: v for k, v in planted["counts"].items() if v} == dict(counted)
    minimums = {
        "exact_duplicate": 6,
        "normalized_duplicate": 2,
        "near_duplicate": 8,
        "toxic": 10,
        "identity_neutral": 12,
        "non_english": 6,
        "search_target": 3,
        "bad_quoting": 2,
        "field_count": 1,
        "invalid_utf8": 3,
        "invalid_json": 2,
        "empty_text": 3,
        "oversize_text": 1,
    }
    for category, minimum in minimums.items():
        assert counted[category] >= minimum, category


def test_malformed_rows_sit_in_the_files_the_task_names(planted):
    where = Counter((c["category"], c["file"]) for c in planted["cases"])
    assert where["invalid_utf8", "reviews.csv"] == 2 and where["invalid_utf8", "posts.jsonl"] == 1
    assert where["empty_text", "reviews.csv"] == 2 and where["empty_text", "posts.jsonl"] == 1
    assert where["oversize_text", "reviews.csv"] == 1
    assert where["bad_quoting", "reviews.csv"] >= 2 and where["field_count", "reviews.csv"] >= 1
    assert where["invalid_json", "posts.jsonl"] >= 2


def test_exactly_the_planted_lines_are_invalid_utf8(planted, lines):
    expected = {(c["file"], c["line"]) for c in cases_of(planted, "invalid_utf8")}
    found = set()
    for name, file_lines in lines.items():
        for number, raw in enumerate(file_lines[1:], start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                found.add((name, number))
    assert found == expected


def test_exactly_the_planted_lines_are_invalid_json(planted, lines):
    expected = {c["line"] for c in cases_of(planted, "invalid_json")}
    found = set()
    for number, raw in enumerate(lines["posts.jsonl"][1:], start=1):
        try:
            json.loads(raw.decode("utf-8", errors="replace"))
        except json.JSONDecodeError:
            found.add(number)
    assert found == expected


def test_bad_quoting_fails_strict_csv_but_stays_on_one_line(planted, lines):
    for case in cases_of(planted, "bad_quoting"):
        line = lines["reviews.csv"][case["line"]].decode("utf-8")
        with pytest.raises(csv.Error):
            next(csv.reader([line], strict=True))
    csv.field_size_limit(1 << 24)
    whole = (DATA / "reviews.csv").read_bytes().decode("utf-8", errors="replace")
    records = list(csv.reader(whole.splitlines(keepends=True)))
    assert len(records) == len(lines["reviews.csv"]) - 1  # nothing swallows the next line
    assert [r[0] for r in records[1:]] == [f"r{i:04d}" for i in range(1, len(records))]


def test_exactly_the_planted_rows_have_the_wrong_field_count(planted, lines):
    expected = {c["line"] for c in cases_of(planted, "field_count")}
    csv.field_size_limit(1 << 24)
    found = set()
    for number, raw in enumerate(lines["reviews.csv"][1:], start=1):
        record = next(csv.reader([raw.decode("utf-8", errors="replace")]))
        if len(record) != 5:
            found.add(number)
    assert found == expected


def test_empty_and_oversize_texts(planted, texts):
    empty = cases_of(planted, "empty_text")
    assert all(texts[c["key"]].strip() == "" for c in empty)
    [oversize] = cases_of(planted, "oversize_text")
    assert len(texts[oversize["key"]]) >= 1_048_576
    others = set(texts) - {c["key"] for c in empty} - {oversize["key"]}
    assert all(texts[key].strip() and len(texts[key]) < 2000 for key in others)


def test_well_formed_texts_have_the_promised_lengths(planted, texts):
    malformed = {
        c["key"] for c in planted["cases"] if c["category"] in ("empty_text", "oversize_text")
    }
    for key, text in texts.items():
        if key not in malformed:
            low, high = (8, 60) if key.startswith("r") else (10, 80)
            assert low <= len(text.split()) <= high, key


def test_duplicates_match_their_originals(planted, texts, lines):
    for case in cases_of(planted, "exact_duplicate"):
        assert texts[case["key"]] == texts[case["duplicate_of_key"]], case
    for case in cases_of(planted, "normalized_duplicate"):
        duplicate, original = texts[case["key"]], texts[case["duplicate_of_key"]]
        assert duplicate != original and normalize(duplicate) == normalize(original), case
    for case in cases_of(planted, "exact_duplicate") + cases_of(planted, "normalized_duplicate"):
        if case["duplicate_of_file"] == case["file"]:
            assert int(case["duplicate_of_key"][1:]) < int(case["key"][1:])
    exact = cases_of(planted, "exact_duplicate")
    assert {"reviews.csv", "posts.jsonl"} <= {
        c["file"] for c in exact if c["duplicate_of_file"] == c["file"]
    }
    assert any(c["duplicate_of_file"] != c["file"] for c in exact)


def test_near_duplicates_are_light_edits_in_two_similarity_bands(planted, texts):
    scores = []
    for case in cases_of(planted, "near_duplicate"):
        duplicate, original = texts[case["key"]], texts[case["duplicate_of_key"]]
        assert len(original.split()) >= 30 and normalize(duplicate) != normalize(original)
        score = shingle_jaccard(duplicate, original)
        assert score == pytest.approx(case["jaccard"], abs=1e-3)
        scores.append(score)
    assert sum(s > 0.8 for s in scores) >= 4
    assert sum(0.6 <= s <= 0.8 for s in scores) >= 4
    assert min(scores) >= 0.6 and max(scores) < 1


def test_only_planted_rows_repeat_text(planted, texts):
    duplicates = {c["key"] for c in planted["cases"] if c["category"].endswith("_duplicate")} | {
        c["key"] for c in cases_of(planted, "empty_text")
    }
    first_seen: dict[str, str] = {}
    for key in sorted(texts, key=lambda k: (k[0] == "p", k)):  # reviews are read first
        norm = normalize(texts[key])
        if norm in first_seen:
            assert key in duplicates, (key, first_seen[norm])
        first_seen.setdefault(norm, key)


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char) * (2 if position % 2 else 1)
        total += digit - 9 if digit > 9 else digit
    return total % 10 == 0


def iban_valid(iban: str) -> bool:
    compact = iban.replace(" ", "")
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


def test_pii_values_occur_in_their_rows_and_are_well_formed(planted, texts, lines):
    cases = cases_of(planted, "pii")
    for case in cases:
        if case["key"]:
            assert case["value"] in texts[case["key"]], case
        else:
            page_line = (DATA / case["file"]).read_text().split("\n")[case["line"] - 1]
            assert case["value"] in page_line and "<p>" in page_line, case
        digits = re.sub(r"\D", "", case["value"])
        if case["entity"] == "CREDIT_CARD":
            assert len(digits) == 16 and luhn_valid(digits)
        if case["entity"] == "IBAN_CODE":
            assert iban_valid(case["value"])
        if case["entity"] == "US_SSN":
            area = digits[:3]
            assert re.fullmatch(r"\d{3}-\d{2}-\d{4}", case["value"])
            assert area not in ("000", "666") and not area.startswith("9")
    in_rows = Counter(c["entity"] for c in cases if c["key"])
    assert all(in_rows[entity] >= 2 for entity in PII_ENTITIES), in_rows
    assert 1 <= sum(c["key"] is None for c in cases) <= 2
    ips = [c["value"] for c in cases if c["entity"] == "IP_ADDRESS"]
    assert any(":" in ip for ip in ips) and any(re.fullmatch(r"[\d.]+", ip) for ip in ips)


def test_toxic_rows_score_high_and_everything_else_low(planted, texts):
    toxic = {c["key"] for c in cases_of(planted, "toxic")}
    keys = [k for k in texts if texts[k].strip() and len(texts[k]) < 2000]
    scores = dict(zip(keys, predict_prob([texts[k] for k in keys]), strict=True))
    assert all(scores[k] > 0.9 for k in toxic)
    others = [scores[k] for k in keys if k not in toxic]
    assert max(others) < 0.5
    neutral = [c["key"] for c in cases_of(planted, "identity_neutral")]
    assert len(neutral) >= 12 and all(scores[k] < 0.5 for k in neutral)


def test_non_english_rows(planted, texts, lines):
    cases = cases_of(planted, "non_english")
    assert {c["lang"] for c in cases} >= NON_ENGLISH
    for case in cases:
        assert len(texts[case["key"]].split()) >= 12
        if case["file"] == "posts.jsonl":
            assert json.loads(lines["posts.jsonl"][case["line"]])["lang"] == case["lang"]
    non_english_posts = set()
    for number, raw in enumerate(lines["posts.jsonl"][1:], start=1):
        try:
            if json.loads(raw.decode("utf-8"))["lang"] != "en":
                non_english_posts.add(number)
        except (UnicodeDecodeError, json.JSONDecodeError):
            continue
    assert non_english_posts == {c["line"] for c in cases if c["file"] == "posts.jsonl"}


def test_search_queries_paraphrase_their_targets(planted, texts):
    stop = {"a", "an", "the", "of", "in", "from", "while", "it", "and", "to", "after"}
    assert len(planted["search"]) >= 3
    for entry in planted["search"]:
        assert entry["key"] and entry["text"] in texts[entry["key"]]
        query_words = set(re.findall(r"[a-z]+", entry["query"].lower())) - stop
        target_words = set(re.findall(r"[a-z]+", entry["text"].lower())) - stop
        assert len(query_words & target_words) <= 1, entry
    assert {e["key"] for e in planted["search"]} == {
        c["key"] for c in cases_of(planted, "search_target")
    }


def test_pages_are_full_documents_whose_article_trafilatura_extracts():
    pages = sorted((DATA / "pages").glob("page-*.html"))
    for page in pages:
        html = page.read_text()
        assert re.search(r'<html lang="en">', html)
        assert re.search(
            r'<link rel="canonical" href="https://example\.org/articles/[a-z-]+">', html
        )
        assert re.search(r'<meta name="date" content="2026-\d\d-\d\d">', html)
        for part in ("<title>", "<nav", 'id="cookie-banner"', "<aside", "<footer", "<h1>"):
            assert part in html, (page.name, part)
        article = re.search(r"<article>(.*)</article>", html, re.S).group(1)
        paragraphs = re.findall(r"^    <p>(.*)</p>$", article, re.M)
        assert 3 <= len(paragraphs) <= 6
        assert 120 <= sum(len(p.split()) for p in paragraphs) <= 400
        extracted = trafilatura.extract(html)
        assert all(p in extracted for p in paragraphs), page.name
        assert "cookie" not in extracted and "Related articles" not in extracted


def test_generator_reproduces_the_files_byte_for_byte(tmp_path):
    subprocess.run([sys.executable, str(GENERATOR), "--out", str(tmp_path)], check=True)
    committed = sorted(p.relative_to(DATA) for p in DATA.rglob("*") if p.is_file())
    regenerated = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert regenerated == committed
    for relative in committed:
        assert (tmp_path / relative).read_bytes() == (DATA / relative).read_bytes(), relative
