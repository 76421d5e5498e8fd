"""The availability screen's dialogs, each a prompt chain (tui/prompt_chain.py): choose the
provider, the week in force on a date, change a weekday's hours, add or delete an exception.
A change that leaves booked patients without their time lists them and asks first
(ConfirmDialog); every service call goes through call_service."""

from __future__ import annotations

from coordinator_tui.domain.hours import WEEKDAYS, format_clock, parse_blocks, parse_part_of_day
from coordinator_tui.domain.relative_dates import parse_day
from coordinator_tui.domain.vocab import AvailabilityExceptionKind as Kind
from coordinator_tui.errors import PermissionDenied
from coordinator_tui.services.permissions import Permission, require
from coordinator_tui.services.schedule import availability
from coordinator_tui.services.schedule import hours as weekly_hours
from coordinator_tui.tui.prompt_chain import PromptChain, chain
from coordinator_tui.tui.widgets.confirm import ConfirmDialog
from coordinator_tui.tui.widgets.prompt import PromptModal
from coordinator_tui.tui.widgets.saving_prompt import SavingPrompt

KIND_WORDS = {"v": Kind.VACATION, "vacation": Kind.VACATION, "h": Kind.BLOCK, "half": Kind.BLOCK,
              "half-day": Kind.BLOCK, "b": Kind.BLOCK, "block": Kind.BLOCK, "c": Kind.HOLIDAY,
              "holiday": Kind.HOLIDAY, "clinic": Kind.HOLIDAY}
AFFECTED_SHOWN = 5  # booked appointments listed in the confirmation (the rest are counted)


def rebook_text(result) -> str:
    """': 3 appointment(s) to rebook, 2 callback(s) added (F5 Callbacks); ...' for a save that
    left booked patients without their time."""
    text = (f": {len(result.affected)} appointment(s) to rebook, "
            f"{result.callbacks_created} callback(s) added (F5 Callbacks)")
    if result.callbacks_created < len(result.affected):
        text += "; the rest already had a rebook call open"
    return text


def hours_text(blocks) -> str:
    return ",".join(f"{format_clock(s)}-{format_clock(e)}" for s, e in blocks) or "off"


def parse_types(text: str) -> list[str]:
    key = text.strip()
    if key.lower() in ("", "all", "any"):
        return []
    return [t.strip().upper() for t in key.replace(" ", ",").split(",") if t.strip()]


def checked(parse):
    """A prompt's `check` from a parser that raises ValueError with the words to show."""
    def check(values: dict) -> str | None:
        try:
            parse(values)
        except ValueError as exc:
            return str(exc)
        return None
    return check


