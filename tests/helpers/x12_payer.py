"""A payer (or clearinghouse) in a few lines, for tests: reads our 270 and answers it with a 271
the way a payer would (the TRN comes back as TRN*2, names and member ids echoed, benefits as EB
segments), so the round trip is proven without a real clearinghouse."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from coordinator_tui.interop.x12.envelope import Party, read_interchange, write_interchange
from coordinator_tui.interop.x12.tokenizer import tokenize

ACTIVE = "active"
INACTIVE = "inactive"


def active_benefits(copay="25", deductible="1000", left="340", coinsurance=".2", oop_left="2500",
                    auth="N") -> list[list[str]]:
    return [
        ["EB", "1", "IND", "30", "HM", "GOLD PPO 500"],
        ["DTP", "291", "RD8", "20260101-20261231"],
        ["EB", "B", "IND", "98", "HM", "", "27", copay, "", "", "", auth, "Y"],
        ["EB", "C", "IND", "30", "HM", "", "23", deductible, "", "", "", "", "Y"],
        ["EB", "C", "IND", "30", "HM", "", "29", left, "", "", "", "", "Y"],
        ["EB", "C", "IND", "30", "HM", "", "29", "1500", "", "", "", "", "N"],  # out of network: ignored
        ["EB", "A", "IND", "30", "HM", "", "27", "", coinsurance, "", "", "", "Y"],
        ["EB", "G", "IND", "30", "HM", "", "29", oop_left, "", "", "", "", "Y"],
    ]


def answer_270(text: str, decide: Callable[[str], object], at: datetime | None = None,
               control: int = 777, keep: Callable[[str], bool] | None = None) -> str:
    """The 271 for the 270 `text`. `decide(trace)` says what each inquiry gets: ACTIVE, INACTIVE,
    ("reject", code), or a list of EB/DTP segments (an active answer with those benefits).
    `keep(trace)` False leaves that person out (a payer answering part of a file)."""
    _delims, segments = tokenize(text)
    interchange = read_interchange(segments)
    bodies = []
    for transaction in interchange.transactions:
        body: list[list[str]] = []
        pending: list[list[str]] = []  # one person's loop, answered once its TRN is known
        for seg in transaction.segments:
            parts = [seg.id, *seg.elements]
            if seg.id == "BHT":
                body.append(["BHT", "0022", "11", seg.get(3), seg.get(4), seg.get(5)])
            elif seg.id == "HL":
                body.extend(_flush(pending, decide, keep))
                pending = []
                (pending if seg.get(3) in ("22", "23") else body).append(parts)
            elif seg.id == "TRN":
                pending.append(["TRN", "2", *seg.elements[1:]])
                pending.append(["__decide__", seg.get(2)])
            elif seg.id in ("DTP", "EQ"):
                continue  # the payer answers with its own dates and benefits
            else:
                (pending if pending else body).append(parts)
        body.extend(_flush(pending, decide, keep))
        bodies.append(body)
    return write_interchange(bodies, sender=Party("ZZ", interchange.receiver),
                             receiver=Party("ZZ", interchange.sender), control_number=control,
                             at=at or datetime(2026, 11, 22, 18, 0), functional_id="HB")


def _flush(pending: list[list[str]], decide, keep) -> list[list[str]]:
    out: list[list[str]] = []
    trace = None
    for parts in pending:
        if parts[0] == "__decide__":
            trace = parts[1]
        else:
            out.append(parts)
    if trace is None:
        return out
    if keep is not None and not keep(trace):
        return []
    verdict = decide(trace)
    if verdict == ACTIVE:
        out.extend(active_benefits())
    elif verdict == INACTIVE:
        out.append(["EB", "6", "IND", "30"])
    elif isinstance(verdict, tuple) and verdict[0] == "reject":
        out.append(["AAA", "N", "", verdict[1], "C"])
    else:
        out.extend(verdict)
    return out
