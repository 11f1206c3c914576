"""`make replay` (run by `make bench`): the signal-quality targets, measured by replay.

Every timeline is played minute by minute through the Lambda handler against the
simulator (see tests/replay.py), with the defaults a deployment has. The table, with a
yes/no column, is written to docs/SIGNAL.md. Minutes are simulated minutes: a replay
of a day takes a few minutes of wall time.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from functions.simulator.server import Simulator  # noqa: E402
from tests import timelines  # noqa: E402
from tests.replay import Replay, replay_env, run  # noqa: E402

Row = tuple[str, str, str, bool]


def _play(sim: Simulator, line: timelines.Timeline) -> Replay:
    with tempfile.TemporaryDirectory() as folder:
        env = replay_env(sim, f"{folder}/replay.sqlite3", CANARY_MODELS=line.models)
        return run(sim, line.worlds, env)


def _warning_within(sim: Simulator, every: int, limit: int) -> Row:
    line = timelines.partial(every=every, length=limit + 15)
    replay = _play(sim, line)
    first = replay.first_sent()
    assert line.starts is not None
    took = None if first is None else first.minute - line.starts
    figure = "none" if took is None else f"{first.severity} after {took} min"  # type: ignore[union-attr]
    held = took is not None and took <= limit and first.severity == "warning"  # type: ignore[union-attr]
    return (f"{100 // every}% of requests failing", f"a warning within {limit} min", figure, held)


# Runs of the random wrong-answer replay (fixed seeds 0..WRONG_RUNS-1).
WRONG_RUNS = 40


def _wrong_within(sim: Simulator, rate: float, limit: int, runs: int = WRONG_RUNS) -> Row:
    """A share `rate` of answers wrong at random: the share of seeded runs that warn
    within `limit` minutes (the same target as that share of 529s)."""
    took = []
    for seed in range(runs):
        line = timelines.wrong_answers(rate, limit + 15, seed)
        first = _play(sim, line).first_sent()
        assert line.starts is not None
        warned = first is not None and first.severity == "warning"
        took.append(first.minute - line.starts if warned else None)  # type: ignore[union-attr]
    within = sorted(t for t in took if t is not None and t <= limit)
    median = f", median {within[len(within) // 2]} min" if within else ""
    figure = f"{len(within)} of {runs} runs warned within {limit} min{median}"
    return (
        f"{rate:.0%} of answers wrong at random ({runs} seeds)",
        f"a warning within {limit} min in 95% of runs",
        figure,
        len(within) >= 0.95 * runs,
    )


def _silent(sim: Simulator, line: timelines.Timeline, case: str) -> Row:
    replay = _play(sim, line)
    return (case, "0 notifications", f"{len(replay.sent)} notifications", not replay.sent)


def _hard(sim: Simulator) -> Row:
    line = timelines.hard_outage(before=3, length=20, posted_after=6)
    replay = _play(sim, line)
    critical = replay.first_sent("critical")
    assert line.starts is not None
    nth = None if critical is None else critical.minute - line.starts + 1
    figure = "never" if nth is None else f"critical on failing cycle {nth}"
    return (
        "hard outage (every request 529)",
        "critical on the 2nd failing cycle",
        figure,
        nth == 2,
    )


def _lead(sim: Simulator, line: timelines.Timeline, truth: int, case: str) -> Row:
    replay = _play(sim, line)
    leads = [value for _, value in replay.lead_times]
    figure = "not measured" if not leads else f"{leads[0]:.0f} min (truth {truth} min)"
    held = bool(leads) and abs(leads[0] - truth) <= 1
    return (f"lead time: {case}", "within 1 min of the truth", figure, held)


def _extra_tokens(sim: Simulator) -> tuple[Row, str]:
    """Requests sent in a healthy day against one per model per cycle."""
    minutes = 1440
    sim.set("healthy")
    _play(sim, timelines.Timeline("healthy day", [timelines.HEALTHY] * minutes))
    sent = sum(sim.requests()["messages"].values())
    extra = sent / minutes - 1
    sim.set("healthy")
    _play(sim, timelines.background(every=1000, minutes=minutes))
    noisy = sum(sim.requests()["messages"].values()) / minutes - 1
    row = (
        "extra canary tokens in a healthy month",
        "at most 5%",
        f"{extra:.1%} ({sent} requests in {minutes} cycles)",
        extra <= 0.05,
    )
    note = f"{noisy:.1%} with 1 request in 1,000 failing (bursts and retries)"
    return row, note


def main() -> int:
    sim = Simulator().start()
    cases: list[Callable[[], Row]] = [
        lambda: _warning_within(sim, 4, 15),
        lambda: _warning_within(sim, 10, 30),
        lambda: _wrong_within(sim, 0.1, 30),
        lambda: _silent(
            sim,
            timelines.Timeline("right answers", [timelines.HEALTHY] * 1440),
            "a day of right answers (answer check every cycle)",
        ),
        lambda: _silent(sim, timelines.background(every=100, minutes=1440), "1% failing for 24 h"),
        lambda: _silent(sim, timelines.blips(minutes=240), "blips: one failing minute in 20"),
        lambda: _silent(sim, timelines.flapping(minutes=60), "flapping: every other minute"),
        lambda: _hard(sim),
        lambda: _lead(sim, timelines.hard_outage(3, 20, 6), 6, "hard outage posted after 6 min"),
        lambda: _lead(
            sim,
            timelines.hard_outage(3, 170, 158),
            158,
            "500s posted after 158 min (2026-02-10)",
        ),
        lambda: _lead(
            sim,
            timelines.model_named_incident(2, 20, 12),
            12,
            "incident naming the model, no component",
        ),
    ]
    try:
        rows = [case() for case in cases]
        tokens, note = _extra_tokens(sim)
        rows.append(tokens)
    finally:
        sim.stop()
    table = _table(rows)
    print(table)
    _write(table, note)
    return 0 if all(held for *_, held in rows) else 1


def _table(rows: list[Row]) -> str:
    lines = ["| case | target | measured | holds |", "| --- | --- | --- | --- |"]
    lines += [f"| {c} | {t} | {m} | {'yes' if h else 'no'} |" for c, t, m, h in rows]
    return "\n".join(lines)


def _write(table: str, note: str) -> None:
    from functions.monitor.decide.errorwindow import __doc__ as window_doc

    path = ROOT / "docs" / "SIGNAL.md"
    path.write_text(
        "# Signal quality\n\n"
        f"Measured by `make replay` (part of `make bench`) on "
        f"{datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}. Each case is a timeline "
        "played minute by minute through the Lambda handler against the simulator, one "
        "scheduled event per simulated minute, with the default settings "
        "(`ERROR_WINDOW_CYCLES=15`, `ERROR_RATE_WARN=0.05`, `CANARY_BURST=3`, "
        "`FAILURE_THRESHOLD=2`, `ANSWER_CHECK_EVERY=1`). Partial outages fail every k-th "
        "request exactly, as the simulator does; wrong answers are drawn at random by the "
        f"simulator, one seeded run per seed 0 to {WRONG_RUNS - 1}.\n\n"
        f"{table}\n\n"
        f"For information: extra canary requests are {note}.\n\n"
        "## How the error-rate window decides\n\n"
        f"{(window_doc or '').strip()}\n"
    )


if __name__ == "__main__":
    sys.exit(main())
