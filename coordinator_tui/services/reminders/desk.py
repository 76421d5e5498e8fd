"""The Callbacks desk's reminder keys as single use cases: a channel's batch for the days the
settings name, into the outbox folder (SMS and e-mail CSV, .ics files) or to the printer
(letters); a kind of letter, printed. Each is one write transaction: the reminders or letters
recorded as sent together with the file or print job that carries them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from coordinator_tui.domain.reminders import BatchChannel, LetterKind
from coordinator_tui.errors import UserError
from coordinator_tui.folders import make_private_dirs
from coordinator_tui.interop.private_file import write_private
from coordinator_tui.interop.private_folder import write_private_files
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.printing import print_document, printouts_folder
from coordinator_tui.services.reminders.batches import (
    Skipped,
    plan_batch,
    recorded_batch,
    render_batch,
)
from coordinator_tui.services.reminders.letters import plan_letters, recorded_letters


@dataclass(frozen=True)
class Sent:
    what: str           # "SMS", "no-show letters"...
    count: int
    skipped: tuple[Skipped, ...]
    already: int
    where: str          # the file, folder or printer; "" when nothing was due
    problem: str = ""   # why this channel or kind was not sent (the others still were)

    def summary(self) -> str:
        if self.problem:
            return f"{self.what}: NOT sent: {self.problem}"
        words = f"{self.what}: {self.count} sent"
        if self.skipped:
            words += f", {len(self.skipped)} left out"
        return words + (f" -> {self.where}" if self.where else "")


CHANNEL_WORDS = {"sms": "SMS", "email": "E-mail", "ics": "Invitations", "letter": "Reminder letters"}


def each(send: Callable[[str], Sent], names: Iterable[str]) -> list[Sent]:
    """`send` for every channel or letter kind: one refused (the printer said no, a folder is not
    writable) is reported as not sent, and the others still go, each its own transaction."""
    results = []
    for name in names:
        try:
            results.append(send(name))
        except UserError as exc:
            what = CHANNEL_WORDS.get(name) or f"{LetterKind(name).label} letters"
            results.append(Sent(what, 0, (), 0, "", problem=str(exc)))
    return results


def send_reminders(ctx: AppContext, actor: Actor, channel: BatchChannel | str) -> Sent:
    """Today's batch for `channel` (the settings' days ahead): files in the outbox folder,
    letters to the desk's printer (or its PDF file)."""
    channel = BatchChannel(channel)
    batch = plan_batch(ctx, actor, channel)
    what = CHANNEL_WORDS[channel.value]
    if not batch.items:
        return Sent(what, 0, batch.skipped, batch.already, "")
    content = render_batch(batch, ctx.now())
    publish = lambda: recorded_batch(ctx, actor, batch)  # noqa: E731
    if channel is BatchChannel.LETTER:
        printed = print_document(ctx, actor, title=f"reminder letters {ctx.today().isoformat()}",
                                 kind="letters", pdf=content, publish=publish)
        return Sent(what, len(batch), batch.skipped, batch.already, printed.where)
    stamp = ctx.now().astimezone(ctx.settings.tz).strftime("%Y%m%d-%H%M%S")
    outbox = printouts_folder(ctx) / "outbox"
    make_private_dirs(outbox)
    if channel is BatchChannel.ICS:
        folder = outbox / f"invitations-{stamp}"
        folder.mkdir(mode=0o700)
        write_private_files(folder, content, publish)
        return Sent(what, len(batch), batch.skipped, batch.already, str(folder))
    path = outbox / f"{channel.value}-{stamp}.csv"
    write_private(path, content, publish)
    return Sent(what, len(batch), batch.skipped, batch.already, str(path))


def print_letters(ctx: AppContext, actor: Actor, kind: LetterKind | str) -> Sent:
    """Today's no-show or cancellation letters, or the recall letters due, printed."""
    batch = plan_letters(ctx, actor, kind)
    what = f"{batch.kind.label} letters"
    if not batch.pages:
        return Sent(what, 0, batch.skipped, batch.already, "")
    printed = print_document(ctx, actor, title=f"{batch.kind.value} letters {ctx.today().isoformat()}",
                             kind="letters", pdf=batch.pdf(),
                             publish=lambda: recorded_letters(ctx, actor, batch))
    return Sent(what, len(batch), batch.skipped, batch.already, printed.where)
