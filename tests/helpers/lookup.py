"""Register patients for lookup tests the way every write path does: search keys from domain.names."""

from __future__ import annotations

from datetime import date

from coordinator_tui.domain import phones
from coordinator_tui.domain.names import name_key, phonetic
from coordinator_tui.store.models import Coverage, Patient

_counter = iter(range(9_000_000, 9_999_999))


def add_patient(ctx, family: str, given: str, birth: date, *, phone: str | None = None,
                home: str | None = None, mrn: str | None = None, alerts: str | None = None,
                member_id: str | None = None, sex: str = "F") -> int:
    mobile = phones.normalise(phone) if phone else None
    home_e164 = phones.normalise(home) if home else None
    now = ctx.now()
    with ctx.db.write() as session:
        patient = Patient(
            mrn=mrn or f"M{next(_counter)}", given_name=given, family_name=family,
            family_key=name_key(family), given_key=name_key(given),
            family_phonetic=phonetic(family), given_phonetic=phonetic(given), birth_date=birth,
            sex=sex, phone_mobile=mobile, phone_home=home_e164,
            phone_mobile_rev=phones.reversed_digits(mobile), phone_home_rev=phones.reversed_digits(home_e164),
            alerts=alerts, created_at=now, updated_at=now,
        )
        session.add(patient)
        session.flush()
        if member_id:
            session.add(Coverage(patient_id=patient.id, payer_id=1, rank="primary", member_id=member_id,
                                 subscriber_relationship="self", eligibility_status="unverified"))
        return patient.id
