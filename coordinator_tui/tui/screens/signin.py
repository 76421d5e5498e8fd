"""Sign in, and the lock screen. Both show the clinic's name and who is signed in, never a
patient: when the screen locks, the desks (and any half-typed form) are thrown away first.

Enter signs in. On the lock screen the username is the locked user's (Enter with the password
unlocks); type another username to sign in as someone else. F9 asks for an emergency-access
reason (break-glass, when a supervisor has enabled it). Esc backs out of a half-typed sign-in:
the password box (and an emergency reason) is emptied, so nothing of a password typed before
someone walked up stays in the box for the next person at the desk.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Input, Label, Static

from coordinator_tui.tui.service_call import call_service, error_in_words
from coordinator_tui.tui.widgets.footer import KeyFooter

# Only ever shown for a database `coordinator demo` made (DEMO_MARK): its accounts are public.
DEMO_LOGINS = "Demo clinic: sign in as demo / demo (front desk), super / demo, admin / demo"


class SignInScreen(Screen):
    BINDINGS = [Binding("f9", "toggle_break_glass", "Emergency access", priority=True),
                Binding("escape", "clear_password", "Clear the password", show=False)]

    def __init__(self, locked_user: str | None = None, *, notice: str = "") -> None:
        super().__init__()
        self.locked_user = locked_user
        self.notice = notice

    def compose(self) -> ComposeResult:
        app = self.app
        title = (f"LOCKED. Signed in: {self.locked_user}" if self.locked_user
                 else "Sign in")
        with Vertical():
            yield Static(f"[b]{app.clinic_name}[/b]", markup=True, id="signin-clinic")
            yield Static(title, id="signin-title", markup=False)
            if getattr(app, "demo", False):
                yield Static(DEMO_LOGINS, id="signin-demo", markup=False)
            yield Label("Username")
            prefill = self.locked_user or getattr(app, "prefill_username", "") or ""
            yield Input(value=prefill, id="signin-username", max_length=64)
            yield Label("Password")
            yield Input(password=True, id="signin-password", max_length=256)
            with Vertical(id="signin-reason-row"):
                yield Label("EMERGENCY ACCESS: reason (10+ characters, audited)")
                yield Input(id="signin-reason", max_length=500)
            yield Static(self.notice, id="signin-message", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        filled = bool(self.query_one("#signin-username", Input).value)
        target = "#signin-password" if filled else "#signin-username"
        self.query_one(target, Input).focus()

    def action_clear_password(self) -> None:
        """Esc: the password (and an emergency reason, whose row closes) emptied; the cursor in
        the password box, or in the username box when that is empty."""
        for box in ("#signin-password", "#signin-reason"):
            self.query_one(box, Input).value = ""
        self.remove_class("break-glass")
        filled = bool(self.query_one("#signin-username", Input).value)
        self.query_one("#signin-password" if filled else "#signin-username", Input).focus()

    def action_toggle_break_glass(self) -> None:
        self.toggle_class("break-glass")
        if self.has_class("break-glass"):
            self.query_one("#signin-reason", Input).focus()

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        username = self.query_one("#signin-username", Input).value
        if event.input.id == "signin-username" and username:
            self.query_one("#signin-password", Input).focus()
            return
        password = self.query_one("#signin-password", Input).value
        reason = (self.query_one("#signin-reason", Input).value
                  if self.has_class("break-glass") else None)
        ctx = self.app.ctx
        self.query_one("#signin-message", Static).update("Checking…")
        action = "unlock" if username == self.locked_user else "login"

        def authenticate():
            # Imported here: the sign-in screen draws before the ORM is loaded (see app.py).
            from coordinator_tui.services.staff import accounts

            return accounts.authenticate(ctx, username, password, break_glass_reason=reason,
                                         action=action)

        def refused(error: BaseException) -> None:
            self.query_one("#signin-message", Static).update(
                error_in_words(error, nothing="you are not signed in"))
            password = self.query_one("#signin-password", Input)
            password.value = ""
            password.focus()

        call_service(self, authenticate, self.app.signed_in, refused=refused, group="signin")
