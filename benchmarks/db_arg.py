"""The benchmarks' --db: a SQLite file's path, or the URL the app's own commands take
(sqlite:///PATH, postgresql+psycopg://...). A sqlite URL used to be taken as a relative path, so a
run seeded a new clinic under ./sqlite:/ instead of timing the one named."""

from __future__ import annotations

import argparse

SQLITE_URL = "sqlite:///"


def clinic_db(value: str, *, postgresql: bool = False) -> str:
    """`value` as the benchmark reads it: a PostgreSQL URL as given (where the benchmark takes
    one), a sqlite URL as its file's path, any other URL refused with one clear line."""
    if value.startswith("postgresql"):
        if postgresql:
            return value
        raise argparse.ArgumentTypeError("this benchmark times a SQLite file: give its path")
    if value.startswith(SQLITE_URL):
        return value[len(SQLITE_URL):] or "."
    if "://" in value or value.startswith("sqlite:"):
        raise argparse.ArgumentTypeError(f"not a SQLite file or a sqlite:/// URL: {value}")
    return value


def sqlite_or_postgresql(value: str) -> str:
    return clinic_db(value, postgresql=True)
