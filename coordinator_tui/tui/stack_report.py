"""`kill -USR1 PID` on a running desk writes where it is, for support when a desk froze: every
thread's stack, every asyncio task's stack, and the state of the key queue and the screens.

Owner-only file, `DATA_DIR/stack-reports/stacks-PID.txt`, rewritten on each signal. It names
files, lines, functions, screens and widget ids only: never a value, never a key typed (a name
being typed is patient data), never a widget's text.

The handler is a plain signal handler (as in tui/hangup.py): Python runs it between bytecodes
even when the event loop is stuck in Python code. Threads are written first, by faulthandler,
so the most telling part is in the file even if the rest fails.
"""

from __future__ import annotations

import asyncio
import faulthandler
import os
import re
import signal
import threading
import time
from pathlib import Path

from coordinator_tui.config import data_dir
from coordinator_tui.folders import make_private_dirs

REPORT_SIGNAL = getattr(signal, "SIGUSR1", None)
# Textual names a widget's task "message pump Input(id='f-phone', classes='form-input')": keep
# the class and the id (both ours), drop anything else a repr might carry.
_PUMP_NAME = re.compile(r"^(message pump )?([\w#-]+)(?:\(.*?(id='[\w-]*'))?")


def report_path(pid: int | None = None) -> Path:
    return data_dir() / "stack-reports" / f"stacks-{pid or os.getpid()}.txt"


def report_stacks_on_signal(app) -> None:
    """Install the handler (main thread of a real terminal only)."""
    if REPORT_SIGNAL is None or threading.current_thread() is not threading.main_thread():
        return
    signal.signal(REPORT_SIGNAL, lambda _signum, _frame: write_stack_report(app))


def write_stack_report(app) -> Path | None:
    path = report_path()
    try:
        make_private_dirs(path.parent)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(f"coordinator stack report, pid {os.getpid()}, "
                      f"monotonic {time.monotonic():.3f}\n== threads\n")
            out.flush()
            faulthandler.dump_traceback(file=out, all_threads=True)
            out.write("== tasks\n")
            out.writelines(_task_lines())
            out.write("== app\n")
            out.writelines(_app_lines(app))
            out.write("== end\n")
        return path
    except Exception:  # a report must never take the desk down with it
        return None


def _task_lines() -> list[str]:
    try:
        tasks = asyncio.all_tasks()
    except RuntimeError:  # no running loop (the app has not started or has left)
        return ["(no event loop running)\n"]
    lines = []
    waiting_for_a_message = 0
    for task in sorted(tasks, key=lambda t: t.get_name()):
        chain = _awaiting(task.get_coro())
        if any(code.co_name == "_get_message" for code, _line in chain):
            waiting_for_a_message += 1  # an idle widget or screen: hundreds of them, all alike
            continue
        where = " -> ".join(f"{os.path.basename(code.co_filename)}:{line} {code.co_name}"
                            for code, line in chain)
        lines.append(f"{_safe_name(task.get_name())}: {where or '(not started)'}\n")
    lines.append(f"{waiting_for_a_message} message pumps idle (waiting for a message)\n")
    return lines


def _awaiting(coro) -> list:
    """(code, line) of each coroutine in the chain a task is suspended in, outermost first: the
    task's own stack shows only its outermost frame."""
    chain = []
    while coro is not None and len(chain) < 50:
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
        if frame is None:
            break
        chain.append((frame.f_code, frame.f_lineno))
        coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
    return chain


def _safe_name(name: str) -> str:
    match = _PUMP_NAME.match(name)
    if not match:
        return "task"
    prefix, kind, widget_id = match.groups()
    return f"{prefix or ''}{kind}" + (f"({widget_id})" if widget_id else "")


def _app_lines(app) -> list[str]:
    screens = " > ".join(type(screen).__name__ for screen in getattr(app, "screen_stack", ()))
    focused = getattr(app, "focused", None)
    focus = f"{type(focused).__name__}#{focused.id}" if focused is not None else "nothing"
    gate = getattr(app, "key_gate", None)
    return [f"mode {getattr(app, 'current_mode', '?')}: {screens or '(no screen)'}\n",
            f"focused: {focus}\n",
            f"frames held (Textual batch count): {getattr(app, '_batch_count', '?')}\n",
            f"keys: {gate.describe() if gate is not None else '(no key queue)'}\n"]
