"""Sign-in first, idle lock and the lock key: the lock screen shows no patient data, unlocks
with the password, and lets another user sign in (the first user's form is discarded)."""

from __future__ import annotations

from sqlalchemy import select
from textual.widgets import Input

from coordinator_tui.services.desk_views import day_appointments
from coordinator_tui.services.staff.accounts import enable_break_glass
from coordinator_tui.services.staff.actors import actor_for
from coordinator_tui.store.models import AuditEvent, Patient
from coordinator_tui.tui.app import CoordinatorApp
from coordinator_tui.tui.screens.checkin.board import CheckinScreen, first_to_come
from coordinator_tui.tui.screens.signin import SignInScreen
from tests.conftest import CLINIC_DAY
from tests.helpers.screen import screen_text, settle

SIZE = (80, 24)


async def type_in(pilot, text):
    await pilot.press(*[{" ": "space"}.get(ch, ch) for ch in text])


def _actions(ctx):
    with ctx.db.read() as session:
        return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def _todays_patient_data(ctx, actor) -> list[str]:
    rows = day_appointments(ctx, actor, CLINIC_DAY)
    with ctx.db.read() as session:
        patients = session.scalars(select(Patient).where(
            Patient.id.in_([r.patient_id for r in rows]))).all()
        out = []
        for p in patients:
            out += [p.family_name, p.given_name]
            for fmt in ("%m/%d/%Y", "%Y-%m-%d", "%d %b %Y"):
                out.append(p.birth_date.strftime(fmt))
            digits = "".join(ch for ch in (p.phone_mobile or p.phone_home or "") if ch.isdigit())
            if digits:
                out.append(digits[-7:-4] + "-" + digits[-4:])
    return [x for x in out if x and len(x) > 2]


def _assert_no_patient_data(ctx, actor, text):
    for item in _todays_patient_data(ctx, actor):
        assert item not in text, "patient data on the lock screen"


async def test_the_app_starts_on_sign_in_and_refuses_a_wrong_password(ctx):
    app = CoordinatorApp(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, SignInScreen)
        await type_in(pilot, "demo")
        await pilot.press("enter")
        await type_in(pilot, "wrong")
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, SignInScreen)
        assert "wrong username or password" in screen_text(app)
        await type_in(pilot, "demo")
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, CheckinScreen)
        assert app.actor.username == "demo" and "Dana Demo" in screen_text(app)
    assert ["login.failed", "login"] == [a for a in _actions(ctx) if a.startswith("login")]


async def test_a_burst_of_keys_username_enter_password_enter_signs_in(ctx):
    """Keys arriving together (a fast typist, or one SSH packet): none may land in the wrong box."""
    from textual import events

    app = CoordinatorApp(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        for key in [*"demo", "enter", *"demo", "enter"]:
            event = events.Key(key, key if len(key) == 1 else None)
            event.set_sender(app)
            app._driver.send_message(event)  # all queued before the app handles the first
        await settle(app, pilot)
        assert isinstance(app.screen, CheckinScreen), screen_text(app)
        assert app.actor.username == "demo"


async def test_idle_lock_hides_patients_and_unlocks_with_the_password(ctx, desk_user, clock):
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        before = screen_text(app)
        rows = day_appointments(ctx, desk_user, CLINIC_DAY)
        assert rows[first_to_come(rows, ctx.now()) or 0].patient_name[:21] in before
        clock.advance(minutes=ctx.settings.idle_lock_minutes - 1)
        app.check_idle_lock()
        await settle(app, pilot)
        assert isinstance(app.screen, CheckinScreen)
        clock.advance(minutes=2)
        app.check_idle_lock()
        await settle(app, pilot)
        assert isinstance(app.screen, SignInScreen)
        _assert_no_patient_data(ctx, desk_user, screen_text(app))
        assert "LOCKED" in screen_text(app)
        await type_in(pilot, "demo")
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, CheckinScreen) and not app.locked
    actions = _actions(ctx)
    assert actions.index("lock") < actions.index("unlock")


