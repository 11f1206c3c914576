"""Command line: check, history, report, simulate, cost, mute, notify.

Every failure ends in one line on stderr and an exit status, never a traceback:
0-3 for a check's verdict (and 3 for a bad configuration), 64 for a usage error
(an unknown command or option, or a bad option value), 130 for Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

from ..config import Config, ConfigError, load_config
from ..keep.apikey import KeyUnavailable
from ..models import CheckResult
from .parser import EXIT_BROKEN_PIPE, EXIT_CONFIG, EXIT_INTERRUPTED, EXIT_USAGE, build_parser

# What the tool needs at run time; missing, it is being run outside the project's venv.
RUNTIME_MODULES = {"httpx", "boto3", "botocore", "aws_lambda_powertools", "anyio", "h11"}
RUN_HINT = (
    "run it through make (make check, make history, make simulate, make cost) "
    "or with the project's venv: .venv/bin/python -m functions.monitor"
)


def colour_wanted(stream: object = None) -> bool:
    """Colour only for a terminal, never with NO_COLOR set to a non-empty value (as
    no-color.org defines it) or TERM=dumb."""
    stream = stream or sys.stdout
    isatty = getattr(stream, "isatty", None)
    return bool(
        isatty
        and isatty()
        and not os.environ.get("NO_COLOR")
        and os.environ.get("TERM", "") != "dumb"
    )


def terminal_width() -> int:
    import shutil

    return max(40, shutil.get_terminal_size((80, 24)).columns)


def _check(args: argparse.Namespace) -> int:
    from ..wiring import run_local_check

    config = load_config()
    unstored = _store_problem(config)
    result = run_local_check(config)
    result.open_alert = _open_alert(config, result)
    _local_step(config, result)
    if args.json:
        print(json.dumps(result.to_dict()))
    else:
        from .render import render_table

        has_key = bool(config.api_key or config.api_key_parameter)
        print(
            render_table(
                result, colour=colour_wanted(), key_present=has_key, width=terminal_width()
            )
        )
    if unstored:
        # The verdict's exit status stands (monitoring tools act on it); history did not.
        print(f"history was not stored: {unstored}", file=sys.stderr)
    return result.exit_code


def _open_alert(config: Config, result: CheckResult) -> dict[str, Any] | None:
    """The alert the store still holds open after this cycle, read back from the store
    (so it is what the next cycle will see), or None; a store that cannot be read
    leaves it out, with the cycle's own warning already said."""
    from ..decide.hold import alert_hold
    from ..keep.store import StoreError
    from ..models import SKIPPED
    from ..wiring import build_store

    try:
        state = build_store(config).load().state
    except StoreError:
        return None
    ran = any(c.outcome != SKIPPED for c in result.canaries)
    hold = alert_hold(state, config.recovery_threshold, result.verdict.verdict, ran)
    return hold.to_dict() if hold else None


def _local_step(config: Config, result: CheckResult) -> None:
    """A base URL on this machine that refuses: say the local server is not running."""
    from ..decide.loopback import loopback_step

    step = loopback_step(result, config.status_page_url, config.anthropic_base_url)
    if step:
        result.verdict.next_step = step


def _store_problem(config: Config) -> str | None:
    """Why the local SQLite store cannot be written, or None. (DynamoDB faults are the
    cycle's to report: they are retried by a later cycle.)"""
    if config.table_name:
        return None
    path = config.local_db_path
    folder = os.path.dirname(path) or "."
    try:
        os.makedirs(folder, exist_ok=True)
        with open(path, "ab"):
            pass
    except OSError as exc:
        return (
            f"cannot write LOCAL_DB_PATH {path!r} ({exc.strerror or exc}); "
            "set LOCAL_DB_PATH to a writable file"
        )
    return None


