"""How well a name word matches a stored key (exact, prefix, sounds like, typo) and birth-date closeness."""

from __future__ import annotations

from functools import lru_cache

from rapidfuzz.distance import JaroWinkler

from coordinator_tui.domain.names import phonetic

TYPO_THRESHOLD = 0.82


@lru_cache(maxsize=4096)
def phonetic_key(word: str) -> str:
    return phonetic(word)


@lru_cache(maxsize=65536)
def _word_score(query: str, key: str, key_phonetic: str) -> tuple[float, str]:
    """How well one query word matches one stored key: (score 0..1, kind of match)."""
    if not key:
        return 0.0, ""
    if key == query:
        return 1.0, "exact"
    if key.startswith(query):
        return 0.93, "prefix"
    if len(query) >= 4 and query in key:
        return 0.86, "part"  # one half of a double surname
    sim = JaroWinkler.normalized_similarity(query, key)  # both are keys already
    if phonetic_key(query) == key_phonetic and sim >= 0.6:
        return 0.80 + 0.05 * sim, "sound"
    if sim >= TYPO_THRESHOLD:
        return 0.70 * sim + 0.05, "typo"
    return 0.5 * sim, "weak"


def part_or_similar(word: str, term: str, **_kw) -> float:
    return 0.9 if len(word) >= 4 and word in term else JaroWinkler.normalized_similarity(word, term)


NAME_REASON = {"exact": "exact name", "prefix": "name starts", "part": "name part",
                "sound": "sounds like", "typo": "typo", "partial": "part of name",
                "weak": "weak name"}


_KIND_ORDER = {"exact": 0, "prefix": 1, "part": 2, "sound": 3, "typo": 4, "partial": 5, "weak": 6}


def name_match(pairings, row: tuple) -> tuple[float, str]:
    """Best (score, worst word kind) over the pairings (both ways round) for a candidate row."""
    family_key, given_key, family_ph, given_ph = row[4], row[5], row[6], row[7]
    best = (0.0, "weak")
    for family, given in pairings:
        f_score, f_kind = _word_score(family, family_key, family_ph)
        if given is None:
            g_score, g_kind = _word_score(family, given_key, given_ph)
            if g_score > f_score:  # one word matching the given name only: ranked lower
                score, kind = g_score * 0.9, g_kind
            else:
                score, kind = f_score, f_kind
        else:
            g_score, g_kind = _word_score(given, given_key, given_ph)
            score = (f_score + g_score) / 2
            # The worse kind, the family's on a tie (as max() with a key chose, without a call
            # per row and pairing).
            kind = f_kind if _KIND_ORDER[f_kind] >= _KIND_ORDER[g_kind] else g_kind
            if kind == "weak" and score >= 0.6:
                kind = "partial"  # one name right, the other not: kept, ranked by score
        if score > best[0]:
            best = (score, kind)
    return best


def date_closeness(wanted: str, stored: str) -> float:
    """1 for the same ISO date, 0.5 for a likely slip (day and month swapped, one digit off)."""
    if wanted == stored:
        return 1.0
    if len(wanted) != 10 or len(stored) != 10:
        return 0.0
    if wanted[:4] != stored[:4] and wanted[5:] != stored[5:]:
        return 0.0  # another year and another day: two characters off at least (most rows)
    if wanted[:4] == stored[:4] and wanted[5:7] == stored[8:10] and wanted[8:10] == stored[5:7]:
        return 0.5
    if sum(map(str.__ne__, wanted, stored)) == 1:  # one character off (both are 10 long)
        return 0.5
    return 0.0

