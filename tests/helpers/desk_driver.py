"""A front desk in its own process, for the concurrency and crash tests and bench_desks.py.

    python -m tests.helpers.desk_driver desk  --db F --day D --desk N --desks K --seconds S
                                                  --barrier DIR --out FILE [--seed X]
    python -m tests.helpers.desk_driver crash-server --db F --day D

`desk`: mixed check-ins (and their undo), bookings, patient edits and registrations through the
services for S seconds, started and ended together with the other desks (files in DIR are the
barrier). Every outcome is recorded: what succeeded (with the ids and versions the services
returned), what was refused (UserError / ConflictError, expected when desks race), and any
storage error or other exception (never expected). After the last desk stops, each desk reads a
digest of the shared rows: the desks' views must converge. The JSON report goes to FILE.

`crash-server`: forks writers on request; each writes "saved ..." to its log (written through to
the kernel) only after a service call has returned, for a parent that kills it with SIGKILL at
random moments.

The clinic's clock runs from 10:45 on --day (the seeded clinic day) at wall-clock speed, so
"today" is the seeded day and check-ins are allowed.

The verification helpers (`digest`, `check_database`) are imported by the tests and the benchmark.
Test code: plain SQL is fine here (it reads the file as an auditor would). On PostgreSQL (a
clinic registered in tests/helpers/engines.py) the same SQL runs through psycopg.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sqlite3
import string
import sys
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from zoneinfo import ZoneInfo

CLINIC_TZ = "America/New_York"
EDIT_POOL = 40  # edits go to the first 40 patients so desks race on the same records
BOOK_DAYS = 6  # bookings land in the next 6 days so desks race on the same slots
ACTIONS = ("checkin", "undo", "book", "edit", "register")
WEIGHTS = (30, 10, 25, 25, 10)


class RunningClock:
    """The clinic day at 10:45, moving at wall-clock speed from when the process started."""

    def __init__(self, day: date):
        self._base = datetime.combine(day, dtime(10, 45), tzinfo=ZoneInfo(CLINIC_TZ)).astimezone(UTC)
        self._t0 = time.monotonic()

    def now(self) -> datetime:
        return self._base + timedelta(seconds=time.monotonic() - self._t0)


def make_ctx(db: Path, day: date):
    from coordinator_tui.config import Settings
    from coordinator_tui.services.context import AppContext
    from coordinator_tui.store.engine import Database
    from tests.helpers.engines import url_for

    return AppContext(db=Database(url_for(db)),
                      settings=Settings(db_url=url_for(db), clinic_tz=CLINIC_TZ),
                      clock=RunningClock(day))


def _connect(path: Path | str):
    from tests.helpers.engines import raw_connect

    return raw_connect(path)


# --- the actions --------------------------------------------------------------------------------


class Desk:
    """One desk's work. Each method does what a person at the desk does for one action and
    returns a record of the success (or raises what the services raised)."""

    def __init__(self, ctx, actor, rng: random.Random, name: str):
        from sqlalchemy import text

        self.ctx, self.actor, self.rng, self.name = ctx, actor, rng, name
        self.serial = 0
        self.parts: dict[str, list[float]] = {}  # the first step of a two-step action, in ms
        from coordinator_tui.services.desk_views import day_appointments

        self.today_ids = [r.id for r in day_appointments(ctx, actor, ctx.today())
                          if r.status.value in ("scheduled", "confirmed", "arrived")]
        with ctx.db.read() as session:
            self.provider_ids = [r[0] for r in session.execute(text(
                "SELECT id FROM providers WHERE active ORDER BY id"))]
            self.patient_count = session.execute(text("SELECT max(id) FROM patients")).scalar()

    def _first(self, part: str, started: float) -> None:
        self.parts.setdefault(part, []).append((time.perf_counter() - started) * 1000)

    def checkin(self):
        from coordinator_tui.services import checkin

        appointment_id = self.rng.choice(self.today_ids)
        started = time.perf_counter()
        seen = checkin.checklist(self.ctx, self.actor, appointment_id)
        self._first("checklist view", started)
        change = checkin.check_in(self.ctx, self.actor, appointment_id, seen.version,
                                  exception_reason="concurrency test")
        return ["checkin", appointment_id, change.version]

    def undo(self):
        from coordinator_tui.services import checkin

        appointment_id = self.rng.choice(self.today_ids)
        seen = checkin.checklist(self.ctx, self.actor, appointment_id)
        change = checkin.undo_check_in(self.ctx, self.actor, appointment_id, "checked in by mistake",
                                       expected_version=seen.version)
        return ["undo", appointment_id, change.version]

    def book(self):
        from coordinator_tui.errors import UserError
        from coordinator_tui.services import schedule as booking

        provider_id = self.rng.choice(self.provider_ids)
        after = self.ctx.today() + timedelta(days=self.rng.randint(1, BOOK_DAYS))
        started = time.perf_counter()
        slots = booking.find_free_slots(self.ctx, self.actor, provider_id=provider_id, type_code="FU",
                                        after=after, limit=3)
        self._first("free slots", started)
        if not slots:
            raise UserError("no free slot")
        slot = self.rng.choice(slots)
        patient_id = self.rng.randint(1, self.patient_count)
        result = booking.book(self.ctx, self.actor, patient_id, provider_id, "FU", slot.starts_at,
                              confirm_double=True)
        if result.appointment_id is None:
            raise UserError("not booked")
        return ["book", result.appointment_id, patient_id, provider_id, result.starts_at.isoformat()]

    def edit(self):
        from coordinator_tui.services import patients

        patient_id = self.rng.randint(1, EDIT_POOL)
        started = time.perf_counter()
        record = patients.get_record(self.ctx, self.actor, patient_id)
        self._first("record view", started)
        self.serial += 1
        email = f"{self.name}.{self.serial}@example.org"
        phone = f"617-555-{self.rng.randint(0, 9999):04d}"
        updated = patients.update_patient(self.ctx, self.actor, patient_id,
                                          {"email": email, "phone_mobile": phone}, record.version)
        return ["edit", patient_id, updated.version, email]

    def register(self):
        from coordinator_tui.services import patients

        letters = "".join(self.rng.choice(string.ascii_lowercase) for _ in range(9))
        form = {"family_name": "Zz" + letters, "given_name": "Q" + letters[::-1], "birth_date": "3/4/1985",
                "sex": "F", "phone_mobile": ""}
        done = patients.register_patient(self.ctx, self.actor, form)
        return ["register", done.patient_id, done.mrn]


def classify(exc: BaseException) -> str:
    """refused: an answer a desk user gets when racing another desk (expected);
    storage: the database failed (never expected); other: a bug."""
    from coordinator_tui.errors import StorageError, UserError

    if isinstance(exc, StorageError):
        return "storage"
    if isinstance(exc, sqlite3.Error):
        return "storage"
    try:
        from sqlalchemy.exc import DBAPIError

        if isinstance(exc, DBAPIError):
            return "storage"
    except ImportError:  # pragma: no cover
        pass
    if isinstance(exc, UserError):
        return "refused"
    return "other"


# --- what the tests check ------------------------------------------------------------------------


def digest(path: Path | str) -> str:
    """A hash of the rows every desk must agree on at the end."""
    conn = _connect(path)
    try:
        h = hashlib.sha256()
        for sql in ("SELECT id, status, version_id FROM appointments ORDER BY id",
                    "SELECT id, version_id, email, phone_mobile, mrn FROM patients ORDER BY id",
                    "SELECT count(*), max(id) FROM appointment_status_events",
                    "SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1"):
            for row in conn.execute(sql):
                h.update(repr(row).encode())
        return h.hexdigest()
    finally:
        conn.close()


def baseline(path: Path | str) -> dict:
    conn = _connect(path)
    try:
        one = lambda sql: conn.execute(sql).fetchone()[0] or 0  # noqa: E731
        return {"patient": one("SELECT max(id) FROM patients"),
                "appointment": one("SELECT max(id) FROM appointments"),
                "event": one("SELECT max(id) FROM appointment_status_events"),
                "audit": one("SELECT max(id) FROM audit_events"),
                "versions": dict(conn.execute("SELECT id, version_id FROM patients"))}
    finally:
        conn.close()


def check_database(path: Path | str, base: dict) -> list[str]:
    """Everything that must hold in the file whatever happened to the writers: the file is whole,
    nothing is half-written, the audit chain verifies. Returns the problems found (empty: none)."""
    from coordinator_tui.domain.names import name_key
    from coordinator_tui.services.audit import verify_chain
    from coordinator_tui.store.engine import Database
    from tests.helpers.engines import url_for

    problems: list[str] = []
    conn = _connect(path)
    try:
        sqlite = isinstance(conn, sqlite3.Connection)  # PostgreSQL checks its keys on every write
        result = conn.execute("PRAGMA integrity_check").fetchall() if sqlite else [("ok",)]
        if result != [("ok",)]:
            problems.append(f"integrity_check: {result[:3]}")
        fk = conn.execute("PRAGMA foreign_key_check").fetchall() if sqlite else []
        if fk:
            problems.append(f"foreign_key_check: {fk[:3]}")
        # New patients: search keys filled and their terms in the search vocabulary (trigger).
        for pid, family, given, fkey, gkey in conn.execute(
                "SELECT id, family_name, given_name, family_key, given_key FROM patients WHERE id > ?",
                (base["patient"],)):
            if fkey != name_key(family) or gkey != name_key(given):
                problems.append(f"patient {pid}: search keys do not match the name")
            for kind, key in (("f", fkey), ("g", gkey)) if sqlite else ():  # FTS5 vocabulary
                if not conn.execute("SELECT 1 FROM patient_search_vocab WHERE kind = ? AND key = ?",
                                    (kind, key)).fetchone():
                    problems.append(f"patient {pid}: no search vocabulary row ({kind})")
            if not conn.execute("SELECT 1 FROM audit_events WHERE action = 'patient.register' "
                                "AND entity_id = ?", (pid,)).fetchone():
                problems.append(f"patient {pid}: registered without its audit event")
        # Each edit bumps the version and writes one audit event, in one transaction.
        edits = dict(conn.execute("SELECT entity_id, count(*) FROM audit_events WHERE id > ? AND "
                                  "action = 'patient.update' GROUP BY entity_id", (base["audit"],)))
        for pid, version in conn.execute("SELECT id, version_id FROM patients"):
            before = base["versions"].get(pid, 1)
            if version - before != edits.get(pid, 0):
                problems.append(f"patient {pid}: version {before}->{version} but {edits.get(pid, 0)} "
                                f"audited edits")
        # New appointments: a 'booked' event and an audit entry.
        for (aid,) in conn.execute("SELECT id FROM appointments WHERE id > ?", (base["appointment"],)):
            if not conn.execute("SELECT 1 FROM appointment_status_events WHERE appointment_id = ? "
                                "AND reason = 'booked'", (aid,)).fetchone():
                problems.append(f"appointment {aid}: booked without its status event")
            if not conn.execute("SELECT 1 FROM audit_events WHERE action = 'appointment.book' "
                                "AND entity_id = ?", (aid,)).fetchone():
                problems.append(f"appointment {aid}: booked without its audit event")
        # Every status change since the start: its audit entry, and the status it left behind.
        changes = conn.execute("SELECT count(*) FROM appointment_status_events WHERE id > ? "
                               "AND from_status IS NOT NULL", (base["event"],)).fetchone()[0]
        audited = conn.execute("SELECT count(*) FROM audit_events WHERE id > ? AND action IN "
                               "('appointment.status', 'appointment.status_undo')",
                               (base["audit"],)).fetchone()[0]
        if changes != audited:
            problems.append(f"{changes} status changes but {audited} audited")
        stale = conn.execute(
            "SELECT a.id FROM appointments a JOIN appointment_status_events e ON e.id = "
            "(SELECT max(id) FROM appointment_status_events WHERE appointment_id = a.id) "
            "WHERE e.id > ? AND a.status != e.to_status LIMIT 3", (base["event"],)).fetchall()
        if stale:
            problems.append(f"appointments whose status is not their last event's: {stale}")
        overlaps = conn.execute(
            "SELECT a.id, b.id FROM appointments a JOIN appointments b ON a.provider_id = b.provider_id "
            "AND a.id < b.id AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at "
            "WHERE b.id > ? AND NOT a.is_overbook AND NOT b.is_overbook "
            "AND a.status NOT IN ('cancelled', 'no_show') AND b.status NOT IN ('cancelled', 'no_show') "
            "LIMIT 3", (base["appointment"],)).fetchall()
        if overlaps:
            problems.append(f"double-booked slots: {overlaps}")
    finally:
        conn.close()
    db = Database(url_for(path))
    try:
        with db.read() as session:
            broken = verify_chain(session)
        if broken is not None:
            problems.append(f"audit chain breaks at {broken.event_id}: {broken.problem}")
    finally:
        db.dispose()
    return problems


def check_reported(path: Path | str, base: dict, reports: list[list], *, exact: bool = True) -> list[str]:
    """Every success a desk was told about is in the file (nothing lost). `exact`: and nothing
    more (all writers finished); without it (a writer was killed), one more write than reported
    may have committed just before the kill."""
    problems: list[str] = []
    conn = _connect(path)
    try:
        kinds: dict[str, list[list]] = {k: [] for k in ACTIONS}
        for report in reports:
            kinds[report[0]].append(report)
        arrived = conn.execute("SELECT count(*) FROM appointment_status_events WHERE id > ? AND "
                               "to_status = 'arrived' AND NOT is_undo", (base["event"],)).fetchone()[0]
        undone = conn.execute("SELECT count(*) FROM appointment_status_events WHERE id > ? AND is_undo",
                              (base["event"],)).fetchone()[0]
        if (arrived != len(kinds["checkin"])) if exact else arrived < len(kinds["checkin"]):
            problems.append(f"{len(kinds['checkin'])} check-ins reported, {arrived} in the database")
        if (undone != len(kinds["undo"])) if exact else undone < len(kinds["undo"]):
            problems.append(f"{len(kinds['undo'])} undos reported, {undone} in the database")
        for _, aid, version in kinds["checkin"] + kinds["undo"]:
            row = conn.execute("SELECT version_id FROM appointments WHERE id = ?", (aid,)).fetchone()
            if row is None or row[0] < version:
                problems.append(f"appointment {aid}: reported version {version}, found {row}")
        booked = {r[0]: r for r in conn.execute(
            "SELECT id, patient_id, provider_id FROM appointments WHERE id > ?", (base["appointment"],))}
        if (len(booked) != len(kinds["book"])) if exact else len(booked) < len(kinds["book"]):
            problems.append(f"{len(kinds['book'])} bookings reported, {len(booked)} in the database")
        for _, aid, patient_id, provider_id, _starts in kinds["book"]:
            if booked.get(aid) != (aid, patient_id, provider_id):
                problems.append(f"booking {aid}: missing or different ({booked.get(aid)})")
        registered = dict(conn.execute("SELECT id, mrn FROM patients WHERE id > ?", (base["patient"],)))
        told = {r[1]: r[2] for r in kinds["register"]}
        if registered != told if exact else any(registered.get(k) != v for k, v in told.items()):
            problems.append(f"{len(kinds['register'])} registrations reported, {len(registered)} found "
                            f"(or their MRNs differ)")
        per_patient: dict[int, list[tuple[int, str]]] = {}
        for _, pid, version, email in kinds["edit"]:
            per_patient.setdefault(pid, []).append((version, email))
        for pid, done in per_patient.items():
            versions = sorted(v for v, _ in done)
            if len(set(versions)) != len(versions):
                problems.append(f"patient {pid}: two desks were both told they saved version(s) "
                                f"{[v for v in versions if versions.count(v) > 1][:3]}")
            version, email = conn.execute("SELECT version_id, email FROM patients WHERE id = ?",
                                          (pid,)).fetchone()
            last_version, last_email = max(done)
            if version < last_version or (version == last_version and email != last_email):
                problems.append(f"patient {pid}: reported version {last_version} lost "
                                f"(database has {version})")
            before = base["versions"].get(pid, 1)
            if (version - before != len(done)) if exact else version - before < len(done):
                problems.append(f"patient {pid}: {len(done)} edits reported, version moved "
                                f"{before}->{version}")
    finally:
        conn.close()
    return problems


# --- the parent side (used by the tests and benchmarks/bench_desks.py) ---------------------------

REPO = Path(__file__).resolve().parents[2]


def run_desks(db: Path, day: date, *, desks: int, seconds: float, workdir: Path, seed: int = 1) -> dict:
    """Start `desks` real processes on one database file; wait; verify. Returns the desks'
    reports plus the problems found in the file ("problems": empty when all is well)."""
    import subprocess

    base = baseline(db)
    barrier = workdir / "barrier"
    barrier.mkdir(parents=True, exist_ok=True)
    procs = [subprocess.Popen(
        [sys.executable, "-m", "tests.helpers.desk_driver", "desk", "--db", str(db),
         "--day", day.isoformat(), "--desk", str(n), "--desks", str(desks), "--seconds", str(seconds),
         "--barrier", str(barrier), "--out", str(workdir / f"desk-{n}.json"), "--seed", str(seed)],
        cwd=REPO, stderr=subprocess.PIPE, text=True) for n in range(desks)]
    failures = []
    for proc in procs:
        _, err = proc.communicate(timeout=seconds + 180)
        if proc.returncode != 0:
            failures.append(f"desk process exited {proc.returncode}: {err[-400:]}")
    outs = [json.loads(p.read_text()) for p in sorted(workdir.glob("desk-*.json"))]
    reports = [r for o in outs for r in o["reports"]]
    return {"desks": outs, "failures": failures,
            "reported": check_reported(db, base, reports), "database": check_database(db, base),
            "digest": digest(db)}


def crash_runs(db: Path, day: date, *, runs: int, workdir: Path, seed: int = 1,
               max_delay: float = 0.4) -> dict:
    """Kill a writer with SIGKILL at a random moment `runs` times; after each kill, check the
    file. Returns counts and the problems found (empty when nothing was lost or half-written)."""
    import os
    import signal
    import subprocess

    rng = random.Random(seed)
    base = baseline(db)
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.helpers.desk_driver", "crash-server", "--db", str(db),
         "--day", day.isoformat()], cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    reported: list[list] = []
    problems: list[str] = []
    killed_after: list[int] = []
    try:
        for run in range(runs):
            log_path = workdir / f"crash-{run}.log"
            server.stdin.write(f"run {seed * 1000 + run} {log_path}\n")
            server.stdin.flush()
            pid = int(server.stdout.readline().split()[1])
            end = time.monotonic() + 60
            # Every other run draws its moment after the writer's first reported write, so that
            # some writes are reported to check however slow the machine is; the others from its
            # start, which on a loaded machine often falls before any write returns.
            started = "saved " if run % 2 else "ready"
            while not (log_path.exists() and started in log_path.read_text()):
                if time.monotonic() > end:
                    raise RuntimeError(f"the writer never logged {started.strip()!r}")
                time.sleep(0.005)
            time.sleep(rng.uniform(0.0, max_delay))
            os.kill(pid, signal.SIGKILL)
            while True:  # gone (the server's SIGCHLD is ignored, so no zombie stays)
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.002)
            lines = log_path.read_text().splitlines()
            saved = [json.loads(line[6:]) for line in lines if line.startswith("saved ")]
            problems += [f"run {run}: {line}" for line in lines if line.startswith("error ")]
            killed_after.append(len(saved))
            reported += saved
            found = check_reported(db, base, reported, exact=False) + check_database(db, base)
            problems += [f"run {run}: {p}" for p in found]
            log_path.unlink()
    finally:
        server.stdin.close()
        server.wait(timeout=30)
    return {"runs": runs, "saved": len(reported), "writes_per_run": killed_after, "problems": problems}


# --- the two modes -------------------------------------------------------------------------------


def _wait_for(barrier: Path, stage: str, count: int, timeout: float = 120.0) -> None:
    end = time.monotonic() + timeout
    while len(list(barrier.glob(f"{stage}-*"))) < count:
        if time.monotonic() > end:
            raise SystemExit(f"barrier {stage}: only {len(list(barrier.glob(f'{stage}-*')))} of {count}")
        time.sleep(0.02)


def time_writes(ctx) -> dict[str, list[float]]:
    """Record, per write transaction of this desk, how long it waited for the write lock (from
    asking for a write to BEGIN IMMEDIATE returning: the queue and SQLite's busy handler) and
    how long it held it (BEGIN IMMEDIATE to the end of COMMIT or ROLLBACK), in ms."""
    from contextlib import contextmanager

    from sqlalchemy import event

    from coordinator_tui.store.engine import WRITE_OPTION

    times: dict[str, list[float]] = {"wait": [], "hold": []}
    state: dict[str, float | None] = {"asked": None, "begun": None}
    original = ctx.db.write

    def on_begin(conn) -> None:  # registered after the engine's own: BEGIN IMMEDIATE has returned
        if conn.get_execution_options().get(WRITE_OPTION) and state["asked"] is not None:
            state["begun"] = time.perf_counter()
            times["wait"].append((state["begun"] - state["asked"]) * 1000)

    @contextmanager
    def write():
        state["asked"], state["begun"] = time.perf_counter(), None
        try:
            with original() as session:
                yield session
        finally:
            if state["begun"] is not None:
                times["hold"].append((time.perf_counter() - state["begun"]) * 1000)
            state["asked"] = None

    event.listen(ctx.db.engine, "begin", on_begin)
    ctx.db.write = write
    return times


def run_desk(args) -> int:
    from coordinator_tui.services.staff.actors import actor_for

    ctx = make_ctx(Path(args.db), args.day)
    lock_times = time_writes(ctx)
    actor = actor_for(ctx, "demo")
    rng = random.Random(args.seed * 1000 + args.desk)
    desk = Desk(ctx, actor, rng, f"desk{args.desk}")
    barrier = Path(args.barrier)
    (barrier / f"ready-{args.desk}").touch()
    _wait_for(barrier, "ready", args.desks)
    outcomes = {a: {"ok": 0, "refused": 0, "storage": 0, "other": 0} for a in ACTIONS}
    latencies: dict[str, list[float]] = {a: [] for a in ACTIONS}
    reports: list[list] = []
    problems: list[str] = []
    started = time.monotonic()
    cpu_started = time.process_time()  # CPU time tells the truth on a shared machine
    end = started + args.seconds
    while time.monotonic() < end:
        action = rng.choices(ACTIONS, WEIGHTS)[0]
        t0 = time.perf_counter()
        waits, holds = len(lock_times["wait"]), len(lock_times["hold"])
        try:
            reports.append(getattr(desk, action)())
            kind = "ok"
        except Exception as exc:  # sorted below: refusals are expected, the rest is not
            kind = classify(exc)
            if kind != "refused":
                problems.append(f"{action}: {type(exc).__name__}: {str(exc)[:200]}")
        outcomes[action][kind] += 1
        if kind == "ok":
            latencies[action].append((time.perf_counter() - t0) * 1000)
            desk.parts.setdefault(action + " wait", []).append(sum(lock_times["wait"][waits:]))
            desk.parts.setdefault(action + " hold", []).append(sum(lock_times["hold"][holds:]))
    elapsed = time.monotonic() - started
    cpu_seconds = time.process_time() - cpu_started
    (barrier / f"done-{args.desk}").touch()
    _wait_for(barrier, "done", args.desks)
    # Every desk now reads the shared rows through its own engine (a fresh read transaction).
    with ctx.db.read():
        pass
    ctx.db.dispose()
    Path(args.out).write_text(json.dumps({
        "desk": args.desk, "seconds": elapsed, "outcomes": outcomes, "latencies_ms": latencies,
        "reports": reports, "problems": problems[:50], "digest": digest(args.db),
        "lock_ms": lock_times, "parts_ms": desk.parts, "cpu_seconds": cpu_seconds,
    }))
    return 0


def crash_writer(db: Path, day: date, seed: int, log) -> None:
    """Write forever; `log` gets "saved <json>" only after a service call returned."""
    from coordinator_tui.services.staff.actors import actor_for

    ctx = make_ctx(db, day)
    actor = actor_for(ctx, "demo")
    rng = random.Random(seed)
    desk = Desk(ctx, actor, rng, f"crash{seed}")
    log.write("ready\n")
    log.flush()
    while True:
        action = rng.choices(ACTIONS, WEIGHTS)[0]
        try:
            report = getattr(desk, action)()
        except Exception as exc:
            if classify(exc) != "refused":
                log.write(f"error {type(exc).__name__}\n")
                log.flush()
            continue
        log.write("saved " + json.dumps(report) + "\n")
        log.flush()


def run_crash_server(args) -> int:
    """Fork a fresh writer per request, so a hundred kills don't pay a hundred interpreter starts.
    The server itself has imported the code but never opened the database (forking a process
    with open SQLite connections is unsafe); each child opens its own.

    stdin: "run <seed> <log file>" -> stdout: "pid <child pid>". The caller kills the child."""
    import os
    import signal

    import coordinator_tui.services.checkin  # noqa: F401
    import coordinator_tui.services.desk_views  # noqa: F401
    import coordinator_tui.services.patients  # noqa: F401
    import coordinator_tui.services.schedule  # noqa: F401  (imported once, before forking)
    import coordinator_tui.services.staff  # noqa: F401

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    for line in sys.stdin:
        _, seed, log_path = line.split()
        pid = os.fork()
        if pid == 0:
            try:
                with open(log_path, "w", buffering=1) as log:
                    crash_writer(Path(args.db), args.day, int(seed), log)
            finally:
                os._exit(1)
        sys.stdout.write(f"pid {pid}\n")
        sys.stdout.flush()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="desk_driver")
    sub = parser.add_subparsers(dest="mode", required=True)
    desk = sub.add_parser("desk")
    crash = sub.add_parser("crash-server")
    for p in (desk, crash):
        p.add_argument("--db", required=True)
        p.add_argument("--day", required=True, type=date.fromisoformat)
        p.add_argument("--seed", type=int, default=1)
    desk.add_argument("--desk", type=int, required=True)
    desk.add_argument("--desks", type=int, required=True)
    desk.add_argument("--seconds", type=float, required=True)
    desk.add_argument("--barrier", required=True)
    desk.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    return run_desk(args) if args.mode == "desk" else run_crash_server(args)


if __name__ == "__main__":
    sys.exit(main())
