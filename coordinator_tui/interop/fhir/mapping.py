"""FHIR R4 resources as the desk's forms (text, validated later by the desk's own rules)."""

from __future__ import annotations

SEX = {"male": "M", "female": "F", "other": "X", "unknown": "U"}
SYNTHEA = "https://github.com/synthetichealth/synthea"


def _pick(items: list[dict] | None, use: str) -> dict | None:
    items = [i for i in items or [] if isinstance(i, dict)]
    return next((i for i in items if i.get("use") == use), items[0] if items else None)


def patient_form(resource: dict) -> dict:
    form: dict = {}
    name = _pick(resource.get("name"), "official") or {}
    given = [g for g in name.get("given") or [] if g]
    form["family_name"] = name.get("family") or ""
    form["given_name"] = given[0] if given else ""
    if len(given) > 1:
        form["middle_name"] = " ".join(given[1:])
    form["birth_date"] = resource.get("birthDate") or ""
    form["sex"] = SEX.get(resource.get("gender") or "", "")
    for telecom in resource.get("telecom") or []:
        system, use, value = telecom.get("system"), telecom.get("use"), telecom.get("value")
        if not value:
            continue
        if system == "email":
            form.setdefault("email", value)
        elif system == "phone":
            form.setdefault("phone_mobile" if use == "mobile" else "phone_home", value)
    address = _pick(resource.get("address"), "home")
    if address:
        lines = address.get("line") or []
        form.update({"address_line1": lines[0] if lines else "",
                     "address_line2": ", ".join(lines[1:]), "city": address.get("city") or "",
                     "region": address.get("state") or "", "postal_code": address.get("postalCode") or "",
                     "country": address.get("country") or ""})
    for communication in resource.get("communication") or []:
        language = communication.get("language") or {}
        text = language.get("text") or next((c.get("display") for c in language.get("coding") or []
                                             if c.get("display")), None)
        if text:
            form["preferred_language"] = text
            break
    return {k: v for k, v in form.items() if v}


def deceased_date(resource: dict) -> str | None:
    value = resource.get("deceasedDateTime")
    return value[:10] if isinstance(value, str) else None


def synthea_id(resource: dict) -> str | None:
    for identifier in resource.get("identifier") or []:
        if identifier.get("system") == SYNTHEA and identifier.get("value"):
            return identifier["value"][:64]
    return None


def reference_id(reference: dict | None) -> str | None:
    """"Patient/abc" -> "abc"; "urn:uuid:x" -> "urn:uuid:x" (matched with entries' fullUrl)."""
    text = (reference or {}).get("reference") or ""
    if text.startswith(("urn:uuid:", "urn:oid:")):
        return text
    return text.rsplit("/", 1)[-1] if "/" in text else (text or None)


def coverage_values(resource: dict) -> dict:
    payor = (resource.get("payor") or [{}])[0]
    classes = {(c.get("type") or {}).get("coding", [{}])[0].get("code"): c
               for c in resource.get("class") or []}
    group = classes.get("group") or {}
    plan = classes.get("plan") or {}
    member = resource.get("subscriberId") or next(
        (i.get("value") for i in resource.get("identifier") or [] if i.get("value")), "")
    relationship = ((resource.get("relationship") or {}).get("coding") or [{}])[0].get("code")
    period = resource.get("period") or {}
    return {
        "payer": (payor.get("display") or reference_id(payor) or (resource.get("type") or {}).get("text")
                  or "unknown payer")[:120],
        "member_id": (member or "")[:40],
        "group_number": (group.get("value") or None),
        "plan_name": (plan.get("name") or (resource.get("type") or {}).get("text") or None),
        "relationship": relationship if relationship in ("self", "spouse", "child") else "other",
        "order": resource.get("order") or 1,
        "effective_from": (period.get("start") or "")[:10] or None,
        "effective_to": (period.get("end") or "")[:10] or None,
        "active": resource.get("status") == "active",
    }


def contained_coverages(resource: dict) -> list[dict]:
    """Synthea keeps coverage inside each ExplanationOfBenefit, as a contained Coverage."""
    return [c for c in resource.get("contained") or [] if c.get("resourceType") == "Coverage"]


NPI = "http://hl7.org/fhir/sid/us-npi"
# HL7 v2-0276 appointment reasons as our appointment types (our own export uses our codes).
APPOINTMENT_TYPES = {"FOLLOWUP": "FU", "ROUTINE": "FU", "CHECKUP": "ANN", "WALKIN": "WALK",
                     "EMERGENCY": "SICK"}


def npi(resource: dict) -> str | None:
    for identifier in resource.get("identifier") or []:
        if identifier.get("system") == NPI and identifier.get("value"):
            return str(identifier["value"])[:10]
    return None


def practitioner_name(resource: dict) -> tuple[str, str]:
    """(display name, family name) of a Practitioner."""
    name = _pick(resource.get("name"), "official") or {}
    family = name.get("family") or ""
    given = " ".join(name.get("given") or [])
    display = " ".join(p for p in (" ".join(name.get("prefix") or []), given, family) if p)
    return (display or name.get("text") or "")[:120], family


def appointment_codes(resource: dict) -> list[str]:
    """Candidate type codes, ours first: serviceType, appointmentType, then v2-0276 mapped."""
    codes = []
    for concept in [*(resource.get("serviceType") or []), resource.get("appointmentType") or {}]:
        for coding in concept.get("coding") or []:
            code = str(coding.get("code") or "").upper()
            if code:
                codes.append(code)
                if code in APPOINTMENT_TYPES:
                    codes.append(APPOINTMENT_TYPES[code])
    return codes


def participants(resource: dict) -> dict[str, str]:
    """{"Patient": ref, "Practitioner": ref, "Location": ref} from Appointment.participant."""
    found: dict[str, str] = {}
    for participant in resource.get("participant") or []:
        reference = (participant.get("actor") or {}).get("reference") or ""
        kind = reference.split("/")[0] if "/" in reference else ""
        if kind in ("Patient", "Practitioner", "Location") and kind not in found:
            found[kind] = reference
    return found