async def test_lock_key_discards_a_half_typed_search_and_another_user_signs_in(ctx, desk_user):
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        family = day_appointments(ctx, desk_user, CLINIC_DAY)[3].patient_name.split(",")[0]
        await type_in(pilot, family[:5])
        await pilot.press("f1")  # a modal on top, too
        await settle(app, pilot)
        await pilot.press("f12")
        await settle(app, pilot)
        assert isinstance(app.screen, SignInScreen)
        assert len(app.screen_stack) == 1
        _assert_no_patient_data(ctx, desk_user, screen_text(app))
        # Another user: replace the username, type the password.
        app.screen.query_one("#signin-username", Input).value = ""
        app.screen.query_one("#signin-username", Input).focus()
        await type_in(pilot, "super")
        await pilot.press("enter")
        await type_in(pilot, "demo")
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, CheckinScreen)
        assert app.actor.username == "super"
        assert app.screen.query_one("#checkin-search", Input).value == ""
        assert "Sam Supervisor" in screen_text(app)
        await pilot.press("ctrl+l")
        await settle(app, pilot)
        assert isinstance(app.screen, SignInScreen)


async def test_break_glass_sign_in_from_the_lock_screen(ctx):
    enable_break_glass(ctx, actor_for(ctx, "super"), 30)
    app = CoordinatorApp(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await type_in(pilot, "demo")
        await pilot.press("enter")
        await type_in(pilot, "demo")
        await pilot.press("f9")
        await type_in(pilot, "patient collapsed at desk")
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, CheckinScreen)
        assert app.actor.role.value == "supervisor"
    assert "break_glass" in _actions(ctx)


async def test_emergency_access_shows_in_the_header_and_locks_when_it_ends(ctx, clock):
    enable_break_glass(ctx, actor_for(ctx, "super"), 20, "demo")
    app = CoordinatorApp(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await type_in(pilot, "demo")
        await pilot.press("enter")
        await type_in(pilot, "demo")
        await pilot.press("f9")
        assert "EMERGENCY ACCESS" in screen_text(app)
        await type_in(pilot, "short")
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, SignInScreen)
        assert "reason of at least 10" in screen_text(app)
        await type_in(pilot, "demo")  # the password box was cleared and focused
        app.screen.query_one("#signin-reason", Input).value = "chart needed for ambulance crew"
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, CheckinScreen)
        assert "EMERGENCY until" in screen_text(app)
        clock.advance(minutes=3)
        app.last_activity = ctx.now()
        app.check_idle_lock()
        await settle(app, pilot)
        assert isinstance(app.screen, CheckinScreen)
        clock.advance(minutes=18)
        app.last_activity = ctx.now()
        app.check_idle_lock()
        await settle(app, pilot)
        assert isinstance(app.screen, SignInScreen)
        assert "Emergency access ended" in screen_text(app)
        _assert_no_patient_data(ctx, app.actor, screen_text(app))
        await type_in(pilot, "demo")
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, CheckinScreen)
        assert app.actor.role.value == "front_desk" and app.actor.elevated_until is None
    actions = _actions(ctx)
    assert actions.index("break_glass") < actions.index("break_glass.end") < actions.index("unlock")


async def test_the_palette_offers_no_screenshot_and_only_quit_when_locked(ctx, desk_user, tmp_path, monkeypatch):
    """A screenshot is a file of whatever is on screen, patients included; locked, the palette
    must not be a way around the lock."""
    folder = tmp_path / "cwd"
    folder.mkdir()
    monkeypatch.chdir(folder)
    app = CoordinatorApp(ctx, desk_user)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        titles = {command.title for command in app.get_system_commands(app.screen)}
        assert "Quit" in titles and "Keys" in titles
        assert "Screenshot" not in titles and "Theme" not in titles
        app.action_screenshot()
        await settle(app, pilot)
        assert list(folder.iterdir()) == []
        await pilot.press("f12")
        await settle(app, pilot)
        assert app.locked
        assert {command.title for command in app.get_system_commands(app.screen)} == {"Quit"}


async def test_esc_empties_a_half_typed_password_on_sign_in_and_on_the_lock_screen(ctx, desk_user):
    app = CoordinatorApp(ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await type_in(pilot, "demo")
        await pilot.press("enter")
        await type_in(pilot, "dem")
        await pilot.press("escape")
        await settle(app, pilot)
        password = app.screen.query_one("#signin-password", Input)
        assert password.value == "" and app.focused is password
        await type_in(pilot, "demo")  # the box takes a password again, and it signs in
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, CheckinScreen)
        await pilot.press("f12")
        await settle(app, pilot)
        assert isinstance(app.screen, SignInScreen)
        await type_in(pilot, "dem")
        await pilot.press("f9")  # an emergency reason half typed too
        await type_in(pilot, "patient in")
        await pilot.press("escape")
        await settle(app, pilot)
        password = app.screen.query_one("#signin-password", Input)
        assert password.value == "" and app.focused is password
        assert app.screen.query_one("#signin-reason", Input).value == ""
        assert not app.screen.has_class("break-glass")
