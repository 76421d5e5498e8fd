"""Walk-in (F7 from the check-in desk): find the patient with the one-box lookup every desk uses
(name, birth date, phone or MRN; several matches are numbered and a digit picks one), or register
a new one with Ctrl+N; see who they are (name, birth date, age) and whether they are booked today or on
another day (wrong day), then one digit picks the provider: a same-day walk-in at the time shown
next to that provider, marked arrived at once.

Dismisses with the new appointment (AppointmentBrief) or None."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Input, Label, Static

from coordinator_tui.domain.lateness import LATE_AFTER_MINUTES
from coordinator_tui.domain.lookup_query import parse_lookup, registration_prefill
from coordinator_tui.errors import ConflictError
from coordinator_tui.services import checkin as svc
from coordinator_tui.tui.screens.desk import DeskScreen
from coordinator_tui.tui.widgets.clinic_header import ClinicHeader
from coordinator_tui.tui.widgets.footer import KeyFooter

# services.lookup reasons of a match that is not the name as typed.
_NEAR_MATCH = ("sounds like", "typo", "part of name", "weak name")


class WalkInScreen(DeskScreen):
    DESK_TITLE = "Check-in: walk-in"
    HELP_KEYS = [
        ("Name, birth date, phone or MRN, Enter", "Find the patient"),
        ("1-9", "Book a walk-in with that provider, at the time shown"),
    ]
    BINDINGS = [
        Binding("1", "choose(1)", "Book", key_display="1-9"),
        *[Binding(str(n), f"choose({n})", f"Provider {n}", show=False) for n in range(2, 10)],
        Binding("a", "open_booked", "Appt"),
        # Ctrl+N, as on the Patients desk: a plain n would be typed into the MRN box.
        Binding("ctrl+n", "register", "Register", key_display="^n"),
        Binding("m", "find", "Find", show=False),  # said on screen when it applies; F1 lists it
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, patient_id: int | None = None, mrn: str | None = None) -> None:
        super().__init__()
        self.patient_id = patient_id
        self.mrn = mrn
        self.patient: svc.WalkInPatient | None = None  # shown, so digits may book for them
        self.providers: list[svc.ProviderChoice] = []
        self.times: dict = {}  # provider id -> the start a walk-in would get now (None: full)
        self.booked: svc.AppointmentBrief | None = None
        self.matches: list = []  # PatientHit rows numbered on screen: a digit picks one

    def compose(self) -> ComposeResult:
        yield ClinicHeader(self.DESK_TITLE)
        with Horizontal(classes="search-row"):
            yield Label("Find:", classes="search-label")
            yield Input(placeholder="name, birth date, phone or MRN, Enter (^n: register a new patient)",
                        id="walkin-mrn", classes="search-box", max_length=200)
        yield Static("", id="walkin-patient", markup=False)
        yield Static("", id="walkin-providers", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        ctx, actor = self.app.ctx, self.app.actor
        self.load(lambda: svc.providers(ctx, actor)[:9], self._got_providers, group="providers")
        if self.patient_id is not None:
            self._lookup_done((self.patient_id, self.mrn or str(self.patient_id)))
        else:
            self.query_one("#walkin-mrn", Input).focus()

    def check_action(self, action: str, parameters) -> bool | None:
        if action == "open_booked":  # shown only when there is a booked appointment to open
            return self.booked is not None
        return True

    def _got_providers(self, providers: list[svc.ProviderChoice]) -> None:
        self.providers = providers
        self._refresh_times()

    def _refresh_times(self) -> None:
        ctx, actor, ids = self.app.ctx, self.app.actor, [p.id for p in self.providers]
        self.load(lambda: svc.walk_in_times(ctx, actor, ids), self._show_providers, group="times")

    def _show_providers(self, times: dict) -> None:
        self.times = times
        if self.matches:
            return  # the numbered patients are on screen until one is picked
        tz = self.app.ctx.settings.tz
        lines = [f"Provider (one key): walk-in time now (a slot under way: {LATE_AFTER_MINUTES} min gone at most)"]
        for n, p in enumerate(self.providers, start=1):
            start = times.get(p.id)
            when = f"at {start.astimezone(tz):%H:%M}" if start else "full today"
            lines.append(f"  {n}  {p.short_name:<9} {when:<10} {p.display_name[:40]}")
        self.query_one("#walkin-providers", Static).update("\n".join(lines))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        from coordinator_tui.services.patients.lookup import search_patients

        ctx, actor, typed = self.app.ctx, self.app.actor, event.value
        self._forget_patient()
        if not typed.strip():
            self.query_one("#walkin-patient", Static).update(
                "Type a name, birth date, phone or MRN, then Enter.  ^n registers a new patient.")
            return
        self.query_one("#walkin-patient", Static).update("Searching…")
        self.load(lambda: (typed, search_patients(ctx, actor, typed, limit=9)), self._found, group="lookup")

    def _forget_patient(self) -> None:
        # A digit must never book for the previous patient while another MRN is being looked up.
        self.patient_id = self.mrn = self.patient = self.booked = None
        self.query_one("#walkin-patient", Static).update("")
        if self.matches:
            self.matches = []
            self._show_providers(self.times)
        self.refresh_bindings()

    def _found(self, result) -> None:
        typed, hits = result
        if typed != self.query_one("#walkin-mrn", Input).value:
            return  # the box has changed since: that search answers nothing now
        info = self.query_one("#walkin-patient", Static)
        if not hits:
            info.update("No patient found: check the spelling, birth date, phone or MRN.\n"
                        "^n registers a new patient.")
            return
        # One patient found as typed (or by MRN) is taken at once; a single near-spelling is
        # offered as a numbered row instead, so a digit never books for a guess.
        if hits[0].reason.startswith(("MRN", "member id")) or (
                len(hits) == 1 and not hits[0].reason.startswith(_NEAR_MATCH)):
            self._lookup_done((hits[0].id, hits[0].mrn))
            return
        self.matches = hits
        self.set_focus(None)  # digits pick a patient now
        more = "  Type more to narrow." if len(hits) == 9 else ""
        info.update(f"{len(hits)} patients match: 1-{len(hits)} picks one, m searches again.{more}"
                    if len(hits) > 1 else "1 patient is a near match: 1 picks them, m searches again.")
        lines = ["Patient (one key)"]
        for n, hit in enumerate(hits, start=1):
            lines.append(f"  {n}  {hit.display_name[:28]:<28} born {hit.birth_date:%Y-%m-%d}  {hit.mrn:<9}"
                         f" {hit.phone_masked}")
        self.query_one("#walkin-providers", Static).update("\n".join(lines))

    def _lookup_done(self, found) -> None:
        if self.matches:
            self.matches = []
            self._show_providers(self.times)
        self.patient_id, self.mrn = found
        self.set_focus(None)
        ctx, actor, patient_id = self.app.ctx, self.app.actor, self.patient_id

        def fetch():
            return svc.walk_in_lookup(ctx, actor, patient_id)

        self.load(fetch, self._show_booking, group="booking")
        self._refresh_times()  # the times may have moved on since the screen opened

    def _show_booking(self, found) -> None:
        patient, today, other = found.patient, found.today, found.other_day
        if patient.id != self.patient_id:
            return  # another search was made meanwhile
        self.patient = patient
        self.set_focus(None)  # digits pick a provider now (focus comes back to the box after a form)
        tz = self.app.ctx.settings.tz
        info = self.query_one("#walkin-patient", Static)
        self.booked = today or other
        self.refresh_bindings()
        who = f"{patient.mrn}  {patient.name[:36]}  born {patient.birth_date:%Y-%m-%d}, age {patient.age}"
        if today is not None:
            info.update(f"{who}\nBooked TODAY {today.starts_at.astimezone(tz):%H:%M} with "
                        f"{today.provider} ({today.status.words}).\na opens that check-in.  m: find another")
        elif other is not None:
            info.update(f"{who}\nWRONG DAY - booked {other.starts_at.astimezone(tz):%a %d %b %H:%M} "
                        f"with {other.provider}.\na opens that appointment; or a digit books a walk-in today.")
        else:
            info.update(f"{who}\nNo appointment today.\nA provider's digit books a walk-in at the time shown.")

    def action_choose(self, number: int) -> None:
        if self.matches and self.patient_id is None:
            if 1 <= number <= len(self.matches):
                hit = self.matches[number - 1]
                self._lookup_done((hit.id, hit.mrn))
            return
        if self.patient is None:
            self.notify("Find the patient first (name, birth date, phone or MRN, Enter)", severity="warning")
            return
        if not 1 <= number <= len(self.providers):
            return
        provider = self.providers[number - 1]
        start = self.times.get(provider.id)
        if start is None:
            self.notify(f"{provider.short_name} has no free time left today; choose another provider",
                        severity="warning")
            return
        ctx, actor, patient = self.app.ctx, self.app.actor, self.patient

        def book():
            try:
                return svc.walk_in(ctx, actor, patient.id, provider.id, expected_start=start)
            except ConflictError:
                self.app.call_from_thread(self._refresh_times)  # show the new times, then refuse
                raise

        def done(made: svc.AppointmentBrief) -> None:
            # The board says it under its Find box, as it says a check-in (a toast covered the
            # list, and the line there went on naming the patient checked in before).
            self.dismiss(f"Walk-in: {patient.name[:30]} with {made.provider} at "
                         f"{made.starts_at.astimezone(ctx.settings.tz):%H:%M}, arrived")

        self.load(book, done, group="walkin")

    def action_open_booked(self) -> None:
        if self.booked is None:
            return
        from coordinator_tui.tui.screens.checkin.checklist import ChecklistScreen

        self.app.push_screen(ChecklistScreen(self.booked.id), lambda done: self.dismiss(done) if done else None)

    def action_find(self) -> None:
        search = self.query_one("#walkin-mrn", Input)
        search.value = ""
        search.focus()

    def action_register(self) -> None:
        def registered(patient) -> None:
            if patient is None:
                return
            patient_id = getattr(patient, "patient_id", getattr(patient, "id", patient))
            mrn = getattr(patient, "mrn", str(patient_id))
            self.query_one("#walkin-mrn", Input).value = mrn
            self._lookup_done((patient_id, mrn))

        ctx = self.app.ctx
        typed = self.query_one("#walkin-mrn", Input).value
        query = parse_lookup(typed, day_first=ctx.settings.day_first, today=ctx.today())
        self.app.register_patient(registration_prefill(query) or None, on_done=registered)

    def action_back(self) -> None:
        self.dismiss(None)
