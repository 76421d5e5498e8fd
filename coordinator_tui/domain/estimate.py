"""What the patient will owe for a visit, estimated from the visit type's expected charge (the
clinic's fee schedule), the copay, the remaining deductible and the coinsurance the payer
reported, and said in words a receptionist can read out.

Decisions:
- The copay is owed in any case and is said first; the rest of the visit's charge goes to the
  remaining deductible first, then the coinsurance percentage applies to what is left.
- The out-of-pocket amount left (when the payer gave one) caps what is owed beyond the copay.
- Unknown parts (no 271 yet, no fee for the visit type) are said, never guessed.
- Always said to be an estimate."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from coordinator_tui.domain.money import format_cents

ESTIMATE_NOTE = "This is an estimate: the payer decides the final amount."


def say(cents: int) -> str:
    """$25, $25.50, $1,200: dollars without the cents when they are whole."""
    text = format_cents(cents)
    return text[:-3] if text.endswith(".00") else text


def percent(bp: int) -> str:
    whole, rest = divmod(bp, 100)
    return f"{whole}%" if rest == 0 else f"{bp / 100:.2f}".rstrip("0").rstrip(".") + "%"


@dataclass(frozen=True)
class Benefits:
    copay_cents: int = 0
    deductible_remaining_cents: int | None = None
    coinsurance_bp: int | None = None
    oop_remaining_cents: int | None = None


@dataclass(frozen=True)
class Estimate:
    charge_cents: int | None
    copay_cents: int
    deductible_part_cents: int
    coinsurance_part_cents: int
    total_cents: int
    explanation: str


def estimate(charge_cents: int | None, benefits: Benefits | None, *, visit: str = "visit",
             from_payer: bool = True) -> Estimate:
    """`benefits` None: no insurance on file (self-pay). `from_payer` False: the copay is what was
    typed on the coverage and the payer has not answered (no deductible or coinsurance known)."""
    if benefits is None:
        if charge_cents is None:
            text = f"No insurance on file, and no expected charge for a {visit} in the fee schedule."
            return Estimate(None, 0, 0, 0, 0, f"{text} {ESTIMATE_NOTE}")
        text = (f"No insurance on file: today's {say(charge_cents)} {visit} is yours in full: "
                f"about {say(charge_cents)}.")
        return Estimate(charge_cents, 0, charge_cents, 0, charge_cents, f"{text} {ESTIMATE_NOTE}")
    copay = benefits.copay_cents
    parts = [f"Copay {say(copay)}." if copay else "No copay."]
    plus = " plus copay" if copay else ""
    deductible = coinsurance = 0
    if charge_cents is None:
        parts.append(f"No expected charge for a {visit} in the fee schedule, so only the copay is counted.")
    elif not from_payer or benefits.deductible_remaining_cents is None:
        parts.append("The payer has not told us the deductible or coinsurance yet, "
                     "so only the copay is counted.")
    else:
        left = benefits.deductible_remaining_cents
        bp = benefits.coinsurance_bp or 0
        deductible = min(charge_cents, left)
        rest = charge_cents - deductible
        coinsurance = (rest * bp + 5000) // 10000
        if left >= charge_cents > 0:
            parts.append(f"Your deductible has {say(left)} left, so today's {say(charge_cents)} {visit} "
                         f"is yours in full: about {say(deductible)}{plus}.")
        elif left > 0:
            then = (f"then {percent(bp)} of the other {say(rest)} ({say(coinsurance)})" if bp
                    else f"and the plan pays the other {say(rest)}")
            parts.append(f"Your deductible has {say(left)} left: you pay that, {then}: "
                         f"about {say(deductible + coinsurance)}{plus}.")
        elif bp:
            parts.append(f"Your deductible is met, so you pay {percent(bp)} of today's "
                         f"{say(charge_cents)} {visit}: about {say(coinsurance)}{plus}.")
        else:
            parts.append(f"Your deductible is met and the plan pays today's {say(charge_cents)} {visit}.")
        cap = benefits.oop_remaining_cents
        if cap is not None and deductible + coinsurance > max(0, cap - copay):
            allowed = max(0, cap - copay)
            parts.append(f"Your out-of-pocket maximum has {say(cap)} left, so you pay at most "
                         f"{say(allowed)} beyond the copay.")
            coinsurance = max(0, min(coinsurance, allowed - min(deductible, allowed)))
            deductible = min(deductible, allowed)
    total = copay + deductible + coinsurance
    parts.append(f"In all about {say(total)} today. {ESTIMATE_NOTE}")
    return Estimate(charge_cents, copay, deductible, coinsurance, total, " ".join(parts))


WIDTH = 40


def _row(label: str, amount: str) -> str:
    return f"{label[:WIDTH - len(amount) - 1]:<{WIDTH - len(amount)}}{amount}"


def sheet(clinic: str, heading: list[tuple[str, str]], result: Estimate, footer: str) -> str:
    """A receipt-style text sheet, 40 columns, to print or show."""
    rule = "-" * WIDTH
    lines = [clinic[:WIDTH].center(WIDTH).rstrip(), "ESTIMATE OF WHAT YOU WILL OWE".center(WIDTH).rstrip(),
             "(an estimate, not a bill)".center(WIDTH).rstrip(), rule]
    for label, value in heading:
        lines.extend(textwrap.wrap(f"{label:<10}{value}", WIDTH, subsequent_indent=" " * 10) or [label])
    lines.append(rule)
    charge = format_cents(result.charge_cents) if result.charge_cents is not None else "not set"
    lines += [_row("Expected charge", charge), _row("Copay", format_cents(result.copay_cents)),
              _row("Deductible part", format_cents(result.deductible_part_cents)),
              _row("Coinsurance part", format_cents(result.coinsurance_part_cents)), rule,
              _row("ESTIMATED TOTAL", format_cents(result.total_cents)), rule]
    lines.extend(textwrap.wrap(result.explanation, WIDTH))
    lines.append(rule)
    lines.extend(textwrap.wrap(footer, WIDTH))
    return "\n".join(lines) + "\n"
