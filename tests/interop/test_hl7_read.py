"""Every HL7 v2 message in ../shared/data/hl7v2/ is either applied or refused with the reason
named here; the malformed inputs python-hl7's and hl7apy's suites exercise are refused."""

from __future__ import annotations

import pytest

from coordinator_tui.errors import UserError
from coordinator_tui.interop.hl7.parse import Unreadable, read_file, read_message, split_messages
from coordinator_tui.services.exchange.hl7_receive import import_file
from coordinator_tui.services.staff.actors import actor_for
from tests.conftest import SHARED_DATA

HL7 = SHARED_DATA / "hl7v2"
APPLIED = "applied"
# Refused: the EHR's sample providers are not this clinic's, and the S13..S26 samples move an
# appointment (36996) that was never booked here; S16 and A60 are types we do not take.
EXPECTED = {
    "ADT-A04-01.hl7": APPLIED, "ADT-A04-02.hl7": APPLIED, "ADT-A08-01.hl7": APPLIED,
    "ADT-A08-02.hl7": APPLIED, "ADT-A28-01.hl7": APPLIED, "ADT-A28-02.hl7": APPLIED,
    "ADT-A31-01.hl7": APPLIED, "ADT-A31-02.hl7": APPLIED, "ADT04-23.hl7": APPLIED,
    "ADT04-251.hl7": APPLIED, "ADT04-28.hl7": APPLIED,
    "SIU-S12-01.hl7": "provider '1210' (AIP-3) is not one of ours",
    "SIU-S12-02.hl7": "provider '400' (AIP-3) is not one of ours",
    "SIU-S12_1.hl7": "provider '400' (AIP-3) is not one of ours",
    "SIU-S13-01.hl7": "appointment 36996 is not one we know",
    "SIU-S13-02.hl7": "appointment 36996 is not one we know",
    "SIU-S14-01.hl7": "appointment 36996 is not one we know",
    "SIU-S14-02.hl7": "appointment 36996 is not one we know",
    "SIU-S15-01.hl7": "appointment 36996 is not one we know",
    "SIU-S15-02.hl7": "appointment 36996 is not one we know",
    "SIU-S16-01.hl7": "message type SIU^S16 is not one we take",
    "SIU-S16-02.hl7": "message type SIU^S16 is not one we take",
    "SIU-S17-01.hl7": "appointment 36996 is not one we know",
    "SIU-S17-02.hl7": "appointment 36996 is not one we know",
    "SIU-S26-01.hl7": "appointment 36996 is not one we know",
    "SIU-S26-02.hl7": "appointment 36996 is not one we know",
    "SIU_12.hl7": "message type ADT^A60 is not one we take",
    "adt-a01-full.hl7": APPLIED, "edge-crlf-line-endings.hl7": APPLIED,
    "edge-custom-delimiters.hl7": APPLIED,
    "edge-empty-segments.hl7": "First name: is required",
    "edge-escaped-delimiters.hl7": APPLIED, "edge-field-repetitions.hl7": APPLIED,
    "edge-non-ascii.hl7": "non-ASCII bytes but no character set declared in MSH-18",
    "edge-z-segments.hl7": APPLIED, "epic_adt_a04_multiple_nk1_v251.hl7": APPLIED,
    "invalid-missing-msh.hl7": "does not start with an MSH segment",
    "invalid-segment-header-length.hl7": "segment 2 ('PIDX') is not a segment name",
    "invalid-wrong-version.hl7": "version '1.0' in MSH-12 is not HL7 v2.x",
    "ntierprise_adt_a08_v23.hl7": APPLIED,
    "ntierprise_siu_s12_v23_custom_delimiters.hl7": "provider 'JPULLEN1' (AIP-3) is not one of ours",
    "siu-s12-schedule.hl7": "provider '4567' (AIG-3) is not one of ours",
}


