"""Read the database file once, in the background, so the first searches of the morning are as
quick as the rest.

After a reboot nothing of the database is in the operating system's page cache, and each patient
row a search looks at is a random read from disk: at a million patients a surname search took
p95 11 ms cold against 2 ms warm (bench_lookup --cold). One sequential read of the file (about
1 s for 550 MB here) while the user types their password fills the cache for every desk on the
machine. Nothing is kept in our process: the bytes are read into one small buffer and dropped.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# Never push more than this share of the free memory through the cache: on a small desk PC a
# database bigger than that would only evict other programs' pages and its own, to no gain.
SHARE_OF_FREE_MEMORY = 0.5


def free_memory_bytes() -> int | None:
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


# Run in a child process: closing any descriptor of the database file in *this* process drops
# every POSIX lock SQLite holds on it (sqlite.org/howtocorrupt.html, 2.2). With the desk's
# connection open, the next desk to close its last connection would then think itself alone
# and delete the WAL, and this desk's later commits would go to an unlinked file: lost.
_READ_IN_A_CHILD = """
import sys
total = 0
buffer = bytearray(1 << 20)
try:
    with open(sys.argv[1], "rb", buffering=0) as file:
        while count := file.readinto(buffer):
            total += count
except OSError:
    total = 0
print(total)
"""


def warm_page_cache(path: Path | None) -> int:
    """Read `path` start to end, in a child process; return the bytes read (0 when skipped: no
    file, too big, or an error, which only means the first searches read from disk as they
    would anyway)."""
    if path is None:
        return 0
    try:
        if not path.is_file():
            return 0
        size = path.stat().st_size
        free = free_memory_bytes()
        if free is not None and size > free * SHARE_OF_FREE_MEMORY:
            return 0
        child = subprocess.run([sys.executable, "-I", "-S", "-c", _READ_IN_A_CHILD, str(path)],
                               capture_output=True, text=True, timeout=600, check=False)
        return int(child.stdout.strip() or 0)
    except (OSError, ValueError, subprocess.SubprocessError):
        return 0