class AvailabilityEdits:
    """Mixed into AvailabilityScreen: its keys that open dialogs."""

    @chain
    async def action_choose_provider(self, ask: PromptChain) -> None:
        if self.view is None:
            return
        names = {name.upper(): pid for pid, name in self.view.providers}

        def check(values: dict) -> str | None:
            key = values["name"].strip().upper()
            if key in names or len([n for n in names if n.startswith(key)]) == 1 and key:
                return None
            return "Type one of the names listed (the first letters are enough)"

        values = await ask.prompt(PromptModal("Show which provider?", [("name", "Provider", "")],
                                              info=" ".join(names)[:400], check=check))
        if values:
            key = values["name"].strip().upper()
            self._set_provider(names.get(key) or next(pid for n, pid in names.items() if n.startswith(key)))

    @chain
    async def action_as_of(self, ask: PromptChain) -> None:
        today, day_first = self.app.ctx.today(), self.app.ctx.settings.day_first

        def parse(values: dict):
            return parse_day(values["date"], today=today, day_first=day_first)

        values = await ask.prompt(PromptModal("Show the week in force on", [("date", "Date", "T")],
                                              info="T, T+7, mon, 12/24, 2026-12-24", check=checked(parse)))
        if values:
            self.as_of = parse(values)
            self.action_reload()

    @chain
    async def action_edit_day(self, ask: PromptChain) -> None:
        if self.view is None:
            return
        if not self._week_focused():
            self.say("e edits a weekday: Tab back to the week first")
            return
        actor = self.app.actor
        try:
            require(actor, Permission.MANAGE_TEMPLATES)
        except PermissionDenied as exc:
            self.say(f"Changing weekly hours needs an admin: {exc}. You can view them here.")
            self.notify("Changing weekly hours needs an admin", severity="warning", timeout=6)
            return
        ctx, view, day = self.app.ctx, self.view, self._current_day()
        today, day_first = ctx.today(), ctx.settings.day_first
        name = WEEKDAYS[day.weekday].capitalize()

        def parse(values: dict):
            hours = parse_blocks(values["hours"])
            slot_text = values["slot"].strip()
            if not slot_text.isdigit() or len(slot_text) > 4:
                raise ValueError("slot minutes: a whole number from 5 to 240")
            slot = int(slot_text)
            if not 5 <= slot <= 240:
                raise ValueError("slot length must be 5 to 240 minutes")
            types = parse_types(values["types"])
            unknown = [t for t in types if t not in view.type_codes]
            if unknown:
                raise ValueError(f"no appointment type {unknown[0][:12]!r}; use {','.join(view.type_codes)} or all")
            starts = parse_day(values["from"], today=today, day_first=day_first)
            if starts < today:
                raise ValueError("the new hours must start today or later")
            return hours, slot, types, starts

        def save(values: dict):
            hours, slot, types, starts = parse(values)
            args = {"provider_id": view.provider_id, "weekday": day.weekday, "hours": hours,
                    "slot_minutes": slot, "valid_from": starts, "type_codes": types}
            preview = {k: v for k, v in args.items() if k != "type_codes"}
            affected = weekly_hours.preview_hours_change(ctx, actor, **preview)
            if affected:  # booked patients lose their time: list them and ask first
                return args, affected
            return args, weekly_hours.set_weekly_hours(ctx, actor, **args, location_id=day.location_id)

        result = await ask.prompt(SavingPrompt(
            f"{view.provider}: {name} hours", [
                ("hours", "Hours", hours_text(day.blocks)),
                ("slot", "Slot minutes", str(day.slot_minutes or 20)),
                ("types", "Types", ",".join(day.type_codes) or "all"),
                ("from", "Effective from", "T")],
            info=f"Hours: like 08:00-12:00,13:00-17:00, or off\n"
                 f"Types: all, or some of {','.join(view.type_codes)}\n"
                 f"Effective from: T, T+7, mon, 12/24 (history is kept)\n"
                 f"Enter on the last field or ^s saves; Esc leaves it unchanged",
            check=checked(parse), save=save))
        if result is None:
            return
        args, outcome = result
        if isinstance(outcome, list | tuple):
            info = (self._affected_text(outcome, "booked outside the new hours")
                    + "\nTheir appointments stay until the desk moves or cancels them.")
            question = (f"{view.provider}: {name} {hours_text(args['hours'])} "
                        f"from {args['valid_from']:%a %d %b}?")
            if not await ask.prompt(ConfirmDialog(question, info=info)):
                self.say(f"Nothing changed: {view.provider} {name} hours as before")
                return
            outcome = await ask.call(lambda: weekly_hours.set_weekly_hours(
                ctx, actor, **args, location_id=day.location_id))
        self._hours_saved(args, outcome)

    def _hours_saved(self, args: dict, change) -> None:
        view, today = self.view, self.app.ctx.today()
        name = WEEKDAYS[args["weekday"]].capitalize()
        starts = args["valid_from"]
        self.as_of = starts if starts != today else None
        message = f"Saved: {name} {hours_text(args['hours'])} from {starts:%a %d %b %Y}"
        if change.affected:
            message += rebook_text(change)
        self.say(message)
        self.notify(f"{view.provider} {name} hours saved" + (rebook_text(change) if change.affected else ""),
                    timeout=6)
        self.action_reload()

    def _affected_text(self, affected, where: str) -> str:
        """The booked appointments an action leaves to rebook, as the confirmations list them."""
        tz = self.app.ctx.settings.tz
        lines = [f"{a.starts_at.astimezone(tz):%a %d %b %H:%M} {a.provider[:10]:<10} {a.mrn}"
                 for a in affected[:AFFECTED_SHOWN]]
        if len(affected) > AFFECTED_SHOWN:
            lines.append(f"... and {len(affected) - AFFECTED_SHOWN} more")
        return f"{len(affected)} {where}; each patient gets a rebook callback:\n" + "\n".join(lines)

    @chain
    async def action_add_exception(self, ask: PromptChain) -> None:
        if self.view is None:
            return
        ctx, actor, view = self.app.ctx, self.app.actor, self.view
        today, day_first = ctx.today(), ctx.settings.day_first

        def parse(values: dict) -> dict:
            kind = KIND_WORDS.get(values["kind"].strip().lower())
            if kind is None:
                raise ValueError("kind: vacation, half (part of a day) or holiday (whole clinic)")
            first = parse_day(values["from"], today=today, day_first=day_first)
            last = parse_day(values["to"], today=today, day_first=day_first) if values["to"].strip() else None
            if first < today:
                raise ValueError("the first day is in the past")
            if last is not None and last < first:
                raise ValueError("the last day is before the first")
            part = None
            if kind is Kind.BLOCK:
                if last is not None and last != first:
                    raise ValueError("a half-day block is one day; use vacation for several")
                part = parse_part_of_day(values["part"])
            elif kind is Kind.HOLIDAY and last is not None and last != first:
                raise ValueError("a clinic holiday is one day; add one per day")
            return {"provider_id": view.provider_id, "kind": kind, "first": first, "last": last, "part": part}

        values = await ask.prompt(PromptModal(
            f"Add an exception for {view.provider}", [
                ("kind", "Kind", "vacation"), ("from", "From", "T+1"), ("to", "To (vacation)", ""),
                ("part", "Part (half-day)", "am"), ("reason", "Reason", "")],
            info="vacation: whole days From..To (To empty: one day)\n"
                 "half: one day; Part am, pm or a range like 13:00-15:00\n"
                 "holiday: the whole clinic, every provider, on From\n"
                 "Booked patients are listed before anything is saved.", check=checked(parse)))
        if not values:
            return
        args, reason = parse(values), values["reason"]
        affected = await ask.call(lambda: availability.preview_block(ctx, actor, **args))
        kind = args["kind"]
        who = "EVERY provider" if kind is Kind.HOLIDAY else self.view.provider
        span = f"{args['first']:%a %d %b}" + (f" to {args['last']:%a %d %b}" if args["last"] else "")
        info = (self._affected_text(affected, "booked in that time") if affected
                else "No booked appointments in that time.")
        if not await ask.prompt(ConfirmDialog(f"Block {span} for {who}? ({kind.value})", info=info)):
            self.say("Nothing blocked")
            return
        result = await ask.call(lambda: availability.block_days(ctx, actor, **args, reason=reason))
        message = f"Blocked ({kind.value}) {span} for {who}"
        if result.affected:
            message += rebook_text(result)
        self.say(message)
        self.notify(message[:120], timeout=6)
        self.action_reload()

    @chain
    async def action_delete_exception(self, ask: PromptChain) -> None:
        if self.view is None:
            return
        if self._week_focused():
            self.say("d deletes an exception: Tab to the exceptions list first")
            return
        item = self._current_exception()
        if item is None:
            self.say("No exception to delete")
            return
        ctx, actor = self.app.ctx, self.app.actor
        start, end = self._span_text(item)
        if not await ask.prompt(ConfirmDialog(
                f"Delete {item.kind} for {item.who}, {start} to {end}?",
                info="The time becomes bookable again. Rebook callbacks already made stay in the queue.")):
            self.say("Nothing deleted")
            return
        result = await ask.call(lambda: availability.delete_exception(ctx, actor, item.id))
        self.say(f"Deleted the {result.kind} for {result.who}: that time is open for booking again")
        self.action_reload()
