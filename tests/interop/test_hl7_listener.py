"""The MLLP listener as a real process on loopback: it answers every frame, survives garbage,
a frame without the start block, a half-sent frame and a dropped connection, binds to
127.0.0.1 by default and takes only the senders it was given."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
import time

import pytest

from coordinator_tui.interop.hl7.mllp import Client, ack_code, frame
from tests.helpers.hl7 import SENDER, adt, running_listener


@pytest.fixture
def listener(seeded_path):
    with running_listener(seeded_path, SENDER) as port:
        yield port


def count(path, family):
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT count(*) FROM patients WHERE family_name = ?", (family,)).fetchone()[0]


def test_it_serves_after_garbage_an_unframed_frame_a_half_frame_and_a_drop(listener, seeded_path):
    with Client("127.0.0.1", listener, timeout=10) as client:
        client.sock.sendall(b"GET / HTTP/1.0\r\n\r\n")  # garbage: dropped, no answer
        client.sock.sendall(adt("A04", "U1", "E1", "Unframed", "Ann").encode() + b"\x1c\r")
        code, text = ack_code(client.receive())
        assert code == "AR" and "start block" in text
        assert ack_code(client.send(adt("A04", "G1", "E2", "Quispe", "Rosa")))[0] == "AA"
    half = socket.create_connection(("127.0.0.1", listener), timeout=10)
    half.sendall(frame(adt("A04", "H1", "E3", "Halfsent", "Bo"))[:40])
    half.close()  # the connection drops mid-frame
    with Client("127.0.0.1", listener, timeout=10) as client:
        assert ack_code(client.send(adt("A04", "G2", "E4", "Vanterpool", "Tom")))[0] == "AA"
        assert ack_code(client.send(adt("A04", "G2", "E4", "Vanterpool", "Tom")))[0] == "AA"  # a copy
        code, text = ack_code(client.send(adt("A04", "R1", "E5", "Rogue", "Al", sender="ROGUE")))
        assert code == "AR" and "not configured" in text
    assert [count(seeded_path, n) for n in ("Quispe", "Vanterpool", "Unframed", "Halfsent", "Rogue")] == \
        [1, 1, 0, 0, 0]


def test_it_binds_to_loopback_only(listener):
    addresses = {info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)}
    outside = [a for a in addresses if not a.startswith("127.")]
    for address in outside[:1]:
        with pytest.raises(OSError):
            socket.create_connection((address, listener), timeout=2)
    with Client("127.0.0.1", listener, timeout=10):
        pass


def test_it_refuses_to_start_without_senders(seeded_path):
    proc = subprocess.run([sys.executable, "-m", "coordinator_tui", "hl7", "listen", "--port", "0",
                           "--db", str(seeded_path), "--user", "super"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "coordinator: name the senders to accept (--sender APP, repeatable) or give --any-sender"]


def test_two_clients_at_once_are_both_answered(listener):
    first = Client("127.0.0.1", listener, timeout=10)
    second = Client("127.0.0.1", listener, timeout=10)
    try:
        first.sock.sendall(frame(adt("A04", "P1", "E1", "Quispe", "Rosa"))[:30])  # stalls
        time.sleep(0.2)
        assert ack_code(second.send(adt("A04", "P2", "E2", "Vanterpool", "Tom")))[0] == "AA"
    finally:
        first.close()
        second.close()
