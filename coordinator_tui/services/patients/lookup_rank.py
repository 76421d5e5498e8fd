"""Step 5 of the lookup (lookup.py): rank the candidates, exact before fuzzy, then by score.

Python over every candidate (a birth date alone brings 200, a name with it ~140), so the loop
is kept lean: the score's parts are summed as they are found, in the same order and with the
same operations as the list of (weight, score) pairs it replaces (the same floats), and a
reason's text is only built for the results shown."""

from __future__ import annotations

from coordinator_tui.domain.lookup_query import LookupQuery
from coordinator_tui.services.patients.lookup_scores import NAME_REASON, date_closeness, name_match
from coordinator_tui.services.patients.lookup_search import Search
from coordinator_tui.store.bulk import sql_date

_EXACT_KINDS = frozenset(("exact", "prefix"))


def rank(search: Search, query: LookupQuery, today_ids: set[int],
         limit: int) -> list[tuple[tuple, float, str, bool]]:
    """The best `limit` candidates: (row, score, reason, exact), best first. `exact`: every part
    of the query matched as typed (the name or its start, the phone, the birth date, the MRN),
    not by a typo, a sound-alike or a near date."""
    words = search.words
    pairings = search._pairings() if words else []
    rev_phone = query.phone[::-1] if query.phone else None
    last4 = query.phone_last4[::-1] if query.phone_last4 else None
    dob = sql_date(query.birth_date) if query.birth_date else None
    idents = bool(query.identifiers)
    out: list[tuple[tuple, tuple, float, list[str]]] = []
    for cand in search.found.values():
        row, via = cand.row, cand.via
        reasons: list[str] = []
        exact = True
        total = weights = 0  # summed in order, as sum() over the parts did: the same floats
        by_ident = "MRN" in via or "member id" in via
        if by_ident:
            total += 2.0 * 1.0
            weights += 2.0
            reasons.append("MRN" if "MRN" in via else "member id")
        elif idents:
            total += 2.0 * 0.0
            weights += 2.0
            exact = False
        if rev_phone or last4:
            mobile, home = row[14], row[15]  # reversed digits, or None
            if rev_phone:
                hit = mobile == rev_phone or home == rev_phone
            else:  # without a generator per candidate (a last-4 search ranks ~135)
                hit = bool(mobile and mobile.startswith(last4)) or bool(home and home.startswith(last4))
            total += 1.0 * (1.0 if hit else 0.0)
            weights += 1.0
            if hit:
                reasons.append("phone")
            else:
                exact = False
        if dob:
            born = row[8] if type(row[8]) is str else str(row[8])  # SQLite text, PostgreSQL a date
            near = 1.0 if born == dob else date_closeness(dob, born)
            total += 0.7 * near
            weights += 0.7
            if near == 1.0:
                reasons.append("birth date")
            else:
                exact = False
                if near > 0:
                    reasons.append("birth date near")
        if words:
            score, kind = name_match(pairings, row)
            total += 1.0 * score
            weights += 1.0
            if kind not in _EXACT_KINDS:
                exact = False
            reasons.insert(0, NAME_REASON[kind])
            if kind == "weak" and not (rev_phone or last4 or dob or by_ident):
                continue  # a name query whose name does not match at all: not a hit
        if not weights:
            continue
        score = total / weights
        if words and kind == "weak":
            score *= 0.5  # the name typed does not match: below any name that does
        if "today" in via and len(via) == 1 and score < 0.6:
            continue  # today's list is only a candidate pool, not a match in itself
        sort_key = (0 if row[0] in today_ids else 1, 0 if exact else 1, -score, row[4], row[5], row[0])
        out.append((row, sort_key, score, reasons))
    out.sort(key=lambda item: item[1])
    return [(row, score, ", ".join(dict.fromkeys(reasons)) or "match", key[1] == 0)
            for row, key, score, reasons in out[:limit]]
