"""Run the `coordinator` command in tests.

Signing in: a command acting as a staff member proves who it is (commands/sign_in.py). The
suite does it as a clinic would (tests/helpers/passwords.py, set up in tests/conftest.py): the
seeded test clinic's accounts (`demo`, `super`, `admin`) are bound to the OS account the tests
run as, and `COORDINATOR_PASSWORD_FILE` names an owner-only (0600) file with their password
(`demo`) for clinics a test builds itself, so `run(..., "--user", "super", ...)` really signs
in as `super`. A test that wants another way (or none) unbinds the accounts
(`passwords.unbind_os_accounts`) and passes `env={"COORDINATOR_PASSWORD_FILE": ""}`. Accounts a
test adds itself sign in with `--password-stdin` or their own file (`password_file`).

`run` calls `coordinator_tui.cli.main(argv)` in this process: same parser, same handlers, same
exit statuses and stderr lines, without starting Python again (a subprocess costs ~1 s here,
most of it imports). `run_process` starts the real command; each command keeps at least one test
that uses it (tests/cli/test_cli.py), where the process itself is the point: the entry point,
the exit status the shell sees, environment handling.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import subprocess
import sys
from pathlib import Path

from coordinator_tui.clock import CLOCK_VARIABLE
from tests.conftest import CLINIC_NOW
from tests.helpers.engines import translate_args
from tests.helpers.passwords import (  # noqa: F401 (password_file: for tests' own accounts)
    PASSWORD_FILE_VARIABLE,
    clinic_password_file,
    password_file,
)


def _clinic_env(env: dict | None) -> dict[str, str]:
    # The command runs on the tests' clinic clock (10:45 on CLINIC_DAY), never on today's date,
    # and signs in with the test clinic's password file (see the top of this module).
    return {CLOCK_VARIABLE: CLINIC_NOW.isoformat(),
            PASSWORD_FILE_VARIABLE: clinic_password_file(), **(env or {})}


def run_process(*args: str, env: dict | None = None, **kw) -> subprocess.CompletedProcess:
    """The real command in its own process (a test clinic's path becomes its URL on PostgreSQL)."""
    args = translate_args(args)
    return subprocess.run([sys.executable, "-m", "coordinator_tui", *args], capture_output=True,
                          text=True, timeout=180, env={**os.environ, **_clinic_env(env)}, **kw)


@contextlib.contextmanager
def _environment(values: dict[str, str]):
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run(*args: str, env: dict | None = None, input: str | None = None,
        cwd: Path | str | None = None) -> subprocess.CompletedProcess:
    """The command in this process, answered like `run_process` (returncode, stdout, stderr)."""
    from coordinator_tui.cli import main

    out, err = io.StringIO(), io.StringIO()
    stdin = io.StringIO(input or "")
    with contextlib.ExitStack() as stack:
        stack.enter_context(_environment(_clinic_env(env)))
        if cwd is not None:
            stack.enter_context(contextlib.chdir(cwd))
        stack.enter_context(contextlib.redirect_stdout(out))
        stack.enter_context(contextlib.redirect_stderr(err))
        saved_stdin, sys.stdin = sys.stdin, stdin
        stack.callback(setattr, sys, "stdin", saved_stdin)
        try:
            # Python hands a process bytes that are not UTF-8 as lone surrogates: the same here.
            code = main([os.fsdecode(arg) for arg in translate_args(args)])
        except SystemExit as exc:  # argparse: --help, usage errors
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return subprocess.CompletedProcess(["coordinator", *args], code or 0, out.getvalue(),
                                       err.getvalue())


def one_line_error(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("coordinator: ")
    assert "Traceback" not in result.stderr
    return lines[0]


def snapshot(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir() if p.is_file()}
