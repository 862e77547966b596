"""Toxicity filter: identity masking, scorers, thresholds, actions, bias audit, calibration."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from filters.toxicity import (
    IDENTITY_TERMS,
    IdentityMasker,
    MaskedScorer,
    ToxicityConfig,
    apply_toxicity,
    calibrate,
    calibrate_scorer,
    load_audit_set,
    load_bare_scorer,
    load_scorer,
    register_scorer,
    registered_scorers,
    run_bias_audit,
)
from filters.toxicity.config import CALIBRATED_MASK_TOKENS, DEFAULT_THRESHOLD

EVAL_FILE = Path(__file__).resolve().parents[2] / "shared/eval/bias_madlibs_77k.csv"


class KeywordScorer:
    """A custom scorer: 0.95 for texts containing "awful", 0.6 for "meh", else 0.1."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def score(self, texts: Sequence[str]) -> np.ndarray:
        self.seen.extend(texts)
        return np.array(
            [0.95 if "awful" in text else 0.6 if "meh" in text else 0.1 for text in texts],
            dtype=np.float32,
        )


def make_table(texts: list[str | None]) -> pa.Table:
    return pa.table(
        {
            "id": [f"row-{index}" for index in range(len(texts))],
            "text": pa.array(texts, type=pa.string()),
            "source": ["test"] * len(texts),
        }
    )


# --- masking ---------------------------------------------------------------------------------


def test_masking_covers_plurals_case_hyphens_multiword_and_possessives() -> None:
    masker = IdentityMasker("person")
    texts = [
        "Muslims and JEWS live here",
        "an African-American woman",
        "the Middle  Aged lesbian's car",
        "Non-binary people and Deaf people",
        "Our Pakistani neighbours, two elderly Sikhs",
    ]
    assert masker.mask(texts).to_pylist() == [
        "person and person live here",
        "an person person",
        "the person person's car",
        "person people and person people",
        "Our person neighbours, two person person",
    ]


def test_masking_leaves_slurs_substrings_and_plain_words_alone() -> None:
    masker = IdentityMasker("")
    texts = ["the manager is the oldest blacksmith", "you faggot", "nice weather today", None]
    assert masker.mask(texts).to_pylist() == texts


def test_extra_identity_terms_are_masked() -> None:
    masker = IdentityMasker("someone", extra_terms=["Wakandan", "hill folk"])
    assert masker.mask(["the Wakandans and the hill-folk"]).to_pylist() == [
        "the someone and the someone"
    ]


def test_find_terms_returns_canonical_lexicon_spelling() -> None:
    masker = IdentityMasker("person")
    found = masker.find_terms(["African-Americans and Muslims", "no group here", ""])
    assert found == [["african american", "muslim"], [], []]


def test_lexicon_covers_every_group_the_issue_names() -> None:
    assert set(IDENTITY_TERMS) == {
        "sexual_orientation",
        "gender_identity",
        "religion",
        "race_ethnicity",
        "nationality",
        "disability",
        "age",
    }
    assert all(len(terms) >= 15 for terms in IDENTITY_TERMS.values())


NON_IDENTITY_WORDS = ["cat", "manager", "oldest", "whitewash", "gayety", "Polished", "it's"]
WORDS = [
    *sorted({term for terms in IDENTITY_TERMS.values() for term in terms}),
    *NON_IDENTITY_WORDS,
]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(WORDS),
            st.sampled_from(["", "s", "es", "'s"]),
            st.sampled_from([str.lower, str.upper, str.title]),
        ),
        max_size=8,
    ),
    st.sampled_from([" ", ", ", " - ", "\n"]),
)
def test_arrow_masking_matches_python_regex(
    words: list[tuple[str, str, object]], separator: str
) -> None:
    """RE2 (Arrow) and Python `re` agree on the pattern, so audits and scoring mask alike."""
    text = separator.join(case(word + suffix) for word, suffix, case in words)
    masker = IdentityMasker("person")
    assert masker.mask([text]).to_pylist() == [re.sub(masker.pattern, "person", text)]
    if not masker.find_terms([text])[0]:
        assert masker.mask([text]).to_pylist() == [text]


# --- scorers and registration ------------------------------------------------------------------


def test_profanity_scorer_masks_identity_terms_before_scoring() -> None:
    texts = ["My neighbour is queer.", "Joe is a fantastic gay homosexual"]
    bare = load_bare_scorer(ToxicityConfig()).score(texts)
    masked = load_scorer(ToxicityConfig()).score(texts)
    assert masked.dtype == np.float32 and masked.shape == (2,)
    assert (masked < DEFAULT_THRESHOLD).all()
    assert (bare > masked).all()
    assert bare[1] >= DEFAULT_THRESHOLD


