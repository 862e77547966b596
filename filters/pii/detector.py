"""Batch PII detection: cheap patterns on every text, spaCy NER once per batch via `nlp.pipe`.

Plain Presidio (`AnalyzerEngine.analyze`) runs the full spaCy pipeline (tagger, parser,
lemmatizer, NER) one text at a time and then every recognizer of every country. We load only
spaCy's NER component, stream texts through `nlp.pipe`, and run just the recognizers the config
asks for: Presidio's own ones where they are good (email with its TLD check, IBAN checksum,
IP v4/v6, SSN) and ours where Presidio misses (see `patterns.py` and `addresses.py`).
NER runs only on texts that may hold a name or place (`ner_gate.py`), and each recognizer only
on texts with what its patterns need (an "@", a digit): on plain reviews and posts most rows
then cost a few regex searches.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from typing import NamedTuple

import spacy
from presidio_analyzer import EntityRecognizer
from presidio_analyzer.predefined_recognizers import (
    EmailRecognizer,
    IbanRecognizer,
    IpRecognizer,
    UsSsnRecognizer,
)
from spacy.language import Language
from spacy.tokens import Span

from filters.pii.addresses import find_addresses
from filters.pii.config import NER_ENTITIES, PiiConfig
from filters.pii.names import find_names, given_names, spread_names
from filters.pii.ner_gate import ner_sentences
from filters.pii.offline import use_bundled_suffix_list
from filters.pii.patterns import (
    CARD_RECOGNIZER,
    CONTEXT_BOOST,
    PHONE_RECOGNIZER,
    SECRET_RECOGNIZERS,
    RegexRecognizer,
    has_context,
)
from filters.pii.spans import PiiSpan, resolve_overlaps

logger = logging.getLogger(__name__)

NER_SCORE = 0.85
RELABELLED_SCORE = 0.86  # above NER_SCORE, so it wins over a same-span LOCATION
NER_PIECE_CHARS = 20_000
_RELABELLED = {"GPE", "LOC", "FAC", "ORG", "NORP"}
_NER_LABELS = {"PERSON": "PERSON", "GPE": "LOCATION", "LOC": "LOCATION", "FAC": "LOCATION"}
# What each Presidio recognizer's patterns cannot match without: one search skips its regex
# passes and result objects on the many texts with no "@" or no run of digits.
_EMAIL_NEEDS = re.compile("@")
_IBAN_NEEDS = re.compile("[0-9]{2}")
_IP_NEEDS = re.compile(r"[0-9]\.|::|[0-9A-Fa-f]:[0-9A-Fa-f]")
_SSN_NEEDS = re.compile("[0-9]{3}")
# spaCy components that NER does not need (en_core_web_sm's NER has its own tok2vec).
_UNNEEDED_COMPONENTS = ("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter")


class PiiDetector:
    """Finds PII spans in batches of texts; build once with `build_detector` and reuse."""

    def __init__(self, config: PiiConfig, nlp: Language | None) -> None:
        self.config = config
        wanted = set(config.entities)
        self._presidio: list[tuple[EntityRecognizer, re.Pattern[str]]] = [
            (recognizer, required)
            for recognizer, required in (
                (EmailRecognizer(), _EMAIL_NEEDS),
                (IbanRecognizer(regex_flags=re.DOTALL | re.MULTILINE | re.IGNORECASE), _IBAN_NEEDS),
                (IpRecognizer(), _IP_NEEDS),
                (UsSsnRecognizer(), _SSN_NEEDS),
            )
            if wanted & set(recognizer.supported_entities)
        ]
        self._regex: list[RegexRecognizer] = [
            recognizer
            for recognizer in (
                *SECRET_RECOGNIZERS,
                CARD_RECOGNIZER,
                PHONE_RECOGNIZER,
            )
            if recognizer.entity_type in wanted
        ]
        self._addresses = "STREET_ADDRESS" in wanted
        self._nlp = nlp

    def detect(self, texts: Sequence[str]) -> list[list[PiiSpan]]:
        """Non-overlapping PII spans per text, in text order, above the score threshold."""
        return [
            self._detect_one(text, entities)
            for text, entities in zip(texts, self._entities(texts), strict=True)
        ]

    def _entities(self, texts: Sequence[str]) -> list[list[NerEntity]]:
        """spaCy's entities per text, from one `nlp.pipe` over the batch (long texts in pieces).

        Only the sentences that may hold a name or place go through spaCy
        (`ner_gate.ner_sentences`): NER is most of the stage's CPU time and most sentences of a
        typical corpus have no proper noun.
        """
        found: list[list[NerEntity]] = [[] for _ in texts]
        if self._nlp is None:
            return found
        pieces = [
            (i, start + offset, piece)
            for i, text in enumerate(texts)
            for start, sentence in ner_sentences(text)
            for offset, piece in _split(sentence)
        ]
        docs = self._nlp.pipe((piece for _, _, piece in pieces), batch_size=self.config.batch_size)
        for (i, offset, _), doc in zip(pieces, docs, strict=True):
            for ent in doc.ents:
                found[i].extend(_line_parts(ent, offset))
        return found

    def _detect_one(self, text: str, entities: list[NerEntity]) -> list[PiiSpan]:
        if not text:
            return []
        lowered = text.lower()
        spans: list[PiiSpan] = []
        for presidio_recognizer, required in self._presidio:
            if required.search(text) is None:
                continue
            for result in presidio_recognizer.analyze(text, self.config.entities, None):
                score = result.score
                if score < self.config.score_threshold and has_context(
                    lowered, result.start, tuple(presidio_recognizer.context)
                ):
                    score = min(1.0, score + CONTEXT_BOOST)
                spans.append(PiiSpan(result.start, result.end, result.entity_type, score))
        for recognizer in self._regex:
            spans.extend(recognizer.find(text, lowered))
        spans.extend(self._ner_spans(entities))
        if self._addresses:
            # A city or country that spaCy names inside an address block stays a LOCATION.
            places = [
                (e.start, e.end)
                for e in entities
                if e.label == "GPE" and not any(c.isdigit() for c in text[e.start : e.end])
            ]
            spans.extend(find_addresses(text, lowered, places))
        threshold = self.config.score_threshold
        if "PERSON" in self.config.entities:
            spans.extend(find_names(text))
            spans.extend(spread_names(text, [s for s in spans if s.score >= threshold]))
        return resolve_overlaps(text, [s for s in spans if s.score >= threshold])

    def _ner_spans(self, entities: list[NerEntity]) -> Iterator[PiiSpan]:
        """spaCy's entities; one that starts with a given name is a person, whatever its label
        (spaCy small often calls "Rebecca" or "Magnus Poulsen" a place or an organisation)."""
        names = given_names() if "PERSON" in self.config.entities else frozenset()
        for ent in entities:
            if ent.label in _RELABELLED and ent.first_word.lower() in names:
                yield PiiSpan(ent.start, ent.end, "PERSON", RELABELLED_SCORE)
                continue
            entity_type = _NER_LABELS.get(ent.label)
            if entity_type in self.config.entities:
                yield PiiSpan(ent.start, ent.end, entity_type, NER_SCORE)


class NerEntity(NamedTuple):
    """One spaCy entity, with offsets into the whole text."""

    start: int
    end: int
    label: str
    first_word: str


def _line_parts(ent: Span, offset: int) -> Iterator[NerEntity]:
    """An entity per line of a spaCy entity: small models run names into the next line of a
    signature block ("Julcsa Kárpáthy\nMhealthcoach")."""
    start = offset + ent.start_char
    for line in ent.text.split("\n"):
        stripped = line.strip()
        if any(c.isalnum() for c in stripped):
            first = start + line.index(stripped)
            yield NerEntity(first, first + len(stripped), ent.label_, stripped.split()[0])
        start += len(line) + 1


def _split(text: str) -> Iterator[tuple[int, str]]:
    """(offset, piece) pieces of at most NER_PIECE_CHARS, cut at line breaks or spaces.

    spaCy refuses texts over 1,000,000 characters and its NER memory grows with length.
    """
    start = 0
    while len(text) - start > NER_PIECE_CHARS:
        limit = start + NER_PIECE_CHARS
        cut = max(text.rfind("\n", start, limit), text.rfind(" ", start, limit))
        cut = cut + 1 if cut > start else limit
        yield start, text[start:cut]
        start = cut
    yield start, text[start:]


def build_detector(config: PiiConfig) -> PiiDetector:
    """Load what detection needs once (spaCy only when NER entities are wanted)."""
    use_bundled_suffix_list()
    nlp = None
    if config.ner and set(config.entities) & set(NER_ENTITIES):
        nlp = spacy.load(config.spacy_model, exclude=list(_UNNEEDED_COMPONENTS))
        logger.info("pii: loaded %s with components %s", config.spacy_model, nlp.pipe_names)
    return PiiDetector(config, nlp)
