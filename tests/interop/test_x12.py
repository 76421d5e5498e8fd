"""The X12 tokenizer, envelope, 270 writer and 271 reader (pure: no database)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from coordinator_tui.interop.x12.envelope import Party, read_interchange, write_interchange
from coordinator_tui.interop.x12.tokenizer import Delimiters, X12Error, tokenize
from coordinator_tui.interop.x12.x270 import Inquiry, Person, Submitter, write_270
from coordinator_tui.interop.x12.x271 import read_271
from tests.helpers.x12_payer import ACTIVE, INACTIVE, active_benefits, answer_270

AT = datetime(2026, 11, 22, 17, 5)
SUBMITTER = Submitter(id="CLINIC01", name="Riverside Clinic", npi="1234567893", receiver_id="AVAILITY")


def inquiry(trace: str, payer="Aetna", payer_id="60054", dependent=False, member="AET123") -> Inquiry:
    patient = Person("García", "Ana", date(1985, 3, 4), "F")
    if dependent:
        return Inquiry(trace, payer, payer_id, member, Person("Garcia", "Luis"), patient, ("30", "98"),
                       date(2026, 11, 23))
    return Inquiry(trace, payer, payer_id, member, patient, None, ("30", "98"), date(2026, 11, 23))


def ids(text: str) -> list[str]:
    return [s.id for s in tokenize(text)[1]]


def test_270_envelope_has_matching_counts_and_control_numbers():
    text = write_270([inquiry("1001"), inquiry("1002", dependent=True),
                      inquiry("1003", payer="Cigna", payer_id="62308")], SUBMITTER, 42, AT)
    _d, segments = tokenize(text)
    interchange = read_interchange(segments)  # checks SE01, SE02, GE01, GE02, IEA01, IEA02
    assert interchange.control == "000000042"
    assert [t.kind for t in interchange.transactions] == ["270", "270"]  # one per payer
    isa = segments[0]
    assert len(text.split("~")[0]) == 105 and isa.get(13) == "000000042" and isa.get(11) == "^"
    gs = segments[1]
    assert gs.get(1) == "HS" and gs.get(6) == "42" and gs.get(8) == "005010X279A1"
    first = [s for s in interchange.transactions[0].segments]
    hl_levels = [s.get(3) for s in first if s.id == "HL"]
    assert hl_levels == ["20", "21", "22", "22", "23"]  # the dependent under its subscriber
    assert [s.get(2) for s in first if s.id == "TRN"] == ["1001", "1002"]
    assert [s.get(1) for s in first if s.id == "EQ"] == ["30", "98", "30", "98"]
    names = [s for s in first if s.id == "NM1"]
    assert names[2].elements[:4] == ("IL", "1", "GARCIA", "ANA")  # accents dropped, upper case
    assert names[3].get(9) == "AET123" and names[4].get(1) == "03"


def test_writer_keeps_delimiters_out_of_the_data():
    odd = Inquiry("1", "Pay*er~", "1", "M~1*2", Person("O'Neil*", "A~B"), None, ("30",), date(2026, 1, 2))
    text = write_270([odd], SUBMITTER, 1, AT)
    read_interchange(tokenize(text)[1])
    assert "M 1 2" in text and "PAY ER" in text


def test_other_delimiters_and_line_breaks_are_read_from_the_isa():
    text = write_270([inquiry("77")], SUBMITTER, 5, AT)
    answer = answer_270(text, lambda trace: ACTIVE)
    custom = Delimiters(element="|", repetition="}", component=">", segment="\n")
    converted = answer.replace("\n", "").replace("*", "|").replace("^", "}").replace(":", ">").replace("~", "\n")
    delimiters, segments = tokenize(converted)
    assert delimiters == custom
    assert read_271(converted).answers[0].copay_cents == 2500
    crlf = answer.replace("\n", "\r\n")
    no_breaks = answer.replace("\n", "")
    assert read_271(crlf).answers[0].trace == read_271(no_breaks).answers[0].trace == "77"


def test_271_answers_carry_benefits_rejections_and_inactive():
    text = write_270([inquiry("1"), inquiry("2"), inquiry("3", dependent=True)], SUBMITTER, 9, AT)
    verdicts = {"1": ACTIVE, "2": ("reject", "75"), "3": INACTIVE}
    response = read_271(answer_270(text, verdicts.__getitem__))
    by_trace = {a.trace: a for a in response.answers}
    assert set(by_trace) == {"1", "2", "3"}
    active = by_trace["1"]
    assert active.status == "active" and active.plan_name == "GOLD PPO 500"
    assert (active.plan_from, active.plan_to) == (date(2026, 1, 1), date(2026, 12, 31))
    assert active.copay_cents == 2500 and active.deductible_cents == 100000
    assert active.deductible_remaining_cents == 34000  # in network, not the out-of-network 1500
    assert active.coinsurance_bp == 2000 and active.oop_remaining_cents == 250000
    assert active.in_network is True and active.auth_required is False
    assert active.member_id == "AET123" and active.birth_date == date(1985, 3, 4)
    assert by_trace["2"].status == "rejected" and by_trace["2"].reject_reason == "subscriber not found"
    assert by_trace["3"].status == "inactive" and by_trace["3"].member_id == "AET123"


def test_authorisation_required_is_read_from_eb11():
    text = write_270([inquiry("5")], SUBMITTER, 3, AT)
    answer = read_271(answer_270(text, lambda t: active_benefits(auth="Y"))).answers[0]
    assert answer.auth_required is True


def test_several_transactions_in_one_file():
    text = write_270([inquiry("1"), inquiry("2", payer="Cigna", payer_id="62308")], SUBMITTER, 3, AT)
    assert [a.trace for a in read_271(answer_270(text, lambda t: ACTIVE)).answers] == ["1", "2"]


# --- bad input: refused with the segment number -------------------------------------------------

def good_271() -> str:
    return answer_270(write_270([inquiry("1")], SUBMITTER, 3, AT), lambda t: ACTIVE)


def segment_of(text: str) -> int:
    with pytest.raises(X12Error) as caught:
        read_271(text)
    assert str(caught.value).startswith(f"segment {caught.value.segment}:") or caught.value.segment == 0
    return caught.value.segment


def test_a_270_is_not_a_271():
    text = write_270([inquiry("1")], SUBMITTER, 3, AT)
    with pytest.raises(X12Error, match="not a 271") as caught:
        read_271(text)
    assert caught.value.segment == 3  # the ST


def test_not_x12_at_all():
    assert segment_of("name,dob\nAna,1985-03-04\n") == 1
    assert segment_of("ISA*00*short~") == 1


def test_wrong_delimiters_are_named():
    text = good_271()
    with pytest.raises(X12Error, match="16") as caught:
        read_271(text.replace("*", "|", 1))  # the ISA's first separator differs from the rest
    assert caught.value.segment == 1


def test_truncated_file_names_the_last_segment():
    text = good_271()
    cut = text[: text.index("GE*")]
    number = segment_of(cut)
    assert number == len(tokenize(cut)[1])
    assert "truncated" in str(pytest.raises(X12Error, read_271, text[:-30]).value)


def test_segment_count_that_does_not_match_se01():
    text = good_271()
    lines = text.splitlines()
    se = next(i for i, line in enumerate(lines) if line.startswith("SE*"))
    lines[se] = lines[se].replace("SE*", "SE*9", 1)
    with pytest.raises(X12Error, match="SE01") as caught:
        read_271("\n".join(lines) + "\n")
    assert caught.value.segment == se + 1


def test_amount_that_is_not_a_number_names_its_segment():
    text = good_271()
    lines = text.splitlines()
    copay = next(i for i, line in enumerate(lines) if line.startswith("EB*B*"))
    lines[copay] = lines[copay].replace("*25*", "*2O*")
    with pytest.raises(X12Error, match="EB07 '2O' is not an amount") as caught:
        read_271("\n".join(lines) + "\n")
    assert caught.value.segment == copay + 1


def test_bad_date_and_bad_percentage_are_refused():
    text = good_271()
    with pytest.raises(X12Error, match="not a date"):
        read_271(text.replace("20260101-20261231", "20261301-20261231"))
    with pytest.raises(X12Error, match="not a percentage"):
        read_271(text.replace("**.2*", "**20*"))


def test_an_answer_without_status_or_rejection_is_refused():
    text = write_270([inquiry("1")], SUBMITTER, 3, AT)
    with pytest.raises(X12Error, match="neither a coverage status"):
        read_271(answer_270(text, lambda t: [["EB", "B", "IND", "98", "", "", "27", "25"]]))


def test_envelope_control_numbers_must_match():
    body = [["BHT", "0022", "11", "1", "20261122", "1700"]]
    text = write_interchange([body], sender=Party("ZZ", "A"), receiver=Party("ZZ", "B"), control_number=5,
                             at=AT, functional_id="HB")
    with pytest.raises(X12Error, match="IEA02"):
        read_interchange(tokenize(text.replace("IEA*1*000000005", "IEA*1*000000006"))[1])
    with pytest.raises(X12Error, match="GE01"):
        read_interchange(tokenize(text.replace("GE*1*5", "GE*2*5"))[1])


def test_a_rejection_for_the_whole_payer_applies_to_every_answer():
    text = answer_270(write_270([inquiry("1"), inquiry("2")], SUBMITTER, 3, AT), lambda t: INACTIVE)
    _d, segments = tokenize(text)
    body = [[s.id, *s.elements] for s in read_interchange(segments).transactions[0].segments]
    payer = next(i for i, parts in enumerate(body) if parts[:2] == ["NM1", "PR"])
    body.insert(payer + 1, ["AAA", "Y", "", "42", "R"])
    rewritten = write_interchange([body], sender=Party("ZZ", "AVAILITY"), receiver=Party("ZZ", "CLINIC01"),
                                  control_number=8, at=AT, functional_id="HB")
    answers = read_271(rewritten).answers
    assert [(a.trace, a.status, a.reject_code) for a in answers] == [("1", "rejected", "42"),
                                                                     ("2", "rejected", "42")]
    assert answers[0].reject_reason == "payer unable to respond now"


def test_segments_on_lines_without_the_declared_terminator_are_named():
    text = good_271()
    isa_end = text.index("~") + 1
    broken = text[:isa_end] + text[isa_end:].replace("~", "")
    with pytest.raises(X12Error, match="wrong segment terminator") as caught:
        read_271(broken)
    assert caught.value.segment == 2


def test_an_implausible_amount_is_refused():
    with pytest.raises(X12Error, match="not a plausible amount"):
        read_271(good_271().replace("*25*", "*999999999999999999*"))
