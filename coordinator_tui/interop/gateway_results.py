"""The SMS gateway's results file: one row per message event, read by header name.

    appointment_id,status,reply[,phone][,at]
    1234,delivered,
    1235,failed,
    1236,replied,C

`status` is delivered, failed or replied (or empty when `reply` is given); `reply` is what the
patient texted: C confirms, R asks to reschedule, STOP (or the carriers' synonyms) withdraws SMS
consent. Other columns are ignored. A row that cannot be understood is a problem with its line
number; the file as a whole is refused only when it is not a CSV with these columns.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from coordinator_tui.domain.reminders import Delivery, Reply, reply_from_text
from coordinator_tui.errors import UserError

MAX_BYTES = 50_000_000
REQUIRED = ("appointment_id",)
STATUS_WORDS = {"delivered": Delivery.DELIVERED, "failed": Delivery.FAILED,
                "undelivered": Delivery.FAILED, "replied": None, "reply": None, "": None}


@dataclass(frozen=True)
class GatewayRow:
    line: int
    appointment_id: int
    delivery: Delivery | None
    reply: Reply | None


@dataclass(frozen=True)
class RowProblem:
    line: int
    reason: str


def read_results(path: Path) -> tuple[list[GatewayRow], list[RowProblem]]:
    try:
        raw = path.read_bytes() if path.stat().st_size <= MAX_BYTES else None
    except FileNotFoundError:
        raise UserError(f"no file {path}") from None
    except IsADirectoryError:
        raise UserError(f"{path} is a folder; give the gateway's CSV file") from None
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or type(exc).__name__}") from None
    if raw is None:
        raise UserError(f"{path} is larger than {MAX_BYTES // 1_000_000} MB; not a results file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UserError(f"{path} is not UTF-8 text; nothing was applied") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise UserError(f"{path} is empty; nothing was applied") from None
    except csv.Error:
        raise UserError(f"{path} is not a CSV file; nothing was applied") from None
    columns = {name.strip().casefold(): index for index, name in enumerate(header)}
    missing = [name for name in REQUIRED if name not in columns]
    if missing or not ({"status", "reply"} & set(columns)):
        raise UserError(f"{path} needs the columns appointment_id and status or reply "
                        "(the gateway's results file); nothing was applied")
    rows, problems = [], []
    try:
        for values in reader:
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue

            def cell(name: str, values=values) -> str:
                index = columns.get(name)
                return values[index].strip() if index is not None and index < len(values) else ""

            raw_id = cell("appointment_id")
            if not raw_id.isdigit() or len(raw_id) > 12:
                problems.append(RowProblem(line, "appointment_id is not a number"))
                continue
            status_text = cell("status").casefold()
            if status_text not in STATUS_WORDS:
                problems.append(RowProblem(line, "status must be delivered, failed or replied"))
                continue
            reply_text = cell("reply")
            reply = reply_from_text(reply_text) if reply_text else None
            if reply_text and reply is None:
                problems.append(RowProblem(line, "the reply is not C, R or STOP; call the patient"))
                continue
            delivery = STATUS_WORDS[status_text]
            if delivery is None and reply is None:
                problems.append(RowProblem(line, "neither a delivery status nor a reply"))
                continue
            rows.append(GatewayRow(line, int(raw_id), delivery, reply))
    except csv.Error as exc:
        raise UserError(f"{path} line {reader.line_num}: not valid CSV ({exc}); "
                        "nothing was applied") from None
    return rows, problems
