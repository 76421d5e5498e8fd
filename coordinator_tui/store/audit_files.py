"""The audit trail's two files outside the database: its key and its anchor.

- The **key file** (`NAME.sqlite.audit-key` beside the database, or `$COORDINATOR_AUDIT_KEY`)
  holds the HMAC keys of the audit chain, one per line as 64 hex digits, oldest first; the last
  one signs new events. It is created on first use, readable by the database's owner only (and
  by the database's group when the database itself is group-shared, as docs/ssh.md sets up:
  every desk process signs events). Rotation appends a line; keys are never removed, so older
  events stay checkable.
- The **anchor file** (`NAME.sqlite.audit-anchor`, or `$COORDINATOR_AUDIT_ANCHOR`) is appended
  (O_APPEND, never rewritten) with the head of the chain: when, how many events, the last id
  and hash, signed with the key. A trail cut short or emptied no longer reaches its anchors.

Both live outside the database so that whoever can rewrite the database file cannot also
rewrite what checks it (docs/security.md says who that protects against and who not).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from coordinator_tui.errors import StorageError
from coordinator_tui.folders import make_private_dirs

KEY_VARIABLE = "COORDINATOR_AUDIT_KEY"
ANCHOR_VARIABLE = "COORDINATOR_AUDIT_ANCHOR"
KEY_SUFFIX = ".audit-key"
ANCHOR_SUFFIX = ".audit-anchor"


def _beside(database: Path | None, suffix: str, variable: str) -> Path:
    explicit = os.environ.get(variable, "").strip()
    if explicit:
        return Path(explicit).expanduser()
    if database is None:  # not SQLite: the user's data folder
        from coordinator_tui.config import data_dir

        return data_dir() / f"coordinator{suffix}"
    return database.with_name(database.name + suffix)


def key_path(database: Path | None) -> Path:
    return _beside(database, KEY_SUFFIX, KEY_VARIABLE)


def anchor_path(database: Path | None) -> Path:
    return _beside(database, ANCHOR_SUFFIX, ANCHOR_VARIABLE)


def _mode_like(database: Path | None) -> tuple[int, int | None]:
    """0600, plus group read/write when the database file is shared with a group."""
    try:
        info = database.stat() if database is not None else None
    except OSError:
        info = None
    if info is None:
        return 0o600, None
    return 0o600 | (info.st_mode & 0o060), info.st_gid


def _create(path: Path, database: Path | None, text: str) -> bool:
    """Create `path` holding `text`, whole, unless it exists (False then)."""
    mode, gid = _mode_like(database)
    make_private_dirs(path.parent)
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(temp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if gid is not None and mode & 0o060:
            try:
                os.chown(temp, -1, gid)
            except OSError:
                pass
        os.chmod(temp, mode)
        try:
            os.link(temp, path)  # never replaces a key another process made first
        except FileExistsError:
            return False
        return True
    finally:
        temp.unlink(missing_ok=True)


# --- the key ring ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditKey:
    id: str  # a fingerprint: the first 16 hex digits of the key's SHA-256
    secret: bytes

    def mac(self, text: str) -> str:
        return hmac.new(self.secret, text.encode("utf-8"), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class KeyRing:
    path: Path
    keys: tuple[AuditKey, ...]

    @property
    def current(self) -> AuditKey:
        return self.keys[-1]

    def position(self, key_id: str) -> int | None:
        for index, key in enumerate(self.keys):
            if key.id == key_id:
                return index
        return None


def _key(secret_hex: str) -> AuditKey:
    secret = bytes.fromhex(secret_hex)
    return AuditKey(hashlib.sha256(secret).hexdigest()[:16], secret)


def _check_private(path: Path, info: os.stat_result) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise StorageError(f"the audit key {path} is not a regular file")
    if info.st_mode & 0o007:
        raise StorageError(f"the audit key {path} is readable or writable by others; "
                           f"'chmod o-rwx {path}' (it must not be)")


def read_ring(path: Path) -> KeyRing | None:
    """The keys in the file, or None when there is no key file."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StorageError(f"cannot read the audit key {path} ({exc.strerror})") from None
    with os.fdopen(fd) as handle:
        _check_private(path, os.fstat(handle.fileno()))
        lines = [line.strip() for line in handle if line.strip()]
    try:
        keys = tuple(_key(line) for line in lines)
    except ValueError:
        raise StorageError(f"the audit key {path} is damaged (not hex keys)") from None
    if not keys or any(len(k.secret) < 32 for k in keys):
        raise StorageError(f"the audit key {path} is damaged (no key, or a key too short)")
    return KeyRing(path, keys)


