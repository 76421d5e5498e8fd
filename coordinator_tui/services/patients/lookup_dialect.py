"""The lookup's one switch point between the engines (issue 20).

The lookup's candidate statements (services/patients/lookup_sql.py) are SQLite's: qmark SQL on
the DBAPI connection, typos found through the FTS5 trigram vocabulary (migration 0002).
PostgreSQL gets its own candidates from pg_trgm and fuzzystrmatch with the same ranking (issue 20
item 3, a separate branch): until they land, a lookup on PostgreSQL says so instead of failing
on SQL it cannot run.
"""

from __future__ import annotations

from sqlalchemy import Connection

from coordinator_tui.errors import UserError

NOT_YET = ("patient lookup is not available on PostgreSQL in this version (its pg_trgm search "
           "comes with issue 20); run the lookup on an SQLite clinic")


def candidate_connection(conn: Connection):
    """The DBAPI connection the lookup's candidate statements run on."""
    if conn.dialect.name == "sqlite":
        return conn.connection.driver_connection  # the sqlite3 connection
    raise UserError(NOT_YET)
