"""PII detection and redaction: every entity type, every action, and no leaks to logs."""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import socket
from itertools import pairwise
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from filters.pii import (
    SUPPORTED_ENTITIES,
    PiiConfig,
    PiiDetector,
    apply_pii,
    build_detector,
    redact_texts,
)
from filters.pii import detector as detector_module
from filters.pii.detector import NER_PIECE_CHARS, _split
from filters.pii.names import given_names
from filters.pii.ner_gate import needs_ner, ner_sentences
from filters.pii.spans import PiiSpan, resolve_overlaps

REPO = Path(__file__).resolve().parent.parent
SALT = "dataset-salt"
PEM = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n"
    "KUpRKfFLfRYC9AIKjbJTWit+CqvjWYzvQwECAwEAAQJAIJLixBy2qpFoS4DSmoEm\n"
    "-----END RSA PRIVATE KEY-----"
)
# (text, entity type, planted value): one or more cases per supported entity type.
CASES = [
    ("Write to maria.lopez@example.org for details.", "EMAIL_ADDRESS", "maria.lopez@example.org"),
    ("Call me on +44 20 7946 0958 tomorrow.", "PHONE_NUMBER", "+44 20 7946 0958"),
    ("Phone: 0490 75 40 81", "PHONE_NUMBER", "0490 75 40 81"),
    ("Fax: 9498777106", "PHONE_NUMBER", "9498777106"),
    ("Paid with card 4111 1111 1111 1111 yesterday.", "CREDIT_CARD", "4111 1111 1111 1111"),
    ("My card number 2623322164608847 expired.", "CREDIT_CARD", "2623322164608847"),
    ("Transfer to GB82WEST12345698765432 please.", "IBAN_CODE", "GB82WEST12345698765432"),
    ("The server at 192.168.10.54 is down.", "IP_ADDRESS", "192.168.10.54"),
    ("Reach 2001:db8:85a3::8a2e:370:7334 over v6.", "IP_ADDRESS", "2001:db8:85a3::8a2e:370:7334"),
    ("His SSN is 536-22-8726, keep it safe.", "US_SSN", "536-22-8726"),
    ("Yesterday Angela Merkel met the press.", "PERSON", "Angela Merkel"),
    ("Maureen Thibault\n\nStaff accountant", "PERSON", "Maureen Thibault"),
    ("follow up with patricia desrosiers next week", "PERSON", "patricia desrosiers"),
    ("Please ship it to 221 Baker Street, London.", "STREET_ADDRESS", "221 Baker Street"),
    ("Meet me at Via Roma 131 after lunch.", "STREET_ADDRESS", "Via Roma 131"),
    ("Use PSC 0413, Box 8144\nAPO AA 42323 as the address.", "STREET_ADDRESS", "APO AA 42323"),
    ("She moved from Germany to Canada last year.", "LOCATION", "Canada"),
    ("export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", "CLOUD_KEY", "AKIAIOSFODNN7EXAMPLE"),
    (
        "token ghp_16C7e42F292c6912E7710c838347Ae178B4a used in CI",
        "GITHUB_TOKEN",
        "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
    ),
    (
        "Authorization: Bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0",
        "API_KEY",
        "9f8e7d6c5b4a39281706f5e4d3c2b1a0",
    ),
    (f"key file:\n{PEM}\n", "PRIVATE_KEY", PEM),
]


@pytest.fixture(scope="module")
def detector() -> PiiDetector:
    return build_detector(PiiConfig())


def test_cases_cover_every_supported_entity() -> None:
    assert {entity for _, entity, _ in CASES} == set(SUPPORTED_ENTITIES)


@pytest.mark.parametrize(("text", "entity", "value"), CASES, ids=[c[1] for c in CASES])
def test_detects_each_entity_type(detector: PiiDetector, text: str, entity: str, value: str):
    [spans] = detector.detect([text])
    start = text.index(value)
    hits = [s for s in spans if s.start < start + len(value) and start < s.end]
    assert [s.entity_type for s in hits] == [entity], spans
    assert all(0.0 < s.score <= 1.0 for s in hits)


@pytest.mark.parametrize(
    "address",
    [
        "1600 Pennsylvania Avenue NW",
        "Kiannonkatu 98",
        "P.O. Box 149",
        "Unit 4719 Box 7394\nDPO AP 70942",
        "St Georges, QC 54256",
        "Rue Dielhère 130",
        "ul. Północna 73",
        "2407 tawastintie 6",
        "Flat 3\n12 High Street",
    ],
)
def test_street_address_layouts(detector: PiiDetector, address: str) -> None:
    text = f"Please send the parcel to {address} before Friday."
    [spans] = detector.detect([text])
    start = text.index(address)
    covered = [s for s in spans if s.entity_type == "STREET_ADDRESS"]
    assert covered and covered[0].start <= start + 1 and covered[-1].end >= start + len(address) - 1


