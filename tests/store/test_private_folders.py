"""Folders made for patient data are 0700 whatever the umask (issue #22, point 5): under
`umask 000` the data folders used to be created 0777 (only the last one got 0700)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

from coordinator_tui.clock import CLOCK_VARIABLE
from coordinator_tui.folders import make_private_dirs
from tests.conftest import CLINIC_NOW, REPO


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_database_made_under_umask_000_has_owner_only_folders(tmp_path):
    home = tmp_path / "home"
    db = home / "data" / "coordinator" / "clinic" / "clinic.sqlite"
    env = {**os.environ, CLOCK_VARIABLE: CLINIC_NOW.isoformat(), "HOME": str(home),
           "XDG_DATA_HOME": str(home / "data")}
    result = subprocess.run(["sh", "-c", 'umask 000 && exec "$0" -m coordinator_tui db upgrade --db "$1"',
                             sys.executable, str(db)], capture_output=True, text=True, env=env, cwd=REPO,
                            timeout=180)
    assert result.returncode == 0, result.stderr
    for folder in (home, home / "data", home / "data" / "coordinator", db.parent):
        assert _mode(folder) == 0o700, folder
    assert _mode(db) == 0o600


def test_folders_made_are_0700_under_any_umask_and_existing_ones_keep_theirs(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o750)
    for umask in (0o000, 0o022, 0o277):
        old = os.umask(umask)
        try:
            made = make_private_dirs(shared / f"u{umask:o}" / "a" / "b")
        finally:
            os.umask(old)
        assert [p.name for p in made] == [f"u{umask:o}", "a", "b"]
        assert all(_mode(p) == 0o700 for p in made)
    assert _mode(shared) == 0o750
    assert make_private_dirs(shared) == []


def test_printouts_exports_and_audit_files_make_owner_only_folders_under_umask_000(tmp_path):
    """The printouts folder (letters, statements), a FHIR export's folder and the audit key's
    folder (a PostgreSQL clinic's is made in the data folder) hold patient data or its keys."""
    from types import SimpleNamespace

    from coordinator_tui.interop.fhir.ndjson import NdjsonWriter
    from coordinator_tui.services.printing import printouts_folder
    from coordinator_tui.store import audit_files

    old = os.umask(0o000)
    try:
        printouts_folder(SimpleNamespace(settings=SimpleNamespace(print_dir=str(tmp_path / "p" / "q"))))
        NdjsonWriter(tmp_path / "e" / "f").discard()
        database = tmp_path / "data" / "postgresql" / "db-host-5432-clinic"
        audit_files.ring_for(database, create=True)
    finally:
        os.umask(old)
    for folder in ("p", "p/q", "e", "e/f", "data", "data/postgresql"):
        assert _mode(tmp_path / folder) == 0o700, folder


def test_no_module_makes_a_folder_tree_but_through_make_private_dirs():
    """mkdir(parents=True) gives the parents it makes 0777 minus the umask."""
    import re
    from pathlib import Path

    import coordinator_tui

    package = Path(coordinator_tui.__file__).parent
    offenders = [f"{path.relative_to(package)}:{number}"
                 for path in sorted(package.rglob("*.py")) if path.name != "folders.py"
                 for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if re.search(r"mkdir\([^)]*parents\s*=\s*True", line)]
    assert offenders == []
