"""Quality heuristics: each rule removes what it should, with its reason, and can be disabled."""

from __future__ import annotations

import pyarrow as pa
import pytest

from filters.quality import QualityConfig, apply_quality, measure

GOOD = (
    "This kettle boils water quickly and quietly, and the handle stays cool. "
    "After three months of daily use it still looks new, so I would happily buy it again."
)
LONG_GOOD = (
    "We bought this toaster for a small flat with limited counter space. It browns bread evenly "
    "on both sides, handles thick bagels without trouble, and the crumb tray slides out for easy "
    "cleaning. The dial has seven settings; four is perfect for sourdough. My only complaint is "
    "the short cable, which forced us to move a shelf. Customer service answered an email within "
    "a day and offered a longer cord for free. Overall a sturdy, sensible purchase that we would "
    "recommend to friends."
)


def table_of(texts: list[str | None]) -> pa.Table:
    n = len(texts)
    return pa.table(
        {
            "id": [f"q{i}" for i in range(n)],
            "text": pa.array(texts, type=pa.string()),
            "source": ["reviews.csv"] * n,
            "source_name": ["reviews"] * n,
            "license": ["cc-by-4.0"] * n,
        }
    )


CASES = {
    "min_words": "Great kettle.",
    "max_words": " ".join([GOOD] * 8),
    "min_mean_word_length": "it is ok to go in as we do so on it",
    "max_mean_word_length": "Supercalifragilistic antidisestablishmentarianism "
    "pneumonoultramicroscopic hippopotomonstrosesquippedaliophobia floccinaucinihilipilification",
    "max_symbol_ratio": "#best #kettle #ever #buy #now these hashtags sell",
    "max_non_alpha_ratio": "Order 1234 5678 9012 3456 7890 2345 6789 shipped",
    "max_duplicate_line_fraction": "\n".join(
        [LONG_GOOD] + ["Click the link below to see more offers today"] * 4
    ),
    "max_top_ngram_fraction": LONG_GOOD + " " + " ".join(["buy now"] * 30),
    "forbidden_patterns": "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do.",
    "max_boilerplate_line_fraction": "We use cookies to improve your experience on this site.\n"
    "Accept all cookies\nPrivacy Policy",
}


@pytest.mark.parametrize("rule", list(CASES))
def test_each_rule_removes_its_case_and_can_be_disabled(rule: str) -> None:
    config = QualityConfig(max_words=200)
    result = apply_quality(table_of([GOOD, LONG_GOOD, CASES[rule]]), config)
    assert result.kept["id"].to_pylist() == ["q0", "q1"]
    assert result.removed["reason"].to_pylist() == [f"quality:{rule}"]
    assert result.removed["detail"][0].as_py()
    assert result.stats["by_rule"] == {rule: 1}
    disabled = config.model_copy(update={rule: None})
    again = apply_quality(table_of([CASES[rule]]), disabled)
    assert f"quality:{rule}" not in again.removed["reason"].to_pylist()


def test_repetition_rules_skip_short_texts() -> None:
    short_spam = "buy now buy now buy now buy now today"
    result = apply_quality(table_of([short_spam]), QualityConfig(min_mean_word_length=None))
    assert result.removed.num_rows == 0
    strict = QualityConfig(min_mean_word_length=None, min_words_for_repetition=0)
    assert apply_quality(table_of([short_spam]), strict).removed["reason"].to_pylist() == [
        "quality:max_top_ngram_fraction"
    ]


def test_measurements() -> None:
    measured = measure(pa.array(["a bb ccc #x", "line\nline\nother", "", None]), QualityConfig())
    assert measured["words"].tolist() == [4, 3, 0, 0]
    assert measured["mean_word_length"][0] == pytest.approx(2.0)
    assert measured["symbol_ratio"][0] == pytest.approx(0.25)
    assert measured["duplicate_line_fraction"][1] == pytest.approx(1 / 3)


def test_first_failing_rule_is_the_reason_and_all_failures_are_counted() -> None:
    text = "lorem ipsum ok"  # too short, too short words, and forbidden
    result = apply_quality(table_of([text, None]), QualityConfig())
    assert result.removed["reason"].to_pylist() == ["quality:min_words", "quality:min_words"]
    assert result.stats["failed"]["forbidden_patterns"] == 1
    assert result.stats["failed"]["min_words"] == 2
    assert result.kept.num_rows + result.removed.num_rows == 2


def test_config_validates() -> None:
    with pytest.raises(ValueError, match="valid RE2 regex"):
        QualityConfig(forbidden_patterns=["(unclosed"])
    with pytest.raises(ValueError, match="valid RE2 regex"):  # Python re accepts look-aheads
        QualityConfig(boilerplate_patterns=[r"cookie(?=s)"])
    with pytest.raises(ValueError):
        QualityConfig(min_word=3)
