"""A real OpenSSH server on 127.0.0.1 with docs/ssh.md's configuration: a desk connects with
`ssh -tt` inside tmux, signs in, finds a patient, checks them in, and the database file says so.

The sshd runs as whoever runs the tests (root or not), on a free port, with its own host key and
config file in tmp_path: the documented block, with the app's path, the database and the group
swapped for the test's, after the settings a private sshd needs (UsePAM no, StrictModes no,
AuthorizedKeysFile in tmp_path).
"""

from __future__ import annotations

import grp
import os
import pwd
import re
import shlex
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from coordinator_tui.clock import CLOCK_VARIABLE
from tests.conftest import CLINIC_NOW
from tests.helpers.realterm import (
    COORDINATOR,
    STATUS_POLL,
    Tmux,
    appointment_status,
    express_ready_patient,
    needs_real_terminal,
    seed_database,
    wait_for,
)

SSHD = shutil.which("sshd") or ("/usr/sbin/sshd" if Path("/usr/sbin/sshd").exists() else None)
DOC = Path(__file__).resolve().parents[2] / "docs" / "ssh.md"

pytestmark = [
    *needs_real_terminal,
    pytest.mark.skipif(SSHD is None or shutil.which("ssh") is None or shutil.which("ssh-keygen") is None,
                       reason="OpenSSH (sshd, ssh, ssh-keygen) is not installed; .ci/run installs it"),
]


def documented_config() -> str:
    """The sshd_config block of docs/ssh.md, as written there."""
    text = DOC.read_text()
    match = re.search(r"<!-- sshd-config:.*?-->\s*```sshd_config\n(.*?)```", text, re.S)
    assert match, "docs/ssh.md has no marked sshd_config block"
    return match.group(1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_documented_block_is_what_the_guide_promises():
    block = documented_config()
    for line in ("PasswordAuthentication no", "Match Group frontdesk", "PermitTTY yes",
                 "AllowTcpForwarding no", "AllowAgentForwarding no", "X11Forwarding no",
                 "ClientAliveInterval 30", "ClientAliveCountMax 4"):
        assert line in block
    assert re.search(r"^\s+ForceCommand .*coordinator", block, re.M)


def test_a_desk_checks_a_patient_in_over_ssh(tmp_path):
    db = tmp_path / "clinic.sqlite"
    today = seed_database(db)
    row = express_ready_patient(db, today)
    db.chmod(0o600)

    user = pwd.getpwuid(os.getuid()).pw_name
    group = grp.getgrgid(os.getgid()).gr_name
    home = tmp_path / "home"
    (home / "data").mkdir(parents=True)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "host_key")],
                   check=True, timeout=30)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "desk_key")],
                   check=True, timeout=30)
    shutil.copy(tmp_path / "desk_key.pub", tmp_path / "authorized_keys")

    # The documented block, pointed at this test's app, database and group. The app's own
    # environment (HOME for its data folder) is set on the ForceCommand line.
    force = (f"env HOME={home} XDG_DATA_HOME={home}/data XDG_CONFIG_HOME={home}/config "
             f"{CLOCK_VARIABLE}={CLINIC_NOW.isoformat()} {COORDINATOR} --db {db}")
    block = (documented_config()
             .replace("/opt/coordinator/.venv/bin/coordinator --db /srv/clinic/coordinator.sqlite", force)
             .replace("Match Group frontdesk", f"Match Group {group}"))
    assert force in block
    port = free_port()
    config = tmp_path / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {tmp_path / 'host_key'}\n"
        f"PidFile {tmp_path / 'sshd.pid'}\nAuthorizedKeysFile {tmp_path / 'authorized_keys'}\n"
        f"UsePAM no\nStrictModes no\nPermitRootLogin prohibit-password\n"
        f"LogLevel VERBOSE\n\n{block}")
    if os.getuid() == 0:
        # sshd started as root wants its privilege-separation folder (the system's service unit
        # normally makes it).
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    checked = subprocess.run([SSHD, "-t", "-f", str(config)], capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr

    sshd = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stdout=subprocess.DEVNULL,
                            stderr=open(tmp_path / "sshd.log", "wb"))
    try:
        assert wait_for(lambda: _listening(port), timeout=15), (tmp_path / "sshd.log").read_text()
        ssh = ["ssh", "-F", "/dev/null", "-i", str(tmp_path / "desk_key"), "-p", str(port),
               "-o", "StrictHostKeyChecking=no", "-o", f"UserKnownHostsFile={tmp_path / 'known_hosts'}",
               "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes"]

        # ForceCommand: asking for a command gets the app, never a shell; without a terminal
        # the app says it needs one and ends (it used to wait forever).
        asked = subprocess.run([*ssh, f"{user}@127.0.0.1", "echo", "shell-reached"],
                               capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        assert "shell-reached" not in asked.stdout
        assert "needs a terminal" in asked.stderr and asked.returncode == 2, asked
        # No TCP forwarding through a desk login.
        # (-W: the client's stdin/stdout forwarded to a TCP port through the server.)
        forward = subprocess.run([*ssh, "-W", f"127.0.0.1:{port}", f"{user}@127.0.0.1"],
                                 capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        assert forward.returncode != 0 and "prohibited" in forward.stderr, forward

        command = " ".join(shlex.quote(part) for part in
                           ["env", "TERM=xterm-256color", *ssh, "-tt", f"{user}@127.0.0.1"])
        with Tmux(command, tmp_path / "raw.bin") as pane:
            pane.wait_screen("Password", timeout=60)
            time.sleep(0.5)
            pane.type("demo")
            pane.keys("Enter")
            pane.type("demo")
            pane.keys("Enter")
            pane.wait_screen("Check-in", "Expected")
            pane.type(row.patient_name.split(",")[0].lower())
            pane.wait_screen(row.patient_name.split(",")[0])
            pane.keys("Enter")
            pane.wait_screen("Ready - Enter checks in")
            pane.keys("Enter")
            assert wait_for(lambda: appointment_status(db, row.id) == "arrived", step=STATUS_POLL), pane.screen()
    finally:
        sshd.terminate()
        sshd.wait(timeout=10)
    assert appointment_status(db, row.id) == "arrived"
    log = (tmp_path / "sshd.log").read_text()
    assert "Accepted publickey" in log


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False
