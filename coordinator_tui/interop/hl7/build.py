"""Writing HL7 v2 (2.5.1): acknowledgements, and the ADT/SIU messages the desk's changes produce.

Outbound messages are built from the outbox row's snapshot (a plain dict written in the same
transaction as the change), so what is sent is what was saved, whenever it is sent."""

from __future__ import annotations

from datetime import UTC, date, datetime

SEP, ENC = "|", "^~\\&"
VERSION = "2.5.1"
APPLICATION = "COORDINATOR"


def escape(value) -> str:
    """A value as HL7 text: delimiters escaped, line breaks as spaces."""
    if value is None:
        return ""
    text = str(value)
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\E\\")
        elif ch == "|":
            out.append("\\F\\")
        elif ch == "^":
            out.append("\\S\\")
        elif ch == "&":
            out.append("\\T\\")
        elif ch == "~":
            out.append("\\R\\")
        elif ch in "\r\n":
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def ts(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(UTC).strftime("%Y%m%d%H%M%S+0000")


def dt(value: date | str | None) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return value.strftime("%Y%m%d")


def segment(*fields: str) -> str:
    return SEP.join(fields).rstrip(SEP)


def msh(message_type: str, structure: str, control_id: str, at: datetime, *,
        receiver: str = "", receiver_facility: str = "", facility: str = "") -> str:
    return segment("MSH", ENC, APPLICATION, escape(facility), escape(receiver),
                   escape(receiver_facility), ts(at), "",
                   f"{message_type}^{structure}" if structure else message_type,
                   escape(control_id), "P", VERSION, "", "", "", "", "", "UNICODE UTF-8")


def ack(code: str, control_id: str, at: datetime, *, text: str = "", application: str = "",
        facility: str = "", ack_id: str = "") -> str:
    """ACK with MSA (AA/AE/AR); for AE/AR an ERR segment repeats the reason (ERR-8, and
    ERR-3 HL7 table 0357 code 207 application error / 200 unsupported)."""
    head = msh("ACK", "", ack_id or f"ACK{control_id}"[:20], at, receiver=application,
               receiver_facility=facility)
    lines = [head, segment("MSA", code, escape(control_id), escape(text[:80]))]
    if code != "AA":
        error = "200^Unsupported message type^HL70357" if code == "AR" else "207^Application internal error^HL70357"
        lines.append(segment("ERR", "", "", error, "E", "", "", "", escape(text[:250])))
    return "\r".join(lines) + "\r"


def _pid(p: dict) -> str:
    phones = []
    if p.get("phone_home"):
        phones.append(f"{escape(p['phone_home'])}^PRN^PH")
    if p.get("phone_mobile"):
        phones.append(f"{escape(p['phone_mobile'])}^PRN^CP")
    if p.get("email"):
        phones.append(f"^NET^Internet^{escape(p['email'])}")
    address = "^".join(escape(p.get(k)) for k in ("address_line1", "address_line2", "city",
                                                  "region", "postal_code", "country"))
    name = f"{escape(p['family_name'])}^{escape(p['given_name'])}^{escape(p.get('middle_name'))}"
    return segment("PID", "1", "", f"{escape(p['mrn'])}^^^COORDINATOR^MR", "", name, "",
                   dt(p.get("birth_date")), escape(p.get("sex")), "", "",
                   address.rstrip("^"), "", "~".join(phones), "", escape(p.get("preferred_language")),
                   *([""] * 13), dt(p.get("deceased_date")), "Y" if p.get("deceased_date") else "")


def _evn(code: str, at: datetime) -> str:
    return segment("EVN", code, ts(at))


def adt(event: str, control_id: str, at: datetime, patient: dict, *, prior_mrn: str | None = None,
        visit: dict | None = None) -> str:
    """ADT^A28/A31 (person), A04 (arrival, with PV1), A40 (merge, with MRG)."""
    structure = {"A28": "ADT_A05", "A31": "ADT_A05", "A04": "ADT_A01", "A40": "ADT_A39"}[event]
    lines = [msh(f"ADT^{event}", structure, control_id, at), _evn(event, at), _pid(patient)]
    if event == "A40":
        lines.append(segment("MRG", f"{escape(prior_mrn)}^^^COORDINATOR^MR"))
    elif event == "A04":
        v = visit or {}
        lines.append(segment("PV1", "1", "O", escape(v.get("location")), "", "", "",
                             escape(v.get("provider")), "", "", "", "", "", "", "", "", "", "",
                             "", f"{v.get('appointment_id', '')}"))
    return "\r".join(lines) + "\r"


def siu(event: str, control_id: str, at: datetime, appointment: dict, patient: dict) -> str:
    """SIU^S12 (booked), S13 (moved), S15 (cancelled), S26 (no-show)."""
    a = appointment
    starts = datetime.fromisoformat(a["starts_at"])
    ends = datetime.fromisoformat(a["ends_at"])
    minutes = int((ends - starts).total_seconds() // 60)
    status = {"S12": "Booked", "S13": "Booked", "S14": "Booked", "S15": "Cancelled",
              "S26": "Noshow"}[event]
    reason = a.get("cancel_reason") if event == "S15" else a.get("reason")
    visit = a.get("visit_id") or a["id"]  # the same for every message about one visit
    lines = [
        msh(f"SIU^{event}", "SIU_S12", control_id, at),  # every SIU event shares SIU_S12
        segment("SCH", f"{visit}^COORDINATOR", f"{visit}^COORDINATOR", "", "", "",
                escape(reason), f"{escape(a['type_code'])}^{escape(a.get('type_name'))}", "",
                str(minutes), "min", f"^^{minutes}^{ts(starts)}^{ts(ends)}", "", "", "", "", "",
                "", "", "", "", "", "", "", "", status),
        _pid(patient),
        segment("RGS", "1", "A"),
        segment("AIS", "1", "", f"{escape(a['type_code'])}^{escape(a.get('type_name'))}",
                ts(starts), "", "", str(minutes), "min"),
        segment("AIP", "1", "", f"{escape(a.get('provider_npi') or a['provider_short'])}^"
                f"{escape(a['provider_name'])}", "", "", ts(starts), "", "", str(minutes), "min"),
    ]
    if a.get("rescheduled_from_id") and event == "S13":
        lines.append(segment("NTE", "1", "", f"moved from appointment {a['rescheduled_from_id']}"))
    return "\r".join(lines) + "\r"