_rings: dict[Path, tuple[tuple[int, ...], KeyRing]] = {}


def ring_for(database: Path | None, *, create: bool) -> KeyRing | None:
    """The key ring for this database, made on first use when `create`; re-read when the file
    changed (another process rotated the key), else served from memory (one stat)."""
    path = key_path(database)
    try:
        info = path.stat()
    except FileNotFoundError:
        if not create:
            return None
        _create(path, database, secrets.token_hex(32) + "\n")
        info = path.stat()
    stamp = (info.st_ino, info.st_size, info.st_mtime_ns, info.st_mode)
    cached = _rings.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    ring = read_ring(path)
    if ring is None:
        raise StorageError(f"the audit key {path} disappeared while in use")
    _rings[path] = (stamp, ring)
    return ring


def add_key(database: Path | None) -> KeyRing:
    """Append a new key (rotation); it signs every event from now on."""
    path = key_path(database)
    if ring_for(database, create=False) is None:
        ring_for(database, create=True)
    append_lines(path, database, secrets.token_hex(32) + "\n")
    ring = ring_for(database, create=False)
    assert ring is not None
    return ring


def adopt_keys(source_database: Path, database: Path) -> None:
    """Move the keys beside `source_database` (an older backup upgraded at a temporary path
    signed its sealing event there) into `database`'s key file, after its own keys."""
    source = key_path(source_database)
    if source == key_path(database):  # one key file named by COORDINATOR_AUDIT_KEY: shared
        return
    merge_keys(source, database)
    source.unlink(missing_ok=True)


def merge_keys(source: Path, database: Path | None) -> None:
    """Add the keys of the key file `source` that `database`'s key file lacks, after its own
    (a clinic copied to another database takes its keys along: `coordinator db copy`)."""
    theirs = read_ring(source) if source.exists() else None
    if theirs is None:
        return
    ours = ring_for(database, create=False)
    known = {k.id for k in ours.keys} if ours is not None else set()
    missing = "".join(k.secret.hex() + "\n" for k in theirs.keys if k.id not in known)
    if ours is None:
        _create(key_path(database), database, missing)
    elif missing:
        append_lines(key_path(database), database, missing)


def append_lines(path: Path, database: Path | None, text: str) -> None:
    """Append to a key or anchor file (made owner-only when missing), flushed to disk."""
    if not path.exists():
        _create(path, database, "")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW)
    with os.fdopen(fd, "a") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


# --- the anchor file ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Anchor:
    at: datetime
    events: int
    last_id: int
    last_hash: str
    key_id: str
    mac: str
    line: int  # where in the file (1-based), for messages

    def text(self) -> str:
        return f"anchor|{self.at.isoformat()}|{self.events}|{self.last_id}|{self.last_hash}"


def anchor_text(at: datetime, events: int, last_id: int, last_hash: str) -> str:
    return f"anchor|{at.isoformat()}|{events}|{last_id}|{last_hash}"


def append_anchor(path: Path, database: Path | None, at: datetime, events: int, last_id: int,
                  last_hash: str, key: AuditKey) -> None:
    line = (f"{at.isoformat()} {events} {last_id} {last_hash} {key.id} "
            f"{key.mac(anchor_text(at, events, last_id, last_hash))}\n")
    append_lines(path, database, line)


def read_anchors(path: Path) -> list[Anchor | int]:
    """The anchors in the file, in order; a line that cannot be read is its line number."""
    found: list[Anchor | int] = []
    with open(path, encoding="utf-8", errors="replace") as handle:
        for number, raw in enumerate(handle, start=1):
            parts = raw.split()
            if not parts:
                continue
            try:
                at, events, last_id, last_hash, key_id, mac = parts
                found.append(Anchor(datetime.fromisoformat(at), int(events), int(last_id),
                                    last_hash, key_id, mac, number))
            except ValueError:
                found.append(number)
    return found
