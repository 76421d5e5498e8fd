"""The status state machine, checked against tables written out by hand (not the module's own)."""

from __future__ import annotations

import pytest

from coordinator_tui.domain.appointment_flow import (
    TransitionRefused,
    allowed_next,
    can_transition,
    check_transition,
    is_active,
    is_terminal,
    undo_target,
)
from coordinator_tui.domain.vocab import AppointmentStatus as S

# Column order for both tables below.
COLUMNS = [
    S.SCHEDULED, S.CONFIRMED, S.ARRIVED, S.ROOMED,
    S.WITH_PROVIDER, S.CHECKED_OUT, S.CANCELLED, S.NO_SHOW,
]  # fmt: skip

# Normal actions. Rows are the current status, columns the requested one; Y = allowed.
FORWARD = """
               sch con arr roo wp  out can ns
scheduled       .   Y   Y   .   .   .   Y   Y
confirmed       .   .   Y   .   .   .   Y   Y
arrived         .   .   .   Y   .   .   .   .
roomed          .   .   .   .   Y   .   .   .
with_provider   .   .   .   .   .   Y   .   .
checked_out     .   .   .   .   .   .   .   .
cancelled       .   .   .   .   .   .   .   .
no_show         .   .   .   .   .   .   .   .
"""

# With undo=True: forward moves, plus the reverse of exactly one forward move.
UNDO = """
               sch con arr roo wp  out can ns
scheduled       .   Y   Y   .   .   .   Y   Y
confirmed       Y   .   Y   .   .   .   Y   Y
arrived         Y   Y   .   Y   .   .   .   .
roomed          .   .   Y   .   Y   .   .   .
with_provider   .   .   .   Y   .   Y   .   .
checked_out     .   .   .   .   Y   .   .   .
cancelled       Y   Y   .   .   .   .   .   .
no_show         Y   Y   .   .   .   .   .   .
"""


def _cells(table: str) -> list[tuple[S, S, bool]]:
    rows = [line.split() for line in table.strip().splitlines()[1:]]
    assert [S(row[0]) for row in rows] == COLUMNS
    cells = []
    for row in rows:
        assert len(row) == 9, row
        for dst, mark in zip(COLUMNS, row[1:], strict=True):
            assert mark in {"Y", "."}
            cells.append((S(row[0]), dst, mark == "Y"))
    return cells


FORWARD_CELLS = _cells(FORWARD)
UNDO_CELLS = _cells(UNDO)


def test_tables_cover_all_64_pairs():
    assert len(FORWARD_CELLS) == 64 == len({(a, b) for a, b, _ in FORWARD_CELLS})
    assert len(UNDO_CELLS) == 64
    assert sum(ok for *_, ok in FORWARD_CELLS) == 10
    assert sum(ok for *_, ok in UNDO_CELLS) == 20


@pytest.mark.parametrize(("src", "dst", "allowed"), FORWARD_CELLS, ids=lambda v: str(v))
def test_forward_transition(src, dst, allowed):
    assert can_transition(src, dst) is allowed
    assert (dst in allowed_next(src)) is allowed
    if allowed:
        check_transition(src, dst)
    else:
        with pytest.raises(TransitionRefused) as info:
            check_transition(src, dst)
        assert info.value.src == src and info.value.dst == dst
        # Both statuses are named in words the desk sees.
        assert src.words in str(info.value) and dst.words in str(info.value)


@pytest.mark.parametrize(("src", "dst", "allowed"), UNDO_CELLS, ids=lambda v: str(v))
def test_undo_transition(src, dst, allowed):
    assert can_transition(src, dst, undo=True) is allowed
    if allowed:
        check_transition(src, dst, undo=True)
    else:
        with pytest.raises(TransitionRefused):
            check_transition(src, dst, undo=True)


def test_refusal_message_reads_as_a_sentence():
    """Statuses in a sentence are lower case (QA: "already Cancelled" read as a name)."""
    with pytest.raises(TransitionRefused, match=r"^The appointment is already cancelled$"):
        check_transition(S.CANCELLED, S.CANCELLED)
    with pytest.raises(
        TransitionRefused, match=r"^Cannot mark a cancelled appointment as arrived$"
    ):
        check_transition(S.CANCELLED, S.ARRIVED)
    with pytest.raises(TransitionRefused, match=r"^Cannot mark an arrived appointment as booked$"):
        check_transition(S.ARRIVED, S.SCHEDULED)
    with pytest.raises(TransitionRefused, match=r"^The appointment is already roomed$"):
        check_transition(S.ROOMED, S.ROOMED)
    with pytest.raises(TransitionRefused, match=r"^Cannot undo a done appointment back to booked$"):
        check_transition(S.CHECKED_OUT, S.SCHEDULED, undo=True)


def test_every_status_has_lower_case_words_for_sentences():
    for status in S:
        assert status.words == status.words.lower() and status.words
    assert S.WITH_PROVIDER.words == "with the provider" and S.NO_SHOW.words == "no-show"
    assert S.CANCELLED.label == "Cancelled"  # lists and grids keep their capitalised labels


def test_refusal_is_a_value_error():
    with pytest.raises(ValueError):
        check_transition(S.NO_SHOW, S.CHECKED_OUT)


def test_accepts_stored_strings():
    assert can_transition("scheduled", "arrived")
    assert not can_transition("arrived", "scheduled")
    assert allowed_next("with_provider") == frozenset({S.CHECKED_OUT})
    with pytest.raises(ValueError):
        can_transition("scheduled", "teleported")


@pytest.mark.parametrize(
    ("status", "terminal", "active"),
    [
        (S.SCHEDULED, False, True),
        (S.CONFIRMED, False, True),
        (S.ARRIVED, False, True),
        (S.ROOMED, False, True),
        (S.WITH_PROVIDER, False, True),
        (S.CHECKED_OUT, True, True),
        (S.CANCELLED, True, False),
        (S.NO_SHOW, True, False),
    ],
)
def test_terminal_and_active(status, terminal, active):
    assert is_terminal(status) is terminal
    assert is_active(status) is active


def test_allowed_next_is_immutable():
    assert isinstance(allowed_next(S.SCHEDULED), frozenset)


def test_undo_target_nothing_to_undo():
    assert undo_target([]) is None
    assert undo_target(iter([])) is None
    # Only the creation event: undo would not restore a status, it would delete the booking.
    assert undo_target([(None, S.SCHEDULED)]) is None


def test_undo_target_is_last_from_status():
    history = [(None, S.SCHEDULED), (S.SCHEDULED, S.CONFIRMED), (S.CONFIRMED, S.ARRIVED)]
    assert undo_target(history) == S.CONFIRMED
    assert undo_target(history[:2]) == S.SCHEDULED
    assert undo_target([("scheduled", "no_show")]) is S.SCHEDULED


def test_undo_of_an_undo_redoes():
    history = [(S.SCHEDULED, S.ARRIVED), (S.ARRIVED, S.SCHEDULED)]
    target = undo_target(history)
    assert target == S.ARRIVED
    check_transition(S.SCHEDULED, target, undo=True)


def test_undo_target_feeds_check_transition():
    history = [(None, S.SCHEDULED), (S.SCHEDULED, S.NO_SHOW)]
    current = history[-1][1]
    target = undo_target(history)
    assert target == S.SCHEDULED
    check_transition(current, target, undo=True)
    with pytest.raises(TransitionRefused):
        check_transition(current, target)
