"""A dropped SSH link or a closed terminal sends SIGHUP: the app leaves at once.

A half-typed form is never saved (forms save only on ^s, in one transaction); a service call
already running is one transaction that commits whole or not at all, even if the process is
killed mid-way. If restoring a terminal that is no longer there hangs, the process ends anyway
after HANGUP_GRACE_SECONDS.

The handler is a plain signal handler, not the event loop's: Python runs it in the main thread
between bytecodes even when the loop is stuck (a long call, a wait that never ends), and it
starts the watchdog first. A handler run by the loop never runs if the loop is stuck, and a
desk left on a dead terminal would keep a patient's record in memory for good.
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading

HANGUP_GRACE_SECONDS = 0.5
HANGUP_EXIT_CODE = 128 + 1


def exit_on_hangup(app) -> None:
    """Install the handler (main thread of a real terminal only)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGHUP"):
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = None

    def hangup(_signum, _frame) -> None:
        watchdog = threading.Timer(HANGUP_GRACE_SECONDS, os._exit, args=(HANGUP_EXIT_CODE,))
        watchdog.daemon = True
        watchdog.start()
        if loop is None or loop.is_closed():
            return  # nothing to end politely: the watchdog ends the process
        try:
            loop.call_soon_threadsafe(lambda: app.exit(return_code=HANGUP_EXIT_CODE))
        except RuntimeError:
            pass  # the loop closed meanwhile: the watchdog ends the process

    signal.signal(signal.SIGHUP, hangup)
