"""FHIR R4 bulk export (NDJSON, one resource per line) from plain rows: no validation classes on
the way out (a rich Patient validates at ~500-1,000/s; a million must go out in under two
minutes). Each file is written owner-only (0600) beside its final name and renamed into place
only when the whole export is written, so a reader never sees half a file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import orjson

from coordinator_tui.errors import UserError
from coordinator_tui.folders import make_private_dirs

MRN_SYSTEM = "urn:coordinator:mrn"
_GENDER = {"M": "male", "F": "female", "X": "other", "U": "unknown"}
_dumps = orjson.dumps  # UTF-8 bytes, compact


def patient(row) -> dict:
    """`row`: id, mrn, given, middle, family, birth_date, sex, mobile, home, email, line1, line2,
    city, region, postal, country, language, deceased, merged_into_id, updated_at (text)."""
    (pid, mrn, given, middle, family, birth, sex, mobile, home, email, line1, line2, city, region,
     postal, country, language, deceased, merged_into, updated) = row
    resource: dict = {
        "resourceType": "Patient", "id": str(pid),
        "meta": {"lastUpdated": updated.replace(" ", "T") + "Z" if updated else None},
        "identifier": [{"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203",
                                             "code": "MR"}]}, "system": MRN_SYSTEM, "value": mrn}],
        "active": merged_into is None,
        "name": [{"use": "official", "family": family, "given": [given, middle] if middle else [given]}],
        "gender": _GENDER.get(sex, "unknown"), "birthDate": str(birth)[:10],
    }
    if not resource["meta"]["lastUpdated"]:
        del resource["meta"]
    telecom = []
    if mobile:
        telecom.append({"system": "phone", "value": mobile, "use": "mobile"})
    if home:
        telecom.append({"system": "phone", "value": home, "use": "home"})
    if email:
        telecom.append({"system": "email", "value": email})
    if telecom:
        resource["telecom"] = telecom
    if line1 or city or postal:
        address = {"use": "home", "line": [v for v in (line1, line2) if v], "city": city,
                   "state": region, "postalCode": postal, "country": country}
        resource["address"] = [{k: v for k, v in address.items() if v}]
    if deceased:
        resource["deceasedDateTime"] = str(deceased)[:10]
    if language:
        resource["communication"] = [{"language": {"text": language}}]
    if merged_into is not None:
        resource["link"] = [{"other": {"reference": f"Patient/{merged_into}"}, "type": "replaced-by"}]
    return resource


def coverage(row) -> dict:
    cid, patient_id, payer, rank, member, group, plan, relationship, active, start, end = row
    resource: dict = {
        "resourceType": "Coverage", "id": str(cid), "status": "active" if active else "cancelled",
        "beneficiary": {"reference": f"Patient/{patient_id}"},
        "payor": [{"display": payer}], "order": {"primary": 1, "secondary": 2}.get(rank, 3),
        "relationship": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/subscriber-relationship",
                                     "code": relationship}]},
    }
    if member:
        resource["subscriberId"] = member
    classes = []
    if group:
        classes.append({"type": {"coding": [{"code": "group"}]}, "value": group})
    if plan:
        classes.append({"type": {"coding": [{"code": "plan"}]}, "value": plan, "name": plan})
    if classes:
        resource["class"] = classes
    if start or end:
        resource["period"] = {k: str(v)[:10] for k, v in (("start", start), ("end", end)) if v}
    return resource


_STATUS = {"scheduled": "booked", "confirmed": "booked", "arrived": "arrived",
           "roomed": "arrived", "with_provider": "arrived", "checked_out": "fulfilled",
           "cancelled": "cancelled", "no_show": "noshow"}


def appointment(row) -> dict:
    aid, patient_id, provider_id, provider_name, type_code, starts, ends, status, reason, cancel = row
    resource: dict = {
        "resourceType": "Appointment", "id": str(aid), "status": _STATUS.get(status, "booked"),
        "serviceType": [{"coding": [{"system": "urn:coordinator:appointment-type", "code": type_code}]}],
        "start": starts.replace(" ", "T") + "Z", "end": ends.replace(" ", "T") + "Z",
        "participant": [
            {"actor": {"reference": f"Patient/{patient_id}"}, "status": "accepted"},
            {"actor": {"reference": f"Practitioner/{provider_id}", "display": provider_name},
             "status": "accepted"}],
    }
    if reason:
        resource["description"] = reason
    if cancel and status == "cancelled":
        resource["cancelationReason"] = {"text": cancel}
    return resource


def practitioner(row) -> dict:
    pid, display, short, npi, active = row
    resource: dict = {"resourceType": "Practitioner", "id": str(pid), "active": bool(active),
                      "name": [{"text": display}],
                      "identifier": [{"system": "urn:coordinator:provider", "value": short}]}
    if npi:
        resource["identifier"].append({"system": "http://hl7.org/fhir/sid/us-npi", "value": npi})
    return resource


def location(row) -> dict:
    lid, name, address, phone = row
    resource: dict = {"resourceType": "Location", "id": str(lid), "status": "active", "name": name}
    if address:
        resource["address"] = {"text": address}
    if phone:
        resource["telecom"] = [{"system": "phone", "value": phone}]
    return resource


class NdjsonWriter:
    """NDJSON files in `folder`, each renamed into place by `publish()`; `discard()` on failure."""

    def __init__(self, folder: Path):
        if folder.exists() and not folder.is_dir():
            raise UserError(f"{folder} is not a folder")
        try:
            make_private_dirs(folder)
        except OSError as exc:
            raise UserError(f"cannot make {folder}: {exc.strerror or type(exc).__name__}") from None
        self.folder = folder
        self.files: dict[str, tuple[Path, object]] = {}  # kind -> (temp path, binary file)

    def write(self, kind: str, resource: dict) -> None:
        entry = self.files.get(kind)
        if entry is None:
            try:
                fd, name = tempfile.mkstemp(prefix=f".{kind}.", suffix=".partial", dir=self.folder)
            except OSError as exc:
                raise UserError(f"cannot write in {self.folder}: {exc.strerror}") from None
            entry = (Path(name), os.fdopen(fd, "wb", buffering=1 << 20))
            self.files[kind] = entry
        entry[1].write(_dumps(resource) + b"\n")

    def open_empty(self, kind: str) -> None:
        if kind not in self.files:
            fd, name = tempfile.mkstemp(prefix=f".{kind}.", suffix=".partial", dir=self.folder)
            self.files[kind] = (Path(name), os.fdopen(fd, "wb", buffering=1 << 20))

    def publish(self) -> None:
        try:
            for _temp, handle in self.files.values():
                handle.flush()
                os.fsync(handle.fileno())
                handle.close()
        except OSError as exc:
            self.discard()
            raise UserError(f"cannot write in {self.folder}: {exc.strerror}") from None
        for kind, (temp, _handle) in self.files.items():
            os.replace(temp, self.folder / f"{kind}.ndjson")
        self.files.clear()

    def discard(self) -> None:
        for temp, handle in self.files.values():
            try:
                handle.close()
            except OSError:
                pass
            temp.unlink(missing_ok=True)
        self.files.clear()
