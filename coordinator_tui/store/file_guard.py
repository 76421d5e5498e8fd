"""Put the disk back as it was when a command that may create a database fails.

`seed`, `demo` and `users add` can start from no file (or an empty one). If they then fail, or
are interrupted with Ctrl+C, the transactions roll back their rows, but not the file, its folders,
its -wal/-shm companions or the migration lock made on the way: this removes those again, so a
failed command leaves nothing behind. An existing database is never touched here: its own
transactions keep it whole.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

COMPANIONS = ("-wal", "-shm", "-journal", ".migrate-lock", ".write-queue", ".views", ".views-wal",
              ".views-shm")


def _missing_folders(path: Path) -> list[Path]:
    """The folders above `path` that do not exist yet, deepest first."""
    missing = []
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        missing.append(parent)
        parent = parent.parent
    return missing


@contextmanager
def undone_on_failure(path: Path | None) -> Iterator[None]:
    """Run the body; if it raises (Ctrl+C included), undo what it did to the files at `path`.

    The caller must have closed its connections to the database before the exception leaves
    the body (dispose the engine in a `finally`)."""
    if path is None:  # not SQLite: nothing on disk of ours
        yield
        return
    existed = path.exists()
    empty_mode = path.stat().st_mode & 0o7777 if existed and path.stat().st_size == 0 else None
    companions = [Path(str(path) + suffix) for suffix in COMPANIONS]
    new_companions = [c for c in companions if not c.exists()]
    folders = _missing_folders(path)
    try:
        yield
    except BaseException:
        # Best effort: a cleanup that fails must not hide why the command failed.
        with suppress(OSError):
            _undo(path, existed, empty_mode, new_companions, folders)
        raise


def _undo(path: Path, existed: bool, empty_mode: int | None, new_companions: list[Path],
          folders: list[Path]) -> None:
    if existed and empty_mode is None:
        return  # a database that held something: its transactions kept it whole
    if not existed:
        with suppress(FileNotFoundError, NotADirectoryError):
            path.unlink()
    else:  # it was an empty file: empty it again, mode and all
        os.truncate(path, 0)
        path.chmod(empty_mode)
    for companion in new_companions:
        with suppress(FileNotFoundError, NotADirectoryError):
            companion.unlink()
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:  # someone else put something there meanwhile: keep it
            break
