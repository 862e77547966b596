"""Cheap regex recognizers that run before (and without) spaCy.

Presidio's own recognizers cover email, IBAN, IP and SSN. Here are the ones Presidio lacks or
gets wrong on real data: credit cards outside Presidio's prefix list, phone numbers in national
formats that `phonenumbers` cannot place without a region, and secrets (cloud keys, GitHub and
vendor tokens, bearer tokens, assigned API keys, PEM private keys). Names are in `names.py`,
street addresses in `addresses.py`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import phonenumbers

from filters.pii.spans import PiiSpan


def _char_class(predicate: Callable[[str], bool]) -> str:
    """A regex character class of Latin, Greek and Cyrillic letters that satisfy `predicate`."""
    return "".join(re.escape(c) for c in map(chr, range(0x41, 0x530)) if predicate(c))


UPPER = f"[{_char_class(str.isupper)}]"
LETTER = r"[^\W\d_]"
# A word that starts with a letter: street and place names, including "Vana-Viru", "O'Neil".
WORD = rf"{LETTER}[\w'’-]*\.?"
# A capitalised word: the default shape of names in mixed-case text (with an optional dot).
CAP_NAME = rf"{UPPER}[\w'’-]*"
CAP_WORD = rf"{CAP_NAME}\.?"


@dataclass(frozen=True)
class RegexRecognizer:
    """One regex for one entity type, with an optional validator and context words.

    `group` selects the part of the match that is the entity (e.g. the token after "Bearer").
    A `context` word in the `CONTEXT_WINDOW` characters before a match raises its score by
    `CONTEXT_BOOST` (Presidio's context enhancement), which lifts weak shapes such as a bare
    digit run over the threshold only after "phone:" or "call". `required_substrings` and
    `required` are cheap pre-checks: the regex runs only on texts that contain one of the
    substrings (lower-cased) and a match of `required` (what the regex cannot match without).
    """

    entity_type: str
    pattern: re.Pattern[str]
    score: float
    group: int = 0
    validate: Callable[[str], float | None] | None = None
    context: tuple[str, ...] = ()
    required_substrings: tuple[str, ...] = ()
    required: re.Pattern[str] | None = None

    def find(self, text: str, lowered: str) -> Iterable[PiiSpan]:
        if self.required_substrings and not any(s in lowered for s in self.required_substrings):
            return
        if self.required is not None and self.required.search(text) is None:
            return
        for match in self.pattern.finditer(text):
            start, end = match.span(self.group)
            score = self.score
            if self.validate is not None:
                validated = self.validate(match.group(self.group))
                if validated is None:
                    continue
                score = validated
            if self.context and has_context(lowered, start, self.context):
                score = min(1.0, score + CONTEXT_BOOST)
            yield PiiSpan(start, end, self.entity_type, score)


CONTEXT_WINDOW = 40
CONTEXT_BOOST = 0.35


def has_context(lowered: str, start: int, words: tuple[str, ...]) -> bool:
    """Whether any context word occurs shortly before `start` (Presidio's context idea)."""
    window = lowered[max(0, start - CONTEXT_WINDOW) : start]
    return any(word in window for word in words)


# --- phone numbers -----------------------------------------------------------------------------

_PHONE = re.compile(
    r"(?<![\w+/.,:-])"
    r"(?:(?:\+|00)\s?)?"
    r"(?:\(\+?\d{1,4}\)[ .-]?)?"
    r"\d[\d .()\u00a0-]{4,22}\d"
    r"(?:\s?(?:x|ext\.?|#)\s?\d{1,6})?"
    r"(?![\w-]|[.,]\d)"
)
_EXTENSION = re.compile(r"\s?(?:x|ext\.?|#)\s?\d{1,6}$")
_NOT_PHONE = re.compile(
    r"\d{4}[-./]\d{1,2}[-./]\d{1,2}"  # ISO dates
    r"|^\d{1,2}[-./]\d{1,2}[-./](?:19|20)\d\d$"  # d/m/yyyy dates
    r"|^\d{3}([- ])\d{2}\1\d{4}$"  # US SSN layout, left to the SSN recognizer
    r"|^\d{1,3}(?:\.\d{1,3}){3}$"  # IPv4
    r"|^(?:19|20)\d\d\s?-\s?(?:19|20)\d\d$"  # year ranges
)
PHONE_CONTEXT = (
    "phone",
    "tel",
    "mobile",
    "cell",
    "fax",
    "call",
    "desk",
    "contact",
    "whatsapp",
    "number",
    "dial",
    "text me",
    "sms",
    "reach me",
    "ring",
)


def _score_phone(candidate: str) -> float | None:
    """Score a phone-shaped match; `phonenumbers` validates explicit international numbers."""
    body = _EXTENSION.sub("", candidate)
    digits = sum(c.isdigit() for c in body)
    if not 7 <= digits <= 15 or _NOT_PHONE.search(body) or body.count("(") != body.count(")"):
        return None
    if body.startswith(("+", "00")):
        international = "+" + body.removeprefix("+").removeprefix("00").lstrip()
        try:
            number = phonenumbers.parse(international)
        except phonenumbers.NumberParseException:
            return 0.4
        return 0.9 if phonenumbers.is_possible_number(number) else 0.4
    if body.isdigit():
        return 0.3  # a bare digit run is a phone number only with context
    return 0.6


# --- credit cards ----------------------------------------------------------------------------

_CARD = re.compile(
    r"(?<![\w-])(?:\d{12,19}"
    r"|\d{4}([ -])\d{4}\1\d{4}\1\d{1,7}"
    r"|\d{4}([ -])\d{6}\2\d{4,5})(?![\w-])"
)


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum that every payment card number satisfies."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _score_card(candidate: str) -> float | None:
    digits = candidate.replace(" ", "").replace("-", "")
    if len(set(digits)) == 1 or not luhn_valid(digits):
        return None
    return 0.9


# --- secrets -------------------------------------------------------------------------------

_PEM = re.compile(
    r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
    r"(?:[\s\S]*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|[A-Za-z0-9+/=\s\\:,-]*)"
)
_AWS_KEY_PREFIXES = ("AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA", "AIPA", "ANPA", "ANVA", "AROA")
_AWS_KEY_ID = re.compile(rf"\b(?:{'|'.join(_AWS_KEY_PREFIXES)})[A-Z0-9]{{16}}\b")
_AWS_SECRET = re.compile(
    r"(?i)aws.{0,24}?(?:secret|key)[\w-]*[\"']?\s*[:=]\s*[\"']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])"
)
_GOOGLE_KEY = re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")
_AZURE_KEY = re.compile(r"(?i)AccountKey=([A-Za-z0-9+/]{86,88}={0,2})")
_GITHUB = re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b")
_VENDOR_TOKEN = re.compile(
    r"\b(?:xox[abposr]-[A-Za-z0-9-]{10,}"  # Slack
    r"|(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}"  # Stripe
    r"|glpat-[A-Za-z0-9_-]{20,}"  # GitLab
    r"|sk-(?:proj-)?[A-Za-z0-9_-]{32,}"  # OpenAI-style
    r"|SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}"  # SendGrid
    r"|npm_[A-Za-z0-9]{36})\b"
)
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")
_BEARER = re.compile(r"(?i)\b(?:bearer|token)\s+([A-Za-z0-9._~+/-]{20,}=*)")
_ASSIGNED_SECRET = re.compile(
    r"(?i)\b[\w.-]*(?:api[_-]?key|apikey|secret|token|passw(?:or)?d|pwd|auth|credential)[\w.-]*"
    r"[\"']?\s*(?::|=|=>|:=)\s*[\"']?([A-Za-z0-9_\-./+=~!@#$%^&*]{12,})"
)


def _looks_random(candidate: str) -> float | None:
    """A generic secret must mix letters and digits; this keeps out words and prose."""
    has_digit = any(c.isdigit() for c in candidate)
    has_alpha = any(c.isalpha() for c in candidate)
    return 0.8 if has_digit and has_alpha and len(set(candidate)) >= 8 else None


def _varied(candidate: str) -> float | None:
    """A token after "Bearer" is a secret unless it is a plain word."""
    return 0.85 if len(set(candidate)) >= 10 else None


SECRET_RECOGNIZERS = (
    RegexRecognizer("PRIVATE_KEY", _PEM, 1.0, required_substrings=("private key",)),
    RegexRecognizer(
        "CLOUD_KEY",
        _AWS_KEY_ID,
        0.95,
        required_substrings=tuple(prefix.lower() for prefix in _AWS_KEY_PREFIXES),
    ),
    RegexRecognizer("CLOUD_KEY", _AWS_SECRET, 0.9, group=1, required_substrings=("aws",)),
    RegexRecognizer("CLOUD_KEY", _GOOGLE_KEY, 0.95, required_substrings=("aiza",)),
    RegexRecognizer("CLOUD_KEY", _AZURE_KEY, 0.95, group=1, required_substrings=("accountkey",)),
    RegexRecognizer("GITHUB_TOKEN", _GITHUB, 0.95, required_substrings=("gh", "github_pat_")),
    RegexRecognizer(
        "API_KEY",
        _VENDOR_TOKEN,
        0.9,
        required_substrings=("xox", "_live_", "_test_", "glpat-", "sk-", "sg.", "npm_"),
    ),
    RegexRecognizer("API_KEY", _JWT, 0.9, required_substrings=("eyj",)),
    RegexRecognizer(
        "API_KEY", _BEARER, 0.85, group=1, validate=_varied, required_substrings=("bearer", "token")
    ),
    RegexRecognizer(
        "API_KEY",
        _ASSIGNED_SECRET,
        0.8,
        group=1,
        validate=_looks_random,
        required_substrings=("key", "secret", "token", "pass", "pwd", "auth", "credential"),
    ),
)

PHONE_RECOGNIZER = RegexRecognizer(
    "PHONE_NUMBER",
    _PHONE,
    0.6,
    validate=_score_phone,
    context=PHONE_CONTEXT,
    required=re.compile(r"\d"),
)
CARD_RECOGNIZER = RegexRecognizer(
    "CREDIT_CARD", _CARD, 0.9, validate=_score_card, required=re.compile(r"\d{4}")
)