def test_custom_scorer_registration_gets_masked_text() -> None:
    instances: list[KeywordScorer] = []

    def factory(config: ToxicityConfig) -> KeywordScorer:
        instances.append(KeywordScorer())
        return instances[-1]

    register_scorer("keyword-test", factory)
    assert "keyword-test" in registered_scorers()
    config = ToxicityConfig(scorer="keyword-test", mask_token="someone")
    scorer = load_scorer(config)
    assert isinstance(scorer, MaskedScorer)
    scores = scorer.score(["Gay people are awful", "meh Muslims"])
    assert scores.tolist() == pytest.approx([0.95, 0.6])
    assert instances[0].seen == ["someone people are awful", "meh someone"]


def test_unknown_scorer_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"unknown scorer 'nope'.*register_scorer"):
        load_scorer(ToxicityConfig(scorer="nope"))


def test_config_rejects_unknown_keys_and_bad_thresholds() -> None:
    with pytest.raises(ValidationError):
        ToxicityConfig(treshold=0.5)
    with pytest.raises(ValidationError):
        ToxicityConfig(threshold=1.5)
    assert ToxicityConfig(scorer="transformers").resolved_mask_token() == "person"
    assert ToxicityConfig().resolved_mask_token() == CALIBRATED_MASK_TOKENS["profanity"]


# --- the stage: thresholds and actions --------------------------------------------------------


def test_drop_removes_rows_at_or_over_threshold_with_reason_and_detail() -> None:
    table = make_table(["this is awful", "meh", "fine", None])
    result = apply_toxicity(table, ToxicityConfig(threshold=0.6), scorer=KeywordScorer())
    assert result.kept.column("id").to_pylist() == ["row-2", "row-3"]
    assert result.kept.schema == table.schema
    assert result.removed.column("id").to_pylist() == ["row-0", "row-1"]
    assert result.removed.column("reason").to_pylist() == ["toxicity", "toxicity"]
    assert result.removed.column("detail").to_pylist() == [
        "score 0.95 >= 0.60",
        "score 0.60 >= 0.60",
    ]
    assert result.stats["scored"] == 4
    assert result.stats["removed"] == 2
    assert result.stats["threshold"] == 0.6
    assert result.kept.num_rows + result.removed.num_rows == table.num_rows
    json.dumps(result.stats)


def test_threshold_moves_the_cut() -> None:
    table = make_table(["this is awful", "meh", "fine"])
    strict = apply_toxicity(table, ToxicityConfig(threshold=0.61), scorer=KeywordScorer())
    lenient = apply_toxicity(table, ToxicityConfig(threshold=0.05), scorer=KeywordScorer())
    assert strict.removed.column("id").to_pylist() == ["row-0"]
    assert lenient.kept.num_rows == 0


def test_score_action_keeps_every_row_and_adds_float32_column() -> None:
    table = make_table(["this is awful", "meh", "fine"])
    result = apply_toxicity(
        table, ToxicityConfig(action="score", threshold=0.6), scorer=KeywordScorer()
    )
    assert result.kept.num_rows == 3
    assert result.kept.schema.field("toxicity").type == pa.float32()
    assert result.kept.column("toxicity").to_pylist() == pytest.approx([0.95, 0.6, 0.1])
    assert result.removed.num_rows == 0
    assert {"reason", "detail", "duplicate_of"} <= set(result.removed.column_names)
    assert result.stats["flagged"] == 2 and result.stats["removed"] == 0


def test_default_filter_drops_abuse_and_keeps_identity_mentions() -> None:
    table = make_table(
        [
            "You are a stupid fucking idiot",
            "I am a proud gay man and my husband is Muslim",
            "The queer homosexual couple next door grows tomatoes",
        ]
    )
    result = apply_toxicity(table, ToxicityConfig())
    assert result.removed.column("id").to_pylist() == ["row-0"]
    unmasked = apply_toxicity(table, ToxicityConfig(mask_identity_terms=False))
    assert "row-2" in unmasked.removed.column("id").to_pylist()


def test_scorer_output_is_validated() -> None:
    class Broken:
        def score(self, texts: Sequence[str]) -> np.ndarray:
            return np.full(len(texts), 2.0)

    with pytest.raises(ValueError, match=r"outside \[0, 1\]"):
        apply_toxicity(make_table(["x"]), ToxicityConfig(), scorer=Broken())


