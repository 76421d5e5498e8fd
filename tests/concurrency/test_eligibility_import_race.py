"""Two desks importing the same 271 at the same moment (real processes on one SQLite file):
every answer is recorded once, and each rejection opens one insurance callback."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import CLINIC_DAY, CLINIC_NOW
from tests.helpers.cli import run
from tests.helpers.eligibility import ENV, traces
from tests.helpers.engines import raw_connect, url_for
from tests.helpers.x12_payer import ACTIVE, answer_270


def test_the_same_271_imported_by_two_processes_at_once_is_recorded_once(seeded_path, tmp_path):
    db = url_for(seeded_path)
    out = tmp_path / "270.x12"
    made = run("eligibility", "request", "--date", CLINIC_DAY.isoformat(), "-o", str(out), "--db", db,
               "--user", "demo", env=ENV)
    assert made.returncode == 0, made.stderr
    text = out.read_text()
    sent = traces(text)
    rejected = sent[0]
    answer = tmp_path / "271.x12"
    answer.write_text(answer_270(text, lambda t: ("reject", "75") if t == rejected else ACTIVE))
    env = {**os.environ, **ENV, "COORDINATOR_CLOCK": CLINIC_NOW.isoformat()}
    command = [sys.executable, "-m", "coordinator_tui", "eligibility", "import", str(answer), "--db", db,
               "--user", "demo"]
    desks = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outputs = [desk.communicate(timeout=120) for desk in desks]
    assert [desk.returncode for desk in desks] == [0, 0], outputs
    recorded = sorted(int(o.split(": ", 1)[1].split(" recorded")[0]) for o, _e in outputs)
    assert recorded == [0, len(sent)]
    with raw_connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM eligibility_benefits").fetchone()[0] == len(sent)
        patient = conn.execute("SELECT patient_id FROM eligibility_inquiries WHERE trace_number = ?",
                               (rejected,)).fetchone()[0]
        assert conn.execute("SELECT count(*) FROM callbacks WHERE patient_id = ? AND reason = 'insurance' "
                            "AND status = 'open'", (patient,)).fetchone()[0] == 1
