"""HL7 v2 test material for the seeded clinic: messages as an EHR would send them, a free slot
to book, and a real MLLP peer (a receiving EHR on loopback) for the sender's tests."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from coordinator_tui.interop.hl7.mllp import FrameReader, frame
from tests.conftest import CLINIC_NOW, CLINIC_TZ, FREE_DAY

SENDER = "EPICADT"
TZ = ZoneInfo(CLINIC_TZ)


def msh(kind: str, control_id: str, sender: str = SENDER, extra: str = "") -> str:
    return f"MSH|^~\\&|{sender}|GHH|COORDINATOR|CLINIC|20261123104500||{kind}|{control_id}|P|2.5.1{extra}"


def adt(event: str, control_id: str, ehr_id: str, family: str, given: str, dob: str = "19800214",
        sex: str = "F", *, phone: str = "", sender: str = SENDER, mrg: str | None = None) -> str:
    lines = [msh(f"ADT^{event}", control_id, sender), f"EVN|{event}|20261123104500",
             f"PID|1||{ehr_id}^^^GHH^MR||{family}^{given}||{dob}|{sex}|||12 Elm St^^Boston^MA^02115^USA"
             f"||{phone}"]
    if mrg:
        lines.append(f"MRG|{mrg}^^^GHH^MR")
    return "\r".join(lines) + "\r"


def siu(event: str, control_id: str, appt_id: str, ehr_id: str, start: datetime, *,
        provider: str = "OKAFOR", kind: str = "FU", family: str = "Nakamura", given: str = "Aiko",
        sender: str = SENDER, reason: str = "") -> str:
    stamp = start.astimezone(TZ).strftime("%Y%m%d%H%M%S")
    lines = [msh(f"SIU^{event}", control_id, sender),
             f"SCH|{appt_id}|{appt_id}|||||{kind}^{reason}|||20|min|^^20^{stamp}",
             f"PID|1||{ehr_id}^^^GHH^MR||{family}^{given}||19800214|F",
             "RGS|1", f"AIS|1||{kind}|{stamp}", f"AIP|1||{provider}|||{stamp}"]
    return "\r".join(lines) + "\r"


def slot(hour: int, minute: int = 0, days: int = 0) -> datetime:
    """A time on FREE_DAY (every slot free) in clinic time, as an aware instant."""
    return datetime.combine(FREE_DAY + timedelta(days=days), datetime.min.time(),
                            tzinfo=TZ).replace(hour=hour, minute=minute)


class Peer:
    """A receiving EHR on 127.0.0.1: ACKs every framed message (AE for control ids listed in
    `refuse`) and records each MSH-10 as it arrives, copies included."""

    def __init__(self, refuse: set[str] | None = None, delay: float = 0.0):
        self.delay = delay
        self.received: list[str] = []
        self.messages: list[str] = []
        self.refuse = refuse or set()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.stopping = False
        self.server.settimeout(0.2)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stopping:
            try:
                conn, _ = self.server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        reader = FrameReader()
        with conn:
            while True:
                try:
                    data = conn.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                for _kind, body in reader.feed(data):
                    text = body.decode("utf-8")
                    control = text.split("\r")[0].split("|")[9]
                    self.received.append(control)
                    self.messages.append(text)
                    code = "AE" if control in self.refuse else "AA"
                    if self.delay:
                        time.sleep(self.delay)
                    try:
                        conn.sendall(frame(f"MSH|^~\\&|EHR|GHH|||20261123||ACK|A{control}|P|2.5.1\r"
                                           f"MSA|{code}|{control}|{'no such patient' if code == 'AE' else ''}\r"))
                    except OSError:
                        return

    def close(self) -> None:
        self.stopping = True
        self.server.close()
        self.thread.join(timeout=5)


@contextlib.contextmanager
def running_listener(seeded_path, sender: str):
    """`coordinator hl7 listen` on a free loopback port, as a real process on the clinic's
    clock; yields the port, stops the listener after."""
    env = {**os.environ, "COORDINATOR_CLOCK": CLINIC_NOW.isoformat()}
    proc = subprocess.Popen(
        [sys.executable, "-m", "coordinator_tui", "hl7", "listen", "--port", "0", "--sender", sender,
         "--db", str(seeded_path), "--user", "super"],
        stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = proc.stderr.readline()
        assert line.startswith("listening on 127.0.0.1:"), line
        yield int(line.strip().rsplit(":", 1)[1])
    finally:
        proc.terminate()
        proc.wait(timeout=10)
