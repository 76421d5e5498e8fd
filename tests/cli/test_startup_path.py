"""Opening the app: the sign-in screen must not wait for the ORM (see store/startup_probe.py),
and the checks made without it must say what the ORM-backed services say."""

from __future__ import annotations

import subprocess
import sys

import pytest

from coordinator_tui.commands.app_commands import prepare_app
from coordinator_tui.config import load_settings
from coordinator_tui.services.clinic import clinic_name
from coordinator_tui.services.staff.accounts import disable_user
from coordinator_tui.services.staff.actors import actor_for
from tests.helpers.engines import url_for as url_for_path

FRESH_PROCESS = """
import sys
from coordinator_tui.commands.app_commands import prepare_app
from coordinator_tui.config import load_settings
app = prepare_app(load_settings(db_url=sys.argv[1]), "demo")
print(sorted(m for m in sys.modules if m in ("sqlalchemy.orm", "coordinator_tui.store.models")))
print(app.clinic_name)
"""


@pytest.mark.sqlite_only("the start-up probe reads the SQLite file before the ORM loads; "
                        "PostgreSQL starts through the services")
def test_the_app_is_built_for_its_sign_in_screen_without_loading_the_orm(ctx, seeded_path):
    out = subprocess.run([sys.executable, "-c", FRESH_PROCESS, url_for_path(seeded_path)],
                         capture_output=True, text=True, timeout=120, check=True).stdout.splitlines()
    assert out[0] == "[]"
    assert out[1] == clinic_name(ctx)  # the stored name, read without the ORM


def test_a_disabled_or_unknown_user_opens_the_sign_in_screen_like_any_other(ctx, seeded_path):
    # Refusing them before the sign-in screen would tell anyone with a shell which names are
    # accounts (issue 22): the screen answers all three alike.
    settings = load_settings(db_url=url_for_path(seeded_path))
    disable_user(ctx, actor_for(ctx, "admin"), "demo")
    for username in ("demo", "nobody", "super"):
        app = prepare_app(settings, username)
        assert app.prefill_username == username


PRELOAD = """
import gc
from coordinator_tui.tui.app import preload_desks
preload_desks(freeze=True)
import coordinator_tui.store.models as models
table = models.Patient.__table__
print(gc.get_freeze_count(), any(o is table for o in gc.get_objects()))
"""


def test_the_desks_loaded_during_sign_in_are_kept_out_of_later_garbage_collections():
    # A full collection walking every module and mapper stalls a keystroke (see preload_desks);
    # frozen objects are in none of the generations a collection walks.
    out = subprocess.run([sys.executable, "-c", PRELOAD], capture_output=True, text=True,
                         timeout=120, check=True).stdout.split()
    assert int(out[0]) > 50_000
    assert out[1] == "False"


async def test_a_headless_app_never_freezes_the_test_process(ctx):
    # Tests run hundreds of apps in one process: freezing would keep every earlier app's garbage.
    import gc

    from coordinator_tui.tui.app import CoordinatorApp

    before = gc.get_freeze_count()
    app = CoordinatorApp(ctx, None)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
    assert gc.get_freeze_count() == before