def test_every_sample_is_listed():
    assert sorted(p.name for p in HL7.rglob("*.hl7")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_sample_is_applied_or_refused_with_its_reason(name, ctx):
    path = next(HL7.rglob(name))
    actor = actor_for(ctx, "super")
    if EXPECTED[name] == APPLIED:
        report = import_file(ctx, actor, path)
        assert report.applied == report.messages >= 1
    else:
        with pytest.raises(UserError) as refused:
            import_file(ctx, actor, path)
        assert EXPECTED[name] in str(refused.value)
        assert "nothing was applied" in str(refused.value)


def test_escaped_delimiters_and_custom_delimiters_are_read():
    escaped = read_file((HL7 / "rethinkhealth_hl7v2" / "edge-escaped-delimiters.hl7").read_bytes())[0]
    assert escaped.get("PID", 5, 1) == "DOE&SMITH"
    custom = read_file((HL7 / "rethinkhealth_hl7v2" / "edge-custom-delimiters.hl7").read_bytes())[0]
    assert (custom.get("PID", 5, 1), custom.get("PID", 5, 2)) == ("DOE", "JOHN")


GOOD = "MSH|^~\\&|EHR|F|US|C|20260101||ADT^A04|C1|P|2.5.1\rPID|1||1^^^X^MR||DOE^ANN||19800101|F\r"


@pytest.mark.parametrize("separator", ["\r", "\n", "\r\n"])
def test_any_segment_separator_and_a_byte_order_mark(separator):
    data = b"\xef\xbb\xbf" + GOOD.replace("\r", separator).encode()
    (message,) = read_file(data)
    assert (message.message_type, message.control_id, message.get("PID", 5, 2)) == ("ADT^A04", "C1", "ANN")


def test_batches_and_fhs_files_are_split_into_messages():
    second = GOOD.replace("|C1|", "|C2|")
    data = f"FHS|^~\\&|EHR\rBHS|^~\\&|EHR\r{GOOD}{second}BTS|2\rFTS|1\r".encode()
    assert [m.control_id for m in read_file(data)] == ["C1", "C2"]


def test_a_declared_character_set_allows_non_ascii():
    text = GOOD.replace("|2.5.1\r", "|2.5.1||||||UNICODE UTF-8\r").replace("DOE^ANN", "MÜLLER^ANN")
    assert read_file(text.encode("utf-8"))[0].get("PID", 5, 1) == "MÜLLER"
    latin = GOOD.replace("|2.5.1\r", "|2.5.1||||||8859/1\r").replace("DOE^ANN", "MÜLLER^ANN")
    assert read_file(latin.encode("latin-1"))[0].get("PID", 5, 1) == "MÜLLER"


MALFORMED = {
    "no MSH first": (b"PID|1||1\rMSH|^~\\&|EHR\r", "does not start with an MSH segment"),
    "bad encoding characters": (GOOD.replace("^~\\&", "^^\\&").encode(), "encoding characters"),
    "alphanumeric encoding characters": (GOOD.replace("^~\\&", "ab12").encode(), "encoding characters"),
    "unknown message type": (GOOD.replace("ADT^A04", "ZZZ^Z99").encode(), "ZZZ^Z99 is not one we take"),
    "truncated MSH": (b"MSH|^~\\&|EHR|F|US\rPID|1\r", "MSH is cut short"),
    "truncated segment name": (GOOD.replace("PID|", "PI|").encode(), "is not a segment name"),
    "non-ASCII without a charset": (GOOD.replace("DOE", "D\xd6E").encode("latin-1"),
                                     "non-ASCII bytes but no character set"),
    "bytes that are not the declared charset": (
        GOOD.replace("|2.5.1\r", "|2.5.1||||||UNICODE UTF-8\r").encode().replace(b"DOE", b"D\xd6E"),
        "not utf-8"),
    "no control id": (GOOD.replace("|C1|", "||").encode(), "MSH-10"),
    "no PID": (GOOD.split("\r")[0].encode() + b"\r", "has no PID segment"),
    "empty": (b"\r\n\r\n", "holds no HL7 message"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_input_is_refused_with_a_reason(case):
    data, reason = MALFORMED[case]
    with pytest.raises(Unreadable) as refused:
        read_file(data)
    assert reason in refused.value.reason


def test_a_truncated_frame_body_is_one_message_that_fails():
    (number, raw), = split_messages(b"MSH|^~\\&|EH")
    with pytest.raises(Unreadable):
        read_message(number, raw)
