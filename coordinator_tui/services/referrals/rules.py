"""The clinic's rules (admins): which appointment types need a prior authorisation from which
payer, what a payer counts as a used visit, and which documents a type needs before the visit."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from coordinator_tui.domain.referrals import DocumentKind, VisitRule
from coordinator_tui.errors import UserError
from coordinator_tui.services import audit
from coordinator_tui.services.context import Actor, AppContext
from coordinator_tui.services.permissions import Permission, require
from coordinator_tui.store.models import (
    AppointmentType,
    AuthRequirement,
    Payer,
    PayerVisitRule,
    TypeDocument,
)


def _type(session: Session, code: str) -> AppointmentType:
    found = session.scalar(select(AppointmentType).where(
        AppointmentType.code == (code or "").strip().upper()))
    if found is None:
        raise UserError(f"there is no appointment type {str(code).strip()[:12]!r}")
    return found


def _payer(session: Session, name: str | None) -> Payer | None:
    if name is None or not str(name).strip():
        return None
    found = session.scalar(select(Payer).where(Payer.name == str(name).strip()))
    if found is None:
        names = ", ".join(session.scalars(select(Payer.name).order_by(Payer.name).limit(8)))
        raise UserError(f"there is no payer {str(name).strip()[:40]!r}; payers include {names}")
    return found


def _auth_requirement_in(session: Session, actor: Actor, at, type_code: str, payer: str | None,
                         required: bool) -> bool:
    kind = _type(session, type_code)
    found = _payer(session, payer)
    payer_id = found.id if found else None
    rule = session.scalar(select(AuthRequirement).where(
        AuthRequirement.appointment_type_id == kind.id,
        AuthRequirement.payer_id.is_(None) if payer_id is None else AuthRequirement.payer_id == payer_id))
    if (rule is not None) == required:
        return False
    if required:
        session.add(AuthRequirement(appointment_type_id=kind.id, payer_id=payer_id))
    else:
        session.delete(rule)
    session.flush()
    audit.record(session, actor, "settings.auth_requirement", at, entity="appointment_type",
                 entity_id=kind.id, detail={"payer_id": payer_id, "required": required})
    return True


def set_auth_requirement(ctx: AppContext, actor: Actor, type_code: str, payer: str | None = None,
                         *, required: bool = True) -> bool:
    """Say that `type_code` visits need (or no longer need) a prior authorisation from `payer`
    (None: from every payer). Returns whether anything changed."""
    require(actor, Permission.MANAGE_SETTINGS)
    with ctx.db.write() as session:
        return _auth_requirement_in(session, actor, ctx.now(), type_code, payer, required)


def _payer_rule_in(session: Session, actor: Actor, at, payer: str, cancelled_uses: bool | None,
                   no_show_uses: bool | None) -> None:
    if cancelled_uses is None and no_show_uses is None:
        raise UserError("say whether a cancellation or a no-show uses a visit")
    found = _payer(session, payer)
    if found is None:
        raise UserError("name the payer")
    row = session.get(PayerVisitRule, found.id)
    if row is None:
        default = VisitRule()
        row = PayerVisitRule(payer_id=found.id, cancelled_uses=default.cancelled_uses,
                             no_show_uses=default.no_show_uses)
        session.add(row)
    if cancelled_uses is not None:
        row.cancelled_uses = bool(cancelled_uses)
    if no_show_uses is not None:
        row.no_show_uses = bool(no_show_uses)
    session.flush()
    audit.record(session, actor, "settings.payer_visit_rule", at, entity="payer",
                 entity_id=found.id, detail={"cancelled_uses": row.cancelled_uses,
                                             "no_show_uses": row.no_show_uses})


def set_payer_rule(ctx: AppContext, actor: Actor, payer: str, *, cancelled_uses: bool | None = None,
                   no_show_uses: bool | None = None) -> None:
    """What the payer counts as a used visit (the default: a no-show uses one, a cancellation
    gives it back). A half not given (None) stays as it was: saying only that a cancellation
    uses a visit leaves the payer's no-show rule alone."""
    require(actor, Permission.MANAGE_SETTINGS)
    with ctx.db.write() as session:
        _payer_rule_in(session, actor, ctx.now(), payer, cancelled_uses, no_show_uses)


