"""The dependency rule: tui -> services -> store, domain. Nothing below the UI imports Textual
or the UI package (harlequin enforces the same with a test)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "coordinator_tui"
LOWER = ["domain", "store", "services", "interop"]


def test_lower_layers_do_not_import_textual_at_runtime():
    code = (
        "import importlib, pkgutil, sys\n"
        "import coordinator_tui\n"
        f"for layer in {LOWER!r}:\n"
        "    pkg = importlib.import_module('coordinator_tui.' + layer)\n"
        "    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        importlib.import_module(m.name)\n"
        "import coordinator_tui.config, coordinator_tui.clock, coordinator_tui.errors\n"
        "print(sorted(n for n in sys.modules if n.split('.')[0] == 'textual' or n.startswith('coordinator_tui.tui')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_no_lower_module_even_mentions_the_ui_or_textual():
    """Also catches imports inside functions, which the runtime check would miss."""
    offenders = []
    for layer in LOWER:
        for path in (PACKAGE / layer).rglob("*.py"):
            for name in _imports(path):
                if name.split(".")[0] == "textual" or name.startswith("coordinator_tui.tui") \
                        or name == "coordinator_tui.cli":
                    offenders.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert offenders == []


def test_domain_is_pure():
    """Domain rules do no I/O: no database, no UI, no services."""
    offenders = []
    for path in (PACKAGE / "domain").rglob("*.py"):
        for name in _imports(path):
            if name.split(".")[0] in {"sqlalchemy", "alembic", "textual", "sqlite3"} \
                    or name.startswith(("coordinator_tui.store", "coordinator_tui.services")):
                offenders.append(f"{path.name} imports {name}")
    assert offenders == []
