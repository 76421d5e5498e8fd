"""Finding update paths that do not carry the version the user saw (issue #22, point 3).

- `versioned_updates(engine)`: the versioned tables (patients, appointments, callbacks,
  coverages, referrals) that the SQL run meanwhile UPDATEs.
- `service_functions()`: every public function under coordinator_tui/services with its
  parameters, read from the source (no import side effects).
- `version_parameter(params)`: the parameter that carries the version the user saw, if any.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import event

PACKAGE = Path(__file__).resolve().parents[2] / "coordinator_tui"
VERSIONED_TABLES = frozenset({"patients", "appointments", "callbacks", "coverages", "referrals"})
_UPDATE = re.compile(r"\s*UPDATE\s+\"?(\w+)\"?\s+SET\s", re.I)


@contextmanager
def versioned_updates(engine) -> Iterator[set[str]]:
    seen: set[str] = set()

    def on_execute(_conn, _cursor, statement, _params, _context, _many):
        match = _UPDATE.match(statement)
        if match and match.group(1) in VERSIONED_TABLES:
            seen.add(match.group(1))

    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)


def _params(node: ast.FunctionDef) -> list[str]:
    args = node.args
    return [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]


@lru_cache(maxsize=1)
def service_functions() -> dict[str, list[tuple[str, list[str]]]]:
    """name -> [(module path, parameter names)] for each public module-level service function."""
    found: dict[str, list[tuple[str, list[str]]]] = {}
    for path in sorted((PACKAGE / "services").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                found.setdefault(node.name, []).append(
                    (path.relative_to(PACKAGE).as_posix(), _params(node)))
    return found


def version_parameter(params: list[str]) -> str | None:
    return next((p for p in params if p == "expected_version" or p.endswith("_version")), None)
