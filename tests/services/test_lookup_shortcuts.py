"""The lookup's cheaper ways to the same answer (issue 23 point 3, issue 20 item 3): each is
checked against the plain computation it replaced, and the searches against the questions they
no longer ask."""

from __future__ import annotations

import random
import sqlite3
from datetime import date

from rapidfuzz import process

from coordinator_tui.services.patients import lookup_pg, lookup_search
from coordinator_tui.services.patients.lookup import search_patients
from coordinator_tui.services.patients.lookup_scores import part_or_similar
from coordinator_tui.services.patients.lookup_search import FUZZY_TERMS, _parts_or_close
from coordinator_tui.services.patients.lookup_vocab import (
    SORT_AT_MOST,
    TRIGRAM_LIMIT,
    NameVocabulary,
    trigrams,
)
from tests.helpers import engines
from tests.helpers.lookup import add_patient


def _vocabulary(tmp_path, keys: list[str]) -> NameVocabulary:
    """A vocabulary read from a table holding `keys` as family names (as migration 0002's)."""
    conn = sqlite3.connect(tmp_path / "vocab.sqlite")
    conn.execute("CREATE TABLE patient_search_vocab (id INTEGER PRIMARY KEY, kind TEXT, key TEXT, phonetic TEXT)")
    conn.executemany("INSERT INTO patient_search_vocab (kind, key, phonetic) VALUES ('f', ?, '')",
                     [(k,) for k in keys])
    conn.commit()
    vocab = NameVocabulary()
    vocab.refresh(conn)
    conn.close()
    return vocab


def _by_sorting_all(keys: list[str], word: str) -> list[str]:
    """The trigram neighbours by their definition: every term sharing a trigram, sorted by
    (most distinct trigrams shared, closest length, name), the first TRIGRAM_LIMIT."""
    grams = trigrams(word)
    shared = [(-len(grams & trigrams(k)), abs(len(k) - len(word)), k) for k in keys]
    return [k for n, _d, k in sorted(shared) if n < 0][:TRIGRAM_LIMIT]


def test_trigram_neighbours_when_hundreds_tie_at_the_floor(tmp_path):
    """A word sharing only a common trigram ("han") ties with hundreds of terms: the closest
    lengths win, then the names, as sorting them all did."""
    rng = random.Random(11)
    letters = "abehknorst"
    keys = sorted({"".join(rng.choice(letters) for _ in range(rng.randrange(3, 13))) for _ in range(4000)}
                  | {f"han{''.join(rng.choice(letters) for _ in range(rng.randrange(0, 9)))}" for _ in range(900)})
    rng.shuffle(keys)  # term numbers (ids) in no particular order
    vocab = _vocabulary(tmp_path, keys)
    words = ["hhan", "han", "jhonson", "shannon", "kkkhanzzz", "zzzz", "ab", *rng.sample(keys, 150)]
    words += ["".join(rng.choice(letters) for _ in range(rng.randrange(3, 15))) for _ in range(150)]
    crowded = 0
    for word in words:
        assert vocab.sharing_trigrams("f", word) == _by_sorting_all(keys, word), word
        shared = sorted((len(trigrams(word) & trigrams(k)) for k in keys), reverse=True)
        floor = max(shared[TRIGRAM_LIMIT - 1], 1)
        crowded += sum(1 for n in shared if n >= floor) > SORT_AT_MOST
    assert crowded >= 50  # the shortcut itself was exercised, not only the full sort


def test_parts_or_close_chooses_as_rapidfuzz_extract_with_the_python_scorer():
    rng = random.Random(5)
    letters = "aeilnorst"
    for _ in range(400):
        word = "".join(rng.choice(letters) for _ in range(rng.randrange(2, 9)))
        terms = ["".join(rng.choice(letters) for _ in range(rng.randrange(2, 12))) for _ in range(80)]
        terms += [word + "son", "mc" + word, word[:-1] + "x" + word[-1:]]  # parts and near ties
        expected = [t for t, _s, _i in process.extract(word, terms, scorer=part_or_similar,
                                                        limit=FUZZY_TERMS, score_cutoff=0.75)]
        assert _parts_or_close(word, terms) == expected, word


def _trigram_questions(monkeypatch) -> list[str]:
    """The words whose trigram neighbours a search asks for, on either engine."""
    asked: list[str] = []
    if engines.on_postgresql():
        near = set(lookup_pg.VOCAB_NEAR.values())
        fetch = lookup_pg.PgStatements.fetch_ahead

        def spy(self, statements):
            asked.extend(params[0] for sql, params in statements if sql in near)
            return fetch(self, statements)

        monkeypatch.setattr(lookup_pg.PgStatements, "fetch_ahead", spy)
    else:
        sharing = NameVocabulary.sharing_trigrams

        def spy(self, kind, word):
            asked.append(word)
            return sharing(self, kind, word)

        monkeypatch.setattr(NameVocabulary, "sharing_trigrams", spy)
    return asked


def test_no_trigram_question_when_sound_alikes_and_close_spellings_fill_the_terms(ctx, desk_user, monkeypatch):
    """One word looks for the word inside double surnames too (the trigram neighbours), but
    those come after its sound-alikes and close spellings: with FUZZY_TERMS of them found the
    neighbours could not change the list, so they are not asked for."""
    for letter in "bcdfghjklm":  # ten spellings one letter from "quenbaz", all close
        add_patient(ctx, f"Quenba{letter}", "Ilse", date(1970, 1, 1))
    add_patient(ctx, "Zorvind", "Ilse", date(1970, 1, 1))
    asked = _trigram_questions(monkeypatch)
    hits = search_patients(ctx, desk_user, "quenbaz")
    assert sum(h.family_name.startswith("Quenba") for h in hits) == FUZZY_TERMS  # the best 8 expanded
    assert "quenbaz" not in asked
    # Fewer close spellings than that: the neighbours may still make the list, so they are asked.
    hits = search_patients(ctx, desk_user, "zorvint")
    assert "zorvint" in asked and [h.family_name for h in hits][:1] == ["Zorvind"]


def test_the_shortcut_answers_as_asking_the_neighbours_would(ctx, desk_user, monkeypatch):
    """The same rows, scores and reasons with and without the trigram questions skipped."""
    for letter in "bcdfghjklm":
        add_patient(ctx, f"Quenba{letter}", "Ilse", date(1970, 1, 1))
    add_patient(ctx, "Mcquenbaz-Ortiz", "Ilse", date(1971, 1, 1))  # holds the word: a neighbour
    searches = ["quenbaz", "quenbaz ilse", "ilse quenbaz", "quenbax", "qeunbaz"]
    quick = [[(h.id, h.score, h.reason) for h in search_patients(ctx, desk_user, text)] for text in searches]

    def as_before(self, kind, word, parts, deep):  # the condition without the shortcut
        return deep and len(word) >= 4 and (parts or self._fuzzy_first(kind, word)[2] < 0.9)

    monkeypatch.setattr(lookup_search.Search, "_wants_trigrams", as_before)
    slow = [[(h.id, h.score, h.reason) for h in search_patients(ctx, desk_user, text)] for text in searches]
    assert quick == slow
