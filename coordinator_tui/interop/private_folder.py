"""Several owner-only files into one folder as one step (a batch of .ics invitations): every
file is written beside its name first; only when all are complete are they renamed, inside the
caller's publish step (its audit transaction). A failure anywhere leaves none of them."""

from __future__ import annotations

import os
import stat
import tempfile
from contextlib import nullcontext
from pathlib import Path

from coordinator_tui.errors import UserError
from coordinator_tui.interop.private_file import Publish, check_target


def check_folder(value: str | Path) -> Path:
    """An existing folder (not a symbolic link) to write the files into."""
    path = Path(value).expanduser()
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        raise UserError(f"no folder {path}; create it first") from None
    except OSError as exc:
        raise UserError(f"cannot use {path}: {exc.strerror or type(exc).__name__}") from None
    if stat.S_ISLNK(mode):
        raise UserError(f"{path} is a symbolic link; give the real folder")
    if not stat.S_ISDIR(mode):
        raise UserError(f"{path} is not a folder; .ics invitations need a folder (one file each)")
    return path


def write_private_files(folder: Path, files: dict[str, str | bytes],
                        publish: Publish = nullcontext) -> list[Path]:
    """Write `files` (name -> content) into `folder`, owner-only, all or none."""
    temps: list[tuple[Path, Path]] = []
    renamed: list[Path] = []
    try:
        for name, content in files.items():
            target = check_target(folder / name)
            fd, temp = tempfile.mkstemp(prefix=f".{name}.", suffix=".partial", dir=folder)
            temps.append((Path(temp), target))
            data = content if isinstance(content, bytes) else content.encode("utf-8")
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
        with publish():
            for temp, target in temps:
                check_target(target)
                os.replace(temp, target)
                renamed.append(target)
        return renamed
    except BaseException as exc:
        for temp, _target in temps:
            temp.unlink(missing_ok=True)
        for target in renamed:
            target.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise UserError(f"cannot write into {folder}: "
                            f"{exc.strerror or type(exc).__name__}") from None
        raise
