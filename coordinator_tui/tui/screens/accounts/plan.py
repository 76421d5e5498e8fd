"""Recording a payment plan from a screen (the check-in checklist's l): the amount a month and
the first date (T+30 works), then the screen that asked reloads."""

from __future__ import annotations

from collections.abc import Callable

from coordinator_tui.domain.money import format_cents
from coordinator_tui.domain.relative_dates import parse_day
from coordinator_tui.services.accounts.plans import record_plan
from coordinator_tui.tui.service_call import call_service
from coordinator_tui.tui.widgets.prompt import PromptModal


def ask_plan(screen, patient_id: int, then: Callable[[], None]) -> None:
    ctx, actor = screen.app.ctx, screen.app.actor
    today = ctx.today()

    def check(values):
        try:
            parse_day(values["first"], today=today)
        except ValueError as exc:
            return ("first", str(exc))
        return None

    def chosen(values) -> None:
        if not values:
            return
        first = parse_day(values["first"], today=today)
        call_service(screen, lambda: record_plan(ctx, actor, patient_id, values["amount"], first),
                     lambda status: (screen.notify(f"Payment plan: {format_cents(status.amount_cents)} a month "
                                                   f"from {status.first_due:%Y-%m-%d}"[:70]), then()))

    screen.app.push_screen(PromptModal("Payment plan", [("amount", "Amount a month $", ""),
                                                        ("first", "First payment", "T+30")], check=check), chosen)
