"""The appointment status state machine.

Forward flow: scheduled -> confirmed -> arrived -> roomed -> with_provider -> checked_out.
A walk-up with no confirmation goes scheduled -> arrived; scheduled and confirmed may end as
cancelled or no_show. Nothing leaves checked_out, cancelled or no_show except by undo.

Undo is deliberately not a free "go anywhere": it may only reverse one forward step (so an
arrival can go back to scheduled/confirmed, a mis-keyed no-show back to what it was), and the
desk learns what to restore from the append-only event history (`undo_target`).
"""

from __future__ import annotations

from collections.abc import Iterable

from coordinator_tui.domain.vocab import AppointmentStatus

_S = AppointmentStatus

_FORWARD: dict[AppointmentStatus, frozenset[AppointmentStatus]] = {
    _S.SCHEDULED: frozenset({_S.CONFIRMED, _S.ARRIVED, _S.CANCELLED, _S.NO_SHOW}),
    _S.CONFIRMED: frozenset({_S.ARRIVED, _S.CANCELLED, _S.NO_SHOW}),
    _S.ARRIVED: frozenset({_S.ROOMED}),
    _S.ROOMED: frozenset({_S.WITH_PROVIDER}),
    _S.WITH_PROVIDER: frozenset({_S.CHECKED_OUT}),
    _S.CHECKED_OUT: frozenset(),
    _S.CANCELLED: frozenset(),
    _S.NO_SHOW: frozenset(),
}

# Cancelled and no-show appointments free their slot; every other status holds it.
_NOT_OCCUPYING = frozenset({_S.CANCELLED, _S.NO_SHOW})


class TransitionRefused(ValueError):
    """A status change the desk may not make; the message is shown to the user as is."""

    def __init__(self, src: AppointmentStatus, dst: AppointmentStatus, message: str) -> None:
        super().__init__(message)
        self.src = src
        self.dst = dst


def allowed_next(status: AppointmentStatus | str) -> frozenset[AppointmentStatus]:
    """The statuses a normal (non-undo) action may move `status` to."""
    return _FORWARD[_S(status)]


def can_transition(
    src: AppointmentStatus | str, dst: AppointmentStatus | str, *, undo: bool = False
) -> bool:
    """True if src -> dst is a forward move, or (with undo=True) reverses one forward move.

    Undo also accepts forward moves, so undoing an undo (a redo) is allowed.
    """
    src, dst = _S(src), _S(dst)
    if dst in _FORWARD[src]:
        return True
    return undo and src in _FORWARD[dst]


def check_transition(
    src: AppointmentStatus | str, dst: AppointmentStatus | str, *, undo: bool = False
) -> None:
    """Raise TransitionRefused, with a message naming both statuses, if src -> dst is refused."""
    src, dst = _S(src), _S(dst)
    if can_transition(src, dst, undo=undo):
        return
    if src == dst:
        message = f"The appointment is already {dst.words}"
    elif undo:
        message = f"Cannot undo {_a(src.words)} appointment back to {dst.words}"
    else:
        message = f"Cannot mark {_a(src.words)} appointment as {dst.words}"
    raise TransitionRefused(src, dst, message)


def is_terminal(status: AppointmentStatus | str) -> bool:
    """No normal action leaves this status (only undo can)."""
    return not _FORWARD[_S(status)]


def is_active(status: AppointmentStatus | str) -> bool:
    """The appointment still occupies its slot (everything except cancelled and no-show)."""
    return _S(status) not in _NOT_OCCUPYING


def undo_target(
    events: Iterable[tuple[AppointmentStatus | str | None, AppointmentStatus | str]],
) -> AppointmentStatus | None:
    """The status that undoing the last change restores: the last event's from_status.

    `events` are (from_status, to_status) pairs, oldest first. None when there is no event, or
    when the last event is the creation of the appointment (from_status None). Because undo is
    itself appended as an event, undoing twice in a row re-applies the change (a redo).
    """
    history = list(events)
    if not history or history[-1][0] is None:
        return None
    return _S(history[-1][0])


def _a(word: str) -> str:
    """'a booked', 'an arrived': a status in a sentence."""
    return ("an " if word[:1].lower() in "aeiou" else "a ") + word


# The desk's "next status" key (Schedule `s`): one step along the forward flow.
_NEXT = {_S.SCHEDULED: _S.CONFIRMED, _S.CONFIRMED: _S.ARRIVED, _S.ARRIVED: _S.ROOMED,
         _S.ROOMED: _S.WITH_PROVIDER, _S.WITH_PROVIDER: _S.CHECKED_OUT}


def next_status(status: AppointmentStatus | str) -> AppointmentStatus | None:
    """scheduled -> confirmed -> arrived -> roomed -> with provider -> checked out; None after
    that (and for cancelled or no-show)."""
    return _NEXT.get(AppointmentStatus(status))
