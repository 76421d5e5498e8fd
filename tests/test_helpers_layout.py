"""Shared test code lives in tests/helpers/: no test module imports from another test module
(doing so runs the other module's import-time set-up and ties two files' tests together)."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def test_tests_import_only_helpers_and_conftest():
    offenders = []
    for path in sorted(TESTS.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            for name in names:
                parts = name.split(".")
                if parts[0] != "tests" or len(parts) == 1:
                    continue
                if parts[1] in {"helpers", "conftest"}:
                    continue
                if (TESTS.joinpath(*parts[1:]).with_suffix(".py")).exists() or \
                        TESTS.joinpath(*parts[1:]).is_dir():
                    offenders.append(f"{path.relative_to(TESTS)} imports {name}")
    assert offenders == []
