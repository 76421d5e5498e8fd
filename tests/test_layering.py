"""The dependency rule: tui -> services -> store, domain; cli -> services. Nothing below the UI
imports Textual or the UI package (harlequin enforces the same with a test).

The rules themselves are import-linter contracts in pyproject.toml ([tool.importlinter]), written
against layers, not files; the first test runs them and fails with import-linter's report.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "coordinator_tui"

# The one module of the command line allowed to import the store directly: `coordinator db ...`
# is about the schema itself (upgrade, downgrade, current revision, drift check).
DATABASE_LIFECYCLE_EXCEPTION = "coordinator_tui.commands.db_commands"


def _contracts() -> dict[str, dict]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return {c["id"]: c for c in config["tool"]["importlinter"]["contracts"]}


def test_import_contracts_are_kept():
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    command = [lint] if lint else [sys.executable, "-c",
                                   "import sys; from importlinter.cli import lint_imports_command; "
                                   "sys.exit(lint_imports_command())"]
    result = subprocess.run([*command, "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_the_contracts_cover_every_layer():
    contracts = _contracts()
    assert contracts["screens-not-store"]["source_modules"] == ["coordinator_tui.tui"]
    assert set(contracts["core-without-ui"]["source_modules"]) == {
        f"coordinator_tui.{layer}" for layer in LOWER}
    assert {"textual", "rich", "coordinator_tui.tui"} <= set(
        contracts["core-without-ui"]["forbidden_modules"])
    assert set(contracts["command-line-through-services"]["source_modules"]) == {
        "coordinator_tui.commands", "coordinator_tui.cli"}


def test_only_the_database_lifecycle_commands_reach_the_store():
    """The exception is one named module; adding another needs this test changed, on purpose."""
    ignored = _contracts()["command-line-through-services"].get("ignore_imports", [])
    assert ignored == [f"{DATABASE_LIFECYCLE_EXCEPTION} -> coordinator_tui.store.**"]
    # ... and the exception is still needed: the module does import the store.
    path = PACKAGE / "commands" / "db_commands.py"
    assert any(name.startswith("coordinator_tui.store") for name in _imports(path))
    # Every other command-line module reaches the store through services only.
    offenders = [
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in [PACKAGE / "cli.py", *(PACKAGE / "commands").rglob("*.py")]
        if path.name != "db_commands.py"
        for name in _imports(path) if name.startswith("coordinator_tui.store")
    ]
    assert offenders == []
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
