"""`coordinator hl7 send`: deliver the outbox in order until the receiver acknowledges.

One connection; messages in outbox order (so each patient's in order). A message is marked only
after its ACK arrives, so a sender killed between the two sends that message again on restart
with the same MSH-10, which the receiver drops as a copy. No answer, a dropped connection or a
refused connection: wait (1 s, doubling to `max_backoff`) and try the same message again. An AE
or AR is final: the message goes on the supervisors' list and the next one is sent."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from coordinator_tui.interop.hl7.mllp import Client, ack_code
from coordinator_tui.services.context import AppContext
from coordinator_tui.services.exchange.outbox import record_answer, waiting


@dataclass
class SendStats:
    sent: int = 0
    refused: int = 0
    retries: int = 0


def run_sender(ctx: AppContext, host: str, port: int, *, once: bool = False,
               poll_seconds: float = 1.0, max_backoff: float = 60.0, timeout: float = 30.0,
               report: Callable[[str], None] | None = None,
               sleep: Callable[[float], None] = time.sleep) -> SendStats:
    """Send until stopped (or, with `once`, until nothing is waiting)."""
    stats = SendStats()
    client: Client | None = None
    backoff = 1.0
    try:
        while True:
            batch = waiting(ctx)
            if not batch:
                if once:
                    return stats
                sleep(poll_seconds)
                continue
            for item in batch:
                try:
                    if client is None:
                        client = Client(host, port, timeout=timeout)
                    answer = client.send(item.text)
                except OSError as exc:  # refused, reset, timed out: same message again later
                    if client is not None:
                        client.close()
                        client = None
                    stats.retries += 1
                    if report:
                        report(f"cannot deliver to {host}:{port} ({type(exc).__name__}); "
                               f"retrying in {backoff:.0f} s")
                    sleep(backoff)
                    backoff = min(backoff * 2, max_backoff)
                    break
                backoff = 1.0
                code, why = ack_code(answer)
                record_answer(ctx, item.id, code, why)
                if code in ("AA", "CA"):
                    stats.sent += 1
                else:
                    stats.refused += 1
                    if report:
                        # The receiver's words stay in the database (`hl7 refused`): they may
                        # name the patient, and this line goes to a service's log.
                        report(f"{item.control_id} ({item.event}) refused {code}; see 'hl7 refused'")
    finally:
        if client is not None:
            client.close()
