"""A provider's availability, opened from the Schedule desk with `a`: the weekly template in force
(hours per weekday, slot length, location, allowed types, the next planned change) and the
exceptions of the next 60 days (vacations, part-day blocks, clinic holidays).

Keys: Up/Down move; Tab switches between the week and the exceptions; e edits the weekday under
the cursor (admins: the 'manage schedule templates' permission); x adds an exception (the booked
appointments it would leave are listed before it is saved, and each patient gets a rebook
callback); d removes the exception under the cursor; p chooses the provider by name, < > the
previous/next one; g shows the week in force on another date; Esc back to the schedule.
"""

from __future__ import annotations

from datetime import date, timedelta

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from coordinator_tui.domain.hours import WEEKDAYS, format_clock, parse_blocks, parse_part_of_day
from coordinator_tui.domain.relative_dates import parse_day
from coordinator_tui.domain.vocab import AvailabilityExceptionKind as Kind
from coordinator_tui.errors import PermissionDenied
from coordinator_tui.services import availability, weekly_hours
from coordinator_tui.services.permissions import Permission, allows, require
from coordinator_tui.tui.screens.desk import DeskScreen
from coordinator_tui.tui.widgets.clinic_header import ClinicHeader
from coordinator_tui.tui.widgets.footer import KeyFooter
from coordinator_tui.tui.widgets.prompt import PromptModal
from coordinator_tui.tui.widgets.saving_prompt import SavingPrompt

WEEK_COLUMNS = (("Day", 3), ("Hours", 23), ("Slot", 4), ("Location", 12), ("Types", 11), ("Change", 6))
EXCEPTION_COLUMNS = (("Kind", 8), ("Who", 10), ("From", 16), ("To", 16), ("Reason", 12))
KIND_WORDS = {"v": Kind.VACATION, "vacation": Kind.VACATION, "h": Kind.BLOCK, "half": Kind.BLOCK,
              "half-day": Kind.BLOCK, "b": Kind.BLOCK, "block": Kind.BLOCK, "c": Kind.HOLIDAY,
              "holiday": Kind.HOLIDAY, "clinic": Kind.HOLIDAY}
AFFECTED_SHOWN = 5  # booked appointments listed in the confirmation (the rest are counted)


def _yes_or_no(verb: str):
    return lambda v: (None if v["yes"].strip().lower() in ("y", "yes", "n", "no")
                      else f"y to {verb}, n or Esc to leave it")


def _rebook_text(result) -> str:
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


