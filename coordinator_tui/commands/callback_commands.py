"""coordinator callbacks generate: fill the queue with recalls, next-day confirmation calls and
referrals to chase (for a morning cron job; the Callbacks desk also does it when it opens).
Never duplicates."""

from __future__ import annotations

import argparse

from coordinator_tui.commands.common import acting_user, ready_context


def register(sub, common: argparse.ArgumentParser) -> None:
    callbacks = sub.add_parser("callbacks", parents=[common], help="the callback queue")
    what = callbacks.add_subparsers(dest="callbacks_command", required=True, parser_class=type(callbacks))
    generate = what.add_parser("generate", parents=[common],
                               help="add recalls due and confirmation calls for the next clinic day")
    generate.add_argument("--user", help="staff username recorded as creator (default: $COORDINATOR_USER)")
    generate.set_defaults(handler=cmd_generate)


def cmd_generate(args) -> int:
    from coordinator_tui.services.callbacks.generate import generate_daily

    ctx = ready_context(args)
    made = generate_daily(ctx, acting_user(ctx, args.user, "callbacks generate"))
    print(f"added {made.recalls} recalls and {made.confirmations} confirmation calls")
    if made.referral_chases:
        print(f"added {made.referral_chases} referral chase(s) (coordinator referrals chase lists them)")
    return 0