def test_speaker_labels_need_a_dialogue(detector: PiiDetector) -> None:
    dialogue = "Ubul: What a wife.\nVinka: Remember me?"
    label = "Office: open on weekdays only."
    spans = detector.detect([dialogue, label])
    assert {dialogue[s.start : s.end] for s in spans[0] if s.entity_type == "PERSON"} == {
        "Ubul",
        "Vinka",
    }
    assert not [s for s in spans[1] if s.entity_type == "PERSON"]


def test_name_heading_a_contact_card(detector: PiiDetector) -> None:
    card = "Einojuhani Pyysalo\n\nPhone: +358 40 123 4567\nE-mail: ep@example.fi"
    heading_only = "Quarterly Report\n\nSales grew in every region."
    spans = detector.detect([card, heading_only])
    assert ("Einojuhani Pyysalo", "PERSON") in [
        (card[s.start : s.end], s.entity_type) for s in spans[0]
    ]
    assert not [s for s in spans[1] if s.entity_type == "PERSON"]


def test_numbers_that_are_not_phones(detector: PiiDetector) -> None:
    texts = [
        "Logged at 2003-08-28 12:13:52 by the system.",
        "The survey ran from 1990-2000 in three waves.",
        "Version 10.2.3.4 fixed it.",
        "commit 3f9a1c2e7b5d4f6a8c0e1b2d3f4a5c6e7b8d9f0a merged",
        "run 123e4567-e89b-12d3-a456-426614174000 finished",
    ]
    found = {s.entity_type for spans in detector.detect(texts) for s in spans}
    assert not found & {"PHONE_NUMBER", "CREDIT_CARD", "API_KEY", "CLOUD_KEY"}


def test_long_text_is_analysed_in_pieces(detector: PiiDetector) -> None:
    filler = "the quiet river runs past the old mill and on to the sea\n" * 800
    text = filler + "Yesterday Angela Merkel met the press."
    assert len(text) > 2 * NER_PIECE_CHARS
    pieces = list(_split(text))
    assert "".join(piece for _, piece in pieces) == text
    assert all(len(piece) <= NER_PIECE_CHARS for _, piece in pieces)
    [spans] = detector.detect([text])
    assert [(text[s.start : s.end], s.entity_type) for s in spans] == [("Angela Merkel", "PERSON")]


def test_plain_prose_has_no_pii(detector: PiiDetector) -> None:
    texts = [
        "The weather was nice and the meeting went well.",
        "We shipped version 2.4 of the library with 15 bug fixes in 2023.",
        "Add 3 cups of flour and bake for 45 minutes.",
    ]
    assert detector.detect(texts) == [[], [], []]


def test_invalid_checksums_are_not_reported(detector: PiiDetector) -> None:
    texts = ["card 4111 1111 1111 1112 failed", "iban GB82WEST12345698765431 bounced"]
    types = {s.entity_type for spans in detector.detect(texts) for s in spans}
    assert not types & {"CREDIT_CARD", "IBAN_CODE"}


def test_spans_do_not_overlap(detector: PiiDetector) -> None:
    text = "Mr. John Smith, john.smith@example.com, lives at 14 Crown Street, Suite 5, Leeds."
    [spans] = detector.detect([text])
    assert all(a.end <= b.start for a, b in pairwise(spans))
    assert {"PERSON", "EMAIL_ADDRESS", "STREET_ADDRESS"} <= {s.entity_type for s in spans}


def _table(texts: list[str | None]) -> pa.Table:
    return pa.table(
        {
            "id": [f"r{i}" for i in range(len(texts))],
            "text": pa.array(texts, type=pa.string()),
            "source": ["t.csv:1"] * len(texts),
        }
    )


def test_redact_action_uses_typed_placeholders(detector: PiiDetector) -> None:
    text = "Mail maria.lopez@example.org or call +44 20 7946 0958."
    [out] = redact_texts([text], PiiConfig(), detector=detector)
    assert out == "Mail <EMAIL_ADDRESS> or call <PHONE_NUMBER>."


def test_mask_action_keeps_shape_and_hides_characters(detector: PiiDetector) -> None:
    text = "Call me on +44 20 7946 0958 tomorrow."
    [out] = redact_texts([text], PiiConfig(action="mask"), detector=detector)
    assert out == "Call me on +** ** **** **** tomorrow."


