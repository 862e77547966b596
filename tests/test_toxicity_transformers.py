"""The transformers scorer on tiny randomly initialised BERT models saved with save_pretrained."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from filters.toxicity import ToxicityConfig, load_bare_scorer, load_scorer  # noqa: E402

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "person", "you", "are", "an", "idiot"]
VOCAB += ["nice", "gay", "muslim", "the", "a", "is", "neighbour", "my", "stupid", "."]
TEXTS = ["you are an idiot", "my neighbour is gay .", "a nice muslim person", "stupid"]


def save_tiny_bert(directory: Path, labels: list[str], problem_type: str | None) -> Path:
    """A 1-layer BERT with a WordPiece vocabulary, as any local model directory would hold."""
    directory.mkdir()
    (directory / "vocab.txt").write_text("\n".join(VOCAB) + "\n")
    tokenizer = transformers.BertTokenizerFast(vocab_file=str(directory / "vocab.txt"))
    torch.manual_seed(7)
    config = transformers.BertConfig(
        vocab_size=len(VOCAB),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id={label: index for index, label in enumerate(labels)},
        problem_type=problem_type,
    )
    model = transformers.BertForSequenceClassification(config)
    with torch.no_grad():  # spread the logits so that label choice visibly matters
        model.classifier.weight.normal_(0, 5.0)
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


@pytest.fixture(scope="module")
def binary_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_bert(tmp_path_factory.mktemp("bert") / "binary", ["non-toxic", "toxic"], None)


@pytest.fixture(scope="module")
def multi_label_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    labels = ["insult", "toxic", "threat"]
    return save_tiny_bert(
        tmp_path_factory.mktemp("bert") / "multi", labels, "multi_label_classification"
    )


def reference_logits(model_dir: Path, texts: list[str]) -> np.ndarray:
    tokenizer = transformers.AutoTokenizer.from_pretrained(model_dir)
    model = transformers.AutoModelForSequenceClassification.from_pretrained(model_dir).eval()
    with torch.inference_mode():
        rows = [model(**tokenizer([text], return_tensors="pt")).logits[0] for text in texts]
    return torch.stack(rows).numpy()


def test_binary_model_scores_softmax_of_toxic_label_in_batches(binary_model: Path) -> None:
    config = ToxicityConfig(scorer="transformers", model=str(binary_model), batch_size=3)
    scores = load_bare_scorer(config).score(TEXTS)
    logits = reference_logits(binary_model, TEXTS)
    expected = np.exp(logits[:, 1]) / np.exp(logits).sum(axis=1)
    assert scores.dtype == np.float32 and scores.shape == (len(TEXTS),)
    np.testing.assert_allclose(scores, expected, atol=1e-5)


def test_multi_label_model_uses_sigmoid_of_named_or_found_label(multi_label_model: Path) -> None:
    logits = reference_logits(multi_label_model, TEXTS)
    found = ToxicityConfig(scorer="transformers", model=str(multi_label_model))
    np.testing.assert_allclose(
        load_bare_scorer(found).score(TEXTS), 1 / (1 + np.exp(-logits[:, 1])), atol=1e-5
    )
    named = found.model_copy(update={"toxic_label": "threat"})
    np.testing.assert_allclose(
        load_bare_scorer(named).score(TEXTS), 1 / (1 + np.exp(-logits[:, 2])), atol=1e-5
    )


def test_masked_transformers_scorer_sees_identity_terms_replaced(binary_model: Path) -> None:
    config = ToxicityConfig(scorer="transformers", model=str(binary_model))
    masked = load_scorer(config).score(["my neighbour is gay .", "a nice muslim person"])
    bare = load_bare_scorer(config).score(["my neighbour is person .", "a nice person person"])
    np.testing.assert_allclose(masked, bare, atol=1e-6)


def test_unknown_toxic_label_and_missing_model_are_clear_errors(multi_label_model: Path) -> None:
    with pytest.raises(ValueError, match="not one of the model's labels"):
        load_bare_scorer(
            ToxicityConfig(scorer="transformers", model=str(multi_label_model), toxic_label="x")
        )
    with pytest.raises(ValueError, match="needs a model path"):
        load_bare_scorer(ToxicityConfig(scorer="transformers"))