# --- bias audit and calibration ---------------------------------------------------------------


def test_audit_set_spans_every_group_and_is_masked_by_the_lexicon() -> None:
    audit = load_audit_set()
    assert set(audit.column("group").to_pylist()) == set(IDENTITY_TERMS)
    toxic = audit.column("toxic").to_pylist()
    assert 0 < sum(toxic) < len(toxic)
    masker = IdentityMasker("person")
    terms = sorted(set(audit.column("term").to_pylist()))
    assert all(masker.find_terms([term])[0] for term in terms)


@pytest.mark.skipif(not EVAL_FILE.exists(), reason="shared eval file not present")
def test_audit_set_is_distinct_from_the_eval_file() -> None:
    eval_texts = {
        " ".join(line.split(",")[0].strip('"').lower().split())
        for line in EVAL_FILE.read_text(encoding="utf-8").splitlines()[1:]
    }
    audit_texts = {" ".join(text.lower().split()) for text in load_audit_set()["text"].to_pylist()}
    assert not audit_texts & eval_texts


def test_bias_audit_group_rates_add_up_and_render() -> None:
    report = run_bias_audit(ToxicityConfig(threshold=0.3))
    assert {row["group"] for row in report.groups} == set(IDENTITY_TERMS)
    assert sum(row["neutral_sentences"] for row in report.groups) == report.neutral_sentences
    false_positives = sum(row["false_positives"] for row in report.groups)
    assert false_positives == round(report.false_positive_rate * report.neutral_sentences)
    for row in report.groups:
        assert row["false_positive_rate"] == pytest.approx(
            row["false_positives"] / row["neutral_sentences"]
        )
    assert 0 < report.toxic_recall <= 1
    markdown = report.to_markdown()
    assert "| identity group | neutral sentences | false positives | false-positive rate |" in (
        markdown
    )
    assert "| sexual orientation |" in markdown and "| **all groups** |" in markdown
    assert "Toxic recall" in markdown
    assert json.loads(json.dumps(report.to_dict()))["threshold"] == 0.3


def test_audit_shows_the_bias_that_masking_removes() -> None:
    report = run_bias_audit(ToxicityConfig())
    assert report.mask_identity_terms and report.unmasked is not None
    unmasked_rate = {row["group"]: row["false_positive_rate"] for row in report.unmasked.groups}
    assert unmasked_rate["sexual_orientation"] > 0.05
    assert max(row["false_positive_rate"] for row in report.groups) <= 0.02
    assert report.toxic_recall >= report.unmasked.toxic_recall
    markdown = report.to_markdown()
    assert "without identity masking |" in markdown
    row = next(row for row in report.groups if row["group"] == "sexual_orientation")
    expected = (
        f"| sexual orientation | {row['neutral_sentences']} | {row['false_positives']} "
        f"| {row['false_positive_rate']:.1%} | {unmasked_rate['sexual_orientation']:.1%} |"
    )
    assert expected in markdown


def test_audit_with_a_custom_scorer_used_as_given() -> None:
    report = run_bias_audit(ToxicityConfig(threshold=0.5), scorer=KeywordScorer())
    assert not report.mask_identity_terms and report.unmasked is None
    assert "without identity masking" not in report.to_markdown()
    assert report.false_positive_rate == 0.0
    assert report.toxic_recall == 0.0
    assert report.roc_auc == pytest.approx(0.5)


def test_shipped_defaults_are_what_calibration_picks() -> None:
    calibration = calibrate_scorer(ToxicityConfig())
    assert calibration.mask_token == CALIBRATED_MASK_TOKENS["profanity"]
    assert calibration.threshold == DEFAULT_THRESHOLD
    assert max(row["false_positive_rate"] for row in calibration.audit.groups) <= 0.02


def test_calibration_command_prints_the_values_for_the_recipe(
    capsys: pytest.CaptureFixture[str],
) -> None:
    calibrate.main(["--scorer", "profanity"])
    printed = capsys.readouterr().out
    assert f"mask_token: {CALIBRATED_MASK_TOKENS['profanity']!r}" in printed
    assert f"threshold: {DEFAULT_THRESHOLD}" in printed
    assert "| **all groups** |" in printed


def test_empty_table_passes_through() -> None:
    table = make_table([])
    result = apply_toxicity(table, ToxicityConfig())
    assert result.kept.num_rows == 0 and result.removed.num_rows == 0
    assert result.stats["scored"] == 0 and result.stats["score_mean"] == 0.0