def test_hash_action_is_salted_and_consistent(detector: PiiDetector) -> None:
    texts = ["Mail maria.lopez@example.org now", "Reply to MARIA.LOPEZ@example.org", "a@b.com hi"]
    config = PiiConfig(action="hash")
    first = redact_texts(texts, config, detector=detector, salt=SALT)
    again = redact_texts(texts, config, detector=detector, salt=SALT)
    other_salt = redact_texts(texts, config, detector=detector, salt="another")
    token = first[0].split()[1]
    assert token.startswith("<EMAIL_ADDRESS:") and len(token) == len("<EMAIL_ADDRESS:>") + 16
    assert first == again
    assert first[1].split()[2] == token  # same address, other case: joins still work
    assert first[2].split()[0] != token
    assert other_salt[0].split()[1] != token


def test_hash_salt_from_environment(detector: PiiDetector, monkeypatch) -> None:
    config = PiiConfig(action="hash", salt_env="TEST_PII_SALT")
    monkeypatch.setenv("TEST_PII_SALT", SALT)
    from_env = redact_texts(["a@b.com"], config, detector=detector)
    explicit = redact_texts(["a@b.com"], config, detector=detector, salt=SALT)
    assert from_env == explicit


def test_hash_without_salt_is_refused(detector: PiiDetector, monkeypatch) -> None:
    monkeypatch.delenv("CURATE_PII_SALT", raising=False)
    with pytest.raises(ValueError, match="salt"):
        redact_texts(["a@b.com"], PiiConfig(actions={"EMAIL_ADDRESS": "hash"}), detector=detector)


def test_drop_row_and_per_entity_actions(detector: PiiDetector) -> None:
    texts = [
        "My SSN is 536-22-8726 and email maria.lopez@example.org",
        "Call +44 20 7946 0958 or mail maria.lopez@example.org",
        "Nothing personal here.",
        None,
    ]
    config = PiiConfig(
        actions={"US_SSN": "drop_row", "PHONE_NUMBER": "mask", "EMAIL_ADDRESS": "hash"}
    )
    result = apply_pii(_table(texts), config, detector=detector, salt=SALT)

    assert result.kept.num_rows + result.removed.num_rows == len(texts)
    assert result.kept.column("id").to_pylist() == ["r1", "r2", "r3"]
    kept_texts = result.kept.column("text").to_pylist()
    assert kept_texts[0].startswith("Call +** ** **** **** or mail <EMAIL_ADDRESS:")
    assert kept_texts[1:] == ["Nothing personal here.", None]
    assert result.removed.column("reason").to_pylist() == ["pii:US_SSN"]
    assert result.removed.column("detail").to_pylist() == ["contains US_SSN"]
    removed_text = result.removed.column("text").to_pylist()[0]
    assert "536-22-8726" not in removed_text and "<US_SSN>" in removed_text
    assert result.stats == {
        "entities": {"EMAIL_ADDRESS": 2, "PHONE_NUMBER": 1, "US_SSN": 1},
        "rows_with_pii": 2,
        "rows_dropped": 1,
    }
    assert result.kept.schema == _table(texts).schema


def test_large_string_text_column_keeps_its_type(detector: PiiDetector) -> None:
    table = _table(["mail a@b.com", "hello"]).cast(
        pa.schema([("id", pa.string()), ("text", pa.large_string()), ("source", pa.string())])
    )
    result = apply_pii(table, PiiConfig(), detector=detector)
    assert result.kept.schema.field("text").type == pa.large_string()
    assert result.kept.column("text").to_pylist() == ["mail <EMAIL_ADDRESS>", "hello"]


def test_no_planted_value_reaches_logs_stats_or_details(detector, caplog, capsys) -> None:
    planted = [value for _, _, value in CASES]
    texts = [text for text, _, _ in CASES]
    config = PiiConfig(actions={"US_SSN": "drop_row", "PRIVATE_KEY": "drop_row"})
    with caplog.at_level(logging.DEBUG):
        result = apply_pii(_table(texts), config, detector=detector, salt=SALT)
        scrubbed = redact_texts(texts, PiiConfig(action="mask"), detector=detector)
    captured = capsys.readouterr()
    artifacts = [
        caplog.text,
        captured.out,
        captured.err,
        json.dumps(result.stats),
        *result.removed.column("detail").to_pylist(),
        *result.removed.column("text").to_pylist(),
        *result.kept.column("text").to_pylist(),
        *scrubbed,
    ]
    assert result.removed.num_rows == 2
    for value in planted:
        leaks = [a for a in artifacts if value in a]
        assert not leaks, f"a planted {value[:3]}... value leaked"
    assert "pii:" in caplog.text  # the stage did log, just not values


def test_entities_subset_skips_ner(monkeypatch) -> None:
    config = PiiConfig(entities=["EMAIL_ADDRESS"])
    small = build_detector(config)
    assert small._nlp is None
    [spans] = small.detect(["Angela Merkel: a@b.com, +44 20 7946 0958"])
    assert [s.entity_type for s in spans] == ["EMAIL_ADDRESS"]


