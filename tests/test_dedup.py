"""Exact and near-duplicate dedup: removals, keep policy, determinism, accounting."""

from __future__ import annotations

import random

import numpy as np
import pyarrow as pa
import pytest

from filters.dedup import (
    DedupConfig,
    ExactDedupConfig,
    NearDedupConfig,
    SemanticDedupConfig,
    deduplicate,
    keep_rank,
    lsh_bands,
    minhash_signatures,
    semantic_dedup,
    semantic_pairs,
)

WORDS = [f"w{i}" for i in range(3000)]


def make_table(texts: list[str], sources: list[str] | None = None) -> pa.Table:
    n = len(texts)
    return pa.table(
        {
            "id": [f"row{i}" for i in range(n)],
            "text": texts,
            "source": [f"f.csv:{i + 2}" for i in range(n)],
            "source_name": sources or ["reviews"] * n,
            "license": ["cc0-1.0"] * n,
        }
    )


def random_document(rng: random.Random, sentences: int = 8) -> str:
    return " ".join(
        " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 14))) + "."
        for _ in range(sentences)
    )


def replace_words(text: str, count: int, rng: random.Random) -> str:
    words = text.split(" ")
    for position in rng.sample(range(len(words)), count):
        words[position] = "zz" + rng.choice(WORDS)
    return " ".join(words)


@pytest.fixture(scope="module")
def corpus() -> tuple[list[str], random.Random]:
    rng = random.Random(7)
    return [random_document(rng) for _ in range(60)], rng


def test_exact_dedup_normalises_unicode_case_and_whitespace() -> None:
    table = make_table(
        ["Straße  GROSS\tok", "strasse gross ok", "ｆｕｌｌ width", "full width", "x"]
    )
    result = deduplicate(table, DedupConfig(near=None))
    assert result.kept["id"].to_pylist() == ["row0", "row2", "row4"]
    assert result.removed["reason"].to_pylist() == ["duplicate:exact"] * 2
    assert result.removed["duplicate_of"].to_pylist() == ["row0", "row2"]
    assert result.stats["exact"] == 2 and result.stats["near"] == 0


def test_exact_normalisation_can_be_switched_off() -> None:
    table = make_table(["Hello World", "hello world", "hello  world", "hello world"])
    config = ExactDedupConfig(nfkc=False, casefold=False, collapse_whitespace=False)
    result = deduplicate(table, DedupConfig(exact=config, near=None))
    assert result.removed["id"].to_pylist() == ["row3"]
    assert result.removed["duplicate_of"].to_pylist() == ["row1"]


def test_keep_longest_and_source_priority() -> None:
    texts = ["same text", "Same   text", "SAME TEXT "]
    table = make_table(texts, sources=["web", "forum", "curated"])
    longest = deduplicate(table, DedupConfig(near=None, keep="longest"))
    assert longest.kept["id"].to_pylist() == ["row1"]  # 11 characters
    priority = deduplicate(table, DedupConfig(near=None, keep=["curated", "forum"]))
    assert priority.kept["id"].to_pylist() == ["row2"]
    assert set(priority.removed["duplicate_of"].to_pylist()) == {"row2"}


def test_keep_rank_orders_by_policy() -> None:
    table = make_table(["aa", "aaaa", "a", "aaaa"], sources=["x", "y", "z", "y"])
    assert keep_rank(table, "first").tolist() == [0, 1, 2, 3]
    assert keep_rank(table, "longest").tolist() == [2, 0, 3, 1]
    assert keep_rank(table, ["z", "y"]).tolist() == [3, 1, 0, 2]


