"""Folders that will hold patient data (the database, backups, crash reports) are made
owner-only (0700) whatever the umask (issue #22, point 5).

`Path.mkdir(mode=0o700, parents=True)` gives only the last folder that mode, and only after the
umask: the parents it makes get 0777 minus the umask (0777 under `umask 000`). Here every folder
made is set to 0700 explicitly; folders that already exist keep the mode their owner chose."""

from __future__ import annotations

import os
from pathlib import Path


def make_private_dirs(folder: Path) -> list[Path]:
    """Create `folder` and its missing parents, each 0700. Returns the folders made, outermost
    first. Raises OSError like mkdir (FileExistsError when a file is in the way)."""
    missing: list[Path] = []
    here = Path(folder)
    while not here.exists() and here != here.parent:
        missing.append(here)
        here = here.parent
    made = []
    for path in reversed(missing):
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            if path.is_dir():
                continue  # made meanwhile by another process: its mode is its own
            raise
        os.chmod(path, 0o700)  # mkdir's mode passes through the umask
        made.append(path)
    return made
