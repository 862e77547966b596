"""Person names that spaCy's small model misses.

spaCy small finds about two thirds of person names in short, context-poor texts (a name on a
line of its own, a speaker label, a lower-cased chat). Cheap signals recover most of the rest
without another model:

- a known given name (US Census list, see data/README.md), grown over a following middle
  initial and surname;
- the "First M. Last" shape: two capitalised words around a single-letter initial;
- cue words before a name: a title ("Ms."), "my name is", "said";
- speaker labels at the start of lines of a dialogue ("Ubul: What a wife.\nNicole: ...");
- the name-shaped first line of a contact card (followed by an address, phone or email);
- spreading: other mentions of a found name's words are names ("Faina D. Yefremova" ...
  "Yefremova"), and so are the other members of a list that contains a name
  ("Eklund, Michael and Hodge").

Name words must be capitalised, except in texts with no capitals at all.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from spacy.lang.en.stop_words import STOP_WORDS

from filters.pii.patterns import CAP_NAME, LETTER, UPPER
from filters.pii.spans import PiiSpan

GIVEN_NAME_SCORE = 0.65
FULL_NAME_SCORE = 0.75
CUE_SCORE = 0.8
SPEAKER_SCORE = 0.6
CONTACT_CARD_SCORE = 0.7
# Above spaCy's 0.85: a word that is part of a name found in this text is that name again,
# even where spaCy calls it a place.
SPREAD_SCORE = 0.87

_TOKEN = re.compile(r"[^\W\d_][\w'’-]*")
_NEXT_WORD = re.compile(r"[ \t]+([^\W\d_][\w'’-]*)")
_INITIAL = re.compile(r"[ \t]+[^\W\d_]\.?(?=[ \t])")
_NAME_SHAPE = re.compile(rf"\b{UPPER}[^\W\d_]{{2,}}[ \t]+{UPPER}\.?[ \t]+{CAP_NAME}")
_CUE = (
    r"(?i:\b(?:mr|mrs|ms|mx|miss|dr|prof|sir|dame|mme|mlle|herr|frau|sra?)\.?"
    r"|\bname(?:[ \t]+is|[ \t]+was|:)|\bi[ \t]+am[ \t]+called|\bcalls[ \t]+me"
    r"|\b(?:said|asked|told|replied|wrote|thanked))"
)
_SPEAKER = re.compile(rf"(?m)^[ \t]*({CAP_NAME}):[ \t]+\S")
# Line labels that are not speakers.
_LABELS = frozenset(
    "address phone email e-mail website web mobile desk fax tel note notes subject from to cc "  # noqa: SIM905
    "date time re answer question user bot name title zip info summary description warning "
    "error update status location company organization url id ref reference total price tip "
    "edit source author comment reply response example step result output input agent "
    "customer assistant system human admin moderator support team staff ps nb".split()
)
_NOT_SPEAKERS = _LABELS | STOP_WORDS
# A line that opens a block (start of text or after a blank line) and is shaped like a name.
_HEADING_NAME = re.compile(
    rf"(?:\A|\n[ \t]*\n)[ \t]*"
    rf"({CAP_NAME}(?:[ \t]+{UPPER}\.?)?(?:[ \t]+{CAP_NAME}){{1,2}})[ \t]*(?=\n)"
)
_CONTACT_TYPES = {"STREET_ADDRESS", "PHONE_NUMBER", "EMAIL_ADDRESS"}
_CONTACT_REACH = 300
_CAP_TOKEN = re.compile(CAP_NAME)
_LIST = re.compile(rf"{CAP_NAME}(?:,[ \t]+{CAP_NAME})+,?[ \t]+and[ \t]+{CAP_NAME}")


@cache
def given_names() -> frozenset[str]:
    """The lower-cased given-name gazetteer."""
    path = Path(__file__).with_name("data") / "given_names.txt"
    return frozenset(path.read_text(encoding="utf-8").split())


@cache
def _cued_name(cased: bool) -> re.Pattern[str]:
    word = CAP_NAME if cased else rf"{LETTER}[\w'’-]*"
    initial = rf"{UPPER if cased else LETTER}\.?"
    return re.compile(rf"{_CUE}[ \t]+({word}(?:[ \t]+(?:{initial}[ \t]+)?{word}){{0,2}})")


def find_names(text: str) -> list[PiiSpan]:
    """Names found by gazetteer, shape, cue words and speaker labels (before spreading)."""
    cased = not text.islower()
    spans = [
        PiiSpan(m.start(), m.end(), "PERSON", FULL_NAME_SCORE) for m in _NAME_SHAPE.finditer(text)
    ]
    names = given_names()
    for match in _TOKEN.finditer(text):
        word = match.group()
        if (cased and not word[0].isupper()) or word.lower() not in names:
            continue
        end = _extend_over_surname(text, match.end(), cased)
        score = FULL_NAME_SCORE if end > match.end() else GIVEN_NAME_SCORE
        spans.append(PiiSpan(match.start(), end, "PERSON", score))
    for match in _cued_name(cased).finditer(text):
        end = _cut_at_stop_word(text, match.start(1), match.end(1))
        if end > match.start(1):
            spans.append(PiiSpan(match.start(1), end, "PERSON", CUE_SCORE))
    speakers = [m for m in _SPEAKER.finditer(text) if m.group(1).lower() not in _NOT_SPEAKERS]
    if len(speakers) >= 2:  # a dialogue has turns; one "Office: ..." line is a label
        spans.extend(PiiSpan(m.start(1), m.end(1), "PERSON", SPEAKER_SCORE) for m in speakers)
    return spans


def spread_names(text: str, spans: list[PiiSpan]) -> list[PiiSpan]:
    """Name spans for other mentions of found names' words and for lists that hold a name."""
    people = [s for s in spans if s.entity_type == "PERSON"]
    spread = _contact_card_names(text, spans)
    if not people:
        return spread
    for match in _LIST.finditer(text):
        if any(p.start < match.end() and match.start() < p.end for p in people):
            spread.extend(
                PiiSpan(m.start(), m.end(), "PERSON", SPREAD_SCORE)
                for m in _CAP_TOKEN.finditer(text, match.start(), match.end())
            )
    words = {
        word.removesuffix("'s").removesuffix("’s")
        for span in people
        for word in re.findall(r"[^\W\d_][\w'’-]{2,}", text[span.start : span.end])
        if word[0].isupper() and word.lower() not in STOP_WORDS
    }
    if words:
        pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, sorted(words))) + r")\b")
        spread.extend(
            PiiSpan(m.start(), m.end(), "PERSON", SPREAD_SCORE) for m in pattern.finditer(text)
        )
    return spread


