"""Every benchmark stops itself: past its time limit it prints one line and exits 1, whatever it
is doing (a watchdog thread, so a call blocked in SQLite or a screen that never updates cannot
keep it running forever)."""

from __future__ import annotations

import argparse
import os
import sys
import threading


def add_time_limit(parser: argparse.ArgumentParser, default_seconds: int) -> None:
    parser.add_argument("--time-limit", type=int, default=default_seconds, metavar="SECONDS",
                        help=f"stop with an error after this long (default {default_seconds})")


def start_time_limit(seconds: int, name: str) -> None:
    def out_of_time() -> None:
        print(f"{name}: stopped after its {seconds} s time limit", file=sys.stderr, flush=True)
        os._exit(1)

    watchdog = threading.Timer(seconds, out_of_time)
    watchdog.daemon = True
    watchdog.start()
