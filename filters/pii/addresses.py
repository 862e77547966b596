"""Street addresses in many countries' layouts, from regex anchors grown into address blocks.

spaCy small tags almost no street addresses, and Presidio has no recognizer for them. An
address is found in two steps:

1. anchors: parts that are addresses on their own, e.g. a house number with a street type
   ("14 Crown Street", "Via Roma 131", "Søndergade 52"), a unit ("Suite 501", "P.O. Box 149"),
   a military address ("APO AE 09012") or a city-state-zip line ("Salem, OR 97301");
2. weak parts, e.g. a name with a house number ("Allika 46") or a postal code, that count only
   next to an anchor (the rest of the block) or after address words ("lives on", "address").

Name words must be capitalised, except in texts with no capitals at all.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

from filters.pii.patterns import CAP_WORD, LETTER, UPPER, WORD
from filters.pii.spans import PiiSpan, carve

ANCHOR_SCORE = 0.86  # above spaCy's 0.85: an address beats the same span as a FAC/LOC
_SP = r"[ \t]+"
_NUM = r"\d{1,5}[A-Za-z]?(?:[/-]\d{1,4}[A-Za-z]?)?\.?"
_PARTICLE = (
    r"(?:de|del|della|dei|degli|di|da|do|dos|das|du|des|la|le|les|van|von|der|den|ten|ter|"
    r"y|e|el|al|na|and|am|an|im|of|the|ul\.)"
)
# Street types that follow the name (USPS suffixes and their common abbreviations).
_TYPES_AFTER = (  # noqa: SIM905 (a word list reads better than a 200-item literal)
    "street streets st str avenue ave av road rd roads boulevard blvd lane ln lanes drive dr "
    "drives court ct courts place pl square sq squares terrace ter way ways close crescent "
    "cres parkway pkwy highway hwy circle cir circles row alley path trail trl walk walks plaza "
    "route rte pike turnpike tpke park parks expressway expy freeway fwy causeway grove groves "
    "gardens gdns green greens heights hts hill hills point points crossing crossroad "
    "crossroads junction mews quay wharf esplanade promenade rise vale view views villas "
    "estate estates landing ridge ridges run loop bend bypass common commons creek cove coves "
    "fork forks forge forges flat flats dale dales isle island islands rapids rapid union "
    "unions pass port ports mall mill mills ville meadow meadows orchard oval manor lodge glen "
    "glens gateway harbor harbour haven fort ford fords ferry field fields falls divide dam "
    "crest corner corners club cliff cliffs center centre camp burg burgs branch brook brooks "
    "bridge bluff bluffs bay knoll knolls lake lakes land light lights lock locks motorway "
    "mount mountain mountains neck overpass pine pines plain plains prairie ramp ranch river "
    "shoal shoals shore shores spring springs spur station stream summit trace track tunnel "
    "underpass valley valleys viaduct village villages vista well wells wall walls"
).split()
# Street types that come before the name ("Rue Dielhère", "Via Roma", "ul. Miła").
_TYPES_BEFORE = (
    r"rue|avenue|av\.|avda\.|avenida|rua|via|viale|vicolo|piazza|piazzale|piazzetta|largo|calle|c/|"
    r"paseo|pasaje|plaza|carrer|camino|carretera|ronda|travessa|praça|alameda|estrada|strada|"
    r"corso|ul\.|ulica|al\.|aleja|os\.|plac|boulevard|bd\.?|chemin|allée|impasse|quai|place|"
    r"trg|λεωφόρος|οδός|πλατεία|leoforos|odos|contrada|borgo|lungomare|salita|rambla|travesía"
)
# Street types written as a word ending ("Kiannonkatu", "Strickstrasse", "Nybyvägen").
_TYPE_ENDINGS = (
    r"strasse|straße|str\.|gasse|weg|allee|platz|damm|ufer|vej|vejen|gade|stræde|vegen|veien|"
    r"veg|vei|gata|gatan|gränd|vägen|väg|stig|katu|tie|kuja|polku|straat|laan|gracht|plein|"
    r"kade|steeg|dreef|singel|utca|ulice|ulitsa|stræti|braut|vegur|gatve|iela|tänav"
)
_TYPE_WORDS = (
    r"u\.|út|útja|utca|tee|gade|vej|vei|veg|ulica|sokak|sokağı|cad\.|caddesi|terrasse|allé|"
    r"straße|strasse|gasse|weg|laan|straat|gata|gatan|vägen|väg|tie|katu"
)
# Street types after a name that make an anchor without a house number ("Baker Street").
_STREET = r"(?:Street|St\.|Avenue|Ave\.|Road|Rd\.|Boulevard|Blvd\.|Lane|Drive)"
_SHIP = r"(?:USNS|USNV|USS|USCGC)"
_CORNER = "corner of"
_UNIT = r"(?:suite|ste\.|apt\.?|apartment|appt\.?|bldg\.?)"
_ADDRESS_CONTEXT = (
    "address",
    "live",
    "located",
    "location",
    "based at",
    "office",
    "meet",
    "deliver",
    "ship",
    "send",
    "sent",
    "mail",
    "post",
    "billing",
    "return to",
    "taxi",
    "drive to",
    "head to",
    "pick up",
    "drop",
    "enter on",
    "side of",
    "corner",
    "restaurant",
    "residence",
    "reside",
    "home",
    "house",
    "apartment",
    "moved to",
    "visit",
    "directions",
    "zip",
)
# Every anchor and weak part needs a digit, except a name before a street type, a street type
# before a name, a ship's name and "corner of": texts with none of these hold no address.
_DIGIT = re.compile(r"\d")
_DIGIT_FREE_ANCHOR_WORDS = re.compile(
    rf"(?<!\w)(?i:{_STREET})\b|(?<!\w)(?i:{_TYPES_BEFORE})[ \t]|\b(?i:{_SHIP})[ \t]"
    rf"|(?i:{_CORNER})[ \t]"
)
_TRAILING_TYPE = re.compile(r"[ \t]*(?i:street|st\.|st\b|road|avenue|ave\b)")
_WORD_BEFORE = re.compile(r"(?<![\w'’.-])([\w'’-]+\.?),?[ \t]*\Z")
_WEAK_REACH = 30  # characters between a weak part and an accepted part of the same address
_SENTENCE_BREAK = re.compile(r"[.!?;:]\s|\n\s*\n\s*\n")


def _sources(cased: bool) -> tuple[list[str], list[str]]:
    """(anchor regexes, weak-part regexes); `cased` requires capitalised name words."""
    name = CAP_WORD if cased else WORD
    names = rf"(?:(?:{name}|{_PARTICLE}){_SP}){{0,3}}{name}"
    after = "|".join(t.capitalize() if cased else t for t in _TYPES_AFTER)
    after = rf"(?:{after})\b\.?" if cased else rf"(?i:{after})\b\.?"
    street = rf"{_STREET}\b"
    if not cased:
        street = rf"(?i:{street})"
    endings = "|".join(f"(?<={e})" for e in _TYPE_ENDINGS.split("|"))
    anchors = [
        rf"(?<![\w.])(?:{_NUM}{_SP})+{names}{_SP}{after}",
        rf"(?<![\w.]){names}{_SP}{street}",
        rf"(?<!\w)(?i:{_TYPES_BEFORE}){_SP}{names}(?:{_SP}{_NUM})?",
        rf"\b{LETTER}[\w'’-]*+(?=[ \t]+\d)(?i:{endings}){_SP}{_NUM}",
        rf"(?<!\w)(?i:{_TYPE_WORDS}){_SP}{_NUM}",
        rf"(?<!\w)(?i:{_UNIT})[ \t]*#?[ \t]*\d{{1,5}}[A-Za-z]?\b",
        r"(?i:\bp\.?[ ]?o\.?[ ]?box|\bpost(?:office)?[ ]?box|\bpostfach|\bpsc[ ]\d{1,5},?"
        r"|\bunit[ ]\d{1,5},?)[ \t]+(?i:box[ \t]+)?\d{1,6}",
        r"\b(?i:apo|fpo|dpo)[ \t]+(?i:aa|ae|ap)[ \t]+\d{5}\b",
        rf"\b{_SHIP}{_SP}{CAP_WORD}",
        r"(?<=\w),?[ \t]+[A-Z]{2}[ \t]+\d{5}(?:-\d{4})?\b",
        rf"(?i:{_CORNER}){_SP}(?:{name}|\d+|{_PARTICLE})(?:{_SP}(?:{name}|\d+|{_PARTICLE})){{0,5}}"
        rf"{_SP}and{_SP}(?:{name}|\d+|{_PARTICLE})(?:{_SP}(?:{name}|\d+|{_PARTICLE})){{0,4}}",
    ]
    weak = [
        rf"(?<![\w.]){names}{_SP}{_NUM}(?!\w)",
        rf"(?<![\w.,-]){_NUM}{_SP}{names}",
        r"(?<![\w.,-])\d{4,6}(?![\w-])",
        r"(?<!\w)(?i:flat|unit|room|floor|fl\.|rm\.)[ \t]*#?[ \t]*\d{1,5}[A-Za-z]?\b",
        r"(?<![\w.,-])\d{3}[ ]\d{2}(?![\w-])",
        rf"\b{UPPER}\d[A-Z][ ]?\d[A-Z]\d\b|\b[A-Z]{{1,2}}\d[A-Z\d]?[ ]\d[A-Z]{{2}}\b",
    ]
    return anchors, weak


@cache
def _compiled(cased: bool) -> tuple[re.Pattern[str], re.Pattern[str]]:
    anchors, weak = _sources(cased)
    return (
        re.compile("|".join(f"(?:{p})" for p in anchors)),
        re.compile("|".join(f"(?:{p})" for p in weak)),
    )


def find_addresses(
    text: str, lowered: str, places: Sequence[tuple[int, int]] = ()
) -> list[PiiSpan]:
    """Street-address spans in `text` (`lowered` is `text.lower()`, shared with other passes).

    `places` are spans a NER model called cities or countries: weak parts give them up (an
    address block's "Estonia 62488" becomes a place and a postal code), anchors do not.
    """
    if _DIGIT.search(text) is None and _DIGIT_FREE_ANCHOR_WORDS.search(text) is None:
        return []
    cased = not text.islower()
    anchor_re, weak_re = _compiled(cased)
    anchors = [(_extend_left(text, m.start(), cased), m.end()) for m in anchor_re.finditer(text)]
    weak = [m.span() for m in weak_re.finditer(text)]
    if not anchors and not weak:
        return []
    in_context = [
        any(word in lowered[max(0, start - 40) : start] for word in _ADDRESS_CONTEXT)
        or _TRAILING_TYPE.match(text, end) is not None
        for start, end in weak
    ]
    accepted_weak = _grow(text, anchors, weak, in_context)
    weak_parts = [PiiSpan(s, e, "STREET_ADDRESS", ANCHOR_SCORE) for s, e in accepted_weak]
    parts = anchors + [(p.start, p.end) for p in carve(text, weak_parts, places)]
    return [PiiSpan(s, e, "STREET_ADDRESS", ANCHOR_SCORE) for s, e in _merge(text, parts)]


def _grow(
    text: str, anchors: list[tuple[int, int]], weak: list[tuple[int, int]], in_context: list[bool]
) -> list[tuple[int, int]]:
    """The weak parts that belong to an address: those after address words, and, chained,
    those near an anchor or an accepted part (one sweep each way, so linear after sorting)."""
    parts = sorted(
        [(s, e, True, False) for s, e in anchors]
        + [(s, e, ok, True) for (s, e), ok in zip(weak, in_context, strict=True)]
    )
    accepted = [ok for _, _, ok, _ in parts]
    for order in (range(len(parts)), range(len(parts) - 1, -1, -1)):
        reach: tuple[int, int] | None = None
        for i in order:
            span = parts[i][:2]
            if not accepted[i] and reach is not None and _near(text, span, reach):
                accepted[i] = True
            if accepted[i]:
                reach = span
    return [
        (s, e) for (s, e, _, is_weak), ok in zip(parts, accepted, strict=True) if is_weak and ok
    ]


def _extend_left(text: str, start: int, cased: bool) -> int:
    """Grow an anchor over the house number and street-name words before it on its line
    ("Kálmán Imre" + "u. 12."); in lower-cased text only over numbers."""
    for _ in range(4):
        word = _WORD_BEFORE.search(text, max(0, start - 64), start)
        if word is None or not (
            word.group(1)[0].isdigit() or (cased and word.group(1)[0].isupper())
        ):
            break
        start = word.start(1)
    return start


def _near(text: str, a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Whether two parts are close enough, with no sentence break between, to be one address."""
    if a[0] < b[1] and b[0] < a[1]:
        return True
    gap = text[a[1] : b[0]] if a[1] <= b[0] else text[b[1] : a[0]]
    return len(gap) <= _WEAK_REACH and not _SENTENCE_BREAK.search(gap)


def _merge(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Union overlapping parts, and join parts separated only by spaces, commas or a newline."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and (start <= merged[-1][1] or not text[merged[-1][1] : start].strip(" \t,\n")):
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
