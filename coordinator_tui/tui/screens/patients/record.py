"""One patient's record, pushed over a desk: demographics, alerts, coverages, upcoming and past
appointments, callbacks, payments and referrals, in one scrolling column that fits 80x24.

Keys: b book an appointment, e edit, a add a referral or authorisation, c contact preferences
(consent, language), m merge another record into this one (supervisors), w who looked at this
record (supervisors), $ print the patient's statement (supervisors), o the estimate of what the next visit will cost the patient, r reload,
Esc back.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from coordinator_tui.domain import phones
from coordinator_tui.domain.money import format_cents
from coordinator_tui.domain.reminders import LetterKind
from coordinator_tui.domain.vocab import CallbackReason, ReferralStatus
from coordinator_tui.services.desk_views import age_on
from coordinator_tui.services.patients.records import PatientRecord, get_record
from coordinator_tui.services.permissions import Permission, allows
from coordinator_tui.tui.formatting import status_text, vocab_words
from coordinator_tui.tui.screens.desk import DeskScreen
from coordinator_tui.tui.widgets.clinic_header import ClinicHeader
from coordinator_tui.tui.widgets.footer import KeyFooter


class PatientRecordScreen(DeskScreen):
    DESK_TITLE = "Patient"
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("b", "book", "Book"),
        Binding("e", "edit", "Edit"),
        Binding("c", "contact", "Contact prefs", show=False),
        Binding("m", "merge", "Merge", show=False),
        Binding("w", "who_looked", "Who looked"),
        Binding("r", "reload", "Reload", show=False),
        Binding("o", "estimate", "Estimate next visit", show=False),
        Binding("a", "add_referral", "Add referral/auth", show=False),
        Binding("dollar_sign", "statement", "Print a statement", key_display="$", show=False),
    ]

    def __init__(self, patient_id: int) -> None:
        super().__init__()
        self.patient_id = patient_id
        self.record: PatientRecord | None = None

    def compose(self) -> ComposeResult:
        yield ClinicHeader(self.DESK_TITLE)
        with VerticalScroll(id="record-body"):
            yield Static("Loading...", id="record-demographics", classes="record-section", markup=False)
            yield Static("", id="record-alerts", markup=False)
            for section in ("coverages", "upcoming", "past", "callbacks", "payments", "referrals",
                            "letters"):
                yield Static("", id=f"record-{section}", classes="record-section", markup=False)
        yield KeyFooter()

    # Keys only some roles may use (services/permissions.py decides): hidden from the others,
    # in the footer and in F1, instead of shown and then refused.
    NEEDS = {"merge": Permission.MERGE_PATIENTS, "who_looked": Permission.READ_AUDIT,
             "statement": Permission.WORK_ACCOUNTS}

    def check_action(self, action: str, parameters) -> bool | None:
        needed = self.NEEDS.get(action)
        return needed is None or allows(self.app.actor, needed)

    def on_mount(self) -> None:
        self.query_one("#record-body").focus()
        self.action_reload()

    def action_reload(self) -> None:
        ctx, actor, pid = self.app.ctx, self.app.actor, self.patient_id
        self.load(lambda: get_record(ctx, actor, pid), self.show)

    def action_back(self) -> None:
        self.dismiss()

    def action_book(self) -> None:
        self.app.book_for_patient(self.patient_id, lambda _result: self.action_reload())

    def action_add_referral(self) -> None:
        from coordinator_tui.tui.screens.referrals.add import ask_new_referral

        ask_new_referral(self, self.patient_id)

    def patient_on_screen(self) -> int | None:
        return self.patient_id

    def action_edit(self) -> None:
        if self.record is None:
            return
        from coordinator_tui.tui.screens.patients.form import PatientFormScreen

        self.app.push_screen(PatientFormScreen(record=self.record), lambda _saved: self.action_reload())

    def action_estimate(self) -> None:
        """What the patient will owe at the next upcoming visit (before the visit, on the phone)."""
        if self.record is None:
            return
        visit = next((a for a in self.record.upcoming if a.status.value not in ("cancelled", "no_show")), None)
        if visit is None:
            self.notify("No upcoming appointment to estimate.", severity="warning")
            return
        from coordinator_tui.services.eligibility import estimate_visit
        from coordinator_tui.tui.screens.checkin.estimate import EstimateDialog

        ctx, actor, appointment_id = self.app.ctx, self.app.actor, visit.id
        self.load(lambda: estimate_visit(ctx, actor, appointment_id),
                  lambda made: self.app.push_screen(EstimateDialog(made.sheet, made.patient_id)), group="estimate")

    def action_contact(self) -> None:
        from coordinator_tui.tui.screens.patients.consent import ContactPreferencesDialog

        who = self.record.display_name if self.record is not None else ""
        self.app.push_screen(ContactPreferencesDialog(self.patient_id, who=who),
                             lambda _saved: self.action_reload())

    def action_merge(self) -> None:
        if self.record is None:
            return
        if not allows(self.app.actor, Permission.MERGE_PATIENTS):
            self.notify("Merging records needs a supervisor.", severity="warning")
            return
        from coordinator_tui.tui.screens.patients.form import MergeDialog

        self.app.push_screen(MergeDialog(self.record), lambda _done: self.action_reload())

    def action_statement(self) -> None:
        """This patient's statement to the printer, recorded on the ledger (issue 17)."""
        from coordinator_tui.services.accounts.statements import print_statement

        ctx, actor, pid = self.app.ctx, self.app.actor, self.patient_id
        self.load(lambda: print_statement(ctx, actor, pid),
                  lambda printed: self.notify(f"Statement: {printed.where}"[:70]), group="statement")

    def action_who_looked(self) -> None:
        if self.record is None:
            return
        if not allows(self.app.actor, Permission.READ_AUDIT):
            self.notify("Who looked at this record: needs a supervisor.", severity="warning")
            return
        from coordinator_tui.tui.screens.patients.access import PatientAccessScreen

        self.app.push_screen(PatientAccessScreen(self.record.id, self.record.mrn))

    def show(self, record: PatientRecord) -> None:
        self.record = record
        self.patient_id = record.id
        tz = self.app.ctx.settings.tz
        today = self.app.ctx.today()
        lines = [f"{record.display_name}   {record.mrn}   "
                 f"born {record.birth_date:%m/%d/%Y} (age {age_on(record.birth_date, today)})   "
                 f"sex {record.sex}"]
        if record.redirected_from:
            lines.append(f"({record.redirected_from} was merged into this record)")
        if record.deceased_date:
            lines.append(f"DECEASED {record.deceased_date:%m/%d/%Y}")
        lines.append(f"Mobile {phones.display(record.phone_mobile) or '-'}   "
                     f"Home {phones.display(record.phone_home) or '-'}   Email {record.email or '-'}")
        address = ", ".join(x for x in (record.address_line1, record.address_line2, record.city,
                                        record.region, record.postal_code) if x)
        lines.append(f"Address {address or '-'}   Language {record.preferred_language}")
        if record.updated_by:
            lines.append(f"Last changed by {record.updated_by} at "
                         f"{record.updated_at.astimezone(tz):%m/%d %H:%M}")
        self.query_one("#record-demographics", Static).update("\n".join(lines))
        self.query_one("#record-alerts", Static).update(f"! ALERT: {record.alerts}" if record.alerts else "")

        def section(name: str, title: str, rows: list[str], extra: tuple[str, ...] = ()) -> None:
            body = "\n".join(f"  {row}" for row in [*rows, *extra]) if rows else "  none"
            self.query_one(f"#record-{name}", Static).update(f"{title} ({len(rows)})\n{body}")

        section("coverages", "Coverage", [
            f"{c.rank:<9} {c.payer[:22]:<22} {c.member_id[:14]:<14} copay {format_cents(c.copay_cents):>8} "
            f"{c.eligibility_status}{'' if c.active else ' (inactive)'}" for c in record.coverages],
            record.benefits)  # the payers' latest 271 answers, summarised
        for name, title, appointments in (("upcoming", "Upcoming appointments", record.upcoming),
                                          ("past", "Past appointments", record.past)):
            section(name, title, [
                f"{a.starts_at.astimezone(tz):%a %m/%d/%Y %H:%M}  {a.provider[:10]:<10} "
                f"{a.type_code:<5} {status_text(a.status).plain}" for a in appointments])
        section("callbacks", "Callbacks", [
            f"{c.status:<9} {vocab_words(CallbackReason, c.reason)[:21]:<21} "
            f"due {c.due_at.astimezone(tz):%m/%d %H:%M} {c.priority}"
            for c in record.callbacks])
        section("payments", "Payments", [
            f"{p.taken_at.astimezone(tz):%m/%d/%Y} {format_cents(p.amount_cents):>9} {p.method:<5} "
            f"{p.receipt_number}{' VOID' if p.voided else ''}" for p in record.payments])
        section("referrals", "Referrals and authorisations", [
            f"{vocab_words(ReferralStatus, r.status):<9} {(r.auth_number or r.to_specialty or '-')[:14]:<14} "
            f"{r.summary[:52]}" for r in record.referrals])
        section("letters", "Letters", [
            f"{x.written_at.astimezone(tz):%m/%d/%Y %H:%M}  {vocab_words(LetterKind, x.kind):<21} "
            f"by {(x.written_by or '-')[:20]}" for x in record.letters])


