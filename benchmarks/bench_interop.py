"""Interfaces with the EHR: inbound HL7 ADT^A04 over MLLP on loopback, and the FHIR NDJSON export.

    python benchmarks/bench_interop.py --db /tmp/bench_interop.sqlite --patients 20000 \
        --messages 1000 --time-limit 120

Builds the clinic with `coordinator seed` when the file does not exist. Inbound: a real
`coordinator hl7 listen` process on 127.0.0.1 (on a scratch copy of the database) and one MLLP
client sending A04 registrations of new, distinct people one after another, each waiting for
its ACK (original mode), then the same with several such senders at once (the listener commits
the messages waiting together, one savepoint each): messages per second and p95 milliseconds
to ACK, beside this disk's floor (one-row write transactions per second, measured in the same
run before and after). Export: `export fhir` of the whole
clinic, patients per second and the time that rate gives for 1,000,000 patients. Figures are
printed beside their floors (issue #19: over 200 messages/s, p95 under 50 ms, 1M patients
exported in under 2 minutes)."""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from limits import start_time_limit  # noqa: E402

from coordinator_tui.config import Settings  # noqa: E402
from coordinator_tui.interop.hl7.mllp import Client, ack_code  # noqa: E402
from coordinator_tui.services.context import AppContext  # noqa: E402
from coordinator_tui.services.exchange.fhir_export import export_fhir  # noqa: E402
from coordinator_tui.services.staff.actors import actor_for  # noqa: E402
from coordinator_tui.store.engine import Database, url_for_path  # noqa: E402

