"""Which texts are worth spaCy's NER: those with a word that could start a name or a place.

NER is almost all of the PII stage's CPU time, and most rows of a typical corpus (reviews, forum
posts) hold no proper noun at all: their only capitals start sentences ("Slugs ate every
seedling.") or are the pronoun "I". spaCy small tags persons and places by their capitals, so a
text needs NER when it has

- no capital letter at all (a lower-cased chat, a script without case): spaCy then goes by the
  words themselves ("lena andersson", "calgary");
- a capitalised word inside a sentence ("with Margaret", "in January");
- a capitalised word at a sentence or line start that is not a common English word
  ("Estonia", "Kowalski", "David"), or a word with capitals past its first letter
  ("McDonald", "USA", "MagdaLundberg@...").

Common words come from `data/common_words.txt` (see data/README.md): dictionary words that are
never capitalised there and are not given names, so "China", "Baker" or "Will" still count as
possible names. A title before a full stop ("Dr. Baker") does not end a sentence.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from spacy.lang.en.stop_words import STOP_WORDS

from filters.pii.names import given_names
from filters.pii.patterns import LETTER, UPPER

# A word with at least one capital (Latin, Greek or Cyrillic).
_CASED_WORD = re.compile(rf"(?<![\w'’-])[\w'’-]*?{UPPER}[\w'’-]*")
_ANY_CAPITAL = re.compile(UPPER)
_LETTER = re.compile(LETTER)
# Spaces, quotes, brackets and bullets between a word and what ends the sentence before it.
_LEAD = re.compile(r"[\s\"'“‘”’()\[\]*•#>-]*\Z")
_LEAD_REACH = 16
_SENTENCE_END = frozenset(".!?:;…")
_TITLE = re.compile(
    r"(?i:(?<![\w.])(?:mr|mrs|ms|mx|dr|prof|st|mt|ft|jr|sr|rev|fr|gen|col|capt|lt|sgt|gov|sen"
    r"|rep|hon|sra?)\Z)"
)
_CLITIC = re.compile(r"(?:n't|'(?:s|re|ve|ll|d|m))\Z")
# What ends a sentence: its marks, closing quotes or brackets, then the space before the next.
_SENTENCE_BREAK = re.compile(r"[.!?…]+[\"'”’)\]]*\s+")
_INITIAL = re.compile(rf"(?<![\w.]){UPPER}\Z")  # "Janka M. Szász": an initial ends no sentence


@cache
def common_words() -> frozenset[str]:
    """Lower-cased words that, capitalised at a sentence start, are not a name or a place."""
    path = Path(__file__).with_name("data") / "common_words.txt"
    listed = set(path.read_text(encoding="utf-8").split())
    return frozenset((listed | STOP_WORDS) - given_names())


def needs_ner(text: str) -> bool:
    """Whether `text` may hold a person or place that spaCy small would tag (see module doc)."""
    if _ANY_CAPITAL.search(text) is None:
        return _LETTER.search(text) is not None
    common = common_words()
    for match in _CASED_WORD.finditer(text):
        word = match.group()
        key = word.replace("’", "'").lower()
        if _CLITIC.sub("", key) == "i":
            continue
        title_case = len(word) == 1 or word[1:].islower()  # "Slugs", "A"
        if title_case and not _starts_sentence(text, match.start()):
            return True
        if not _is_common(key, common):
            return True
    return False


def ner_sentences(text: str) -> list[tuple[int, str]]:
    """(offset, sentence) for the sentences of `text` that need NER, by `needs_ner` applied to
    each: a review with one name in one sentence sends that sentence to spaCy, not the whole
    review (6% instead of 28% of the end-to-end bench's characters: bench/stage_choices.py).
    spaCy's entities depend on a few words of context, all inside the sentence. A full stop
    after a title ("Dr. Baker") or an initial ("Janka M. Szász") ends no sentence."""
    pieces, start = [], 0
    for match in _SENTENCE_BREAK.finditer(text):
        mark = match.start()
        if text[mark] == "." and (
            _TITLE.search(text, max(0, mark - 6), mark) or _INITIAL.search(text, 0, mark)
        ):
            continue
        pieces.append((start, text[start : match.end()]))
        start = match.end()
    if start < len(text):
        pieces.append((start, text[start:]))
    return [(offset, piece) for offset, piece in pieces if needs_ner(piece)]


def _is_common(key: str, common: frozenset[str]) -> bool:
    """Whether every hyphen-separated part of a lower-cased word is a common word."""
    return all(part in common or _CLITIC.sub("", part) in common for part in key.split("-") if part)


def _starts_sentence(text: str, start: int) -> bool:
    """Whether the word at `start` opens the text, a line or a sentence."""
    reach = max(0, start - _LEAD_REACH)
    lead = _LEAD.search(text, reach, start)
    before = lead.start() if lead else start
    if before == 0 or "\n" in text[before:start]:
        return True
    if before == reach:  # a long run of quotes and spaces: decide nothing, so run NER
        return False
    mark = text[before - 1]
    if mark == ".":
        return _TITLE.search(text, max(0, before - 6), before - 1) is None
    return mark in _SENTENCE_END
