"""The prebuilt lookup statements (Core, raw SQL over the indexed search keys)."""

from __future__ import annotations

from collections.abc import Iterable

CANDIDATES = 200  # rows fetched per candidate query


HIT_COLUMNS = ("p.id, p.mrn, p.family_name, p.given_name, p.family_key, p.given_key, "
            "p.family_phonetic, p.given_phonetic, p.birth_date, p.sex, p.phone_mobile, "
            "p.phone_home, p.alerts, p.merged_into_id, p.phone_mobile_rev, p.phone_home_rev")


ACTIVE_PATIENT = "p.merged_into_id IS NULL"


# Prebuilt statements (raw SQL through the connection: the ORM costs 6-8x on the hot path).
SQL_BY_MRN = f"SELECT {HIT_COLUMNS} FROM patients p WHERE p.mrn = ?"


SQL_BY_ID = f"SELECT {HIT_COLUMNS} FROM patients p WHERE p.id = ?"


SQL_BY_MEMBER = (f"SELECT {HIT_COLUMNS} FROM coverages c JOIN patients p ON p.id = c.patient_id "
                 f"WHERE c.member_id = ? AND {ACTIVE_PATIENT} LIMIT 50")


SQL_BY_PHONE = (f"SELECT {HIT_COLUMNS} FROM patients p WHERE p.phone_mobile_rev = ? AND {ACTIVE_PATIENT} "
                f"UNION SELECT {HIT_COLUMNS} FROM patients p WHERE p.phone_home_rev = ? AND {ACTIVE_PATIENT} "
                f"LIMIT {CANDIDATES}")


# The ids from the two phone indexes alone (covering), then only the rows kept, fetched in id
# order: the same 200 rows, in the same order, as a UNION of the whole rows (which SQLite sorted
# by id), without reading and sorting ~600 wide rows when 3M patients share 300 endings a column.
SQL_BY_LAST4 = (f"SELECT {HIT_COLUMNS} FROM patients p WHERE p.id IN (SELECT id FROM patients "
                f"WHERE phone_mobile_rev >= ? AND phone_mobile_rev < ? UNION SELECT id FROM patients "
                f"WHERE phone_home_rev >= ? AND phone_home_rev < ?) AND {ACTIVE_PATIENT} "
                f"ORDER BY p.id LIMIT {CANDIDATES}")


SQL_BY_DOB = f"SELECT {HIT_COLUMNS} FROM patients p WHERE p.birth_date = ? AND {ACTIVE_PATIENT} LIMIT ?"


# INDEXED BY both ways: without statistics SQLite may range over the other index, and for
# "clara d" read as family "clara", given "d" that walked every given name starting "d" (17-29 ms
# at 1M patients) where the family range holds a few dozen rows.
SQL_FAMILY_PREFIX = (f"SELECT {HIT_COLUMNS} FROM patients p INDEXED BY ix_patients_family_key_given_key "
                     f"WHERE p.family_key >= ? AND p.family_key < ? "
                     f"AND p.given_key >= ? AND p.given_key < ? AND {ACTIVE_PATIENT} LIMIT ?")


# The same question through the other index: for "jo smi" read as family "jo", given "smi", the
# range over given names starting "smi" is far shorter than over family names starting "jo".
SQL_GIVEN_PREFIX = (f"SELECT {HIT_COLUMNS} FROM patients p INDEXED BY ix_patients_given_key_family_key "
                    f"WHERE p.family_key >= ? AND p.family_key < ? "
                    f"AND p.given_key >= ? AND p.given_key < ? AND {ACTIVE_PATIENT} LIMIT ?")


SQL_FAMILY_ONLY = (f"SELECT {HIT_COLUMNS} FROM patients p WHERE p.family_key >= ? AND p.family_key < ? "
                   f"AND {ACTIVE_PATIENT} LIMIT ?")


SQL_GIVEN_ONLY = (f"SELECT {HIT_COLUMNS} FROM patients p INDEXED BY ix_patients_given_key_family_key "
                  f"WHERE p.given_key >= ? AND p.given_key < ? AND {ACTIVE_PATIENT} LIMIT ?")


SQL_VOCAB_PHONETIC = ("SELECT key FROM patient_search_vocab WHERE kind = ? AND phonetic = ? "
                      "LIMIT 60")


SQL_VOCAB_PREFIX = ("SELECT key FROM patient_search_vocab WHERE kind = ? AND key >= ? AND key < ? "
                    "LIMIT 300")


SQL_VOCAB_TRIGRAM = ("SELECT v.key FROM patient_search_trigram t JOIN patient_search_vocab v "
                     "ON v.id = t.rowid WHERE patient_search_trigram MATCH ? AND v.kind = ? "
                     "ORDER BY t.rank LIMIT 80")


SQL_TODAY = ("SELECT DISTINCT a.patient_id FROM appointments a WHERE a.starts_at >= ? "
             "AND a.starts_at < ? AND a.status NOT IN ('cancelled')")


SQL_NEXT_APPT = ("SELECT a.patient_id, min(a.starts_at) FROM appointments a "
                 "WHERE a.patient_id IN ({marks}) AND a.starts_at >= ? "
                 "AND a.status IN ('scheduled', 'confirmed', 'arrived', 'roomed', 'with_provider') "
                 "GROUP BY a.patient_id")


# Only the results' own (birth date, family key) pairs, each an index probe: IN lists of the
# dates and of the keys asked for every date with every key (400 probes for 20 results).
SQL_DUPES = ("SELECT p.birth_date, p.family_key, count(*) FROM patients p "
             "WHERE ({pairs}) AND " + ACTIVE_PATIENT + " GROUP BY p.birth_date, p.family_key")


def pair_marks(count: int) -> str:
    return " OR ".join(["(p.birth_date = ? AND p.family_key = ?)"] * count)


def in_marks(count: int) -> str:
    return ", ".join("?" * count)


def upper_bound(prefix: str) -> str:
    """The smallest string above every string starting with `prefix` (for range queries)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def trigram_query(word: str) -> str | None:
    if len(word) < 3:
        return None
    grams = {word[i:i + 3] for i in range(len(word) - 2)}
    return " OR ".join('"' + g.replace('"', '""') + '"' for g in sorted(grams))


def chunks(items: list, size: int) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]