class AvailabilityScreen(DeskScreen):
    DESK_TITLE = "Availability"
    BINDINGS = [
        Binding("e", "edit_day", "Edit"),
        Binding("x", "add_exception", "Exception"),
        Binding("d", "delete_exception", "Delete", show=False),
        Binding("p", "choose_provider", "Provider"),
        Binding("escape", "back", "Back", key_display="Esc"),
        Binding("tab", "switch_list", "Week / exceptions", key_display="Tab", show=False),
        Binding("less_than_sign", "step_provider(-1)", "Prev provider", key_display="<", show=False),
        Binding("greater_than_sign", "step_provider(1)", "Next provider", key_display=">", show=False),
        Binding("g", "as_of", "Week on date", show=False),
        Binding("ctrl+r", "reload", "Reload", show=False),
    ]
    DEFAULT_CSS = """
    AvailabilityScreen #avail-week { height: 8; }
    AvailabilityScreen #avail-exceptions { height: 1fr; }
    AvailabilityScreen #avail-message { height: 2; padding: 0 1; text-style: bold; }
    """

    def __init__(self, provider_id: int, as_of: date | None = None) -> None:
        super().__init__()
        self.provider_id = provider_id
        self.as_of = as_of
        self.view: availability.ProviderAvailability | None = None

    def compose(self) -> ComposeResult:
        yield ClinicHeader(self.DESK_TITLE)
        yield Static("Loading…", id="avail-title", classes="desk-summary", markup=False)
        yield DataTable(id="avail-week", cursor_type="row", zebra_stripes=False)
        yield Static("Exceptions, next 60 days (Tab: here; x add, d delete)", id="avail-exc-title",
                     classes="desk-summary", markup=False)
        yield DataTable(id="avail-exceptions", cursor_type="row", zebra_stripes=False)
        yield Static("", id="avail-detail", classes="desk-summary", markup=False)
        yield Static("", id="avail-message", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        week = self.query_one("#avail-week", DataTable)
        for label, width in WEEK_COLUMNS:
            week.add_column(label, width=width)
        exceptions = self.query_one("#avail-exceptions", DataTable)
        for label, width in EXCEPTION_COLUMNS:
            exceptions.add_column(label, width=width)
        week.focus()
        self.action_reload()
        self.watch_for_changes(self.action_reload)

    # --- loading ---------------------------------------------------------------------------------

    def action_reload(self) -> None:
        ctx, actor, pid, as_of = self.app.ctx, self.app.actor, self.provider_id, self.as_of
        self.load(lambda: availability.provider_availability(ctx, actor, pid, as_of), self._show)

    def _show(self, view: availability.ProviderAvailability) -> None:
        if view.provider_id != self.provider_id:
            return  # another provider was chosen meanwhile
        self.view = view
        today = self.app.ctx.today()
        when = "today" if view.as_of == today else f"{view.as_of:%a %d %b %Y}"
        self.query_one("#avail-title", Static).update(
            f"{view.provider}  week in force {when}  (p provider, < > next, g date)"[:78])
        week = self.query_one("#avail-week", DataTable)
        row = week.cursor_coordinate.row
        week.clear()
        for day in view.week:
            types = ",".join(day.type_codes) or ("all" if day.blocks else "")
            week.add_row(WEEKDAYS[day.weekday].capitalize(), self._fit(hours_text(day.blocks), 23),
                         f"{day.slot_minutes}m" if day.blocks else "", (day.location or "")[:12] if day.blocks
                         else "", self._fit(types, 11),
                         f"{day.next_change:%m/%d}" if day.next_change else "", key=str(day.weekday))
        week.move_cursor(row=min(row, 6), animate=False)
        table = self.query_one("#avail-exceptions", DataTable)
        row = table.cursor_coordinate.row
        table.clear()
        for item in view.exceptions:
            start, end = self._span_text(item)
            table.add_row(item.kind, item.who[:10], start, end, (item.reason or "")[:12], key=str(item.id))
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1), animate=False)
        else:
            table.add_row("(none)", "", "", "", "", key="none")
        self._update_detail()

    @staticmethod
    def _fit(text: str, width: int) -> str:
        return text if len(text) <= width else text[:width - 1] + "…"

    def _span_text(self, item: availability.ExceptionRow) -> tuple[str, str]:
        tz = self.app.ctx.settings.tz
        start, end = item.starts_at.astimezone(tz), item.ends_at.astimezone(tz)
        if start.time().hour == start.time().minute == 0 and end.time().hour == end.time().minute == 0:
            last = (end - timedelta(minutes=1)).date()
            return f"{start:%a %d %b %Y}"[:16], f"{last:%a %d %b %Y}"[:16]
        if end.date() == start.date() or (end.time().hour == end.time().minute == 0
                                          and (end - timedelta(minutes=1)).date() == start.date()):
            end_text = "24:00" if end.date() != start.date() else f"{end:%H:%M}"
            return f"{start:%a %d %b %H:%M}", end_text
        return f"{start:%a %d %b %H:%M}", f"{end:%a %d %b %H:%M}"

    def say(self, text: str) -> None:
        """The outcome of the last action (or why it was refused): kept until the next one."""
        self.query_one("#avail-message", Static).update(text[:156])

    def _detail(self, text: str) -> None:
        self.query_one("#avail-detail", Static).update(text[:78])

    # --- where the cursor is -----------------------------------------------------------------------

    def on_data_table_row_highlighted(self, _event) -> None:
        self._update_detail()

    def on_descendant_focus(self, _event) -> None:
        self._update_detail()

    def _week_focused(self) -> bool:
        return self.focused is not self.query_one("#avail-exceptions", DataTable)

    def _current_day(self) -> availability.WeekdayHours | None:
        if self.view is None:
            return None
        return self.view.week[min(6, self.query_one("#avail-week", DataTable).cursor_coordinate.row)]

    def _current_exception(self) -> availability.ExceptionRow | None:
        if self.view is None or not self.view.exceptions:
            return None
        row = self.query_one("#avail-exceptions", DataTable).cursor_coordinate.row
        return self.view.exceptions[min(row, len(self.view.exceptions) - 1)]

    def _update_detail(self) -> None:
        if self.view is None:
            return
        if self._week_focused():
            day = self._current_day()
            text = f"{WEEKDAYS[day.weekday].capitalize()}: {hours_text(day.blocks)}"
            if day.blocks:
                text += f", {day.slot_minutes}-minute slots, types {','.join(day.type_codes) or 'all'}"
            if day.next_change:
                text += f"; changes {day.next_change:%a %d %b}"
            self._detail(text + ("  (e edits)" if allows(self.app.actor, Permission.MANAGE_TEMPLATES) else ""))
        else:
            item = self._current_exception()
            if item is None:
                self._detail("No exceptions in the next 60 days (x adds one)")
            else:
                start, end = self._span_text(item)
                self._detail(f"{item.kind} {item.who} {start} to {end}: {item.reason or 'no reason'}"
                             "  (d deletes)")

    def action_switch_list(self) -> None:
        week = self.query_one("#avail-week", DataTable)
        (self.query_one("#avail-exceptions", DataTable) if self.focused is week else week).focus()

    def action_back(self) -> None:
        self.dismiss(None)

    # --- provider and date -------------------------------------------------------------------------

    def _set_provider(self, provider_id: int) -> None:
        self.provider_id = provider_id
        self.view = None
        self.action_reload()

    def action_step_provider(self, step: int) -> None:
        if self.view is None or not self.view.providers:
            return
        ids = [pid for pid, _name in self.view.providers]
        index = ids.index(self.provider_id) if self.provider_id in ids else 0
        self._set_provider(ids[(index + step) % len(ids)])

    def action_choose_provider(self) -> None:
        if self.view is None:
            return
        names = {name.upper(): pid for pid, name in self.view.providers}

        def check(values: dict) -> str | None:
            key = values["name"].strip().upper()
            if key in names or len([n for n in names if n.startswith(key)]) == 1 and key:
                return None
            return "Type one of the names listed (the first letters are enough)"

        def done(values: dict | None) -> None:
            if values:
                key = values["name"].strip().upper()
                self._set_provider(names.get(key) or next(pid for n, pid in names.items() if n.startswith(key)))

        self.app.push_screen(PromptModal("Show which provider?", [("name", "Provider", "")],
                                         info=" ".join(names)[:400], check=check), done)

    def action_as_of(self) -> None:
        today, day_first = self.app.ctx.today(), self.app.ctx.settings.day_first

        def check(values: dict) -> str | None:
            try:
                parse_day(values["date"], today=today, day_first=day_first)
            except ValueError as exc:
                return str(exc)
            return None

        def done(values: dict | None) -> None:
            if values:
                self.as_of = parse_day(values["date"], today=today, day_first=day_first)
                self.action_reload()

        self.app.push_screen(PromptModal("Show the week in force on", [("date", "Date", "T")],
                                         info="T, T+7, mon, 12/24, 2026-12-24", check=check), done)

    # --- editing a weekday ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters) -> bool | None:
        """e (change a weekday's hours) only for the roles allowed to manage schedule templates
        (services/permissions.py); everyone else looks, and is not offered the key."""
        if action == "edit_day":
            return allows(self.app.actor, Permission.MANAGE_TEMPLATES)
        return True

    def action_edit_day(self) -> None:
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

        def check(values: dict) -> str | None:
            try:
                parse(values)
            except ValueError as exc:
                return str(exc)
            return None

        def save(values: dict):
            hours, slot, types, starts = parse(values)
            args = {"provider_id": view.provider_id, "weekday": day.weekday, "hours": hours,
                    "slot_minutes": slot, "valid_from": starts}
            affected = weekly_hours.preview_hours_change(ctx, actor, **args)
            if affected:  # booked patients lose their time: list them and ask first
                return args | {"type_codes": types}, affected
            change = weekly_hours.set_weekly_hours(ctx, actor, **args, location_id=day.location_id,
                                                   type_codes=types)
            return args, change

        def done(result) -> None:
            if result is None:
                return
            args, outcome = result
            if isinstance(outcome, tuple):
                self._confirm_hours(args, day.location_id, outcome)
            else:
                self._hours_saved(args, outcome)

        self.app.push_screen(SavingPrompt(
            f"{view.provider}: {name} hours", [
                ("hours", "Hours", hours_text(day.blocks)),
                ("slot", "Slot minutes", str(day.slot_minutes or 20)),
                ("types", "Types", ",".join(day.type_codes) or "all"),
                ("from", "Effective from", "T")],
            info=f"Hours: like 08:00-12:00,13:00-17:00, or off\n"
                 f"Types: all, or some of {','.join(view.type_codes)}\n"
                 f"Effective from: T, T+7, mon, 12/24 (history is kept)\n"
                 f"Enter on the last field or ^s saves; Esc leaves it unchanged",
            check=check, save=save), done)

    def _confirm_hours(self, args: dict, location_id: int | None, affected) -> None:
        ctx, actor, view = self.app.ctx, self.app.actor, self.view
        name = WEEKDAYS[args["weekday"]].capitalize()
        info = (self._affected_text(affected, "booked outside the new hours")
                + "\nTheir appointments stay until the desk moves or cancels them.")

        def save(values: dict):
            if values["yes"].strip().lower() not in ("y", "yes"):
                return None
            return weekly_hours.set_weekly_hours(ctx, actor, **args, location_id=location_id)

        def done(change) -> None:
            if change is None:
                self.say(f"Nothing changed: {view.provider} {name} hours as before")
                return
            self._hours_saved(args, change)

        self.app.push_screen(SavingPrompt(
            f"{view.provider}: {name} {hours_text(args['hours'])} from {args['valid_from']:%a %d %b}?",
            [("yes", "y to save", "")], info=info, save=save, check=_yes_or_no("save")), done)

    def _hours_saved(self, args: dict, change) -> None:
        view, today = self.view, self.app.ctx.today()
        name = WEEKDAYS[args["weekday"]].capitalize()
        starts = args["valid_from"]
        self.as_of = starts if starts != today else None
        message = f"Saved: {name} {hours_text(args['hours'])} from {starts:%a %d %b %Y}"
        if change.affected:
            message += _rebook_text(change)
        self.say(message)
        self.notify(f"{view.provider} {name} hours saved" + (_rebook_text(change) if change.affected else ""),
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

    # --- exceptions ----------------------------------------------------------------------------------

    def action_add_exception(self) -> None:
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

        def check(values: dict) -> str | None:
            try:
                parse(values)
            except ValueError as exc:
                return str(exc)
            return None

        def done(values: dict | None) -> None:
            if not values:
                return
            args = parse(values)
            self.load(lambda: availability.preview_block(ctx, actor, **args),
                      lambda affected: self._confirm_block(args, values["reason"], affected), group="act")

        self.app.push_screen(PromptModal(
            f"Add an exception for {view.provider}", [
                ("kind", "Kind", "vacation"), ("from", "From", "T+1"), ("to", "To (vacation)", ""),
                ("part", "Part (half-day)", "am"), ("reason", "Reason", "")],
            info="vacation: whole days From..To (To empty: one day)\n"
                 "half: one day; Part am, pm or a range like 13:00-15:00\n"
                 "holiday: the whole clinic, every provider, on From\n"
                 "Booked patients are listed before anything is saved.", check=check), done)

    def _confirm_block(self, args: dict, reason: str, affected) -> None:
        ctx, actor = self.app.ctx, self.app.actor
        kind = args["kind"]
        who = "EVERY provider" if kind is Kind.HOLIDAY else self.view.provider
        span = f"{args['first']:%a %d %b}" + (f" to {args['last']:%a %d %b}" if args["last"] else "")
        if affected:
            info = self._affected_text(affected, "booked in that time")
        else:
            info = "No booked appointments in that time."

        def save(values: dict):
            if values["yes"].strip().lower() not in ("y", "yes"):
                return None
            return availability.block_days(ctx, actor, **args, reason=reason)

        def done(result) -> None:
            if result is None:
                self.say("Nothing blocked")
                return
            message = f"Blocked ({kind.value}) {span} for {who}"
            if result.affected:
                message += _rebook_text(result)
            self.say(message)
            self.notify(message[:120], timeout=6)
            self.action_reload()

        self.app.push_screen(SavingPrompt(f"Block {span} for {who}? ({kind.value})",
                                          [("yes", "y to block", "")], info=info, save=save,
                                          check=_yes_or_no("block")), done)

    def action_delete_exception(self) -> None:
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

        def save(values: dict):
            if values["yes"].strip().lower() not in ("y", "yes"):
                return None
            return availability.delete_exception(ctx, actor, item.id)

        def done(result) -> None:
            if result is None:
                self.say("Nothing deleted")
                return
            self.say(f"Deleted the {result.kind} for {result.who}: that time is open for booking again")
            self.action_reload()

        self.app.push_screen(SavingPrompt(
            f"Delete {item.kind} for {item.who}, {start} to {end}?", [("yes", "y to delete", "")],
            info="The time becomes bookable again. Rebook callbacks already made stay in the queue.",
            check=lambda v: None if v["yes"].strip().lower() in ("y", "yes", "n", "no")
            else "y to delete, n or Esc to keep it", save=save), done)


__all__ = ["AvailabilityScreen"]
