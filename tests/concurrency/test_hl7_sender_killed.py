"""`coordinator hl7 send` killed mid-stream (SIGKILL, a real process) and started again: every
outbox message reaches the receiver, in order, exactly once once copies with the same MSH-10
are dropped (as a receiver does); at most the one message in flight at the kill arrives twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from coordinator_tui.services import patients
from coordinator_tui.services.exchange.outbox import set_outbox, waiting
from coordinator_tui.services.staff.actors import actor_for
from tests.conftest import CLINIC_NOW
from tests.helpers.engines import raw_connect, url_for
from tests.helpers.hl7 import Peer

FAMILIES = ["Abara", "Brzezinski", "Cavendish", "Dimitriou", "Eriksdottir", "Fairweather",
            "Gkionis", "Haverkamp", "Ibekwe", "Jankowska", "Kristiansen", "Lindqvister",
            "Mbeki", "Nieminen", "Oyelaran", "Przybylski", "Quarshie", "Rautenbach",
            "Sukhumvit", "Tereshkova", "Uwimana", "Vasquez-Ortiz", "Wojciechowski", "Xenakis"]


def sender(db, port):
    env = {**os.environ, "COORDINATOR_CLOCK": CLINIC_NOW.isoformat()}
    return [sys.executable, "-m", "coordinator_tui", "hl7", "send", "--to", f"127.0.0.1:{port}",
            "--db", url_for(db), "--user", "demo"], env


def test_killed_sender_restarts_and_every_message_arrives_once_in_order(ctx, seeded_path):
    set_outbox(ctx, actor_for(ctx, "admin"), True)
    desk = actor_for(ctx, "demo")
    for n, family in enumerate(FAMILIES):
        made = patients.register_patient(ctx, desk, {"given_name": "Ana", "family_name": family,
                                                     "birth_date": f"1/{n + 1}/1960", "sex": "F"})
        record = patients.get_record(ctx, desk, made.patient_id)
        patients.update_patient(ctx, desk, made.patient_id, {"email": f"p{n}@example.org"},
                                record.version)
    expected = [w.control_id for w in waiting(ctx)]
    assert len(expected) == 2 * len(FAMILIES)
    peer = Peer(delay=0.05)
    try:
        args, env = sender(seeded_path, peer.port)
        proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while len(peer.received) < 12 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        at_kill = len(peer.received)
        assert 12 <= at_kill < len(expected), "the kill came mid-stream"
        done = subprocess.run([*args, "--once"], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    finally:
        peer.close()
    first_copies = list(dict.fromkeys(peer.received))
    assert first_copies == expected  # all of them, in the order they were made
    assert len(peer.received) - len(expected) <= 1  # at most the one in flight at the kill
    with raw_connect(seeded_path) as conn:
        assert conn.execute("SELECT status, count(*) FROM interop_outbox GROUP BY status").fetchall() \
            == [("sent", len(expected))]
