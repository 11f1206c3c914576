"""The command line's arguments: every subcommand, its options and its help."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Iterable
from typing import Any, NoReturn

EXIT_CONFIG = 3
EXIT_USAGE = 64  # EX_USAGE from sysexits.h: never mistaken for a verdict's 0-3
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports it
PROG = "python -m functions.monitor"

CHECK_EPILOG = """\
exit status (as monitoring plugins use it):
  0   operational
  1   degraded, maintenance, rate_limited (warning)
  2   outage, unconfirmed_outage, client_error (critical)
  3   network_error (unknown), or a bad configuration
  64  usage error: an unknown command or option
  130 interrupted (Ctrl-C)

environment variables that matter most (all are listed in docs/REFERENCE.md):
  ANTHROPIC_API_KEY        the key; without it canaries are skipped and the
                           verdict rests on the status page
  CANARY_MODELS            models to probe, comma-separated (claude-haiku-5-5)
  STATUS_PAGE_URL          status page base (https://status.claude.com)
  ANTHROPIC_BASE_URL       Messages API base (https://api.anthropic.com)
  CHECK_DEADLINE_SECONDS   the whole cycle ends within this (25)
  LATENCY_SLOW_MS          a slower successful canary is slow (10000)
  FAILURE_THRESHOLD        bad cycles before an alert opens (2)
  RECOVERY_THRESHOLD       good cycles before it closes (2)
  ERROR_WINDOW_CYCLES      cycles in each model's failure-rate window (15)
  ERROR_RATE_WARN          failure share over the window that warns (0.05)
  CANARY_SAMPLES           requests per model per cycle (2)
  CANARY_BURST             more requests per model per cycle while its
                           failure score is suspicious (10)
  ANSWER_CHECK_EVERY       cycles between answer checks: the canaries ask
                           "Reply with OK" and a wrong text is wrong_answer
                           (1; 0: never). Skipped for claude-opus-5-5 and
                           claude-fable-5-1: their thinking is always on and
                           cannot be bounded, so the JSON says
                           answer_check "skipped: ..."
  LOCAL_DB_PATH            the local history (.monitor/state.sqlite3)
  TABLE_NAME / TOPIC_ARN   use DynamoDB / SNS instead
  NO_COLOR                 non-empty: no colour (also off for TERM=dumb or a
                           pipe)
"""


# "-3d", "-1h", "-5": argparse takes it for an option ("expected one argument").
_NEGATIVE = re.compile(r"^-\d")


def _valued(parser: argparse.ArgumentParser) -> set[str]:
    """The long options that take a value, in this parser and its commands."""
    found: set[str] = set()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            found.update(*(_valued(p) for p in action.choices.values()))
        elif action.nargs != 0:
            found.update(o for o in action.option_strings if o.startswith("--"))
    return found


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error exits 64 (argparse's own 2 means `critical` here)."""

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        """`--since -3d` is read as `--since=-3d`: the command then names the value."""
        joined: list[str] = []
        for arg in list(sys.argv[1:] if args is None else args):
            if joined and _NEGATIVE.match(arg) and joined[-1] in _valued(self):
                joined[-1] = f"{joined[-1]}={arg}"
            else:
                joined.append(arg)
        return super().parse_known_args(joined, namespace)

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        sys.exit(EXIT_USAGE)


def _whole(low: int, high: int | None = None) -> Callable[[str], int]:
    """An argparse type: a whole number in [low, high]; anything else is a usage error
    (exit 64), never a negative cost or a bind() traceback further on."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < low or (high is not None and value > high):
            bound = f"from {low} to {high}" if high is not None else f"at least {low}"
            raise argparse.ArgumentTypeError(f"must be {bound}, got {value}")
        return value

    return parse


def _names(text: str) -> str:
    """An argparse type: a comma-separated list naming at least one entry."""
    if not any(part.strip() for part in text.split(",")):
        raise argparse.ArgumentTypeError(f"must name at least one entry, got {text!r}")
    return text


# An AWS Region's name, as the stack's `regions` context takes it (infra/settings.py).
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")


def _regions(text: str) -> str:
    """An argparse type: a fleet's Regions, each once, as the stack would deploy them."""
    names = [part.strip() for part in _names(text).split(",") if part.strip()]
    for name in names:
        if not _REGION.match(name):
            raise argparse.ArgumentTypeError(
                f"{name[:40]!r} is not an AWS Region such as us-east-1"
            )
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise argparse.ArgumentTypeError(f"names {', '.join(twice)} more than once")
    return ",".join(names)


def build_parser() -> argparse.ArgumentParser:
    from functions.simulator.scenarios import SCENARIOS, TIMELINES

    parser = _Parser(
        prog=PROG,
        description="Is the Claude API down, or is it us? One check cycle, its history, "
        "a report with pictures, a local simulator, a cost estimate, and a mute for "
        "planned work.",
        epilog="Run `COMMAND --help` for each command's options. Exit status 64 means a "
        "usage error.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    check = sub.add_parser(
        "check",
        help="one full check cycle: status page, canaries, verdict, store, notify",
        description="One full check cycle: read the status page, send one canary per "
        "model, decide the verdict, store it and notify on a change.",
        epilog=CHECK_EPILOG,
        formatter_class=_WrappedEpilog,
    )
    check.add_argument(
        "--json", action="store_true", help="print exactly one JSON object; logs go to stderr"
    )

    history = sub.add_parser(
        "history",
        help="what the store holds: transitions, availability, timeline",
        description="Transitions, availability and failure rate per target, and a timeline "
        "with one character per cycle, from the local SQLite store (LOCAL_DB_PATH) or the "
        "DynamoDB table (TABLE_NAME, with your AWS credentials).",
    )
    history.add_argument(
        "--since",
        default="24h",
        metavar="WINDOW",
        help="how far back: a number and s, m, h or d, e.g. 90m, 24h, 7d (default: 24h)",
    )
    history.add_argument("--json", action="store_true", help="print one JSON object")

    report = sub.add_parser(
        "report",
        help="one self-contained HTML file: uptime bars, episodes, latency, monthly table",
        description="Write one HTML file (inline SVG, no network needed to open it) from "
        "the store: uptime bars per target, our episodes beside the status page's "
        "incidents with the lead time, latency per model, monthly availability and the "
        "settings in force. Reads the local SQLite store (LOCAL_DB_PATH) or the DynamoDB "
        "table (TABLE_NAME, with your AWS credentials).",
        epilog="exit status: 0 written, 1 the store could not be read or a file not "
        "written, 3 a bad configuration, 64 a usage error",
    )
    report.add_argument(
        "--since",
        default="30d",
        metavar="WINDOW",
        help="how far back: a number and s, m, h or d, e.g. 90m, 24h, 30d (default: 30d)",
    )
    report.add_argument(
        "--out",
        default="build/report.html",
        metavar="FILE",
        help="the HTML file to write (default: build/report.html)",
    )
    report.add_argument(
        "--csv", metavar="FILE", help="also write the monthly availability rows as CSV"
    )

    simulate = sub.add_parser(
        "simulate",
        help="local fake status page + Messages API for demos and tests",
        description="Serve a fake Statuspage v2 status page and Messages API on loopback. "
        "Point the monitor at it with STATUS_PAGE_URL and ANTHROPIC_BASE_URL "
        "(or: make check-sim). Switch scenario while it runs with "
        'POST /_sim/scenario {"name": ...}.',
        epilog=_scenario_list(SCENARIOS, TIMELINES),
        formatter_class=_WrappedEpilog,
    )
    simulate.add_argument(
        "--port",
        type=_whole(0, 65535),
        default=8765,
        help="loopback port to serve on (default: 8765)",
    )
    simulate.add_argument(
        "--scenario",
        default="healthy",
        metavar="NAME",
        help="scenario or timeline to start with (default: healthy; listed below)",
    )
    simulate.add_argument(
        "--step-seconds",
        type=_seconds,
        default=60.0,
        metavar="SECONDS",
        help="how long each step of a timeline lasts (default: 60)",
    )
    simulate.add_argument(
        "--bedrock-port",
        type=_whole(0, 65535),
        default=0,
        help="loopback port of the Bedrock Converse fake started beside it (default: any free)",
    )
    simulate.add_argument(
        "--bedrock-scenario",
        default="ok",
        metavar="NAME",
        help="Bedrock scenario to start with (default: ok; POST /_sim/scenario on its port "
        "switches it)",
    )

    mute = sub.add_parser(
        "mute",
        help="mute notifications during your own planned work (a key rotation, say)",
        description="Mute every notification, critical included, during your own planned "
        "work on the integration; what happens meanwhile is told in one digest when the "
        "mute ends. Written to the alert state in the store (LOCAL_DB_PATH, or the "
        "DynamoDB table with TABLE_NAME); shown by check and history.",
        epilog='examples:\n  python -m functions.monitor mute --for 2h --reason "key rotation"\n'
        "  python -m functions.monitor mute --off\n  make mute ARGS='--for 30m --reason \"gateway"
        " move\"'\n\nexit status: 0 done, 1 the store could not be written, 3 a bad "
        "configuration, 64 a usage error",
        formatter_class=_WrappedEpilog,
        usage=f"{PROG} mute --for DURATION --reason WHY [--json]\n"
        f"       {PROG} mute --off [--json]",
    )
    span = mute.add_mutually_exclusive_group(required=True)
    span.add_argument(
        "--for",
        dest="duration",
        metavar="DURATION",
        help="how long: 2h, 30m, 1h30m, 1d (at most 7d)",
    )
    span.add_argument("--off", action="store_true", help="end the active mute now")
    mute.add_argument(
        "--reason",
        default="",
        metavar="WHY",
        help="why: required with --for (shown in check and history)",
    )
    mute.add_argument("--json", action="store_true", help="print one JSON object")

    cost = sub.add_parser(
        "cost",
        help="itemised monthly cost estimate of a deployment",
        description="An itemised monthly bill of a deployment at list prices (dated, with "
        "their sources, in functions/monitor/cli/prices.json), with the always-free tier, next "
        "to a CloudWatch Synthetics canary at the same cadence.",
    )
    cost.add_argument("--json", action="store_true", help="print one JSON object")
    cost.add_argument(
        "--schedule",
        default="rate(1 minute)",
        help="the EventBridge schedule, e.g. 'rate(5 minutes)' (default: rate(1 minute))",
    )
    cost.add_argument(
        "--models",
        type=_names,
        default="claude-haiku-5-5",
        help="comma-separated models, one canary each (default: claude-haiku-5-5)",
    )
    cost.add_argument(
        "--regions",
        type=_regions,
        default="us-east-1",
        help="comma-separated regions, one stack each",
    )
    cost.add_argument(
        "--alarms", type=_whole(0), default=None, help="alarms per region (default: as the stack)"
    )
    cost.add_argument(
        "--metrics",
        type=_whole(0),
        default=None,
        help="always-published custom metrics per region (default: as the function)",
    )
    cost.add_argument(
        "--memory-mb",
        type=_whole(128, 10240),
        default=None,
        help="the function's memory (default: 256)",
    )
    cost.add_argument(
        "--duration-ms",
        type=_whole(1),
        default=None,
        help="average cycle duration in ms (default: 1000)",
    )
    cost.add_argument(
        "--dashboard",
        action="store_true",
        help="include the CloudWatch dashboard, as -c dashboard=true deploys it",
    )
    cost.add_argument(
        "--no-dashboard", action="store_false", dest="dashboard", help="leave it out (default)"
    )
    cost.add_argument(
        "--topic-key",
        action="store_true",
        help="include the alert topic's KMS key, as -c topicKey=true deploys it",
    )
    cost.add_argument(
        "--webhooks",
        type=int,
        default=0,
        metavar="N",
        help="webhook URLs, as -c webhooks=... subscribes them (default: 0)",
    )
    cost.add_argument(
        "--chat-channels",
        type=int,
        default=0,
        metavar="N",
        help="Slack and Teams channels on the alert topic (default: 0)",
    )
    cost.add_argument(
        "--input-tokens",
        type=_whole(1),
        default=None,
        help="canary input tokens before the tokenizer factor (default: 8)",
    )
    cost.add_argument(
        "--bedrock-models",
        default=None,
        metavar="MODEL=ID,...",
        help="price the Bedrock failover probe, as -c bedrockModels=... deploys it",
    )
    cost.add_argument(
        "--failure-share",
        type=float,
        default=0.01,
        help="share of cycles in which a model's failure score is suspicious, so it "
        "sends --burst more requests (default: 0.01; 0.5%% measured at a 0.1%% background)",
    )
    cost.add_argument(
        "--burst",
        type=_whole(1, 10),
        default=10,
        help="more requests per model per cycle while bursting, as CANARY_BURST (default: 10)",
    )
    cost.add_argument(
        "--samples",
        type=_whole(1, 10),
        default=2,
        help="requests per model per cycle, as CANARY_SAMPLES (default: 2)",
    )
    cost.add_argument(
        "--answer-check-every",
        type=_whole(0),
        default=1,
        metavar="N",
        help="cycles between answer checks, as ANSWER_CHECK_EVERY; 0: never (default: 1)",
    )

    # issue 19a: `notify --test` (make test-alert).
    notify = sub.add_parser(
        "notify",
        help="send one test notification through every configured destination",
        description="Publish one notification marked TEST through every destination "
        "configured: the alert topic (TOPIC_ARN: email, SMS, chat) and the webhook topic "
        "(WEBHOOK_TOPIC_ARN), where a resolve follows at once. Never stored, never counted "
        "as an alert. Without TOPIC_ARN it is printed here.",
        epilog="exit status: 0 every destination took it, 1 one did not, 3 a bad "
        "configuration, 64 a usage error",
    )
    notify.add_argument(
        "--test", action="store_true", required=True, help="send the test notification"
    )
    notify.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def _seconds(text: str) -> float:
    """An argparse type: a number of seconds, more than 0 and at most a day."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not 0 < value <= 86_400:
        raise argparse.ArgumentTypeError(f"must be more than 0 and at most 86400, got {text}")
    return value


def _scenario_list(scenarios: Iterable[str], timelines: Iterable[str]) -> str:
    """Every scenario and timeline with its one-line description, one per line."""
    from functions.simulator.scenarios import DESCRIPTIONS

    def rows(names: Iterable[str]) -> list[str]:
        return [f"  {name:<29}{DESCRIPTIONS[name]}" for name in sorted(names)]

    return "\n".join(
        [
            "scenarios:",
            *rows(scenarios),
            "",
            "timelines (a scenario per step, one step every --step-seconds):",
            *rows(timelines),
        ]
    )


class _WrappedEpilog(argparse.RawDescriptionHelpFormatter):
    """Keep the epilog's paragraphs, but wrap each to the terminal's width."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        """Each line wrapped on its own; an indented `name  description` row hangs its
        continuation under the description."""
        import re
        import textwrap

        def fill(line: str) -> str:
            row = re.match(r"\s+\S+\s{2,}", line)
            return textwrap.fill(
                line,
                width,
                initial_indent=indent,
                subsequent_indent=indent + " " * (row.end() if row else 0),
                break_on_hyphens=False,
            )

        return "\n".join(fill(line) if line else "" for line in text.splitlines())
