"""The schedule desk's `p`: print the shown day's sheet (at the location shown), a page per provider."""

from __future__ import annotations

from coordinator_tui.tui.service_call import call_service


def print_day_sheet(screen, day) -> None:
    from coordinator_tui.services.paper import print_day_sheet as print_sheet

    ctx, actor, place = screen.app.ctx, screen.app.actor, getattr(screen.app, "place", None)
    call_service(screen, lambda: print_sheet(ctx, actor, day, place),
                 lambda printed: screen.notify(f"Day sheet {day:%m/%d} printed: {printed.where}",
                                               timeout=8), group="print")
