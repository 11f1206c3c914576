"""Command line: check, history, simulate, cost.

Every failure ends in one line on stderr and a contract exit status, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence

from .apikey import KeyUnavailable
from .config import ConfigError, load_config

EXIT_CONFIG = 3


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m functions.monitor",
        description="Is the Claude API down, or is it us? One check cycle, its history, "
        "a local simulator and a cost estimate.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="one full check cycle")
    check.add_argument("--json", action="store_true", help="print exactly one JSON object")

    history = sub.add_parser("history", help="what the store holds")
    history.add_argument("--since", default="24h", help="window, e.g. 90m, 24h, 7d")
    history.add_argument("--json", action="store_true")

    simulate = sub.add_parser("simulate", help="local fake status page + Messages API")
    simulate.add_argument("--port", type=int, default=8765)
    simulate.add_argument("--scenario", default="healthy")

    cost = sub.add_parser("cost", help="monthly cost estimate of a deployment")
    cost.add_argument("--json", action="store_true")
    cost.add_argument("--schedule", default="rate(1 minute)")
    cost.add_argument("--models", default="claude-haiku-4-5")
    cost.add_argument("--regions", default="us-east-1")
    cost.add_argument("--alarms", type=int, default=None, help="alarms per region")
    cost.add_argument("--metrics", type=int, default=None, help="custom metrics per region")
    cost.add_argument("--memory-mb", type=int, default=None)
    cost.add_argument("--duration-ms", type=int, default=None, help="average cycle duration")
    cost.add_argument("--no-dashboard", action="store_true")
    cost.add_argument("--input-tokens", type=int, default=None, help="canary input tokens")
    return parser


def _check(args: argparse.Namespace) -> int:
    from .cycle import run_local_check

    config = load_config()
    result = run_local_check(config)
    if args.json:
        print(json.dumps(result.to_dict()))
    else:
        from .render import render_table

        colour = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
        has_key = bool(config.api_key or config.api_key_parameter)
        print(render_table(result, colour=colour, key_present=has_key))
    return result.exit_code


def _simulate(args: argparse.Namespace) -> int:
    from .simulator import SCENARIOS, TIMELINES, serve

    if args.scenario not in SCENARIOS and args.scenario not in TIMELINES:
        names = ", ".join(sorted([*SCENARIOS, *TIMELINES]))
        print(f"error: unknown scenario {args.scenario!r}; choose one of: {names}", file=sys.stderr)
        return 2
    try:
        serve(args.port, args.scenario)
    except OSError as exc:
        print(f"error: cannot serve on port {args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0


def _history(args: argparse.Namespace) -> int:
    from .history import run_history

    return run_history(load_config(), args.since, args.json)


def _cost(args: argparse.Namespace) -> int:
    from .cost import run_cost

    return run_cost(args)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    commands = {"check": _check, "history": _history, "simulate": _simulate, "cost": _cost}
    try:
        return commands[args.command](args)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyUnavailable as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the last line of defence: one line, never a traceback
        from .canary import redact

        text = redact(f"{type(exc).__name__}: {exc}".splitlines()[0], _key())
        print(f"error: {text}", file=sys.stderr)
        return EXIT_CONFIG


def _key() -> str | None:
    return os.environ.get("ANTHROPIC_API_KEY")


if __name__ == "__main__":
    sys.exit(main())
