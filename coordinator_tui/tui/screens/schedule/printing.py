"""The schedule desk's `p`: print the shown day's sheet, a page per provider."""

from __future__ import annotations

from coordinator_tui.tui.service_call import call_service


def print_day_sheet(screen, day) -> None:
    from coordinator_tui.services.paper import print_day_sheet as print_sheet

    ctx, actor = screen.app.ctx, screen.app.actor
    call_service(screen, lambda: print_sheet(ctx, actor, day),
                 lambda printed: screen.notify(f"Day sheet {day:%m/%d} printed: {printed.where}",
                                               timeout=8), group="print")
