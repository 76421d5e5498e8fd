"""A dropped SSH link or a closed terminal sends SIGHUP: the app leaves at once.

A half-typed form is never saved (forms save only on ^s, in one transaction); a service call
already running is one transaction that commits whole or not at all, even if the process is
killed mid-way. If restoring a terminal that is no longer there hangs, the process ends anyway
after HANGUP_GRACE_SECONDS.
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

    def hangup() -> None:
        watchdog = threading.Timer(HANGUP_GRACE_SECONDS, os._exit, args=(HANGUP_EXIT_CODE,))
        watchdog.daemon = True
        watchdog.start()
        app.exit(return_code=HANGUP_EXIT_CODE)

    try:
        asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, hangup)
    except (NotImplementedError, RuntimeError, ValueError):
        pass
