"""The PostgreSQL tests need a server (COORDINATOR_TEST_PG). Without one they are skipped on a
developer's machine, but under CI they fail: a CI run must not pass having tried one engine."""

from __future__ import annotations

import pytest

from tests.helpers.pg_clinic import PG_VARIABLE, pg_server_url


def test_without_a_server_skipped_locally_failed_under_ci(monkeypatch):
    monkeypatch.delenv(PG_VARIABLE, raising=False)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        pg_server_url()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=PG_VARIABLE):
        pg_server_url()
    monkeypatch.setenv(PG_VARIABLE, "postgresql+psycopg://role:pass@127.0.0.1:5432/postgres")
    assert pg_server_url().endswith("/postgres")
