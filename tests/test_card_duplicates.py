import pyarrow as pa

from cards.duplicates import duplicates_markdown


def test_counts_per_method_and_example_pairs_with_kept_text():
    filtered = pa.table(
        {
            "id": ["b", "c", "d"],
            "text": ["Hello   world", "hello world!", "toxic | row"],
            "reason": ["duplicate:exact", "duplicate:near", "toxicity"],
            "detail": ["exact match after normalisation", "jaccard 0.81", "score 0.9"],
            "duplicate_of": ["a", "a", None],
        }
    )
    published = pa.table({"id": ["a", "e"], "text": ["hello world", "other"]})
    markdown = duplicates_markdown(filtered, published)
    assert "| exact (normalised text) | 1 |" in markdown
    assert "| near (MinHash-LSH Jaccard) | 1 |" in markdown
    assert "| semantic (embedding cosine) | 0 |" in markdown
    assert "| near (MinHash-LSH Jaccard) | jaccard 0.81 | hello world! | hello world |" in markdown
    assert "toxic" not in markdown
