"""Name normalisation for search keys.

The name is always stored as typed; these functions derive the keys it is searched by, so
"Müller", "MULLER" and "muller" meet in one index entry, and "Smyth" finds "Smith".

Scripts without a Latin transliteration (Chinese, Cyrillic, Greek, Arabic...) keep their letters,
case-folded and without combining marks: `fold("Иванов") == "иванов"`. So the ASCII-only promise
([a-z0-9 ]) holds for Latin-script and digit input only; other scripts are searchable by exact
and prefix key, never silently emptied.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import jellyfish
from rapidfuzz.distance import JaroWinkler

# Letters that NFKD does not decompose into "base letter + accent".
_LETTER_MAP = str.maketrans(
    {
        "ß": "ss",  # casefold already does this; kept for clarity
        "ø": "o",
        "æ": "ae",
        "œ": "oe",
        "ł": "l",
        "đ": "d",
        "ð": "d",
        "þ": "th",
        "ı": "i",
        "ħ": "h",
        "ŧ": "t",
        "ĸ": "k",
    }
)

# Removed without leaving a space: they join parts of one word (O'Neil, St. John -> "st john").
# The acute accent U+00B4 is used as an apostrophe by some keyboards; NFKD would turn it into a
# space, so it goes here, before decomposition.
_JOINERS = frozenset("'`.\u2018\u2019\u02bc\u02bb\u00b4\u2032")


def fold(text: str) -> str:
    """Case-fold, strip accents and punctuation: "Ñúñez-O'Brien, Jr." -> "nunez obrien jr".

    Hyphens, commas, slashes and other punctuation become a single space. Digits of any script
    become ASCII digits. Letters of non-Latin scripts are kept (see module docstring).
    """
    if not text:
        return ""
    text = text.casefold().translate(_LETTER_MAP)
    text = "".join(ch for ch in text if ch not in _JOINERS)
    out: list[str] = []
    for ch in unicodedata.normalize("NFKD", text):
        category = unicodedata.category(ch)
        if category[0] == "M" or category == "Cf":
            continue  # accents, and invisible format characters (soft hyphen, zero-width joiner)
        if ch.isdecimal():
            out.append(str(unicodedata.decimal(ch)))
        elif ch.isalnum():
            out.append(ch)
        else:
            out.append(" ")
    # NFC puts back together what NFKD split in non-Latin scripts (Hangul syllables).
    folded = unicodedata.normalize("NFC", "".join(out))
    # NFKD can decompose compatibility letters into upper case or punctuation again (rare);
    # a second casefold keeps the output stable: fold(fold(x)) == fold(x).
    return " ".join(folded.casefold().translate(_LETTER_MAP).split())


@lru_cache(maxsize=8192)
def name_key(text: str) -> str:
    """The folded name without spaces, for exact and prefix range queries: "van der Berg" -> "vanderberg".

    Cached: registration's duplicate check compares the typed name with every namesake born that
    day, inside its write transaction, and the same names come back again and again."""
    return fold(text).replace(" ", "")


def name_tokens(text: str) -> list[str]:
    """The folded parts of a name: "Smith-Jones" -> ["smith", "jones"]."""
    return fold(text).split()


def phonetic(text: str) -> str:
    """A sound-alike key: equal for Jon/John, Smyth/Smith, Catherine/Katherine, Müller/Mueller.

    Metaphone, not NYSIIS: NYSIIS gives Smith "SNAT" but Smyth "SNYT". Metaphone only understands
    a-z, so digits are ignored, and a name with no Latin letters at all keys on its folded letters
    (an exact-match key, better than an empty one that would match every other such name).
    Metaphone keeps consonants only (John and Jane share "JN"): use it to gather candidates and
    `similarity` to rank them.
    """
    return phonetic_of_key(name_key(text))


def phonetic_of_key(key: str) -> str:
    """`phonetic` of a name whose `name_key` is already known."""
    latin = "".join(ch for ch in key if "a" <= ch <= "z")
    if latin:
        return jellyfish.metaphone(latin)
    return "".join(ch for ch in key if not ch.isdigit())


def similarity(a: str, b: str) -> float:
    """Typo tolerance in 0..1 (Jaro-Winkler on name keys, which rewards a shared start).

    An empty name is similar to nothing, not identical to another empty name.
    """
    return similarity_of_keys(name_key(a), name_key(b))


def similarity_of_keys(key_a: str, key_b: str) -> float:
    """`similarity` of two names whose `name_key`s are already known."""
    if not key_a or not key_b:
        return 0.0
    return float(JaroWinkler.normalized_similarity(key_a, key_b))
