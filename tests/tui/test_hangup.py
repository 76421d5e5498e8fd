"""SIGHUP ends the desk even when its event loop is stuck.

A real child process installs the app's hangup handler in a running asyncio loop, then either
keeps the loop free or blocks it (the main thread inside a long call, as a wedged desk would be).
The parent sends a real SIGHUP. A handler run by the loop would never run in the blocked case and
the process would live on with a patient's record in memory; the desk's handler must end it.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time

import pytest

from coordinator_tui.tui.hangup import HANGUP_EXIT_CODE

SECONDS_ALLOWED = 5.0  # the handler's watchdog ends it after 0.5 s; the bound only catches a hang

CHILD = textwrap.dedent("""
    import asyncio, sys, time
    from coordinator_tui.tui.hangup import exit_on_hangup

    class Desk:  # stands in for the app: records that the loop asked it to leave
        def exit(self, return_code=0):
            print("asked to exit", return_code, flush=True)

    async def main(stuck):
        exit_on_hangup(Desk())
        print("ready", flush=True)
        if stuck:
            time.sleep(60)  # the loop is blocked: nothing scheduled on it runs
        else:
            await asyncio.sleep(60)

    asyncio.run(main(sys.argv[1] == "stuck"))
""")


@pytest.mark.parametrize("loop_state", ["free", "stuck"])
def test_sighup_ends_the_process_whether_or_not_its_loop_runs(loop_state):
    child = subprocess.Popen([sys.executable, "-c", CHILD, loop_state],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
        sent = time.monotonic()
        child.send_signal(signal.SIGHUP)
        code = child.wait(timeout=SECONDS_ALLOWED + 5)
        took = time.monotonic() - sent
        said = child.stdout.read()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert code == HANGUP_EXIT_CODE
    assert took < SECONDS_ALLOWED, f"still running {took:.1f} s after SIGHUP"
    if loop_state == "free":  # a running loop is asked to leave politely first (terminal restored)
        assert f"asked to exit {HANGUP_EXIT_CODE}" in said
    else:
        assert "asked to exit" not in said
