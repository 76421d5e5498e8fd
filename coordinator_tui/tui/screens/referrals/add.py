"""A new referral or prior authorisation from the patient record (a there): kind, number,
types covered, visits, last day and status, one field after another; a refusal (dates out of
order, negative visits, a number another patient of the same payer has) is said on the form's
screen and nothing is saved. Esc with anything typed asks "Discard changes? y/n" first."""

from __future__ import annotations

from coordinator_tui.domain.referrals import parse_kind
from coordinator_tui.domain.relative_dates import DateNotUnderstood, parse_day
from coordinator_tui.errors import UserError
from coordinator_tui.services import referrals as svc
from coordinator_tui.tui.service_call import call_service
from coordinator_tui.tui.widgets.prompt import PromptModal

FIELDS = [("kind", "Kind: in / out / auth", "auth"),
          ("number", "Number (optional)", ""),
          ("types", "Types covered (PROC,FU; empty: any)", ""),
          ("visits", "Visits (empty: open-ended)", ""),
          ("valid_to", "Last day (T+90, 3/31; optional)", ""),
          ("status", "Status", "approved")]


def read_values(values: dict, today, day_first: bool) -> dict | tuple[str, str]:
    try:
        kind = parse_kind(values["kind"])
    except UserError as exc:
        return "kind", str(exc)
    visits = values["visits"].strip()
    if visits and not visits.isdigit():
        return "visits", "visits: a whole number, 0 or more (empty: open-ended)"
    valid_to = None
    if values["valid_to"].strip():
        try:
            valid_to = parse_day(values["valid_to"], today=today, day_first=day_first)
        except DateNotUnderstood as exc:
            return "valid_to", str(exc)
    return {"kind": kind, "number": values["number"].strip() or None,
            "type_codes": [t for t in values["types"].replace(" ", ",").split(",") if t],
            "visits": int(visits) if visits else None, "valid_to": valid_to,
            "valid_from": today if valid_to is not None and valid_to >= today else None,
            "status": values["status"].strip() or "requested"}


def ask_new_referral(screen, patient_id: int) -> None:
    ctx, actor = screen.app.ctx, screen.app.actor

    def check(values):
        read = read_values(values, ctx.today(), ctx.settings.day_first)
        return read if isinstance(read, tuple) else None

    def chosen(values) -> None:
        if values is None:
            return
        args = read_values(values, ctx.today(), ctx.settings.day_first)
        call_service(screen, lambda: svc.add_referral(ctx, actor, patient_id, **args),
                     lambda rid: (screen.notify(f"Added {args['kind'].label.lower()} {rid}"), screen.action_reload()),
                     group="add-referral")

    screen.app.push_screen(PromptModal("New referral or authorisation", FIELDS, check=check,
                                       ask_before_discard=True), chosen)
