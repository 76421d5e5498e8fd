"""The Schedule desk's dialogs, each one straight-line code in a prompt chain (tui/prompt_chain.py):
go to a date, book (patient, which one, book anyway?), find a free slot, move, cancel, undo,
block time. Every service call goes through call_service (`ask.call`)."""

from __future__ import annotations

from datetime import timedelta

from coordinator_tui.domain.hours import day_instant, parse_clock, part_of_day_word
from coordinator_tui.domain.relative_dates import parse_day
from coordinator_tui.domain.vocab import AppointmentStatus as S
from coordinator_tui.domain.vocab import CancelledBy
from coordinator_tui.services import schedule as booking
from coordinator_tui.services.appointment_status import undo_last_change
from coordinator_tui.services.schedule.schedule_view import BOOKED, CONTINUES, FREE
from coordinator_tui.tui.formatting import clock
from coordinator_tui.tui.prompt_chain import PromptChain, chain
from coordinator_tui.tui.widgets.confirm import ConfirmDialog
from coordinator_tui.tui.widgets.prompt import PromptModal

PICK_SHOWN = 8  # patients listed in "Which patient?" (the prompt's info shows 9 lines)


def cancelled_by(text: str) -> CancelledBy:
    return CancelledBy.CLINIC if text.strip().lower().startswith("c") else CancelledBy.PATIENT



def counted_on(message: str, result) -> str:
    """The desk's notice of a booking or a move, with the authorisation it was counted on."""
    return message + (f"; {result.authorisation}" if result.authorisation else "")