def test_near_duplicates_found_and_distinct_documents_kept(corpus) -> None:
    documents, rng = corpus
    edited = [replace_words(d, 2, rng) for d in documents[:20]]
    shuffled = []
    for d in documents[20:30]:
        sentences = d.split(". ")
        rng.shuffle(sentences)
        shuffled.append(". ".join(sentences))
    table = make_table(documents + edited + shuffled)
    result = deduplicate(table, DedupConfig())
    removed = result.removed.to_pydict()
    assert sorted(removed["id"], key=lambda r: int(r[3:])) == [f"row{i}" for i in range(60, 90)]
    expected_of = {f"row{60 + i}": f"row{i}" for i in range(20)}
    expected_of |= {f"row{80 + i}": f"row{20 + i}" for i in range(10)}
    assert dict(zip(removed["id"], removed["duplicate_of"], strict=True)) == expected_of
    assert set(removed["reason"]) == {"duplicate:near"}
    assert all(d.startswith("jaccard ") for d in removed["detail"])
    assert result.stats["near"] == 30 and len(result.stats["examples"]) == 5
    assert result.kept.num_rows + result.removed.num_rows == table.num_rows


def test_near_dedup_removed_rows_point_at_survivors_and_are_deterministic(corpus) -> None:
    documents, rng = corpus
    base = documents[0]
    chain = [base]
    for _ in range(6):  # each step edits the previous one: a chain that drifts away
        chain.append(replace_words(chain[-1], 4, rng))
    table = make_table(chain + documents[1:10])
    first = deduplicate(table, DedupConfig())
    second = deduplicate(table, DedupConfig())
    assert first.kept.equals(second.kept) and first.removed.equals(second.removed)
    kept_ids = set(first.kept["id"].to_pylist())
    assert set(first.removed["duplicate_of"].to_pylist()) <= kept_ids
    threshold = NearDedupConfig().jaccard
    assert all(float(d.split()[1]) >= threshold for d in first.removed["detail"].to_pylist())


def test_signatures_are_seeded_and_sentence_order_invariant() -> None:
    texts = pa.array(["one two three. four five six seven.", "four five six seven. one two three."])
    config = NearDedupConfig()
    signatures, has_words = minhash_signatures(texts, config)
    assert has_words.all()
    np.testing.assert_array_equal(signatures[0], signatures[1])
    again, _ = minhash_signatures(texts, config)
    np.testing.assert_array_equal(signatures, again)
    other, _ = minhash_signatures(texts, NearDedupConfig(seed=2))
    assert not np.array_equal(signatures, other)


def test_empty_and_null_text_are_never_near_duplicates() -> None:
    table = make_table(["", "   ", "...", "real words here"])
    table = table.set_column(1, "text", pa.array(["", None, "...", "real words here"]))
    result = deduplicate(table, DedupConfig(exact=None))
    assert result.removed.num_rows == 0


def test_lsh_bands_fit_num_perm() -> None:
    bands, rows = lsh_bands(0.7, 128)
    assert bands * rows <= 128
    # at the threshold a pair is very likely a candidate
    assert 1 - (1 - 0.7**rows) ** bands > 0.9


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    return (matrix / np.linalg.norm(matrix, axis=1, keepdims=True)).astype(np.float32)


def test_semantic_dedup_removes_close_embeddings_with_keep_policy() -> None:
    rng = np.random.default_rng(3)
    base = rng.normal(size=(6, 32))
    close = base[[1, 4]] + rng.normal(scale=0.05, size=(2, 32))  # cosine about 0.99
    embeddings = unit_rows(np.vstack((base, close)))
    table = make_table([f"text {i}" for i in range(8)], sources=["web"] * 6 + ["curated"] * 2)
    result = semantic_dedup(table, embeddings, SemanticDedupConfig())
    assert result.removed["id"].to_pylist() == ["row6", "row7"]
    assert result.removed["duplicate_of"].to_pylist() == ["row1", "row4"]
    assert set(result.removed["reason"].to_pylist()) == {"duplicate:semantic"}
    assert result.stats["semantic"] == 2
    assert all(float(d.split()[1]) > 0.95 for d in result.removed["detail"].to_pylist())
    preferred = semantic_dedup(table, embeddings, SemanticDedupConfig(), keep=["curated"])
    assert preferred.removed["id"].to_pylist() == ["row1", "row4"]


