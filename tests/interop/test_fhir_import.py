"""FHIR R4 import: Synthea bundles bring their patients and coverage; every official R4 example
is imported or refused with the reason named here; one bad resource refuses the whole import;
look-alikes are held; the code bindings fhir.resources does not enforce are checked."""

from __future__ import annotations

import json
import sqlite3

import pytest

from coordinator_tui.errors import UserError
from coordinator_tui.interop.fhir.read import Malformed, check
from coordinator_tui.services.exchange.fhir_import import import_fhir
from coordinator_tui.services.exchange.hl7_receive import held_items
from coordinator_tui.services.staff.actors import actor_for
from tests.conftest import SHARED_DATA

EXAMPLES = SHARED_DATA / "fhir_r4_examples"
SYNTHEA = SHARED_DATA / "synthea_fhir_r4_smart"
NOT_IMPORTED = "not imported"  # validated, but a type we do not import (counted in the report)
MISSING_NAME = "is required; type the"
REFUSED = {
    "Appointment-2docs.json": "participant Patient/example is not a patient we have",
    "Appointment-example.json": "participant Patient/example is not a patient we have",
    "Appointment-examplereq.json": "participant Patient/example is not a patient we have",
    "Coverage-7546D.json": "beneficiary 5 is not a patient we have",
    "Coverage-7547E.json": "beneficiary 5 is not a patient we have",
    "Coverage-9876B1.json": "beneficiary 4 is not a patient we have",
    "Coverage-SP1234.json": "beneficiary 5 is not a patient we have",
    "Patient-animal.json": "Last name: " + MISSING_NAME,
    "Patient-ch-example.json": "First name: " + MISSING_NAME,
    "Patient-dicom.json": "First name: " + MISSING_NAME,
    "Patient-ihe-pcd.json": "Birth date: " + MISSING_NAME,
    "Patient-infant-fetal.json": "First name: " + MISSING_NAME,
    "Patient-newborn.json": "First name: " + MISSING_NAME,
    "Patient-pat1.json": "Birth date: " + MISSING_NAME,
    "Patient-pat2.json": "Birth date: " + MISSING_NAME,
    "Patient-proband.json": "First name: " + MISSING_NAME,
    "package.json": "not a FHIR resource (no resourceType)",
    # Schedule and Slot (services/exchange/fhir_slots.py): a Schedule belongs to one of our
    # providers; these name a room only, or a practitioner we do not have, and their Slots'
    # schedule is one we do not have.
    "Schedule-example.json": "a Schedule of Location/1 with no Practitioner: our availability "
                             "belongs to a provider",
    "Schedule-exampleloc1.json": "practitioner Practitioner/1 is not one of our providers",
    "Schedule-exampleloc2.json": "practitioner Practitioner/1 is not one of our providers",
    **{f"Slot-{n}.json": "schedule Schedule/example is not one we have (import its Schedule first)"
       for n in ("1", "2", "3", "example")},
}


def count(path, sql):
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchone()[0]


@pytest.fixture
def admin(ctx):
    return actor_for(ctx, "super")


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.json")))
def test_each_official_example_is_imported_or_refused_with_its_reason(name, ctx, admin, seeded_path):
    before = count(seeded_path, "SELECT count(*) FROM patients")
    if name in REFUSED:
        with pytest.raises(UserError) as refused:
            import_fhir(ctx, admin, EXAMPLES / name)
        assert REFUSED[name] in str(refused.value) and "nothing was imported" in str(refused.value)
        assert count(seeded_path, "SELECT count(*) FROM patients") == before
        return
    report = import_fhir(ctx, admin, EXAMPLES / name)
    kind = json.loads((EXAMPLES / name).read_text())["resourceType"]
    if kind == "Patient":
        assert report.applied == {"Patient": 1}
        assert count(seeded_path, "SELECT count(*) FROM patients") == before + 1
    elif kind in ("Practitioner", "Location"):
        assert report.applied == {kind: 1}
    else:
        assert report.skipped == {kind: 1} and not report.applied


def test_synthea_bundles_bring_patients_and_coverage_once(ctx, admin, seeded_path):
    first = import_fhir(ctx, admin, SYNTHEA)
    assert first.applied == {"Patient": 5, "Coverage": 5, "Practitioner": 102}
    assert count(seeded_path, "SELECT count(*) FROM providers WHERE active = 0") == 102
    assert first.skipped["Observation"] > 100
    assert count(seeded_path, "SELECT count(*) FROM patients WHERE family_name = 'Hoeger' "
                              "AND given_name = 'Buster' AND birth_date = '1988-03-16' "
                              "AND external_id = 'ad2e3fc5-2b5d-4cb9-8d03-9ea0f4ac8423'") == 1
    again = import_fhir(ctx, admin, SYNTHEA)
    assert not again.applied and again.already == 10 + 108  # 108 practitioner entries, 102 people


