"""The lookup's name vocabulary in memory (services/patients/lookup_vocab.py): it answers as the
SQL it replaced did, a name registered anywhere is found by the very next search, and a file
replaced under the same path (a restore) is read again, not mixed with the old one."""

from __future__ import annotations

import sqlite3
from datetime import date

from coordinator_tui.domain.names import name_key, phonetic
from coordinator_tui.services.patients.lookup import search_patients
from coordinator_tui.services.patients.lookup_sql import (
    SQL_FAMILY_PREFIX,
    SQL_VOCAB_PHONETIC,
    SQL_VOCAB_PREFIX,
    statements_for,
    upper_bound,
)
from coordinator_tui.services.patients.lookup_vocab import (
    NameVocabulary,
    trigrams,
    vocabulary_for,
    warm_vocabulary,
)
from tests.helpers.clinic_files import copy_clinic
from tests.helpers.lookup import add_patient


def _insert(conn: sqlite3.Connection, family: str, given: str, mrn: str) -> None:
    """A patient written by raw SQL (as an import or another tool would): the triggers alone
    put the name into the vocabulary."""
    conn.execute(
        "INSERT INTO patients (mrn, given_name, family_name, family_key, given_key, family_phonetic, "
        "given_phonetic, birth_date, sex, country, preferred_language, created_at, updated_at, version_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, '1999-09-09', 'F', 'US', 'English', "
        "'2026-01-01 00:00:00.000000', '2026-01-01 00:00:00.000000', 1)",
        (mrn, given, family, name_key(family), name_key(given), phonetic(family), phonetic(given)))
    conn.commit()


def test_answers_as_the_sql_it_replaced(seeded_path):
    conn = sqlite3.connect(seeded_path)
    vocab = NameVocabulary()
    vocab.refresh(conn)
    family = [r[0] for r in conn.execute("SELECT key, phonetic FROM patient_search_vocab WHERE kind = 'f'")]
    assert vocab.size() == conn.execute("SELECT count(*) FROM patient_search_vocab").fetchone()[0]
    for key in family[::7]:
        sound = phonetic(key)
        assert vocab.sounds_like("f", sound) == [r[0] for r in conn.execute(SQL_VOCAB_PHONETIC, ("f", sound))]
        for head in (key[:1], key[:2], key[:3]):
            assert vocab.with_prefix("f", head) == [
                r[0] for r in conn.execute(SQL_VOCAB_PREFIX, ("f", head, upper_bound(head)))]
    conn.close()


def test_trigram_neighbours_share_trigrams_most_shared_first(seeded_path):
    conn = sqlite3.connect(seeded_path)
    _insert(conn, "Wallace-Gilmore", "Iona", "M7700001")
    _insert(conn, "Gilmore", "Ruth", "M7700002")
    vocab = NameVocabulary()
    vocab.refresh(conn)
    found = vocab.sharing_trigrams("f", "gilmour")
    assert {"gilmore", "wallacegilmore"} <= set(found)
    assert all(trigrams("gilmour") & trigrams(term) for term in found)
    shared = [len(trigrams("gilmour") & trigrams(term)) for term in found]
    assert shared == sorted(shared, reverse=True)
    assert len(found) <= 80
    assert vocab.sharing_trigrams("f", "zq") == []  # under three letters: no trigram
    conn.close()


def test_a_name_registered_after_the_first_search_is_found_by_the_next(ctx, desk_user, seeded_path):
    add_patient(ctx, "Abernathy", "Cyril", date(1955, 5, 5))
    assert search_patients(ctx, desk_user, "abernahty cyril")  # the vocabulary is read now
    conn = sqlite3.connect(seeded_path)
    _insert(conn, "Brzęczyszczykiewicz", "Ottoline", "M7700003")  # another desk, raw SQL
    conn.close()
    hits = search_patients(ctx, desk_user, "brzeczyszczykewicz")  # a typo: via the vocabulary
    assert hits and hits[0].mrn == "M7700003"
    mrn = search_patients(ctx, desk_user, "zqxwvutsrqp")
    assert mrn == []
    new_id = add_patient(ctx, "Zqxwvutsrqp", "Ida", date(1990, 1, 1))  # this desk, the app's path
    assert [h.id for h in search_patients(ctx, desk_user, "zqxwvutsrpq")][:1] == [new_id]


