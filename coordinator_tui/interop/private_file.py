"""Writing files that hold patient data: the one place every export (and the backup's target
check) goes through.

- The file is owner-only (0600) whatever the umask: the text goes into a temporary file that
  `tempfile.mkstemp` creates 0600 with O_EXCL, and that file is renamed over the target, so an
  existing 0644 file is replaced by a 0600 one, never rewritten in place.
- A target that is a symbolic link, a folder, a device, a FIFO or a socket is refused: a rename
  would replace the link or the device node itself, and writing through a link could put
  patient data anywhere.
- A failed write leaves nothing behind (the temporary file is removed) and is one clear error.
- `publish` wraps the rename: callers pass their audit transaction, so an export is audited
  only when the file really took its name.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from coordinator_tui.errors import UserError

STDOUT = "-"

Publish = Callable[[], AbstractContextManager]


@dataclass(frozen=True)
class Target:
    path: Path | None  # None: standard output

    def __str__(self) -> str:
        return "standard output" if self.path is None else str(self.path)


def output_target(value: str | None, option: str = "--output") -> Target:
    """Check a command's output option before any work is done: None or '-' is standard output."""
    if value is None or value == STDOUT:
        return Target(None)
    if not value.strip():
        raise UserError(f"{option} needs a file name (or - for standard output)")
    return Target(check_target(value))


def check_target(value: str | Path) -> Path:
    """The file to write at `value`, after refusing a missing folder and an existing entry that
    is not a regular file (a symbolic link, folder, device, FIFO or socket)."""
    path = Path(value).expanduser()
    if path.name in ("", ".", ".."):
        raise UserError(f"give a file name, not {str(value)[:80]!r}")
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise UserError(f"cannot write {path}: {_reason(exc)}") from None
    if mode is not None and not stat.S_ISREG(mode):
        if stat.S_ISLNK(mode):
            raise UserError(f"{path} is a symbolic link; give the real file's name")
        if stat.S_ISDIR(mode):
            raise UserError(f"{path} is a folder; give a file name inside it")
        raise UserError(f"{path} is not a regular file (a device, pipe or socket); not written")
    if not path.parent.is_dir():
        raise UserError(f"no folder {path.parent}")
    return path


def not_the_database(target: Target, database: Path | None) -> None:
    """Refuse an export aimed at the clinic's own database or its journal files: the rename
    would replace the live database with a CSV."""
    if target.path is None or database is None:
        return
    written = target.path.resolve()
    for suffix in ("", "-wal", "-shm", "-journal"):
        if written == Path(f"{database}{suffix}").resolve():
            raise UserError(f"{target.path} is the clinic's database; give another file name")


def deliver(target: Target, text: str | bytes, publish: Publish = nullcontext) -> None:
    """Write `text` (UTF-8; bytes as they are, e.g. a PDF) to `target` whole, or raise
    UserError and leave nothing behind."""
    if target.path is None:
        _to_stdout(text, publish)
    else:
        write_private(target.path, text, publish)


def deliver_stream(target: Target, fill: Callable[[TextIO], None], publish: Publish = nullcontext) -> None:
    """As `deliver`, for text too large to hold whole (a report of a million rows): `fill`
    writes it piece by piece; into a file, through the same owner-only temporary file and
    rename, so the file appears whole or not at all."""
    if target.path is None:
        _to_stdout(fill, publish)
    else:
        write_private(target.path, fill, publish)


def write_private(path: Path, text: str | bytes | Callable[[TextIO], None], publish: Publish = nullcontext) -> None:
    """`text` as UTF-8, `bytes` as they are (a PDF), or what a `fill(out)` writes as UTF-8."""
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    except OSError as exc:
        raise UserError(f"cannot write {path}: {_reason(exc)}") from None
    temp = Path(name)
    published = False
    try:
        binary = isinstance(text, bytes)
        with (os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", newline="")) as out:
            if callable(text):
                text(out)
            else:
                out.write(text)
            out.flush()
            os.fsync(out.fileno())  # some file systems report a full disk only here
        with publish():
            check_target(path)  # still not a link or device: the rename would replace it
            os.replace(temp, path)
            published = True
    except BaseException as exc:
        temp.unlink(missing_ok=True)
        if published:  # the publish step (the audit) failed after the rename: take it back
            path.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise UserError(f"cannot write {path}: {_reason(exc)}") from None
        raise


def _to_stdout(text: str | bytes | Callable[[TextIO], None], publish: Publish) -> None:
    try:
        if isinstance(text, bytes):
            sys.stdout.flush()
            sys.stdout.buffer.write(text)
        elif callable(text):
            text(sys.stdout)
        else:
            sys.stdout.write(text)
        sys.stdout.flush()
    except OSError as exc:
        # As Python's "Note on SIGPIPE" advises: point stdout at devnull so the interpreter's
        # own flush at exit does not fail a second time (a second line, a traceback).
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise UserError(f"cannot write to standard output: {_reason(exc)}") from None
    with publish():
        pass


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__
