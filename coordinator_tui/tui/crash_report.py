"""A redacted crash report: the exception's type and the stack's file, line and function names
only. No message and no local values (either could hold patient data). Owner-only file."""

from __future__ import annotations

import os
import traceback
from datetime import UTC, datetime
from pathlib import Path

from coordinator_tui.config import data_dir
from coordinator_tui.folders import make_private_dirs


def write_report(error: BaseException | None) -> Path | None:
    try:
        folder = data_dir() / "crash-reports"
        make_private_dirs(folder)  # 0700 each, whatever the umask
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        path = folder / f"crash-{stamp}.txt"
        lines = [f"coordinator crash report {stamp}",
                 f"exception: {type(error).__module__}.{type(error).__name__}" if error
                 else "exception: unknown", "stack (file:line function):"]
        if error is not None:
            for frame in traceback.extract_tb(error.__traceback__):
                lines.append(f"  {os.path.basename(frame.filename)}:{frame.lineno} {frame.name}")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write("\n".join(lines) + "\n")
        return path
    except OSError:
        return None
