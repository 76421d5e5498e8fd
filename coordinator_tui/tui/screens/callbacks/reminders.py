"""The Callbacks desk's paper and reminder keys: `s` sends the day's reminders (SMS and e-mail
files into the outbox folder for the gateway, .ics invitations, reminder letters to the printer),
`l` prints the day's no-show and clinic-cancellation letters and the recall letters due. Each
channel or kind is one service call; the desk shows one line per channel when they are done."""

from __future__ import annotations

from coordinator_tui.tui.service_call import call_service

CHANNELS = ("sms", "email", "ics", "letter")
LETTERS = ("no_show", "cancellation", "recall")


def _report(screen, results, title: str) -> None:
    """A notice of what went; the rows left out, each with its reason, in a dialog that stays."""
    if any(sent.skipped or sent.problem for sent in results):
        from coordinator_tui.tui.screens.callbacks.left_out import LeftOutDialog

        screen.app.push_screen(LeftOutDialog(title, results))
        return
    screen.notify("\n".join(sent.summary() for sent in results), title=title, timeout=12)


def send_reminders(screen) -> None:
    from coordinator_tui.services.reminders.desk import each
    from coordinator_tui.services.reminders.desk import send_reminders as send

    ctx, actor = screen.app.ctx, screen.app.actor
    screen.notify("Sending today's reminders...", timeout=3)
    call_service(screen, lambda: each(lambda channel: send(ctx, actor, channel), CHANNELS),
                 lambda results: _report(screen, results, "Reminders"), group="reminders")


def print_letters(screen) -> None:
    from coordinator_tui.services.reminders.desk import each
    from coordinator_tui.services.reminders.desk import print_letters as letters

    ctx, actor = screen.app.ctx, screen.app.actor
    call_service(screen, lambda: each(lambda kind: letters(ctx, actor, kind), LETTERS),
                 lambda results: _report(screen, results, "Letters"), group="letters")