LETTERS = "bcdfghjklmnprstvwz"
VOWELS = "aeiou"


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def made_up_name(n: int) -> str:
    """Distinct, unlike one another and unlike the seeded names (no look-alikes held)."""
    n = (n * 2654435761) % 4_294_967_296
    word = "Q"
    for _ in range(5):
        word += LETTERS[n % len(LETTERS)] + VOWELS[(n // 7) % len(VOWELS)]
        n //= len(LETTERS) * 3
    return word


def a04(n: int) -> str:
    dob = f"19{40 + n % 60:02d}{1 + n % 12:02d}{1 + n % 28:02d}"
    return (f"MSH|^~\\&|BENCH|LAB|COORDINATOR|CLINIC|20261123104500||ADT^A04|B{n:08d}|P|2.5.1\r"
            f"EVN|A04|20261123104500\r"
            f"PID|1||X{n:08d}^^^BENCH^MR||{made_up_name(n)}^{made_up_name(n * 7 + 3)}||{dob}|F\r")


def password_file(folder: Path) -> Path:
    """The seeded clinic's admin signs in as a service would: an owner-only password file."""
    path = folder / "passwords"
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write("admin:demo\n")  # the seeded clinic's public demo password
    return path


def _client(port: int, numbers: range, latencies: list, codes: dict, deadline: float) -> None:
    """One sending system on its own connection: each message waits for its ACK (original mode)."""
    with Client("127.0.0.1", port, timeout=30) as client:
        for n in numbers:
            sent = time.perf_counter()
            code, _ = ack_code(client.send(a04(n)))
            latencies.append((time.perf_counter() - sent) * 1000)
            codes[code] = codes.get(code, 0) + 1
            if time.perf_counter() > deadline:
                break


def cpu_seconds(pid: int) -> float:
    """CPU the process has used (user + system), from /proc: the listener's own work per message,
    whatever else the machine is doing (0 where /proc is missing)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def inbound(db: Path, messages: int, connections: int, first: int, deadline: float) -> None:
    """`messages` A04s spread over `connections` senders at once, numbered from `first`."""
    env = {**os.environ, "COORDINATOR_PASSWORD_FILE": str(password_file(db.parent))}
    proc = subprocess.Popen([sys.executable, "-m", "coordinator_tui", "hl7", "listen", "--port", "0",
                             "--sender", "BENCH", "--db", str(db), "--user", "admin"],
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = proc.stderr.readline()
        port = int(line.strip().rsplit(":", 1)[1])
        latencies: list[float] = []
        codes: dict[str, int] = {}
        share = messages // connections
        threads = [threading.Thread(target=_client, args=(
            port, range(first + k * share, first + (k + 1) * share), latencies, codes, deadline))
            for k in range(connections)]
        cpu_before = cpu_seconds(proc.pid)
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - start
        cpu = cpu_seconds(proc.pid) - cpu_before
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    rate = len(latencies) / elapsed
    p95 = percentile(latencies, 0.95)
    print(f"inbound ADT^A04 over MLLP, {connections} connection(s): {len(latencies):,} messages in "
          f"{elapsed:.1f} s, ACKs {codes}")
    print(f"  rate      {rate:8.0f} messages/s   floor    200   {'ok' if rate > 200 else 'BELOW'}")
    print(f"  p95 ACK   {p95:8.1f} ms           ceiling   50   {'ok' if p95 < 50 else 'ABOVE'}")
    print(f"  median    {percentile(latencies, 0.5):8.1f} ms")
    print(f"  listener CPU {cpu / max(len(latencies), 1) * 1000:5.2f} ms a message "
          f"(a core to itself would allow about {len(latencies) / cpu if cpu else 0:4.0f}/s)")


def commit_floor(path: Path, count: int = 300) -> float:
    """This disk's floor, measured in the same run: small write transactions per second on a
    scratch file with the app's pragmas (WAL, synchronous=FULL, BEGIN IMMEDIATE)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    start = time.perf_counter()
    for n in range(count):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t (v) VALUES (?)", (str(n),))
        conn.execute("COMMIT")
    rate = count / (time.perf_counter() - start)
    conn.close()
    print(f"floor: one-row write transactions on this disk, now: {rate:6.0f}/s "
          f"({1000 / rate:.1f} ms each)")
    return rate


def export(db: Path, scratch: Path) -> None:
    url = url_for_path(db)
    ctx = AppContext(db=Database(url), settings=Settings(db_url=url))
    try:
        start = time.perf_counter()
        counts = export_fhir(ctx, actor_for(ctx, "admin"), scratch / "bulk")
        elapsed = time.perf_counter() - start
    finally:
        ctx.db.dispose()
    rate = counts["Patient"] / elapsed
    size = sum(p.stat().st_size for p in (scratch / "bulk").iterdir()) / 1e6
    print(f"FHIR NDJSON export: {counts} in {elapsed:.1f} s ({size:,.0f} MB)")
    print(f"  rate      {rate:8.0f} patients/s (with their coverage and appointments)")
    print(f"  1M at this rate {1_000_000 / rate:6.0f} s       ceiling  120   "
          f"{'ok' if 1_000_000 / rate < 120 else 'ABOVE'}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, default=Path("/tmp/bench_interop.sqlite"))
    parser.add_argument("--patients", type=int, default=20_000)
    parser.add_argument("--messages", type=int, default=1_000, help="0: the export only")
    parser.add_argument("--connections", default="1,4",
                        help="senders at once, one run each (comma-separated; default 1,4)")
    parser.add_argument("--time-limit", type=float, default=120.0)
    args = parser.parse_args()
    # A hard stop past the soft limit above (set-up such as seeding runs before it counts).
    start_time_limit(int(args.time_limit) + 1800, "bench_interop")
    if not args.db.exists():
        subprocess.run([sys.executable, "-m", "coordinator_tui", "seed", "--patients",
                        str(args.patients), "--db", str(args.db)], check=True)
    deadline = time.perf_counter() + args.time_limit
    with tempfile.TemporaryDirectory(dir="/tmp") as folder:
        scratch = Path(folder)
        work = scratch / "live.sqlite"
        shutil.copyfile(args.db, work)
        os.chmod(work, 0o600)
        if args.messages:
            commit_floor(scratch / "floor-before.sqlite")
            for run, connections in enumerate(int(c) for c in args.connections.split(",")):
                inbound(work, args.messages, connections, run * args.messages, deadline)
            commit_floor(scratch / "floor-after.sqlite")
        export(work, scratch)


if __name__ == "__main__":
    main()