def test_semantic_pairs_on_ivf_match_exact_search_for_close_copies() -> None:
    """Above `exact_max_rows` the IVF search must still find planted near copies, each once."""
    rng = np.random.default_rng(5)
    centres = rng.normal(size=(20, 48))
    base = centres[rng.integers(0, 20, 3000)] * 0.4 + rng.normal(size=(3000, 48))
    copies = rng.choice(3000, 40, replace=False)
    vectors = unit_rows(np.vstack((base, base[copies] + rng.normal(scale=0.02, size=(40, 48)))))
    exact = semantic_pairs(vectors, SemanticDedupConfig())
    ivf = semantic_pairs(vectors, SemanticDedupConfig(exact_max_rows=100))
    assert len(exact[0]) >= 40
    assert set(zip(ivf[0].tolist(), ivf[1].tolist(), strict=True)) == set(
        zip(exact[0].tolist(), exact[1].tolist(), strict=True)
    )
    assert (ivf[0] < ivf[1]).all() and len(set(zip(ivf[0], ivf[1], strict=True))) == len(ivf[0])


def test_semantic_dedup_rejects_misaligned_embeddings() -> None:
    table = make_table(["a", "b"])
    with pytest.raises(ValueError, match="embeddings"):
        semantic_dedup(table, unit_rows(np.ones((3, 4))), SemanticDedupConfig())


def test_null_texts_are_exact_duplicates_of_each_other_not_errors() -> None:
    table = make_table(["a b c", "x", "y"]).set_column(1, "text", pa.array([None, "x", None]))
    result = deduplicate(table, DedupConfig())
    assert result.removed["id"].to_pylist() == ["row2"]
    assert result.removed["duplicate_of"].to_pylist() == ["row0"]


def test_keep_longest_among_near_duplicates_and_examples_least_similar_first(corpus) -> None:
    documents, rng = corpus
    longer = documents[0] + " Extra closing words appear here."
    edited = replace_words(documents[1], 1, rng)  # "zz" prefix: longer than the original
    table = make_table([documents[0], longer, documents[1], edited, documents[1].upper()])
    result = deduplicate(table, DedupConfig(keep="longest"))
    removed = result.removed.select(["id", "reason", "duplicate_of"]).to_pylist()
    assert removed == [
        {"id": "row0", "reason": "duplicate:near", "duplicate_of": "row1"},
        {"id": "row2", "reason": "duplicate:near", "duplicate_of": "row3"},
        # an exact copy of row2 follows it to the surviving row
        {"id": "row4", "reason": "duplicate:near", "duplicate_of": "row3"},
    ]
    details = result.removed["detail"].to_pylist()
    assert details[1] == details[2]
    similarities = [e["similarity"] for e in result.stats["examples"]]
    assert similarities == sorted(similarities) and len(similarities) == 3


def test_config_accepts_recipe_shorthands_and_rejects_typos() -> None:
    config = DedupConfig.model_validate(
        {"exact": True, "near": {"jaccard": 0.8}, "semantic": True, "keep": ["curated"]}
    )
    assert config.exact == ExactDedupConfig() and config.near.jaccard == 0.8
    assert config.semantic == SemanticDedupConfig()
    assert DedupConfig.model_validate({"near": False}).near is None
    with pytest.raises(ValueError):
        DedupConfig.model_validate({"near": {"threshold": 0.8}})
    with pytest.raises(ValueError):
        DedupConfig.model_validate({"keep": "last"})


def test_a_large_cluster_of_copies_collapses_onto_one_survivor(corpus) -> None:
    documents, _ = corpus
    copies = [f"{documents[0]} Signed by member {i}." for i in range(120)]
    result = deduplicate(make_table(copies + documents[1:5]), DedupConfig())
    assert result.kept["id"].to_pylist() == ["row0", "row120", "row121", "row122", "row123"]
    assert set(result.removed["duplicate_of"].to_pylist()) == {"row0"}