def _extend_over_surname(text: str, end: int, cased: bool) -> int:
    """End of the full name that starts with a given name ending at `end`."""
    initial = _INITIAL.match(text, end)
    cursor = initial.end() if initial else end
    for _ in range(2):
        word = _NEXT_WORD.match(text, cursor)
        if word is None or not _surname_like(word.group(1), cased):
            break
        cursor = end = word.end()
        if not cased:  # in lower-cased text only the word right after the given name
            break
    return end


def _surname_like(word: str, cased: bool) -> bool:
    if word.lower() in STOP_WORDS or len(word) < 2:
        return False
    return word[0].isupper() if cased else len(word) >= 3


def _cut_at_stop_word(text: str, start: int, end: int) -> int:
    """End of the name before its first stop word ("borna jerković but ..." -> "borna jerković")."""
    for word in _TOKEN.finditer(text, start, end):
        if word.group().lower() in STOP_WORDS:
            return start + len(text[start : word.start()].rstrip(" \t"))
    return end


def _contact_card_names(text: str, spans: list[PiiSpan]) -> list[PiiSpan]:
    """The name-shaped first line of a block that goes on with an address, phone or email
    (a signature or contact card: "Satu Elomo\n\n45818 P.O. Box 242 ...")."""
    contacts = [s.start for s in spans if s.entity_type in _CONTACT_TYPES]
    if not contacts:
        return []
    return [
        PiiSpan(m.start(1), m.end(1), "PERSON", CONTACT_CARD_SCORE)
        for m in _HEADING_NAME.finditer(text)
        if not any(w.lower() in STOP_WORDS for w in m.group(1).split())
        and any(m.end(1) < start <= m.end(1) + _CONTACT_REACH for start in contacts)
    ]