def test_a_file_replaced_under_the_same_path_is_read_again(ctx, desk_user, seeded_path, tmp_path):
    before = copy_clinic(seeded_path, tmp_path / "before.sqlite")
    conn = sqlite3.connect(seeded_path)
    _insert(conn, "Quillfeather", "Ada", "M7700004")
    conn.close()
    assert search_patients(ctx, desk_user, "quilfeather")[0].mrn == "M7700004"
    vocab = vocabulary_for(ctx.db)
    assert "quillfeather" in vocab.sharing_trigrams("f", "quilfeather")
    ctx.db.dispose()
    copy_clinic(before, seeded_path)  # restored: the name never existed in this file
    conn = sqlite3.connect(seeded_path)
    _insert(conn, "Gravesend", "Tom", "M7700005")  # and one other row: the same highest id again
    conn.close()
    assert search_patients(ctx, desk_user, "gravsend")[0].mrn == "M7700005"
    assert "quillfeather" not in vocab.sharing_trigrams("f", "quilfeather")


def test_warmed_at_sign_in_before_any_search(ctx):
    conn = sqlite3.connect(ctx.db.path)
    count = conn.execute("SELECT count(*) FROM patient_search_vocab").fetchone()[0]
    conn.close()
    assert warm_vocabulary(ctx) == count > 0


def test_family_and_given_prefix_ranges_over_the_family_index(seeded_path):
    """"clara d": family "clara", given starting "d". Ranging over every given name starting
    "d" instead cost 17-29 ms at 1M patients."""
    conn = sqlite3.connect(seeded_path)
    plan = " ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + SQL_FAMILY_PREFIX,
                                                ("clara", "clarb", "d", "e", 60)))
    assert "ix_patients_family_key_given_key (family_key>? AND family_key<?)" in plan
    conn.close()


def test_both_prefixes_seek_each_name_key_and_keep_the_walks_rows(seeded_path):
    """"smi jo" seeks each family key starting "smi" for the given names starting "jo" (a walk
    read every Smith), and returns the rows the walk returned, in its order, under the LIMIT;
    a name written by raw SQL is found (the triggers put its key in the vocabulary)."""
    conn = sqlite3.connect(seeded_path)
    _insert(conn, "Smithwick", "Jolene", "MSEEK1")
    conn.commit()
    sql = statements_for("sqlite")
    plan = " ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + sql.family_seek,
                                                ("smi", "smj", "jo", "jp", 60)))
    assert "ix_patients_family_key_given_key (family_key=? AND given_key>? AND given_key<?)" in plan
    assert "TEMP B-TREE" not in plan  # the index's order: no sort of every row found
    pairs = conn.execute("SELECT family_key, given_key FROM patients WHERE merged_into_id IS NULL "
                         "ORDER BY id LIMIT 60").fetchall() + [("smithwick", "jolene")]
    compared = found = 0
    for family, given in pairs:
        for fam, giv in ((family[:3], given[:2]), (family, given[:1]), (given[:2], family[:3]), (family[:2], given)):
            walk, seek = ((sql.given_prefix, sql.given_seek) if len(giv) > len(fam)
                          else (sql.family_prefix, sql.family_seek))
            params = (fam, upper_bound(fam), giv, upper_bound(giv), 3)
            rows = conn.execute(walk, params).fetchall()
            assert conn.execute(seek, params).fetchall() == rows, (fam, giv)
            compared += 1
            found += bool(rows)
    assert compared == 244 and found >= 150, found  # most of them find rows to compare
    assert "MSEEK1" in [r[1] for r in conn.execute(sql.family_seek, ("smithw", "smithx", "jol", "jom", 3))]
    conn.close()
