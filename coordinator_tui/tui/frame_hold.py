"""One frame per keystroke on a search desk: the letter typed and the results it finds are drawn
together.

Textual draws a frame as soon as the search box shows the new letter, then the results ~10 ms
later have to wait for the next frame at 60 frames a second: up to 17 ms more from the key to
its results on screen, and two frames (two writes down an SSH link) a key (issue 23). So while
a search is out, frames wait (Textual's batch update) until its answer is drawn, or at most
LIMIT_SECONDS after the first key of the wait, so a slow answer never hides what is typed: a
typist faster than the screen sees a frame at least every LIMIT_SECONDS, each with the latest
letters.

Frames only: keys, messages and timers go on as usual, and the hold ends with the screen that
took it (it is the app's batch, so it must never outlive its screen).
"""

from __future__ import annotations

LIMIT_SECONDS = 0.04


class FrameHold:
    def __init__(self, app) -> None:
        self._app = app
        self._timer = None

    @property
    def held(self) -> bool:
        return self._timer is not None

    def start(self) -> None:
        """Hold frames from now (already held: the first key's limit stands)."""
        if self._timer is not None:
            return
        self._app._begin_batch()
        # The app's timer, not the screen's: it still fires if the screen goes meanwhile.
        self._timer = self._app.set_timer(LIMIT_SECONDS, self.release, name="frame-hold")

    def release(self) -> None:
        """Draw what there is now (an answer, or the letters typed so far)."""
        timer, self._timer = self._timer, None
        if timer is None:
            return
        timer.stop()
        try:
            screen = self._app.screen
        except Exception:  # the stack is briefly empty while modes swap
            screen = None
        if screen is not None:
            # A widget asks the screen for a repaint only once its own queue is idle: the rows
            # just added would otherwise miss this frame and cost a second one. Asked now.
            for widget in screen.walk_children(with_self=False):
                if widget._repaint_required:
                    widget._check_refresh()
        self._app._end_batch()
        if screen is not None:
            screen.check_idle()  # its idle handler, skipped during the batch, starts the frame
