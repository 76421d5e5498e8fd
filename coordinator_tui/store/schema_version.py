"""The schema revision this code was written for.

Kept as a constant so start-up can compare it with the database's without importing Alembic
(tests assert it equals Alembic's head).
"""

SCHEMA_HEAD = "0018_view_journal"
