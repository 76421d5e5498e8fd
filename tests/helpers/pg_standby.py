"""A PostgreSQL primary and its streaming-replication hot standby on loopback, in temp folders,
for the take-over test (tests/concurrency/test_standby_takeover.py) and docs/postgresql.md.

The same way as .ci/postgres-start: initdb and pg_ctl run as the `postgres` OS user when we are
root (initdb refuses root), each server with its own port, socket folder and data folder. The
primary commits synchronously to the standby (`synchronous_commit = on`, and once the standby
is up `synchronous_standby_names` names it): a commit returns only once the standby has it on
disk. The standby
is made with `pg_basebackup -R` (it writes standby.signal and primary_conninfo) and names itself
to the primary by `cluster_name`.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path

ROLE, PASSWORD = "coordinator", "coordinator"
STANDBY_NAME = "standby1"


def binary(tool: str) -> str:
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (folder / tool).exists():
            return str(folder / tool)
    found = shutil.which(tool)
    if found is None:
        raise RuntimeError(f"{tool} is missing (apt-get install postgresql-15; .ci/run does)")
    return found


def free_ports(count: int) -> list[int]:
    """Ports nobody listens on now, as the OS hands them out. A fixed port (544xx) lies in
    Linux's ephemeral range, so under a busy test run a client connection may be sitting on it
    and the server cannot bind: CI once failed that way. All are held at once so none repeats."""
    held = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            held.append(sock)
        return [sock.getsockname()[1] for sock in held]
    finally:
        for sock in held:
            sock.close()


def _as_owner() -> list[str]:
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def _run(*command: str, timeout: float = 120) -> str:
    done = subprocess.run([*_as_owner(), *command], capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{command[0]} failed: {done.stderr.strip()[-500:]}")
    return done.stdout


def _private_folder(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(path, "postgres", "postgres")
    path.chmod(0o700)


class Server:
    def __init__(self, folder: Path, port: int):
        self.folder, self.port = folder, port
        self.data = folder / "data"

    def pg_ctl(self, *args: str, timeout: float = 120) -> str:
        return _run(binary("pg_ctl"), "-D", str(self.data), *args, timeout=timeout)

    def start(self) -> None:
        self.pg_ctl("-l", str(self.folder / "server.log"), "-w", "-t", "60", "start")

    def sql(self, statement: str, database: str = "postgres") -> str:
        return _run(binary("psql"), "-h", str(self.folder), "-p", str(self.port), "-U", "postgres",
                    "-d", database, "-v", "ON_ERROR_STOP=1", "-Atqc", statement)

    def stop_hard(self) -> None:
        """As a power cut or a crashed host would: no shutdown checkpoint, clients cut off."""
        self.pg_ctl("-m", "immediate", "stop")

    def promote(self) -> None:
        self.pg_ctl("-w", "-t", "60", "promote")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            try:
                self.pg_ctl("-m", "immediate", "stop", timeout=60)
            except RuntimeError:
                pass

    def _configure(self, lines: list[str]) -> None:
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write("\n".join(lines) + "\n")


def start_primary(folder: Path, port: int, running: list[Server]) -> Server:
    """The primary, added to `running` as soon as it runs (for the caller to stop)."""
    _private_folder(folder)
    server = Server(folder, port)
    _run(binary("initdb"), "-D", str(server.data), "-U", "postgres", "--auth=trust",
         "--encoding=UTF8", "--locale=C.UTF-8")
    server._configure([
        "listen_addresses = '127.0.0.1'", f"port = {port}",
        f"unix_socket_directories = '{folder}'", "timezone = 'UTC'", "max_connections = 60",
        "wal_level = replica", "max_wal_senders = 4", "wal_keep_size = '64MB'",
        "synchronous_commit = on",
    ])
    (server.data / "pg_hba.conf").write_text(
        "local all all trust\n"
        "host replication postgres 127.0.0.1/32 trust\n"
        "host all all 127.0.0.1/32 scram-sha-256\n")
    server.start()
    running.append(server)
    server.sql(f"CREATE ROLE {ROLE} LOGIN CREATEDB PASSWORD '{PASSWORD}'")
    return server


def start_standby(primary: Server, folder: Path, port: int, running: list[Server]) -> Server:
    _private_folder(folder)
    server = Server(folder, port)
    _run(binary("pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
         "-D", str(server.data), "-R", "-X", "stream", "-c", "fast")
    server._configure([f"port = {port}", f"unix_socket_directories = '{folder}'",
                       f"cluster_name = '{STANDBY_NAME}'", "hot_standby = on"])
    server.start()
    running.append(server)
    # Only now that the standby is there: named before, every commit would wait for it.
    primary.sql(f"ALTER SYSTEM SET synchronous_standby_names = '{STANDBY_NAME}'")
    primary.sql("SELECT pg_reload_conf()")
    return server


def replicating_synchronously(primary: Server) -> bool:
    return primary.sql("SELECT sync_state FROM pg_stat_replication WHERE application_name = "
                       f"'{STANDBY_NAME}'").strip() == "sync"


def url(database: str, *servers: Server) -> str:
    """The desks' URL: every server, and only the one that takes writes is used."""
    hosts = "&".join(f"host=127.0.0.1:{s.port}" for s in servers)
    return (f"postgresql+psycopg://{ROLE}:{PASSWORD}@/{database}?{hosts}"
            "&target_session_attrs=read-write")
