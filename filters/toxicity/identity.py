"""Identity-term lexicon and the vectorised masker that hides identity terms from a scorer.

Toxicity models learn that mentions of identity groups co-occur with abuse, so they flag
neutral sentences such as "I am a gay man". Replacing identity terms with a neutral token
before scoring (Dixon et al. 2018) removes that shortcut while keeping the words that carry
the abuse. The lexicon is deliberately broad and descriptive: slurs are *not* listed, because
they are abuse and must keep their score.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import pyarrow as pa
import pyarrow.compute as pc

# Descriptive identity terms by group, lower case. Multi-word terms match with spaces or
# hyphens between the words; a plural "s"/"es" and a possessive are matched automatically.
IDENTITY_TERMS: dict[str, tuple[str, ...]] = {
    "sexual_orientation": (
        "gay", "lesbian", "bisexual", "bisexuality", "homosexual", "homosexuality",
        "heterosexual", "heterosexuality", "straight", "queer", "pansexual", "asexual",
        "demisexual", "lgb", "lgbt", "lgbtq", "lgbtqi", "lgbtqia", "glbt", "same sex",
    ),
    "gender_identity": (
        "transgender", "trans", "transsexual", "transwoman", "transwomen", "transman",
        "transmen", "nonbinary", "non binary", "enby", "genderqueer", "genderfluid",
        "gender fluid", "gender nonconforming", "agender", "bigender", "intersex",
        "cisgender", "cis", "two spirit", "female", "male", "woman", "women", "man", "men",
        "girl", "boy", "lady", "ladies",
    ),
    "religion": (
        "muslim", "moslem", "islam", "islamic", "christian", "christianity", "catholic",
        "catholicism", "protestant", "evangelical", "mormon", "lutheran", "baptist",
        "methodist", "anglican", "presbyterian", "pentecostal", "quaker", "amish",
        "jehovah's witness", "jew", "jewish", "judaism", "hindu", "hinduism", "buddhist",
        "buddhism", "sikh", "sikhism", "taoist", "taoism", "jain", "jainism", "zoroastrian",
        "bahai", "shinto", "wiccan", "pagan", "rastafarian", "sunni", "shia",
        "shiite", "atheist", "atheism", "agnostic",
    ),
    "race_ethnicity": (
        "black", "white", "african", "african american", "afro american", "asian",
        "asian american", "east asian", "south asian", "southeast asian", "hispanic",
        "latino", "latina", "latinx", "latine", "chicano", "chicana", "caucasian",
        "native american", "indigenous", "aboriginal", "first nations", "inuit", "maori",
        "pacific islander", "native hawaiian", "middle eastern", "arab", "persian", "kurdish",
        "roma", "romani", "hmong", "desi", "biracial", "multiracial", "mixed race",
        "person of color", "people of color", "poc",
    ),
    "nationality": (
        "american", "canadian", "mexican", "brazilian", "argentinian", "argentine",
        "colombian", "venezuelan", "peruvian", "chilean", "cuban", "puerto rican",
        "dominican", "haitian", "jamaican", "guatemalan", "salvadoran", "honduran",
        "nicaraguan", "british", "english", "scottish", "welsh", "irish", "french", "german",
        "italian", "spanish", "portuguese", "dutch", "belgian", "swiss", "austrian", "swedish",
        "norwegian", "danish", "finnish", "icelandic", "polish", "czech", "slovak",
        "hungarian", "romanian", "bulgarian", "greek", "turkish", "russian", "ukrainian",
        "belarusian", "serbian", "croatian", "bosnian", "albanian", "lithuanian", "latvian",
        "estonian", "georgian", "armenian", "azerbaijani", "european", "chinese", "japanese",
        "korean", "vietnamese", "thai", "filipino", "filipina", "indonesian", "malaysian",
        "singaporean", "burmese", "cambodian", "laotian", "indian", "pakistani",
        "bangladeshi", "sri lankan", "nepali", "nepalese", "afghan", "iranian", "iraqi",
        "syrian", "lebanese", "jordanian", "palestinian", "israeli", "saudi", "yemeni",
        "emirati", "egyptian", "libyan", "tunisian", "algerian", "moroccan", "sudanese",
        "somali", "ethiopian", "eritrean", "kenyan", "ugandan", "tanzanian", "rwandan",
        "nigerian", "ghanaian", "senegalese", "malian", "congolese", "cameroonian",
        "angolan", "zimbabwean", "zambian", "south african", "australian", "new zealander",
        "tibetan", "taiwanese", "mongolian", "kazakh", "uzbek", "immigrant", "migrant",
        "refugee", "asylum seeker", "foreigner",
    ),
    "disability": (
        "disabled", "disability", "disabilities", "handicapped", "blind", "deaf",
        "deafblind", "hard of hearing", "visually impaired", "hearing impaired", "paralyzed",
        "paralysed", "paraplegic", "quadriplegic", "wheelchair user", "amputee", "autistic",
        "autism", "dyslexic", "dyslexia", "adhd", "down syndrome", "down's syndrome",
        "cerebral palsy", "epileptic", "epilepsy", "bipolar", "schizophrenic",
        "mentally ill", "mental illness", "neurodivergent", "chronically ill",
        "special needs", "learning disability", "intellectual disability",
    ),
    "age": (
        "old", "older", "elderly", "middle aged", "young", "younger", "teenage", "teenager",
        "teen", "adolescent", "millennial", "millenial", "gen z", "gen x", "boomer",
        "baby boomer", "senior citizen", "retiree", "pensioner",
    ),
}  # fmt: skip


def _term_pattern(term: str) -> str:
    """Regex for one term: words joined by spaces or hyphens, apostrophes optional."""
    words = [re.escape(word).replace("'", "'?") for word in term.split()]
    return r"[\s\-]+".join(words)


GROUP_LABELS: dict[str, str] = {
    "sexual_orientation": "sexual orientation",
    "gender_identity": "gender identity",
    "religion": "religion",
    "race_ethnicity": "race / ethnicity",
    "nationality": "nationality",
    "disability": "disability",
    "age": "age",
}

TERM_GROUP: dict[str, str] = {
    term: group for group, terms in IDENTITY_TERMS.items() for term in terms
}


def lexicon_terms(extra_terms: Iterable[str] = ()) -> frozenset[str]:
    """The built-in identity terms plus `extra_terms`, lower case."""
    extra = {" ".join(term.lower().split()) for term in extra_terms if term.strip()}
    return frozenset(TERM_GROUP) | extra


def identity_pattern(terms: Iterable[str]) -> str:
    """One case-insensitive pattern, valid for both RE2 (Arrow) and Python `re`.

    Longer terms come first so "african american" wins over "african".
    """
    ordered = sorted(set(terms), key=lambda term: (-len(term), term))
    alternatives = "|".join(_term_pattern(term) for term in ordered)
    return rf"(?i)\b(?:{alternatives})(?:e?s)?\b"


class IdentityMasker:
    """Replaces identity terms with a neutral token, on whole Arrow arrays (RE2, no row loop)."""

    def __init__(self, mask_token: str, extra_terms: Iterable[str] = ()) -> None:
        self.mask_token = mask_token
        self.terms = lexicon_terms(extra_terms)
        self.pattern = identity_pattern(self.terms)
        self._regex = re.compile(self.pattern)
        self._by_spelling = {term.replace("'", ""): term for term in self.terms}

    def mask(self, texts: Sequence[str] | pa.Array | pa.ChunkedArray) -> pa.Array:
        """Masked copy of `texts` as an Arrow string array (nulls stay null)."""
        array = texts if isinstance(texts, pa.Array | pa.ChunkedArray) else pa.array(texts)
        if isinstance(array, pa.ChunkedArray):
            array = array.combine_chunks()
        return pc.replace_substring_regex(
            array.cast(pa.large_string()), self.pattern, self.mask_token
        )

    def find_terms(self, texts: Sequence[str]) -> list[list[str]]:
        """The identity terms named in each text, in canonical lexicon spelling.

        For evaluation and audits, not the scoring path: it loops over rows in Python.
        """
        return [
            [self._canonical(match.group(0)) for match in self._regex.finditer(text or "")]
            for text in texts
        ]

    def _canonical(self, matched: str) -> str:
        words = " ".join(re.split(r"[\s\-]+", matched.lower().replace("'", "")))
        for candidate in (words, words.removesuffix("s"), words.removesuffix("es")):
            if candidate in self._by_spelling:
                return self._by_spelling[candidate]
        return words
