"""The lookup engine: every query kind, on the seeded clinic plus a few patients of our own."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import text as sql
from sqlalchemy import update

from coordinator_tui.domain.names import name_key, phonetic
from coordinator_tui.errors import UserError
from coordinator_tui.services.desk_views import day_appointments
from coordinator_tui.services.patients.lookup import PatientHit, search_patients
from coordinator_tui.store.models import Patient
from tests.conftest import CLINIC_DAY
from tests.helpers.lookup import add_patient
from tests.helpers.pg_clinic import ctx_on_both_engines, pg_ctx, pg_template  # noqa: F401 (fixtures)

BORN = date(1985, 3, 4)


@pytest.fixture
def people(ctx):
    return {
        "muller": add_patient(ctx, "Müller", "Renate", BORN, phone="(617) 555-0199"),
        "oneil": add_patient(ctx, "O'Neil", "Brendan", date(1970, 7, 1), home="508 555 0142"),
        "double": add_patient(ctx, "Quintero-Zamora", "Lucía", date(1992, 12, 31)),
        "quaxley": add_patient(ctx, "Quaxley", "Zebulon", date(1960, 1, 2), member_id="XKA123456789",
                               alerts="Latex allergy"),
        "wrob": add_patient(ctx, "Wroblewski", "Katherine", date(2001, 5, 6)),
        "smyth": add_patient(ctx, "Smyth", "Jon", date(1977, 8, 9)),
        "twin_a": add_patient(ctx, "Vandersloot", "Ana", date(2010, 2, 3)),
        "twin_b": add_patient(ctx, "Vandersloot", "Ava", date(2010, 2, 3)),
    }


def find(ctx, user, text, **kw) -> list[PatientHit]:
    return search_patients(ctx, user, text, **kw)


def ids(hits) -> list[int]:
    return [h.id for h in hits]


def top(ctx, user, text, **kw) -> int | None:
    hits = find(ctx, user, text, **kw)
    return hits[0].id if hits else None


@pytest.mark.parametrize("text", ["muller", "MÜLLER", "Mueller", "müller renate", "renate muller",
                                  "muller, ren", "mul ren"])
def test_accents_case_and_prefixes(ctx, desk_user, people, text):
    assert people["muller"] in ids(find(ctx, desk_user, text))[:5]


@pytest.mark.parametrize("text", ["oneil", "O'Neil", "o neil brendan", "O’NEIL, Brendan"])
def test_apostrophes(ctx, desk_user, people, text):
    assert people["oneil"] in ids(find(ctx, desk_user, text))[:5]


@pytest.mark.parametrize("text", ["quintero-zamora", "quintero zamora lucia", "zamora", "zamora lucia",
                                  "lucia quintero zamora", "Quintero Zamora, Lucía"])
def test_hyphenated_and_double_surnames(ctx, desk_user, people, text):
    assert people["double"] in ids(find(ctx, desk_user, text))[:5]


@pytest.mark.parametrize("text", ["walace-gilmore", "wallace-gilmour", "wallace gilmour",
                                  "walace gilmore", "wsllace-gilmore", "wallace-gilmour, hamish", "hamish walace-gilmore",
                                  "wallace-gilmour 6/7/1958", "walace-gilmore hamish"])
def test_a_typo_inside_a_double_surname(ctx, desk_user, text):
    """Issue 13: a typo in either half of a hyphenated surname found nothing."""
    who = add_patient(ctx, "Wallace-Gilmore", "Hamish", date(1958, 6, 7))
    hits = find(ctx, desk_user, text)
    assert who in ids(hits)[:3], (text, hits[:3])
    assert hits[ids(hits).index(who)].reason.startswith(("typo", "sounds like", "name part")), hits[:3]


@pytest.mark.parametrize("text", ["quaxley zebulon", "zebulon quaxley", "quaxley, zebulon",
                                  "zeb quax"])
def test_first_and_last_either_way_round(ctx, desk_user, people, text):
    assert top(ctx, desk_user, text) == people["quaxley"]


@pytest.mark.parametrize("text", ["quaxly", "qauxley zebulon", "zebulon quaxlee", "wroblewsky katherine",
                                  "wroblewski katherime"])
def test_a_typo(ctx, desk_user, people, text):
    hits = find(ctx, desk_user, text)
    assert {people["quaxley"], people["wrob"]} & set(ids(hits)[:3]), (text, hits[:3])
    assert any(h.reason.startswith(("typo", "sounds like")) for h in hits[:3]), hits[:3]


@pytest.mark.parametrize(("text", "who"), [("catherine wroblewski", "wrob"), ("john smith", "smyth"),
                                           ("jon smith", "smyth"), ("smith, jon", "smyth")])
def test_sound_alikes(ctx, desk_user, people, text, who):
    assert people[who] in ids(find(ctx, desk_user, text, limit=50))


def test_exact_before_fuzzy(ctx, desk_user, people):
    smith = add_patient(ctx, "Smith", "Jon", date(1977, 8, 9))
    hits = find(ctx, desk_user, "smyth jon")
    assert hits[0].id == people["smyth"] and hits[0].reason.startswith("exact name")
    assert smith in ids(hits)
    assert ids(hits).index(smith) > 0


@pytest.mark.parametrize("text", ["(617) 555-0199", "617.555.0199", "+1 617 555 0199", "6175550199",
                                  "1-617-555-0199", "0199", "muller 0199"])
def test_phone_any_format_and_last_four(ctx, desk_user, people, text):
    hits = find(ctx, desk_user, text, limit=50)
    assert people["muller"] in ids(hits)
    hit = next(h for h in hits if h.id == people["muller"])
    assert "phone" in hit.reason and hit.phone_masked.endswith("0199")
    assert "555" not in hit.phone_masked  # masked: only the last four show


def test_home_phone_matches_and_is_the_one_shown(ctx, desk_user, people):
    hits = find(ctx, desk_user, "(508) 555-0142")
    assert hits[0].id == people["oneil"] and hits[0].phone_masked.endswith("0142")


def test_birth_date_alone_and_with_a_name(ctx, desk_user, people):
    alone = find(ctx, desk_user, "3/4/1985", limit=200)
    assert people["muller"] in ids(alone)
    assert all(h.birth_date == BORN for h in alone)
    for text in ("muller 3/4/1985", "4 Mar 1985 renate", "1985-03-04 müller", "muller 03041985"):
        hit = find(ctx, desk_user, text)[0]
        assert hit.id == people["muller"], text
        assert "birth date" in hit.reason


def test_a_name_with_a_slipped_birth_date_still_finds(ctx, desk_user, people):
    assert top(ctx, desk_user, "muller renate 4/3/1985") == people["muller"]  # day and month swapped


def test_mrn_and_member_id(ctx, desk_user, people):
    with ctx.db.read() as session:
        mrn = session.get(Patient, people["quaxley"]).mrn
    for text in (mrn, mrn.lower(), f" {mrn} "):
        hits = find(ctx, desk_user, text)
        assert hits[0].id == people["quaxley"] and hits[0].reason == "MRN"
    for text in ("XKA123456789", "xka-123-456-789"):
        hits = find(ctx, desk_user, text)
        assert hits[0].id == people["quaxley"] and hits[0].reason == "member id"
        assert hits[0].has_alerts


def test_a_merged_away_mrn_lands_on_the_survivor(ctx, desk_user, people):
    loser = add_patient(ctx, "Quaxley", "Zeb", date(1960, 1, 2), mrn="M7777777")
    with ctx.db.write() as session:
        session.execute(update(Patient).where(Patient.id == loser)
                        .values(merged_into_id=people["quaxley"], merged_at=ctx.now()))
    hits = find(ctx, desk_user, "M7777777")
    assert ids(hits) == [people["quaxley"]]
    assert loser not in ids(find(ctx, desk_user, "quaxley", limit=200))


def test_possible_duplicates_are_flagged(ctx, desk_user, people):
    hits = {h.id: h for h in find(ctx, desk_user, "vandersloot")}
    assert hits[people["twin_a"]].possible_duplicate and hits[people["twin_b"]].possible_duplicate
    assert not find(ctx, desk_user, "quaxley")[0].possible_duplicate


def test_rows_carry_age_sex_and_next_appointment(ctx, desk_user):
    # The first booked visit after now (later today, or on a later day late in the evening).
    appointment = next(a for offset in range(15)
                       for a in day_appointments(ctx, desk_user, CLINIC_DAY + timedelta(days=offset))
                       if a.starts_at > ctx.now() and a.status.value in ("scheduled", "confirmed"))
    with ctx.db.read() as session:
        patient = session.get(Patient, appointment.patient_id)
        mrn = patient.mrn
    hit = find(ctx, desk_user, mrn)[0]
    assert hit.next_appointment == appointment.starts_at
    assert hit.age == appointment.age and hit.sex in "FMX"


def test_today_first_puts_todays_patients_on_top(ctx, desk_user):
    appointment = [a for a in day_appointments(ctx, desk_user, CLINIC_DAY) if a.status.value != "cancelled"][3]
    family, given = (part.strip() for part in appointment.patient_name.split(",", 1))
    # Many namesakes who sort before today's patient and are not expected today.
    for n in range(30):
        add_patient(ctx, family, given[:1] + "aa" + "abcdefghijklmnopqrstuvwxyz"[n % 26] * (n // 26 + 1),
                    date(1950, 1, 1) + timedelta(days=n))
    plain = find(ctx, desk_user, f"{family} {given[:1]}", limit=10)
    assert appointment.patient_id not in ids(plain)[:1]
    first = find(ctx, desk_user, f"{family} {given[:1]}", limit=10, today_first=True)
    assert first[0].id == appointment.patient_id and first[0].scheduled_today


def test_limit_and_order_are_stable(ctx, desk_user, people):
    a = find(ctx, desk_user, "a", limit=7)
    assert len(a) == 7 and ids(a) == ids(find(ctx, desk_user, "a", limit=7))


@pytest.mark.parametrize("text", ["", "   ", "\x00\x1b[2J", ",,,", "3/4", "2/30/1985"])
def test_nothing_to_search_gives_no_rows(ctx, desk_user, text):
    assert find(ctx, desk_user, text) == []


def test_bad_input(ctx, desk_user, people):
    with pytest.raises(UserError):
        find(ctx, desk_user, None)  # type: ignore[arg-type]
    with pytest.raises(UserError):
        find(ctx, desk_user, "smith", limit=0)
    with pytest.raises(UserError):
        find(ctx, desk_user, "smith", limit=10_000)
    assert isinstance(find(ctx, desk_user, "x" * 100_000), list)  # overlong is cut, not refused
    assert find(ctx, desk_user, "Иванов") == []  # non-Latin: searched, nothing found, no error
    add_patient(ctx, "Иванов", "Пётр", date(1990, 1, 1))
    assert find(ctx, desk_user, "иванов")[0].family_name == "Иванов"
    assert isinstance(find(ctx, desk_user, '"quaxley" OR * NEAR('), list)  # FTS syntax is plain text


def test_every_write_path_keeps_the_vocabulary(ctx, desk_user):
    """Raw SQL writes (imports, merges by anyone) are indexed by the database's own triggers."""
    insert = sql(
        "INSERT INTO patients (mrn, given_name, family_name, family_key, given_key, family_phonetic, "
        "given_phonetic, birth_date, sex, country, preferred_language, created_at, updated_at, version_id) "
        "VALUES ('M8888888', 'Ottoline', 'Brzęczyszczykiewicz', :fk, :gk, :fp, :gp, '1999-09-09', 'F', 'US', "
        "'English', '2026-01-01 00:00:00.000000', '2026-01-01 00:00:00.000000', 1)")
    engine = ctx.db.engine  # a plain connection: no service, no ORM
    with engine.begin() as conn:
        conn.execute(insert, {"fk": name_key("Brzęczyszczykiewicz"), "gk": name_key("Ottoline"),
                              "fp": phonetic("Brzęczyszczykiewicz"), "gp": phonetic("Ottoline")})
    assert top(ctx, desk_user, "brzeczyszczykiewic ottoline") is not None
    assert find(ctx, desk_user, "brzeczyszczykewicz")[0].mrn == "M8888888"  # a typo: via the index
    with engine.begin() as conn:
        conn.execute(sql("UPDATE patients SET family_name = 'Pszczółkowska', family_key = :fk, "
                          "family_phonetic = :fp WHERE mrn = 'M8888888'"),
                     {"fk": name_key("Pszczółkowska"), "fp": phonetic("Pszczółkowska")})
    assert find(ctx, desk_user, "pszczolkowsak")[0].mrn == "M8888888"
    with engine.begin() as conn:
        vocab = {r[0] for r in conn.execute(sql("SELECT key FROM patient_search_vocab WHERE kind = 'f'"))}
        assert {"brzeczyszczykiewicz", "pszczolkowska"} <= vocab
        if engine.dialect.name == "sqlite":
            trigram = conn.execute(sql("SELECT count(*) FROM patient_search_trigram WHERE "
                                        "patient_search_trigram MATCH '\"czolkow\"'")).scalar()
            assert trigram == 1
        conn.execute(sql("DELETE FROM patients WHERE mrn = 'M8888888'"))
    assert find(ctx, desk_user, "M8888888") == []


def test_search_writes_nothing(ctx, desk_user, people):
    count = sql("SELECT count(*) FROM audit_events")
    with ctx.db.engine.connect() as conn:
        before = conn.execute(count).scalar()
    find(ctx, desk_user, "muller")
    with ctx.db.engine.connect() as conn:
        assert conn.execute(count).scalar() == before


def test_hits_are_frozen(ctx, desk_user, people):
    hit = find(ctx, desk_user, "quaxley")[0]
    with pytest.raises(AttributeError):
        hit.mrn = "x"  # type: ignore[misc]
    assert isinstance(hit.birth_date, date) and (hit.next_appointment is None
                                                or isinstance(hit.next_appointment, datetime))