class SchedulePrompts:
    """Mixed into ScheduleScreen: its keys that open dialogs."""

    @chain
    async def action_go_to_date(self, ask: PromptChain) -> None:
        today = self.app.ctx.today()
        day_first = self.app.ctx.settings.day_first

        def check(values: dict) -> str | None:
            try:
                parse_day(values["date"], today=today, day_first=day_first)
            except ValueError as exc:
                return str(exc)
            return None

        values = await ask.prompt(PromptModal("Go to date", [("date", "Date", "")],
                                              info="T, T+7, mon, 12/24, 2026-12-24", check=check))
        if values:
            self.day = parse_day(values["date"], today=today, day_first=day_first)
            self.action_reload()

    def action_book(self) -> None:
        found = self.current_cell()
        if found is None:
            return
        cell, pindex, row = found
        if cell.kind not in (FREE, BOOKED, CONTINUES):
            self.notify("That time is not open for booking", severity="warning")
            return
        starts_at = self.schedule.times[row]
        # Refused now, not after the whole form is typed (the service refuses it then anyway):
        # a slot that has ended has passed; the one running now can still take a patient.
        if starts_at + timedelta(minutes=self.schedule.slot_minutes) <= self.app.ctx.now():
            self.notify("That time has already passed: choose a later slot", severity="warning")
            return
        provider = self.schedule.providers[pindex]
        self._open_booking(provider.id, provider.short_name, starts_at, cell.kind != FREE)

    @chain
    async def _open_booking(self, ask: PromptChain, provider_id: int, short_name: str, starts_at,
                            overbook: bool) -> None:
        await self._booking(ask, provider_id, short_name, starts_at, overbook)

    async def _booking(self, ask: PromptChain, provider_id: int, short_name: str, starts_at,
                       overbook: bool) -> None:
        """Patient and type, then which patient when several match, then book (and, after a
        same-time warning, book anyway?)."""
        ctx, actor = self.app.ctx, self.app.actor
        tz = ctx.settings.tz
        title = f"Book {starts_at.astimezone(tz):%a %d %b %H:%M} with {short_name}"
        if overbook:
            title = "OVERBOOK: " + title
        today, day_first = ctx.today(), ctx.settings.day_first

        def check(values: dict) -> str | None:
            if not values["patient"].strip():
                return "Type the patient's MRN or family name"
            if values["desired"].strip():
                try:
                    parse_day(values["desired"], today=today, day_first=day_first)
                except ValueError as exc:
                    return str(exc)
            return None

        typed, info = {"patient": "", "type": "FU", "desired": ""}, "Name as family or family,given"
        while True:
            values = await ask.prompt(PromptModal(
                title, [("patient", "Patient MRN/name", typed["patient"]), ("type", "Type", typed["type"]),
                        ("desired", "Desired date", typed["desired"])], info=info, check=check))
            if not values:
                return
            text = values["patient"]
            # One more than is shown, to know whether to say that more patients match.
            matches = await ask.call(lambda t=text: booking.pick_patients(ctx, actor, t, limit=PICK_SHOWN + 1))
            if matches:
                break
            # The form again as typed, saying why: it used to close, with a notice, and the
            # type and date typed were lost with it.
            typed, info = values, f"! No patient matches {text.strip()[:30]!r}: check the MRN or spelling"
        desired = (parse_day(values["desired"], today=today, day_first=day_first)
                   if values["desired"].strip() else None)
        type_code = values["type"]
        patient = matches[0] if len(matches) == 1 else await self._which_patient(ask, matches)
        if patient is None:
            return
        confirm = False
        while True:
            result = await ask.call(lambda c=confirm: booking.book(
                ctx, actor, patient.id, provider_id, type_code, starts_at, desired_date=desired,
                overbook=overbook, confirm_double=c))
            if result.appointment_id is not None:
                break
            if not await ask.prompt(ConfirmDialog("Book anyway?", info=result.warning or "")):
                return
            confirm = True
        self._after_change(counted_on(f"Booked {clock(result.starts_at, tz)} with {result.provider}"
                                      + (" (overbooked)" if result.is_overbook else ""), result))

    async def _which_patient(self, ask: PromptChain, matches):
        more = len(matches) > PICK_SHOWN
        matches = matches[:PICK_SHOWN]
        info = "\n".join(f"{n}. {m.name[:30]}  {m.birth_date:%Y-%m-%d}  {m.mrn}"
                         for n, m in enumerate(matches, start=1))
        if more:
            info += "\nmore patients match: type more of the name (family,given) or the MRN"

        def check(values: dict) -> str | None:
            text = values["n"].strip()
            if text.isdigit() and 1 <= int(text) <= len(matches):
                return None
            return f"Type the patient's number, 1-{len(matches)} (Esc: back)"

        # No number filled in: Enter alone must not book whoever happens to be first.
        values = await ask.prompt(PromptModal("Which patient?", [("n", "Number", "")], info=info, check=check))
        return matches[int(values["n"]) - 1] if values else None

    @chain
    async def action_find_slot(self, ask: PromptChain) -> None:
        """First free slots for a type, a provider or any, after a date, mornings/afternoons."""
        if self.schedule is None:
            return
        ctx, actor = self.app.ctx, self.app.actor
        today, tz, day_first = ctx.today(), ctx.settings.tz, ctx.settings.day_first
        providers = {p.short_name: p.id for p in self.schedule.providers}

        def check(values: dict) -> str | None:
            name = values["provider"].strip().upper()
            if name and name not in providers:
                return f"No provider {name[:16]}; leave empty for any"
            if part_of_day_word(values["part"]) is None:
                return "Part of day: any, am or pm"
            try:
                parse_day(values["after"], today=today, day_first=day_first)
            except ValueError as exc:
                return str(exc)
            return None

        here = self.current()
        default = self.schedule.providers[here[0]].short_name if here else ""
        values = await ask.prompt(PromptModal("Find a free slot", [
            ("type", "Type", "FU"), ("provider", "Provider", default), ("after", "After", "T"),
            ("part", "any/am/pm", "any")], info="Empty provider: any provider", check=check))
        if not values:
            return
        name = values["provider"].strip().upper()
        provider_id = providers.get(name) if name else None
        after = parse_day(values["after"], today=today, day_first=day_first)
        part = part_of_day_word(values["part"])
        type_code = values["type"]
        slots = await ask.call(lambda: booking.find_free_slots(
            ctx, actor, provider_id=provider_id, type_code=type_code, after=after, part_of_day=part, limit=8))
        if not slots:
            self.notify("No free slot found in the next 90 days", severity="warning")
            return
        info = "\n".join(f"{n}. {s.starts_at.astimezone(tz):%a %d %b %H:%M}  {s.provider}"
                         for n, s in enumerate(slots, start=1))
        # Nothing pre-picked: the user types the number of the slot they chose.
        values = await ask.prompt(PromptModal(
            f"Free {type_code.upper()[:12]} slots", [("n", "Number", "")], info=info,
            check=lambda v: None if v["n"].strip().isdigit() and 1 <= int(v["n"]) <= len(slots)
            else "Type a number from the list"))
        if not values:
            return
        slot = slots[int(values["n"]) - 1]
        self.day = slot.starts_at.astimezone(tz).date()
        self.action_reload()
        await self._booking(ask, slot.provider_id, slot.provider, slot.starts_at, False)

    def action_move(self) -> None:
        found = self.current_cell()
        if found is None:
            return
        cell, pindex, row = found
        if self.moving is None:
            appt = self._appointment_here()
            if appt is not None:
                if appt.status not in (S.SCHEDULED, S.CONFIRMED):
                    self.notify(f"This appointment is {appt.status.words}: it cannot be moved", severity="warning")
                    return
                self.moving = appt
                self.notify("Go to the new slot (any day) and press m; Esc stops", timeout=6)
                self._redraw()
            return
        if cell.kind != FREE:
            self.notify("Choose a free slot for the move", severity="warning")
            return
        provider = self.schedule.providers[pindex]
        starts_at = self.schedule.times[row]
        if starts_at < self.app.ctx.now():  # the service's rule for moves, before the reason is typed
            self.notify("That time has already passed: choose a later slot", severity="warning")
            return
        self._move_to(self.moving, provider, starts_at)

    @chain
    async def _move_to(self, ask: PromptChain, appt, provider, starts_at) -> None:
        ctx, actor = self.app.ctx, self.app.actor
        values = await ask.prompt(PromptModal(
            f"Move {appt.patient_name[:22]} to {clock(starts_at, ctx.settings.tz)} "
            f"{self.schedule.day:%a %d %b} {provider.short_name}",
            [("reason", "Reason", "patient asked"), ("by", "Asked by p/c", "patient")],
            info=f"Now {self.slot_label(appt)}",
            check=lambda v: None if v["reason"].strip() else ("reason", "Say why it is moved")))
        if not values:
            return
        self.moving = None
        moved = await ask.call(lambda: booking.reschedule(
            ctx, actor, appt.id, starts_at, provider_id=provider.id, reason=values["reason"],
            by=cancelled_by(values["by"]), expected_version=appt.version))
        self._after_change(counted_on(f"Moved to {clock(moved.starts_at, ctx.settings.tz)} with {moved.provider}",
                                      moved))

    def action_stop_moving(self) -> None:
        if self.moving is not None:
            self.moving = None
            self._redraw()

    @chain
    async def action_cancel_appointment(self, ask: PromptChain) -> None:
        appt = self._appointment_here()
        if appt is None:
            return
        ctx, actor = self.app.ctx, self.app.actor

        def check(values: dict) -> str | None:
            if not values["reason"].strip():
                return "reason", "Say why it is cancelled"
            if values["by"].strip().lower()[:1] not in ("p", "c"):
                return "by", "Cancelled by p(atient) or c(linic)"
            if values["rebook"].strip().lower()[:1] not in ("y", "n"):
                return "rebook", "Rebook callback: y or n"
            return None

        values = await ask.prompt(PromptModal(
            f"Cancel {self.slot_label(appt)}",
            [("reason", "Reason", ""), ("by", "By p/c", "patient"), ("rebook", "Rebook call y/n", "y")],
            check=check))
        if not values:
            return
        rebook = values["rebook"].strip().lower().startswith("y")

        def cancel_and_find_fits():
            done = booking.cancel_and_offer(ctx, actor, appt.id, reason=values["reason"],
                                            by=cancelled_by(values["by"]), rebook_callback=rebook,
                                            expected_version=appt.version)
            return done.callback_id, done.fits

        callback, fits = await ask.call(cancel_and_find_fits)
        message = "Cancelled" + ("; callback to rebook added" if callback else "")
        if fits:
            message += ". Wait list fits: " + "; ".join(
                f"{r.mrn} {r.patient_name[:18]} {r.type_code}" for r in fits[:3])
        self._after_change(message)

    @chain
    async def action_undo(self, ask: PromptChain) -> None:
        appt = self._appointment_here()
        if appt is None:
            return
        ctx, actor = self.app.ctx, self.app.actor
        values = await ask.prompt(PromptModal(
            f"Undo last status change: {self.slot_label(appt)}", [("reason", "Reason", "keyed in error")],
            check=lambda v: None if v["reason"].strip() else ("reason", "Say why")))
        if values:
            change = await ask.call(lambda: undo_last_change(ctx, actor, appt.id, reason=values["reason"],
                                                             expected_version=appt.version))
            self._after_change(f"Back to {change.to_status.words}")

    @chain
    async def action_block_time(self, ask: PromptChain) -> None:
        found = self.current_cell()
        if found is None:
            return
        _cell, pindex, row = found
        ctx, actor = self.app.ctx, self.app.actor
        tz, day = ctx.settings.tz, self.schedule.day
        provider = self.schedule.providers[pindex]

        def parse(values: dict):
            instants = []
            for name in ("start", "end"):
                instants.append(day_instant(day, parse_clock(values[name], name), tz))
            kind = values["kind"].strip().lower()
            if kind not in ("block", "vacation", "holiday"):
                raise ValueError("kind: block, vacation or holiday")
            return instants[0], instants[1], kind

        def check(values: dict) -> str | None:
            try:
                parse(values)
            except ValueError as exc:
                return str(exc)
            return None

        values = await ask.prompt(PromptModal(
            f"Block time {day:%a %d %b} for {provider.short_name} (holiday: whole clinic)",
            [("start", "From", clock(self.schedule.times[row], tz)), ("end", "To", "24:00"),
             ("kind", "Kind", "block"), ("reason", "Reason", "")], check=check))
        if not values:
            return
        starts_at, ends_at, kind = parse(values)
        provider_id = None if kind == "holiday" else provider.id
        result = await ask.call(lambda: booking.block_time(ctx, actor, provider_id=provider_id, starts_at=starts_at,
                                                           ends_at=ends_at, kind=kind, reason=values["reason"]))
        message = "Time blocked"
        if result.affected:
            listed = "; ".join(f"{clock(a.starts_at, tz)} {a.provider} {a.mrn}" for a in result.affected[:4])
            message += (f". {len(result.affected)} booked appointment(s) to rebook "
                        f"({result.callbacks_created} callbacks added): {listed}")
        self._after_change(message)

    # --- the wait list: who wants an earlier slot, who fits a free one -----------------------

    def action_wants_earlier(self) -> None:
        """Put the patient under the cursor on the wait list for an earlier slot."""
        appt = self._appointment_here()
        if appt is None:
            return
        ctx, actor = self.app.ctx, self.app.actor
        today = ctx.today()
        self.load(lambda: booking.add_to_waitlist(
            ctx, actor, appt.patient_id, appt.type_code, earliest=today,
            latest=appt.starts_at.astimezone(ctx.settings.tz).date(), provider_id=appt.provider_id,
            current_appointment_id=appt.id, note="wants an earlier slot"),
            lambda _id: self._after_change(f"{appt.mrn} is on the wait list for an earlier slot"),
            group="act")

    def action_waitlist(self) -> None:
        found = self.current_cell()
        if found is None or found[0].kind != FREE:
            self.notify("Put the cursor on a free slot", severity="warning")
            return
        _cell, pindex, row = found
        ctx, actor = self.app.ctx, self.app.actor
        provider_id, starts_at = self.schedule.providers[pindex].id, self.schedule.times[row]

        def shown(rows) -> None:
            if not rows:
                self.notify("Nobody on the wait list fits this slot", timeout=4)
                return
            self.notify("Wait list fits: " + "; ".join(f"{r.mrn} {r.patient_name[:20]} {r.type_code}"
                                                       for r in rows[:4]), timeout=10)

        self.load(lambda: booking.fits_for_slot(ctx, actor, provider_id, starts_at), shown, group="act")

