"""Pluggable toxicity scorers: the registry, the built-in scorers and identity masking."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any, Protocol, runtime_checkable

import numpy as np

from filters.toxicity.config import ToxicityConfig
from filters.toxicity.identity import IdentityMasker


@runtime_checkable
class ToxicityScorer(Protocol):
    """Anything that maps texts to toxicity probabilities in [0, 1], one per text."""

    def score(self, texts: Sequence[str]) -> np.ndarray: ...


ScorerFactory = Callable[[ToxicityConfig], ToxicityScorer]
_SCORERS: dict[str, ScorerFactory] = {}


def register_scorer(name: str, factory: ScorerFactory) -> None:
    """Make `factory` available as `filters.toxicity.scorer: <name>` in recipes."""
    if not name or not name.strip():
        raise ValueError("scorer name must be a non-empty string")
    _SCORERS[name] = factory


def registered_scorers() -> list[str]:
    return sorted(_SCORERS)


@lru_cache(maxsize=1)
def _profanity_model() -> tuple[Any, Any]:
    from profanity_check import profanity_check

    return profanity_check.vectorizer, profanity_check.model


class ProfanityScorer:
    """alt-profanity-check (TF-IDF + calibrated linear SVM), scored a batch at a time.

    Calls the model directly: the package's `predict_prob` adds a per-row numpy loop.
    """

    def __init__(self) -> None:
        self._vectorizer, self._model = _profanity_model()

    def score(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) == 0:
            return np.zeros(0, dtype=np.float32)
        features = self._vectorizer.transform(texts)
        return self._model.predict_proba(features)[:, 1].astype(np.float32)


class TransformersScorer:
    """Any local or hub text-classification model (Detoxify-style multi-label or binary).

    Multi-label models get a sigmoid over the toxic label's logit, single-label ones a softmax.
    """

    def __init__(self, config: ToxicityConfig) -> None:
        if not config.model:
            raise ValueError("filters.toxicity.model: the transformers scorer needs a model path")
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        self._torch = torch
        self._tokenizer = AutoTokenizer.from_pretrained(config.model)
        self._model = AutoModelForSequenceClassification.from_pretrained(config.model).eval()
        self._batch_size = config.batch_size
        self._max_length = config.max_length
        self._multi_label = self._model.config.problem_type == "multi_label_classification"
        self.toxic_index = _toxic_label_index(self._model.config.id2label, config.toxic_label)

    def score(self, texts: Sequence[str]) -> np.ndarray:
        scores = np.zeros(len(texts), dtype=np.float32)
        for start in range(0, len(texts), self._batch_size):
            batch = list(texts[start : start + self._batch_size])
            inputs = self._tokenizer(
                batch,
                padding=True,
                truncation=True,
                max_length=self._max_length,
                return_tensors="pt",
            )
            with self._torch.inference_mode():
                logits = self._model(**inputs).logits.float()
            if self._multi_label:
                probabilities = self._torch.sigmoid(logits[:, self.toxic_index])
            else:
                probabilities = self._torch.softmax(logits, dim=-1)[:, self.toxic_index]
            scores[start : start + len(batch)] = probabilities.numpy()
        return scores


def _toxic_label_index(id2label: dict[int, str], toxic_label: str | None) -> int:
    """Index of the toxic class: the named label, a label called toxic, or class 1 of two."""
    by_name = {label.lower(): int(index) for index, label in id2label.items()}
    if toxic_label is not None:
        if toxic_label.lower() not in by_name:
            raise ValueError(
                f"filters.toxicity.toxic_label: {toxic_label!r} is not one of the model's "
                f"labels {sorted(by_name)}"
            )
        return by_name[toxic_label.lower()]
    for name in ("toxic", "toxicity", "label_toxic", "hate", "offensive"):
        if name in by_name:
            return by_name[name]
    if len(by_name) == 2:
        return 1
    raise ValueError(
        f"filters.toxicity.toxic_label: cannot tell which of {sorted(by_name)} is toxic; name it"
    )


class MaskedScorer:
    """Scores texts after replacing identity terms, so mentions of a group are not evidence."""

    def __init__(self, inner: ToxicityScorer, masker: IdentityMasker) -> None:
        self.inner = inner
        self.masker = masker

    def score(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.score(self.masker.mask(texts).to_pylist())


register_scorer("profanity", lambda config: ProfanityScorer())
register_scorer("transformers", TransformersScorer)


def load_bare_scorer(config: ToxicityConfig) -> ToxicityScorer:
    """The configured scorer without identity masking (for baselines and calibration)."""
    if config.scorer not in _SCORERS:
        raise ValueError(
            f"filters.toxicity.scorer: unknown scorer {config.scorer!r}; registered: "
            f"{registered_scorers()} (add one with register_scorer)"
        )
    return _SCORERS[config.scorer](config)


def load_scorer(config: ToxicityConfig) -> ToxicityScorer:
    """The configured scorer, wrapped in identity masking when `mask_identity_terms` is on."""
    scorer = load_bare_scorer(config)
    if not config.mask_identity_terms:
        return scorer
    masker = IdentityMasker(config.resolved_mask_token(), config.extra_identity_terms)
    return MaskedScorer(scorer, masker)