def test_one_bad_resource_refuses_the_whole_folder(ctx, admin, seeded_path, tmp_path):
    for bundle in sorted(SYNTHEA.glob("*.json"))[:2]:
        (tmp_path / bundle.name).write_text(bundle.read_text())
    bad = json.loads((EXAMPLES / "Patient-example.json").read_text())
    bad["gender"] = "M"  # fhir.resources takes it; the R4 binding does not
    (tmp_path / "zz-bad.json").write_text(json.dumps({"resourceType": "Bundle", "type": "collection",
                                                      "entry": [{"resource": bad}]}))
    with pytest.raises(UserError, match=r"zz-bad.json entry 1: gender 'M' is not one of"):
        import_fhir(ctx, admin, tmp_path)
    assert count(seeded_path, "SELECT count(*) FROM patients WHERE external_id IS NOT NULL") == 0


def test_dry_run_changes_nothing(ctx, admin, seeded_path):
    report = import_fhir(ctx, admin, SYNTHEA, dry_run=True)
    assert report.applied == {"Patient": 5, "Coverage": 5, "Practitioner": 102}
    assert count(seeded_path, "SELECT count(*) FROM patients WHERE external_id IS NOT NULL") == 0
    assert count(seeded_path, "SELECT count(*) FROM providers WHERE active = 0") == 0


def test_a_look_alike_is_held_not_merged_or_duplicated(ctx, admin, seeded_path, tmp_path):
    family, given, dob = sqlite3.connect(seeded_path).execute(
        "SELECT family_name, given_name, birth_date FROM patients WHERE id = 9").fetchone()
    resource = {"resourceType": "Patient", "id": "twin", "name": [{"family": family, "given": [given]}],
                "gender": "female", "birthDate": dob}
    (tmp_path / "p.json").write_text(json.dumps(resource))
    before = count(seeded_path, "SELECT count(*) FROM patients")
    report = import_fhir(ctx, admin, tmp_path / "p.json")
    assert len(report.held) == 1 and "looks like existing patient" in report.held[0]
    assert count(seeded_path, "SELECT count(*) FROM patients") == before
    assert [h["source"] for h in held_items(ctx, admin)] == ["fhir"]


@pytest.mark.parametrize("resource, reason", [
    ({"resourceType": "Appointment", "status": "checked_in", "participant": [{"status": "accepted"}]},
     "status 'checked_in' is not an R4 appointment status"),
    ({"resourceType": "Patient", "birthDate": "1990-13-45"}, "not valid R4 Patient: birthDate"),
    ({"resourceType": "Bogus"}, "'Bogus' is not an R4 resource type"),
    ({"name": "no type"}, "no resourceType"),
])
def test_codes_and_shapes_fhir_resources_lets_through_are_refused(resource, reason):
    with pytest.raises(Malformed) as refused:
        check(resource, "x.json")
    assert reason in str(refused.value)


def booking_bundle(npi: str, start: str, patient_id: str = "walk1", family: str = "Vantongeren",
                   born: str = "1983-06-09") -> dict:
    patient = {"resourceType": "Patient", "id": patient_id, "gender": "female", "birthDate": born,
               "name": [{"family": family, "given": ["Ilse"]}]}
    doctor = {"resourceType": "Practitioner", "id": "doc",
              "identifier": [{"system": "http://hl7.org/fhir/sid/us-npi", "value": npi}],
              "name": [{"family": "Okafor", "given": ["Ada"]}]}
    visit = {"resourceType": "Appointment", "id": f"visit-{patient_id}", "status": "booked", "start": start,
             "end": start, "serviceType": [{"coding": [{"code": "FOLLOWUP"}]}],
             "participant": [{"actor": {"reference": f"Patient/{patient_id}"}, "status": "accepted"},
                             {"actor": {"reference": "Practitioner/doc"}, "status": "accepted"}]}
    return {"resourceType": "Bundle", "type": "transaction",
            "entry": [{"resource": r} for r in (patient, doctor, visit)]}


def test_an_appointment_is_booked_with_the_schedule_rules(ctx, admin, seeded_path, tmp_path):
    from tests.helpers.hl7 import slot

    npi = sqlite3.connect(seeded_path).execute("SELECT npi FROM providers WHERE id = 1").fetchone()[0]
    path = tmp_path / "b.json"
    path.write_text(json.dumps(booking_bundle(npi, slot(9).isoformat())))
    report = import_fhir(ctx, admin, path)
    assert report.applied == {"Patient": 1, "Appointment": 1} and report.already == 1  # our provider
    assert count(seeded_path, "SELECT count(*) FROM appointments a JOIN patients p ON p.id = a.patient_id "
                              "WHERE p.family_name = 'Vantongeren' AND a.provider_id = 1 AND "
                              "a.status = 'scheduled'") == 1
    (tmp_path / "clash.json").write_text(json.dumps(booking_bundle(npi, slot(9).isoformat(), "other", "Abernathy",
                                                                  "1961-01-30")))
    with pytest.raises(UserError, match="already booked; choose another slot; nothing was imported"):
        import_fhir(ctx, admin, tmp_path / "clash.json")
    assert count(seeded_path, "SELECT count(*) FROM patients WHERE family_name = 'Abernathy' "
                              "AND birth_date = '1961-01-30'") == 0  # not half-imported
