"""Time `coordinator db copy` of an SQLite clinic into PostgreSQL, with its floor (issue 20 item 8).

    export $(.ci/postgres-start 54329)      # COORDINATOR_TEST_PG: a role that may CREATE DATABASE
    python benchmarks/bench_db_copy.py /tmp/big.sqlite [--time-limit 1800]

The size is the clinic given (build one with `coordinator seed --patients 100000 --db FILE`). It
is copied into a fresh database, then, in the same run, the floor: that copy dumped with
pg_dump and loaded with pg_restore into another fresh database (the server's own bulk load of the
same rows, indexes and triggers made after the data). The load average is printed beside each
figure; both databases are dropped at the end."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from limits import add_time_limit, start_time_limit  # noqa: E402

from coordinator_tui.store.clinic_copy import copy_clinic  # noqa: E402
from coordinator_tui.store.pg_dump import conninfo_and_password, tool  # noqa: E402
from coordinator_tui.store.pg_listen import conninfo  # noqa: E402


def load() -> str:
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def _admin(server: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(conninfo(server), autocommit=True) as conn:
        conn.execute(statement)


def main(source: str, server: str) -> None:
    from sqlalchemy.engine import make_url

    names = [f"bench_copy_{uuid.uuid4().hex[:8]}", f"bench_floor_{uuid.uuid4().hex[:8]}"]
    urls = [make_url(server).set(database=n).render_as_string(hide_password=False) for n in names]
    for name in names:
        _admin(server, f'CREATE DATABASE "{name}"')
    try:
        with tempfile.TemporaryDirectory(dir="/tmp") as scratch:
            # The audit key and anchor go along into the scratch folder, not the user's own.
            os.environ["XDG_DATA_HOME"] = scratch
            print(f"before the copy: {load()}")
            report = copy_clinic(f"sqlite:///{source}", urls[0])
            print(f"db copy: {report.rows:,} rows ({report.tables.get('patients', 0):,} patients) "
                  f"in {report.copy_seconds:.1f} s = {report.rows / report.copy_seconds:,.0f} rows/s,"
                  f" schema {report.migrate_seconds:.1f} s; {load()}")
            dump = Path(scratch) / "clinic.dump"
            source_info, password = conninfo_and_password(urls[0])
            target_info, _ = conninfo_and_password(urls[1])
            env = {**os.environ, "PGPASSWORD": password or ""}
            subprocess.run([tool("pg_dump"), "-Fc", "-f", str(dump), f"--dbname={source_info}"],
                           env=env, check=True)
            started = time.monotonic()
            subprocess.run([tool("pg_restore"), "--no-owner", f"--dbname={target_info}",
                            str(dump)], env=env, check=True)
            floor = time.monotonic() - started
            print(f"floor: pg_restore of the same rows {floor:.1f} s = "
                  f"{report.rows / floor:,.0f} rows/s; {load()}")
            print(f"db copy / floor: {report.copy_seconds / floor:.1f}x")
    finally:
        for name in names:
            _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", default="/tmp/big.sqlite",
                        help="the SQLite clinic to copy (its size is the benchmark's)")
    parser.add_argument("--server", default=os.environ.get("COORDINATOR_TEST_PG", ""),
                        help="a PostgreSQL role that may CREATE DATABASE (default "
                             "$COORDINATOR_TEST_PG)")
    add_time_limit(parser, 1800)
    args = parser.parse_args()
    if not args.server:
        parser.error("give --server or set COORDINATOR_TEST_PG (.ci/postgres-start prints it)")
    start_time_limit(args.time_limit, "bench_db_copy")
    main(args.source, args.server)
