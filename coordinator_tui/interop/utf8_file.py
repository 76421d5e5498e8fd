"""Reading a file someone brings (a patient list, a billing file): UTF-8 with or without a BOM,
anything else refused in one clear line before a row is looked at."""

from __future__ import annotations

from pathlib import Path

from coordinator_tui.errors import UserError


def read_utf8_csv(path: Path, *, then: str = "") -> str:
    """The file's text. `then` ends the encoding refusal ("; nothing was posted")."""
    path = Path(path)
    try:
        return path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise UserError(f"no file at {path}") from None
    except IsADirectoryError:
        raise UserError(f"{path} is a directory, not a CSV file") from None
    except UnicodeDecodeError:
        raise UserError(f"{path.name} is not UTF-8 text; save it as CSV UTF-8{then}") from None
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror}") from None
