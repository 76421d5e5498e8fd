"""The machine's own ceiling for work that shares nothing: a pure-Python loop (dicts, strings,
hashing: what a desk's CPU goes on) in one process and in N processes for the same seconds.
The N-process total over one process's is the most N desks could reach over one desk if they
shared no lock, no file and no cache line; bench_desks prints it beside its ratio.

    python benchmarks/scaling_floor.py [--processes 8] [--seconds 5]
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from limits import add_time_limit, start_time_limit  # noqa: E402


def _work(seconds: float, results) -> None:
    end = time.monotonic() + seconds
    rounds = 0
    scratch: dict[str, str] = {}
    while time.monotonic() < end:
        for i in range(200):
            key = f"row-{i}-{rounds}"
            scratch[key] = hashlib.sha256(key.encode()).hexdigest()
            scratch.pop(key)
        rounds += 1
    results.put(rounds)


def _total(processes: int, seconds: float) -> int:
    results = multiprocessing.Queue()
    workers = [multiprocessing.Process(target=_work, args=(seconds, results)) for _ in range(processes)]
    for worker in workers:
        worker.start()
    done = sum(results.get(timeout=seconds + 60) for _ in workers)
    for worker in workers:
        worker.join()
    return done


def ratio(processes: int, seconds: float = 5.0) -> float:
    """N processes' work over one process's, one run of each, back to back."""
    one = _total(1, seconds)
    return _total(processes, seconds) / max(1, one)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0)
    add_time_limit(parser, 300)
    args = parser.parse_args()
    start_time_limit(args.time_limit, "scaling_floor")
    print(f"{args.processes} processes of pure Python do {ratio(args.processes, args.seconds):.2f}x "
          f"one process's work in {args.seconds:.0f} s")


if __name__ == "__main__":
    main()
