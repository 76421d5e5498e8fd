"""Walk-in (F7 from the check-in desk): find the patient by MRN (or register a new one with n),
see whether they are booked today or on another day (wrong day), then one digit picks the
provider: a same-day walk-in at that provider's next free time, marked arrived at once.

Dismisses with the new appointment (AppointmentBrief) or None."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Input, Label, Static

from coordinator_tui.services import checkin as svc
from coordinator_tui.tui.screens.desk import DeskScreen
from coordinator_tui.tui.widgets.clinic_header import ClinicHeader
from coordinator_tui.tui.widgets.footer import KeyFooter


class WalkInScreen(DeskScreen):
    DESK_TITLE = "Check-in: walk-in"
    DEFAULT_CSS = """
    WalkInScreen #walkin-patient { height: 3; padding: 0 1; }
    WalkInScreen #walkin-providers { height: auto; padding: 0 1; }
    """
    BINDINGS = [
        Binding("1", "choose(1)", "Provider", key_display="1-9"),
        *[Binding(str(n), f"choose({n})", f"Provider {n}", show=False) for n in range(2, 10)],
        Binding("n", "register", "New patient"),
        Binding("a", "open_booked", "Open booked appt"),
        Binding("m", "find", "MRN"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, patient_id: int | None = None, mrn: str | None = None) -> None:
        super().__init__()
        self.patient_id = patient_id
        self.mrn = mrn
        self.providers: list[svc.ProviderChoice] = []
        self.booked: svc.AppointmentBrief | None = None

    def compose(self) -> ComposeResult:
        yield ClinicHeader(self.DESK_TITLE)
        with Horizontal(classes="search-row"):
            yield Label("MRN:", classes="search-label")
            yield Input(placeholder="MRN, then Enter (n: register a new patient)", id="walkin-mrn",
                        classes="search-box", max_length=16)
        yield Static("", id="walkin-patient", markup=False)
        yield Static("", id="walkin-providers", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        ctx, actor = self.app.ctx, self.app.actor
        self.load(lambda: svc.providers(ctx, actor), self._show_providers, group="providers")
        if self.patient_id is not None:
            self._lookup_done((self.patient_id, self.mrn or str(self.patient_id)))
        else:
            self.query_one("#walkin-mrn", Input).focus()

    def _show_providers(self, providers: list[svc.ProviderChoice]) -> None:
        self.providers = providers[:9]
        lines = ["Provider (one key):"] + [f"  {n}  {p.short_name:<9} {p.display_name[:40]}"
                                           for n, p in enumerate(self.providers, start=1)]
        self.query_one("#walkin-providers", Static).update("\n".join(lines))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        ctx, actor, typed = self.app.ctx, self.app.actor, event.value
        self.load(lambda: svc.patient_by_mrn(ctx, actor, typed), self._lookup_done, group="lookup")

    def _lookup_done(self, found) -> None:
        info = self.query_one("#walkin-patient", Static)
        if found is None:
            info.update("No patient with that MRN.  n registers a new patient.")
            return
        self.patient_id, self.mrn = found
        self.set_focus(None)
        ctx, actor, patient_id = self.app.ctx, self.app.actor, self.patient_id

        def fetch():
            return svc.todays_appointment(ctx, actor, patient_id), svc.wrong_day_appointment(ctx, actor, patient_id)

        self.load(fetch, self._show_booking, group="booking")

    def _show_booking(self, found) -> None:
        today, other = found
        tz = self.app.ctx.settings.tz
        info = self.query_one("#walkin-patient", Static)
        self.booked = today or other
        if today is not None:
            info.update(f"MRN {self.mrn}: booked TODAY {today.starts_at.astimezone(tz):%H:%M} with "
                        f"{today.provider} ({today.status.label}).\na opens that check-in.  m: another MRN")
        elif other is not None:
            info.update(f"MRN {self.mrn}: WRONG DAY - booked {other.starts_at.astimezone(tz):%a %d %b %H:%M} "
                        f"with {other.provider}.\na opens that appointment; or a digit books a walk-in today.")
        else:
            info.update(f"MRN {self.mrn}: no appointment today.\nPress the provider's digit for a walk-in now.")

    def action_choose(self, number: int) -> None:
        if self.patient_id is None:
            self.notify("Find the patient first (MRN, Enter)", severity="warning")
            return
        if not 1 <= number <= len(self.providers):
            return
        provider = self.providers[number - 1]
        ctx, actor, patient_id = self.app.ctx, self.app.actor, self.patient_id

        def done(made: svc.AppointmentBrief) -> None:
            self.notify(f"Walk-in: MRN {self.mrn} with {made.provider} at "
                        f"{made.starts_at.astimezone(ctx.settings.tz):%H:%M}, arrived", timeout=5)
            self.dismiss(made)

        self.load(lambda: svc.walk_in(ctx, actor, patient_id, provider.id), done, group="walkin")

    def action_open_booked(self) -> None:
        if self.booked is None:
            return
        from coordinator_tui.tui.screens.checkin_checklist import ChecklistScreen

        self.app.push_screen(ChecklistScreen(self.booked.id), lambda done: self.dismiss(None) if done else None)

    def action_find(self) -> None:
        search = self.query_one("#walkin-mrn", Input)
        search.value = ""
        search.focus()

    def action_register(self) -> None:
        register = getattr(self.app, "register_patient", None)
        if register is None:
            self.notify("Quick registration is not available in this build: register the patient on "
                        "the Patients desk (F4), then come back to F7 with the MRN.", severity="warning",
                        timeout=8)
            return

        def registered(patient) -> None:
            if patient is None:
                return
            patient_id = getattr(patient, "patient_id", getattr(patient, "id", patient))
            mrn = getattr(patient, "mrn", str(patient_id))
            self._lookup_done((patient_id, mrn))

        register(None, on_done=registered)

    def action_back(self) -> None:
        self.dismiss(None)
