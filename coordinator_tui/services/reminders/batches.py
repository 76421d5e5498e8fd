"""Reminder batches: the appointments of a day not yet reminded by a channel, for patients who
agreed to it, as the file that channel needs (SMS CSV for the gateway, e-mail CSV for a mail
merge, one PDF of letters, one .ics invitation each).

`plan_batch` reads and decides (who is left out and why); `recorded_batch` is the one write
transaction that records every reminder on its appointment (channel, when, by whom, how many
days ahead) and audits the batch. The command line and the desk write the file inside it, so a
batch whose file was not written is not recorded as sent, and a second run skips what was.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from coordinator_tui.config import lead_days
from coordinator_tui.domain.reminder_templates import TemplateInvalid, fill
from coordinator_tui.domain.reminder_templates import subject as letter_subject
from coordinator_tui.domain.reminders import (
    BatchChannel,
    ContactInvalid,
    LetterKind,
    email_address,
    language_code,
    mailing_lines,
    sms_number,
)
from coordinator_tui.domain.slots import day_bounds_utc
from coordinator_tui.domain.vocab import AppointmentStatus
from coordinator_tui.errors import UserError
from coordinator_tui.interop.paper import LetterPage, letters_pdf
from coordinator_tui.interop.reminder_files import (
    Outgoing,
    email_csv,
    invitation_ics,
    invitation_name,
    sms_csv,
)
from coordinator_tui.services import audit
from coordinator_tui.services.clinic import clinic_name
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.reminders.consent import current_consents
from coordinator_tui.services.reminders.wording import Templates, date_words, time_words
from coordinator_tui.store.models import Appointment, Location, Patient, Provider, ReminderSent

WAITING = (AppointmentStatus.SCHEDULED.value, AppointmentStatus.CONFIRMED.value)
DAYS_SETTING = {BatchChannel.SMS: "reminder_sms_days", BatchChannel.EMAIL: "reminder_email_days",
                BatchChannel.ICS: "reminder_email_days", BatchChannel.LETTER: "reminder_letter_days"}


@dataclass(frozen=True)
class Skipped:
    appointment_id: int
    mrn: str
    reason: str


@dataclass(frozen=True)
class Batch:
    channel: BatchChannel
    days: tuple[date, ...]
    items: tuple[Outgoing, ...]
    lead: tuple[int, ...]             # days ahead, one per item
    letters: tuple[LetterPage, ...]   # the letter channel's pages, one per item
    skipped: tuple[Skipped, ...]      # left out, with the reason (bad phone, no postal code...)
    already: int                      # reminded by this channel before: skipped quietly
    no_consent: int                   # the patient did not agree to this channel

    def __len__(self) -> int:
        return len(self.items)


def default_days(ctx: AppContext, channel: BatchChannel) -> tuple[date, ...]:
    """The days the settings remind for today: SMS 2 and 1 days ahead, letters 7..."""
    today = ctx.today()
    return tuple(sorted({today + timedelta(days=d)
                         for d in lead_days(ctx.settings, DAYS_SETTING[channel])}))


def clinic_phone(ctx: AppContext, location: Location | None) -> str:
    from coordinator_tui.domain import phones

    raw = ctx.settings.clinic_phone or (location.phone if location else "") or ""
    try:
        return phones.display(phones.normalise(raw)) if raw else ""
    except phones.PhoneInvalid:
        return raw


def plan_batch(ctx: AppContext, actor: Actor, channel: BatchChannel | str,
               days: tuple[date, ...] | list[date] | None = None) -> Batch:
    """What a batch for `days` (default: the settings' days ahead) would send. A day before
    today is refused; an appointment whose time has passed is listed and left out."""
    channel = BatchChannel(channel)
    today, now, tz = ctx.today(), ctx.now(), ctx.settings.tz
    days = tuple(sorted(set(days))) if days else default_days(ctx, channel)
    past = [d for d in days if d < today]
    if past:
        raise UserError(f"{past[0].isoformat()} is in the past; reminders are for days to come")
    name = clinic_name(ctx)
    templates = Templates(ctx)
    items, leads, letters, skipped = [], [], [], []
    already = no_consent = 0
    kind = {BatchChannel.SMS: "sms", BatchChannel.EMAIL: "email", BatchChannel.ICS: "email",
            BatchChannel.LETTER: LetterKind.REMINDER.value}[channel]
    with ctx.db.read() as session:
        for day in days:
            start, end = day_bounds_utc(day, tz)
            rows = session.execute(
                select(Appointment, Patient, Provider, Location)
                .join(Patient, Patient.id == Appointment.patient_id)
                .join(Provider, Provider.id == Appointment.provider_id)
                .join(Location, Location.id == Appointment.location_id)
                .where(Appointment.starts_at >= start, Appointment.starts_at < end,
                       Appointment.status.in_(WAITING))
                .order_by(Appointment.starts_at, Appointment.id)).all()
            sent = set(session.scalars(select(ReminderSent.appointment_id).where(
                ReminderSent.channel == channel.value,
                ReminderSent.lead_days == (day - today).days,
                ReminderSent.appointment_id.in_([r[0].id for r in rows]))))
            consents = current_consents(session, {r[1].id for r in rows})
            for appointment, patient, provider, location in rows:
                if appointment.id in sent:
                    already += 1
                    continue
                consent = consents.get((patient.id, channel.consent))
                if consent is None or not consent.agreed:
                    no_consent += 1
                    continue
                if patient.deceased_date is not None:
                    skipped.append(Skipped(appointment.id, patient.mrn, "the patient has died"))
                    continue
                if appointment.starts_at <= now:
                    skipped.append(Skipped(appointment.id, patient.mrn,
                                           "the appointment time has passed"))
                    continue
                try:
                    template = templates.get(kind, language_code(patient.preferred_language))
                except TemplateInvalid as exc:
                    skipped.append(Skipped(appointment.id, patient.mrn, str(exc)))
                    continue
                # The language the text is really in (English when the patient's has no
                # template): an English message must not carry a day-first date.
                language = template.language
                local = appointment.starts_at.astimezone(tz)
                phone_text = clinic_phone(ctx, location)
                values = {"first_name": patient.preferred_name or patient.given_name,
                          "family_name": patient.family_name,
                          "full_name": f"{patient.given_name} {patient.family_name}",
                          "clinic_name": name, "clinic_phone": phone_text,
                          "date": date_words(day, language, ctx.settings.day_first),
                          "time": time_words(local, language), "location": location.name,
                          "appointment_id": str(appointment.id), "provider": provider.display_name,
                          "today": date_words(today, language, ctx.settings.day_first)}
                try:
                    phone = sms_number(patient.phone_mobile) if channel is BatchChannel.SMS else ""
                    email = (email_address(patient.email)
                             if channel in (BatchChannel.EMAIL, BatchChannel.ICS) else "")
                    address = (mailing_lines(values["full_name"], patient.address_line1,
                                             patient.address_line2, patient.city, patient.region,
                                             patient.postal_code, patient.country)
                               if channel is BatchChannel.LETTER else ())
                    message = fill(template, values)
                    subject = (fill(templates.get("email_subject", language), values)
                               if kind == "email" else letter_subject(LetterKind.REMINDER.value, language))
                except (ContactInvalid, TemplateInvalid) as exc:
                    skipped.append(Skipped(appointment.id, patient.mrn, str(exc)))
                    continue
                item = Outgoing(appointment.id, values["first_name"], name, phone_text,
                                values["date"], values["time"], location.name, language, message,
                                appointment.starts_at, appointment.ends_at, phone, email, subject)
                items.append(item)
                leads.append((day - today).days)
                if channel is BatchChannel.LETTER:
                    letters.append(LetterPage(name, phone_text, values["today"], address,
                                              subject, message))
    return Batch(channel, days, tuple(items), tuple(leads), tuple(letters), tuple(skipped),
                 already, no_consent)


def render_batch(batch: Batch, now: datetime) -> str | bytes | dict[str, str]:
    """The batch's file: CSV text, PDF bytes, or .ics files by name."""
    if batch.channel is BatchChannel.SMS:
        return sms_csv(list(batch.items))
    if batch.channel is BatchChannel.EMAIL:
        return email_csv(list(batch.items))
    if batch.channel is BatchChannel.LETTER:
        return letters_pdf(list(batch.letters), title="Reminder letters")
    return {invitation_name(item): invitation_ics(item, now) for item in batch.items}


def recorded_batch(ctx: AppContext, actor: Actor, batch: Batch) -> AbstractContextManager:
    """The write transaction recording the batch as sent; the file is written inside it."""

    @contextmanager
    def recording():
        at = ctx.now()
        with ctx.db.write() as session:
            for item, lead in zip(batch.items, batch.lead, strict=True):
                session.add(ReminderSent(appointment_id=item.appointment_id,
                                         channel=batch.channel.value, lead_days=lead, sent_at=at,
                                         sent_by_id=actor.id, delivery="sent"))
            try:
                session.flush()
            except IntegrityError:
                raise UserError("another desk sent some of these reminders meanwhile; "
                                "run the batch again (it skips what was sent)") from None
            audit.record(session, actor, "reminders.batch", at, entity="reminder_batch",
                         detail={"channel": batch.channel.value,
                                 "days": [d.isoformat() for d in batch.days],
                                 "sent": len(batch.items), "skipped": len(batch.skipped)})
            yield

    return recording()
