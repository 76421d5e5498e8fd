"""The check-in checklist's "referral / authorisation" item, resolved in place: Enter on an empty
number attaches the authorisation on file that covers the visit; a number (with visits and a last
day) records the one the payer just gave and attaches it. A refusal is said on the form's screen
and nothing is saved."""

from __future__ import annotations

from coordinator_tui.domain.relative_dates import DateNotUnderstood, parse_day
from coordinator_tui.services import referrals as svc
from coordinator_tui.tui.service_call import call_service
from coordinator_tui.tui.widgets.prompt import PromptModal

FIELDS = [("number", "Auth number (empty: the one on file)", ""),
          ("visits", "Visits approved (empty: open-ended)", ""),
          ("valid_to", "Last day (T+90, 3/31)", "")]


def read_values(values: dict, today, day_first: bool) -> dict | str | tuple[str, str]:
    """The typed values as arguments for attach_authorisation, or what is wrong."""
    number = values["number"].strip() or None
    visits_text = values["visits"].strip()
    if visits_text and not visits_text.isdigit():
        return "visits", "visits: a whole number, 0 or more"
    valid_to = None
    if values["valid_to"].strip():
        try:
            valid_to = parse_day(values["valid_to"], today=today, day_first=day_first)
        except DateNotUnderstood as exc:
            return "valid_to", str(exc)
    if number is None and (visits_text or valid_to):
        return "number", "give the number the payer gave with its visits and last day"
    return {"number": number, "visits": int(visits_text) if visits_text else None, "valid_to": valid_to}


def ask_authorisation(screen, detail: str, appointment_id: int) -> None:
    ctx, actor = screen.app.ctx, screen.app.actor

    def check(values):
        read = read_values(values, ctx.today(), ctx.settings.day_first)
        return read if not isinstance(read, dict) else None

    def chosen(values) -> None:
        if values is None:
            return
        args = read_values(values, ctx.today(), ctx.settings.day_first)
        call_service(screen, lambda: svc.attach_authorisation(ctx, actor, appointment_id, **args),
                     lambda _line: screen.reload(), group="authorisation")

    screen.app.push_screen(PromptModal("Referral / authorisation", FIELDS, info=detail[:70], check=check,
                                       ask_before_discard=True),
                           chosen)