def test_unknown_entity_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown entity types"):
        PiiConfig(entities=["EMAIL", "PERSON"])
    with pytest.raises(ValueError, match="extra"):
        PiiConfig(scrub=True)


def test_tldextract_uses_bundled_snapshot_without_network(detector, monkeypatch) -> None:
    import tldextract

    def no_network(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    assert tldextract.extract("mail.example.co.uk").suffix == "co.uk"
    [spans] = detector.detect(["write to someone@example.co.uk"])
    assert [s.entity_type for s in spans] == ["EMAIL_ADDRESS"]


@given(
    st.lists(
        st.tuples(st.integers(0, 60), st.integers(1, 20), st.sampled_from(SUPPORTED_ENTITIES)),
        max_size=25,
    ),
    st.lists(st.floats(0.0, 1.0), min_size=25, max_size=25),
)
def test_resolve_overlaps_keeps_every_flagged_character_once(raw, scores) -> None:
    text = "ab cd-ef gh " * 8
    spans = [
        PiiSpan(start, min(start + length, len(text)), entity, score)
        for (start, length, entity), score in zip(raw, scores, strict=False)
    ]
    resolved = resolve_overlaps(text, spans)
    assert all(a.end <= b.start for a, b in pairwise(resolved))
    flagged = {i for s in spans for i in range(s.start, s.end) if text[i].isalnum()}
    kept = {i for s in resolved for i in range(s.start, s.end)}
    assert flagged <= kept <= {i for s in spans for i in range(s.start, s.end)}


def _demo_texts() -> list[str]:
    """Review and post bodies of the bundled sample corpus (malformed rows skipped)."""
    data = REPO / "examples" / "data"
    csv.field_size_limit(1 << 24)  # the corpus plants an oversized row
    raw = (data / "reviews.csv").read_bytes().decode("utf-8", errors="replace")
    texts = [row["review"] for row in csv.DictReader(io.StringIO(raw)) if row.get("review")]
    for line in (data / "posts.jsonl").read_bytes().splitlines():
        try:
            texts.append(json.loads(line)["body"])
        except (ValueError, KeyError, TypeError):
            continue
    return [text for text in texts if isinstance(text, str) and len(text) < 10_000]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Slugs ate every seedling overnight. The beans reached the top.", False),
        ("I think I'm right, and I've said so.", False),
        ("BE GENTLE WITH THE FLOUR", False),
        ('"Teaching" is fun. - Apples\n- Pears', False),
        ("Yesterday Angela Merkel met the press.", True),  # capitals inside a sentence
        ("Estonia is cold in winter.", True),  # not a common word
        ("Kowalski called back.", True),
        ("David called back.", True),  # a given name
        ("China is big. Baker called.", True),  # dictionary words that are also names
        ("Dr. Baker called.", True),  # a title does not end the sentence
        ("follow up with patricia desrosiers", True),  # no capitals: spaCy reads the words
        ("Ask McDonald or the USA team.", True),
        ("", False),
    ],
)
def test_ner_gate(text: str, expected: bool) -> None:
    assert needs_ner(text) is expected


def test_ner_sentences_send_only_sentences_with_a_possible_name() -> None:
    text = "Slugs ate every seedling. Dr. Baker said so! The beans grew. Ask Janka M. Szász."
    pieces = ner_sentences(text)
    assert [piece for _, piece in pieces] == ["Dr. Baker said so! ", "Ask Janka M. Szász."]
    assert all(text[offset : offset + len(piece)] == piece for offset, piece in pieces)
    assert ner_sentences("Slugs ate every seedling. The beans grew.") == []


def test_texts_the_gate_skips_hold_no_spacy_person_or_place(detector: PiiDetector) -> None:
    """spaCy finds no person or place in the sample-corpus texts the gate keeps from it."""
    texts = _demo_texts()
    skipped = [text for text in texts if not needs_ner(text)]
    assert len(skipped) > len(texts) / 2  # the gate does skip most plain reviews and posts
    names = given_names()
    found = [
        (ent.text, ent.label_)
        for doc in detector._nlp.pipe(skipped)
        for ent in doc.ents
        if ent.label_ in {"PERSON", "GPE", "LOC", "FAC"}
        or (ent.label_ in {"ORG", "NORP"} and ent.text.split()[0].lower() in names)
    ]
    assert not found


def test_gate_leaves_detection_unchanged(detector: PiiDetector, monkeypatch) -> None:
    """Running spaCy on the gated sentences only gives the spans running it on every whole text
    gives."""
    texts = [text for text, _, _ in CASES] + _demo_texts()
    gated = detector.detect(texts)
    monkeypatch.setattr(detector_module, "ner_sentences", lambda text: [(0, text)])
    assert detector.detect(texts) == gated
