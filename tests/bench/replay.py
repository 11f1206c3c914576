"""`make replay` (run by `make bench`): the signal-quality targets, measured by replay.

Two paths, both with the defaults a deployment has and fixed seeds:
- through the handler: timelines played minute by minute through the Lambda handler
  against the simulator (tests/replay.py); the deterministic cases, a day of 1%
  background and a subset of the random partial outages;
- the fast path (tests/stochastic.py): the real `samples_for` and `plan_cycle` with
  hand-built canary results, hundreds of seeds per rate; the long background runs
  (hundreds of days) use the statistic alone (`warnings_by_statistic`).
The fast path runs in worker processes while the handler replays run. The tables are
written to docs/SIGNAL.md.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from functions.simulator.server import Simulator  # noqa: E402
from tests import stochastic, timelines  # noqa: E402
from tests.replay import Replay, replay_env, run  # noqa: E402

Row = tuple[str, str, str, bool]
SEEDS = 600  # fast path, per rate
HANDLER_SEEDS = {0.10: 6, 0.25: 6, 0.05: 3}
RATES = (0.05, 0.10, 0.25, 0.50)
STEADY_SEEDS = 100
BACKGROUND_DAYS = {0.01: 300, 0.005: 400}
COST_DAYS = 30  # at a 0.1% background, for the bursts the cost model counts
OUTAGE = (5, 125)  # the steady 10% outage: minutes 5 to 124


# ---------------------------------------------------------------- the fast path


def detection(rate: float, seeds: int = SEEDS, horizon: int = 90) -> list[int | None]:
    """Minutes from the start of a random partial outage to its first warning."""
    out = []
    for seed in range(seeds):
        played = stochastic.play(stochastic.steady(rate), horizon, seed, stop_at_first=True)
        out.append(played.first("warning"))
    return out


def background(rate: float, days: int) -> tuple[int, int, int]:
    """(warnings, requests, bursting cycles) over `days` at a steady `rate`, split in
    one-day runs with their own seeds."""
    totals = [0, 0, 0]
    for day in range(days):
        got = stochastic.warnings_by_statistic(rate, 1440, 100_000 + day)
        totals = [a + b for a, b in zip(totals, got, strict=True)]
    return totals[0], totals[1], totals[2]


def steady_outage(seeds: int = STEADY_SEEDS) -> list[dict[str, Any]]:
    """A constant 10% outage of 2 h, on a 0.5% background, then 45 min after."""
    starts, ends = OUTAGE
    runs = []
    for seed in range(seeds):
        played = stochastic.play(stochastic.outage(0.10, starts, ends, 0.005), ends + 45, seed)
        runs.append(_judge_steady(played.sent, played.verdicts))
    return runs


def _judge_steady(sent: list[tuple[int, str, str]], verdicts: list[str]) -> dict[str, Any]:
    starts, ends = OUTAGE
    warned = next((m for m, sev, _ in sent if sev == "warning" and m >= starts), None)
    during = [(m, sev) for m, sev, _ in sent if starts <= m < ends]
    resolved_during = any(sev == "ok" for _, sev in during)
    operational = warned is not None and "operational" in verdicts[warned:ends]
    after = next((m - ends for m, sev, _ in sent if sev == "ok" and m >= ends), None)
    return {
        "resolved_during": resolved_during or operational,
        "notifications": len(sent),
        "resolved_after": after,
    }


# ---------------------------------------------------------------- through the handler


def _play(sim: Simulator, line: timelines.Timeline, seed: int = 0) -> Replay:
    with tempfile.TemporaryDirectory() as folder:
        env = replay_env(sim, f"{folder}/replay.sqlite3", CANARY_MODELS=line.models)
        return run(sim, line.worlds, env, seed=seed)


def _handler_detection(sim: Simulator, rate: float, limit: int) -> list[int | None]:
    out = []
    for seed in range(HANDLER_SEEDS[rate]):
        line = timelines.random_partial(rate, length=limit + 1, after=0)
        replay = _play(sim, line, seed=7_000 + seed)
        first = replay.first_sent("warning")
        assert line.starts is not None
        out.append(None if first is None else first.minute - line.starts)
    return out


def _handler_steady(sim: Simulator, seed: int) -> dict[str, Any]:
    starts, ends = OUTAGE
    line = timelines.random_partial(0.10, length=ends - starts, before=starts, after=30)
    replay = _play(sim, line, seed=9_000 + seed)
    sent = [(s.minute, s.severity, s.notification.subject) for s in replay.sent]
    return _judge_steady(sent, replay.verdicts)


def _warning_within(sim: Simulator, every: int, limit: int) -> Row:
    line = timelines.partial(every=every, length=limit + 15)
    replay = _play(sim, line)
    first = replay.first_sent()
    assert line.starts is not None
    took = None if first is None else first.minute - line.starts
    figure = "none" if took is None else f"{first.severity} after {took} min"  # type: ignore[union-attr]
    held = took is not None and took <= limit and first.severity == "warning"  # type: ignore[union-attr]
    return (f"every {every}th request failing", f"a warning within {limit} min", figure, held)


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


def _silent(sim: Simulator, line: timelines.Timeline, case: str, seed: int = 0) -> Row:
    replay = _play(sim, line, seed)
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


# ---------------------------------------------------------------- the rows


def _within(firsts: list[int | None], limit: int) -> float:
    return sum(1 for f in firsts if f is not None and f <= limit) / len(firsts)


def _median(firsts: list[int | None]) -> str:
    values = [f if f is not None else 10**6 for f in firsts]
    mid = statistics.median(values)
    return "never" if mid >= 10**6 else f"{mid:g} min"


def _detection_row(rate: float, limit: int, share: float, firsts: list[int | None]) -> Row:
    got = _within(firsts, limit)
    return (
        f"{rate:.0%} of requests failing at random ({len(firsts)} runs, fast path)",
        f"warned within {limit} min in >= {share:.0%} of runs",
        f"{got:.1%} (median {_median(firsts)})",
        got >= share,
    )


def _handler_row(rate: float, limit: int, firsts: list[int | None]) -> Row:
    got = _within(firsts, limit)
    figures = ", ".join("none" if f is None else str(f) for f in firsts)
    return (
        f"{rate:.0%} at random, through the handler ({len(firsts)} runs)",
        f"warned within {limit} min",
        f"{got:.0%} (minutes: {figures})",
        got == 1.0,
    )


def _steady_row(runs: list[dict[str, Any]], where: str) -> Row:
    during = sum(r["resolved_during"] for r in runs)
    most = max(r["notifications"] for r in runs)
    late = [r["resolved_after"] for r in runs]
    worst = None if None in late else max(late)
    held = during == 0 and most <= 3 and worst is not None and worst <= 20
    return (
        f"a steady 10% outage for 2 h ({len(runs)} runs, {where})",
        "no RESOLVED or operational while it lasts, <= 3 notifications, "
        "RESOLVED within 20 min after",
        f"{during} runs resolved while it lasted; at most {most} notifications; "
        f"RESOLVED {'never' if worst is None else f'at most {worst} min'} after",
        held,
    )


def _background_rows(counts: dict[float, tuple[int, int, int]]) -> list[Row]:
    one, half = counts[0.01], counts[0.005]
    days1, days05 = BACKGROUND_DAYS[0.01], BACKGROUND_DAYS[0.005]
    per = f"1 per {days1 / one[0]:.0f} days" if one[0] else "none"
    return [
        (
            f"1% background ({days1} days, statistic)",
            "<= 1 warning per 60 days",
            f"{one[0]} warning{'' if one[0] == 1 else 's'} ({per})",
            one[0] <= days1 / 60,
        ),
        (
            f"0.5% background ({days05} days, statistic)",
            f"0 warnings in {days05} days",
            f"{half[0]} warnings",
            half[0] == 0,
        ),
    ]


def _cost_row(counts: tuple[int, int, int]) -> tuple[list[Row], str]:
    from functions.monitor.cli.cost import DEFAULT_FAILURE_SHARE, estimate

    _, requests, bursts = counts
    cycles = COST_DAYS * 1440
    share = bursts / cycles
    report = estimate(failure_share=share)
    tokens = sum(i["usd"] for i in report["items"] if i["name"].startswith("Canary tokens"))
    note = (
        f"At a 0.1% background ({COST_DAYS} days): {requests / cycles:.3f} requests a "
        f"cycle, {share:.2%} of cycles bursting (the cost model assumes "
        f"{DEFAULT_FAILURE_SHARE:.2%})."
    )
    rows = [
        (
            "canary tokens, default deployment",
            "<= $0.25 a month",
            f"${tokens:.2f} a month",
            tokens <= 0.25 and share <= DEFAULT_FAILURE_SHARE,
        ),
        (
            "core, default deployment",
            "<= $3.00 a month",
            f"${report['total_usd']:.2f} a month",
            report["total_usd"] <= 3.00,
        ),
    ]
    return rows, note


def main() -> int:
    with ProcessPoolExecutor(max_workers=2) as pool:
        jobs: dict[str, Future[Any]] = {
            "background": pool.submit(_backgrounds),
            "detection": pool.submit(_detections),
        }
        handler_rows, handler_firsts, handler_steady = _through_handler()
        fast = {name: job.result() for name, job in jobs.items()}
    firsts, steady = fast["detection"]
    counts = fast["background"]
    rows = [
        _detection_row(0.10, 30, 0.95, firsts[0.10]),
        _detection_row(0.25, 15, 0.99, firsts[0.25]),
        _detection_row(0.05, 60, 0.90, firsts[0.05]),
        *_background_rows(counts),
        _steady_row(steady, "fast path"),
        _steady_row(handler_steady, "through the handler"),
        _handler_row(0.10, 30, handler_firsts[0.10]),
        _handler_row(0.25, 15, handler_firsts[0.25]),
        _handler_row(0.05, 60, handler_firsts[0.05]),
        *handler_rows,
    ]
    cost_rows, cost_note = _cost_row(counts[0.001])
    rows += cost_rows
    table = _table(rows)
    stochastic_table = _stochastic_table(firsts, handler_firsts)
    print(table)
    print(stochastic_table)
    _write(table, stochastic_table, cost_note)
    return 0 if all(held for *_, held in rows) else 1


def _backgrounds() -> dict[float, tuple[int, int, int]]:
    out = {rate: background(rate, days) for rate, days in BACKGROUND_DAYS.items()}
    out[0.001] = background(0.001, COST_DAYS)
    return out


def _detections() -> tuple[dict[float, list[int | None]], list[dict[str, Any]]]:
    return {rate: detection(rate) for rate in RATES}, steady_outage()


def _through_handler() -> tuple[list[Row], dict[float, list[int | None]], list[dict[str, Any]]]:
    sim = Simulator().start()
    cases: list[Callable[[], Row]] = [
        lambda: _silent(
            sim, timelines.random_background(0.01, 1440), "1% at random for 24 h (handler)", 11
        ),
        lambda: _warning_within(sim, 4, 15),
        lambda: _warning_within(sim, 10, 30),
        lambda: _wrong_within(sim, 0.1, 30),
        lambda: _silent(
            sim,
            timelines.Timeline("right answers", [timelines.HEALTHY] * 1440),
            "a day of right answers (answer check every cycle)",
        ),
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
        firsts = {
            0.10: _handler_detection(sim, 0.10, 30),
            0.25: _handler_detection(sim, 0.25, 15),
            0.05: _handler_detection(sim, 0.05, 60),
        }
        steady = [_handler_steady(sim, seed) for seed in range(2)]
    finally:
        sim.stop()
    return rows, firsts, steady


def _table(rows: list[Row]) -> str:
    lines = ["| case | target | measured | holds |", "| --- | --- | --- | --- |"]
    lines += [f"| {c} | {t} | {m} | {'yes' if h else 'no'} |" for c, t, m, h in rows]
    return "\n".join(lines)


def _stochastic_table(
    firsts: dict[float, list[int | None]], handler: dict[float, list[int | None]]
) -> str:
    lines = [
        "| failure rate | warned within 15 min | within 30 min | within 60 min | median "
        "| through the handler |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for rate in RATES:
        got = firsts[rate]
        extra = "-"
        if rate in handler:
            h = handler[rate]
            extra = f"{sum(f is not None for f in h)} of {len(h)} warned, median {_median(h)}"
        lines.append(
            f"| {rate:.0%} | {_within(got, 15):.1%} | {_within(got, 30):.1%} | "
            f"{_within(got, 60):.1%} | {_median(got)} | {extra} |"
        )
    return "\n".join(lines)


def _write(table: str, stochastic_table: str, cost_note: str) -> None:
    from functions.monitor.decide.score import __doc__ as score_doc

    path = ROOT / "docs" / "SIGNAL.md"
    template = (ROOT / "tests" / "bench" / "signal_notes.md").read_text()
    path.write_text(
        template.format(
            when=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            table=table,
            stochastic=stochastic_table,
            seeds=SEEDS,
            cost_note=cost_note,
            score_doc=(score_doc or "").strip(),
        )
    )


if __name__ == "__main__":
    sys.exit(main())
