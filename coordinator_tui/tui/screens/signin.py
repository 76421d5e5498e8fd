"""Sign in, and the lock screen. Both show the clinic's name and who is signed in, never a
patient: when the screen locks, the desks (and any half-typed form) are thrown away first.

Enter signs in. On the lock screen the username is the locked user's (Enter with the password
unlocks); type another username to sign in as someone else. F9 asks for an emergency-access
reason (break-glass, when a supervisor has enabled it).
"""

from __future__ import annotations

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Input, Label, Static
from textual.worker import Worker, WorkerState

from coordinator_tui.errors import UserError
from coordinator_tui.tui.widgets.footer import KeyFooter


class UsernameInput(Input):
    """The username box. Enter hands over to the password box, but focus moves only once the
    keys already queued for this box are handled: a quick typist's "name Enter password Enter"
    (or a burst of keys over SSH) would put the password here. Keys arriving after the hand-over
    go to the password box instead, so none is lost or lands in the wrong field."""

    handed_over = False

    def _on_focus(self, event) -> None:
        self.handed_over = False  # back here on purpose (Shift+Tab, a click)
        super()._on_focus(event)

    async def _on_key(self, event: events.Key) -> None:
        # Seen here in typing order; Enter's binding runs only after the event bubbles up, by
        # when the keys typed behind it have already been handled by this box.
        if not self.handed_over:
            if event.key == "enter" and self.value:
                self.handed_over = True  # the binding submits; the screen moves the focus
            await super()._on_key(event)
            return
        password = self.screen.query_one("#signin-password", Input)
        if event.is_printable and event.character:
            password.insert_text_at_cursor(event.character)
        elif event.key == "backspace":
            password.action_delete_left()
        elif event.key == "enter":
            await password.action_submit()
        else:
            return
        event.stop()
        event.prevent_default()


# Only ever shown for a database `coordinator demo` made (DEMO_MARK): its accounts are public.
DEMO_LOGINS = "Demo clinic: sign in as demo / demo (front desk), super / demo, admin / demo"


class SignInScreen(Screen):
    BINDINGS = [Binding("f9", "toggle_break_glass", "Emergency access", priority=True)]
    DEFAULT_CSS = """
    SignInScreen { align: center middle; }
    SignInScreen > Vertical { width: 60; height: auto; border: round $accent; padding: 1 2; }
    SignInScreen Input { width: 100%; }
    SignInScreen #signin-message { height: 2; color: $error; }
    SignInScreen #signin-reason-row { display: none; height: auto; }
    SignInScreen.break-glass #signin-reason-row { display: block; }
    """

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
            yield UsernameInput(value=prefill, id="signin-username", max_length=64)
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
            from coordinator_tui.services import accounts

            return accounts.authenticate(ctx, username, password, break_glass_reason=reason,
                                         action=action)

        self.run_worker(authenticate, thread=True, exclusive=True, group="signin",
                        exit_on_error=False)

    @on(Worker.StateChanged)
    def _done(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "signin":
            return
        message = self.query_one("#signin-message", Static)
        if event.state == WorkerState.SUCCESS:
            self.app.signed_in(event.worker.result)
        elif event.state == WorkerState.ERROR:
            error = event.worker.error
            message.update(str(error) if isinstance(error, UserError)
                           else f"Sign-in failed ({type(error).__name__})")
            password = self.query_one("#signin-password", Input)
            password.value = ""
            password.focus()