def _simulate(args: argparse.Namespace) -> int:
    from functions.simulator.bedrock import SCENARIOS as BEDROCK_SCENARIOS
    from functions.simulator.scenarios import SCENARIOS, TIMELINES

    if args.scenario not in SCENARIOS and args.scenario not in TIMELINES:
        names = ", ".join(sorted([*SCENARIOS, *TIMELINES]))
        print(f"error: unknown scenario {args.scenario!r}; choose one of: {names}", file=sys.stderr)
        return EXIT_USAGE
    if args.bedrock_scenario not in BEDROCK_SCENARIOS:
        names = ", ".join(sorted(BEDROCK_SCENARIOS))
        print(
            f"error: unknown Bedrock scenario {args.bedrock_scenario!r}; choose one of: {names}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        _serve_both(args)
    except OSError as exc:
        print(
            f"error: cannot serve on port {args.port} (Bedrock: {args.bedrock_port or 'any'}): "
            f"{exc.strerror or exc}; pick another with --port N (make simulate DEMO_PORT=N)",
            file=sys.stderr,
        )
        return 1
    return 0


def _serve_both(args: argparse.Namespace) -> None:
    """The Bedrock Converse fake on its own port, then the Anthropic fake (blocking)."""
    from functions.simulator.banner import env_lines
    from functions.simulator.bedrock import BedrockSimulator
    from functions.simulator.server import serve

    with BedrockSimulator(port=args.bedrock_port) as bedrock:
        bedrock.set(args.bedrock_scenario)
        print(
            f"Bedrock Converse fake on {bedrock.url} (scenario {args.bedrock_scenario}).\n"
            "For the failover probe, add:\n"
            + "\n".join(
                env_lines(
                    [
                        f"AWS_ENDPOINT_URL_BEDROCK_RUNTIME={bedrock.url}",
                        "AWS_REGION=us-east-1",
                        "AWS_ACCESS_KEY_ID=sim",
                        "AWS_SECRET_ACCESS_KEY=sim",
                        "CANARY_MODELS=claude-haiku-4-5",
                        "BEDROCK_MODELS=claude-haiku-4-5=us.anthropic.claude-haiku-4-5-20251001-v1:0",
                    ]
                )
            ),
            flush=True,
        )
        serve(args.port, args.scenario, args.step_seconds)


def _history(args: argparse.Namespace) -> int:
    from .history import run_history

    return run_history(load_config(), args.since, args.json, width=terminal_width())


def _report(args: argparse.Namespace) -> int:
    from .report import run_report

    return run_report(load_config(), args.since, args.out, args.csv)


def _mute(args: argparse.Namespace) -> int:
    from .mute import run_mute

    return run_mute(load_config(), args.duration, args.reason, args.off, as_json=args.json)


def _notify(args: argparse.Namespace) -> int:
    from .notify_test import run_notify_test

    return run_notify_test(load_config(), as_json=args.json)


def _cost(args: argparse.Namespace) -> int:
    from .cost_table import run_cost

    return run_cost(args)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except ModuleNotFoundError as exc:
        return _not_installed(exc)
    commands = {
        "check": _check,
        "history": _history,
        "simulate": _simulate,
        "cost": _cost,
        "mute": _mute,
        "notify": _notify,
        "report": _report,
    }
    try:
        return commands[args.command](args)
    except (ConfigError, KeyUnavailable) as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `... | head`: the reader left; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except ModuleNotFoundError as exc:
        return _not_installed(exc)
    except Exception as exc:  # the last line of defence: one line, never a traceback
        from ..observe.canary import redact

        text = redact(f"{type(exc).__name__}: {exc}".splitlines()[0], _key())
        print(f"error: {text}", file=sys.stderr)
        return EXIT_CONFIG


def _not_installed(exc: ModuleNotFoundError) -> int:
    name = (exc.name or "").split(".")[0]
    if name not in RUNTIME_MODULES:
        raise exc
    print(f"error: {name} is not installed for {sys.executable}; {RUN_HINT}", file=sys.stderr)
    return EXIT_CONFIG


def _key() -> str | None:
    return os.environ.get("ANTHROPIC_API_KEY")


if __name__ == "__main__":
    sys.exit(main())