def _document_kinds(documents: Iterable[str]) -> list[str]:
    wanted = []
    for text in documents:
        try:
            kind = DocumentKind((text or "").strip().lower())
        except ValueError:
            raise UserError(f"unknown document {str(text)[:20]!r}: one of "
                            f"{', '.join(d.value for d in DocumentKind)}") from None
        if kind.value not in wanted:
            wanted.append(kind.value)
    return wanted


def _type_documents_in(session: Session, actor: Actor, at, type_code: str, wanted: list[str]) -> None:
    kind = _type(session, type_code)
    for row in session.scalars(select(TypeDocument).where(TypeDocument.appointment_type_id == kind.id)):
        session.delete(row)
    session.flush()
    session.add_all(TypeDocument(appointment_type_id=kind.id, document=d) for d in wanted)
    session.flush()
    audit.record(session, actor, "settings.type_documents", at, entity="appointment_type",
                 entity_id=kind.id, detail={"documents": wanted})


def set_type_documents(ctx: AppContext, actor: Actor, type_code: str, documents: Iterable[str]) -> None:
    """The documents `type_code` visits need in hand (replaces the list; empty: none)."""
    require(actor, Permission.MANAGE_SETTINGS)
    wanted = _document_kinds(documents)
    with ctx.db.write() as session:
        _type_documents_in(session, actor, ctx.now(), type_code, wanted)


def change_rules(ctx: AppContext, actor: Actor, *, type_code: str | None = None, payer: str | None = None,
                 needs_auth: bool | None = None, documents: Iterable[str] | None = None,
                 cancelled_uses: bool | None = None, no_show_uses: bool | None = None) -> None:
    """Several rule changes at once (`coordinator referrals rules`), in one transaction: all of
    them are saved or, when one is refused, none. None: that rule is left as it is."""
    require(actor, Permission.MANAGE_SETTINGS)
    if (needs_auth is not None or documents is not None) and not type_code:
        raise UserError("--needs-auth and --documents go with --type CODE")
    if (cancelled_uses is not None or no_show_uses is not None) and not payer:
        raise UserError("--cancelled-uses and --no-show-uses go with --payer NAME")
    wanted = _document_kinds(documents) if documents is not None else None
    at = ctx.now()
    with ctx.db.write() as session:
        if needs_auth is not None:
            _auth_requirement_in(session, actor, at, type_code, payer, needs_auth)
        if wanted is not None:
            _type_documents_in(session, actor, at, type_code, wanted)
        if cancelled_uses is not None or no_show_uses is not None:
            _payer_rule_in(session, actor, at, payer, cancelled_uses, no_show_uses)


@dataclass(frozen=True)
class Rules:
    needs_auth: tuple[tuple[str, str], ...]  # (type code, payer name or "any payer")
    payer_rules: tuple[tuple[str, bool, bool], ...]  # (payer, cancelled uses, no-show uses)
    documents: tuple[tuple[str, tuple[str, ...]], ...]


def rules(ctx: AppContext, actor: Actor) -> Rules:
    with ctx.db.read() as session:
        needs = tuple(session.execute(
            select(AppointmentType.code, Payer.name)
            .select_from(AuthRequirement)
            .join(AppointmentType, AppointmentType.id == AuthRequirement.appointment_type_id)
            .join(Payer, Payer.id == AuthRequirement.payer_id, isouter=True)
            .order_by(AppointmentType.code, Payer.name)).all())
        payer_rules = tuple(session.execute(
            select(Payer.name, PayerVisitRule.cancelled_uses, PayerVisitRule.no_show_uses)
            .join(Payer, Payer.id == PayerVisitRule.payer_id).order_by(Payer.name)).all())
        docs: dict[str, list[str]] = {}
        for code, doc in session.execute(select(AppointmentType.code, TypeDocument.document)
                                         .join(AppointmentType, AppointmentType.id == TypeDocument.appointment_type_id)
                                         .order_by(AppointmentType.code, TypeDocument.document)):
            docs.setdefault(code, []).append(doc)
        return Rules(tuple((c, p or "any payer") for c, p in needs),
                     tuple((p, bool(c), bool(n)) for p, c, n in payer_rules),
                     tuple((c, tuple(d)) for c, d in docs.items()))
