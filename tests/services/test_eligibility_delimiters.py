"""The same 271 answers sent again with other delimiters (a clearinghouse re-sending a day's
responses in its own format) are the same answers: nothing new is recorded."""

from __future__ import annotations

from sqlalchemy import func, select

from coordinator_tui.services.eligibility import import_271, request_eligibility
from coordinator_tui.store.models import EligibilityBenefit
from tests.conftest import CLINIC_DAY
from tests.helpers.eligibility import with_eligibility
from tests.helpers.x12_payer import ACTIVE, answer_270


def other_delimiters(text: str) -> str:
    """The same interchange with | between elements and ! ending segments, on one line."""
    return text.replace("*", "|").replace("~\n", "!")


def test_the_same_answers_with_other_delimiters_record_nothing_new(ctx, desk_user):
    ctx = with_eligibility(ctx)
    files: list[str] = []
    request_eligibility(ctx, desk_user, CLINIC_DAY, files.append)
    answer = answer_270(files[0], lambda t: ACTIVE)
    first = import_271(ctx, desk_user, answer)
    again = import_271(ctx, desk_user, other_delimiters(answer))
    assert first.recorded == again.answers == again.already > 0 and again.recorded == 0
    with ctx.db.read() as s:
        assert s.scalar(select(func.count()).select_from(EligibilityBenefit)) == first.recorded
