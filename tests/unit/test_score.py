"""The sequential test (decide/score.py): its arithmetic, its closing rules, its
tolerant loading, and short stochastic replays through the real `plan_cycle`
(tests/stochastic.py; `make replay` runs the full ones, docs/SIGNAL.md)."""

import json
import math

import pytest

from functions.monitor.config import Config
from functions.monitor.decide import score
from functions.monitor.decide.episode import apply_window
from functions.monitor.decide.state import OVERALL, MonitorState, Stored, TargetState
from functions.monitor.decide.verdict import decide
from functions.monitor.models import CanaryResult, CheckResult, StatusPage
from functions.monitor.plan import plan_cycle
from tests import stochastic

MODEL = stochastic.MODEL
CONFIG = Config(canary_models=(MODEL,))
PAGE = StatusPage(True, api_status="operational")
UP, DOWN = score.weights(0.05)


def ok(requests=2, failed=0):
    return CanaryResult(MODEL, "ok", samples=2, requests=requests, failed_requests=failed)


def step(record, canary, window=()):
    return score.step(record, canary, list(window), CONFIG)


def test_weights_are_the_log_likelihood_ratio_of_p1_against_p0():
    # Given ERROR_RATE_WARN = 5%: P1 = 5%, P0 = 1%
    assert score.rates(0.05) == pytest.approx((0.01, 0.05))
    # Then a failed request adds ln 5 and a passed one ln(0.95 / 0.99)
    up, down = score.weights(0.05)
    assert (up, down) == pytest.approx((math.log(5), math.log(0.95 / 0.99)))


def test_given_failures_the_retries_hid_then_the_score_accumulates_across_cycles():
    # Given cycles whose canary passed in the end, each with one failed retry
    record = score.fresh()
    for _ in range(5):
        record = step(record, ok(requests=3, failed=1))
    # Then the evidence adds up, cycle after cycle (an empty minute is not "healthy")
    assert record["score"] == pytest.approx(5 * (UP + 2 * DOWN), abs=1e-3)
    assert record["open"] is False
    record = step(record, ok(requests=3, failed=1))
    assert record["open"] is True and record["score"] >= score.THRESHOLD
    # And the score never goes past its ceiling
    for _ in range(20):
        record = step(record, ok(requests=3, failed=1))
    assert record["score"] == score.CEILING


def test_given_cycles_whose_canary_failed_outright_then_the_score_stays_below_half():
    # Given a hard outage: every request of every sample failed, for an hour
    record = score.fresh()
    for _ in range(60):
        hard = CanaryResult(MODEL, "overloaded", samples=2, requests=6, failed_requests=6)
        record = step(record, hard)
    # Then it never opens a partial-outage warning: the verdict already tells it
    assert record["score"] == score.THRESHOLD / 2 and not record["open"]


def test_given_the_ragged_edges_of_a_hard_outage_then_no_partial_warning_opens():
    # Given a hard outage whose first and last cycles pass on one sample of twelve
    # after 33 failed requests, with failing cycles between them
    edge = CanaryResult(MODEL, "ok", samples=12, requests=34, failed_requests=33)
    hard = CanaryResult(MODEL, "overloaded", samples=12, requests=36, failed_requests=36)
    record = step(score.fresh(), edge)
    # Then one cycle counts for at most CYCLE_MAX failed requests
    assert record["score"] == pytest.approx(score.CYCLE_MAX * UP + DOWN, abs=1e-3)
    for canary in (hard, hard, hard, edge):
        record = step(record, canary)
    # And the outage's edges leave no partial-outage warning behind it
    assert record["open"] is False and record["score"] < score.THRESHOLD


def test_given_an_open_model_then_it_closes_only_on_evidence():
    opened = {**score.fresh(opened=True), "score": score.CEILING}
    # Given a silent cycle (no failure) with a window still holding failures
    window = [[12, 2]] * 10
    still = step(opened, ok(requests=12), window)
    # Then it stays open: an absence of failures is not evidence of health yet
    assert still["open"] is True
    # When the window's upper bound falls below ERROR_RATE_WARN (0 of 120)
    closed = step(opened, ok(requests=12), [[12, 0]] * 10)
    # Then it closes and the test restarts from zero
    assert closed["open"] is False and closed["score"] == 0.0
    # And a score back near zero closes it too, whatever the window says
    near = {**opened, "score": score.NEAR_ZERO - 2 * DOWN}
    assert step(near, ok(requests=2), window)["open"] is False


def test_the_reason_names_the_figures_of_the_last_hour():
    record = score.fresh()
    for minute in range(70):
        record = step(record, ok(requests=2, failed=1 if minute % 9 == 0 else 0))
    figures = score.figures(record)
    assert figures["recent_cycles"] == 60 and figures["recent_requests"] == 120
    text = score.reason(MODEL, figures)
    assert text == (
        f"{MODEL}: {figures['recent_failed']} of 120 requests failed in the last 60 min "
        f"({figures['recent_failed'] / 120:.0%})"
    )


def test_samples_are_the_base_rate_plus_a_burst_while_suspicious():
    config = Config(canary_models=(MODEL, "b", "c", "d"), canary_samples=2, canary_burst=10)
    state = MonitorState(
        scores={
            MODEL: {"v": 1, "score": 1.6, "open": False, "recent": []},
            "b": {"v": 1, "score": 0.2, "open": False, "recent": []},
            "c": {"v": 1, "score": 0.0, "open": True, "recent": []},
            "d": "garbage",
        }
    )
    assert score.samples_for(state, config) == {MODEL: 12, "b": 2, "c": 12, "d": 2}
    assert score.samples_for(MonitorState(), config) == {MODEL: 2, "b": 2, "c": 2, "d": 2}


# ---------------------------------------------------------------- tolerant loading


@pytest.mark.parametrize(
    "stored",
    [
        None,
        "x",
        [],
        {},
        {"score": "high"},
        {"score": float("nan"), "open": "yes"},
        {"score": True, "recent": "x"},
        {"v": 1, "score": 3.0, "open": False, "recent": [[1], ["a", 2], [2, 5], [3, 1]]},
    ],
)
def test_given_a_missing_or_broken_record_then_it_loads_without_raising(stored):
    record = score.load(stored, alert_open=False)
    assert set(record) >= {"v", "score", "open", "recent"}
    assert 0.0 <= record["score"] <= score.CEILING and isinstance(record["open"], bool)
    assert all(0 <= f <= r for r, f in record["recent"])
    step(record, ok())  # and it advances


def test_given_a_newer_version_record_then_what_it_holds_is_kept_and_read():
    newer = {"v": 7, "score": 9.5, "open": True, "recent": [[2, 1]], "drift": [1, 2]}
    record = score.load(newer, alert_open=False)
    assert record["open"] is True and record["score"] == 9.5
    assert record["drift"] == [1, 2]  # written back as it was


def test_given_an_unreadable_record_while_a_warning_is_open_then_it_stays_open():
    # Given the overall alert open on a partial outage and a record nobody can read
    for broken in ({"score": "x"}, {"open": None}, 42):
        record = score.load(broken, alert_open=True)
        # Then the model starts open: the warning closes on evidence, not on lost state
        assert record["open"] is True and record["score"] == score.THRESHOLD


def test_given_a_cold_start_during_an_open_warning_then_no_resolved_without_evidence():
    # Given a state whose overall alert is open (degraded) but whose scores were lost
    # (an older version's state, or a field dropped as unreadable)
    text = json.dumps(
        {
            "targets": {OVERALL: {"reported": "degraded", "alerting": True}},
            "scores": "not an object",
        }
    )
    state, problems = MonitorState.parse(text)
    assert "scores unreadable" in problems and state.scores == {}
    stored = Stored(state, 1, {})
    # When silent cycles follow (a failure here and there, as in the outage)
    sent = []
    for minute in range(4):
        canary = ok(requests=2, failed=int(minute == 1))
        at = f"2026-11-25T16:0{minute}:00Z"
        result = CheckResult(at, decide(PAGE, [canary]), PAGE, [canary])
        plan = plan_cycle(stored, result, CONFIG, 1000.0 + minute)
        sent += [plan.notification] if plan.notification else []
        stored = Stored(plan.state, stored.version + 1, {})
        # Then the model stays open and the verdict degraded: nothing is resolved
        assert result.verdict.verdict == "degraded", result.verdict.summary
    assert sent == []
    assert stored.state.scores[MODEL]["open"] is True


def test_given_a_state_with_scores_then_it_round_trips():
    state = MonitorState(scores={MODEL: {"v": 1, "score": 2.5, "open": False, "recent": [[2, 1]]}})
    assert MonitorState.from_json(state.to_json()).scores == state.scores


def test_apply_window_shows_the_score_on_the_canary():
    state = MonitorState(targets={OVERALL: TargetState("operational")})
    canary = ok(requests=3, failed=1)
    result = CheckResult("2026-11-25T16:00:00Z", decide(PAGE, [canary]), PAGE, [canary])
    apply_window(state, result, CONFIG)
    window = result.canaries[0].window
    assert window["score"] == pytest.approx(UP + 2 * DOWN, abs=1e-3)
    assert (window["open"], window["recent_requests"], window["recent_failed"]) == (False, 3, 1)


# ---------------------------------------------------------------- short replays


def test_given_25_percent_failing_at_random_then_nearly_every_run_warns_within_15_min():
    firsts = [
        stochastic.play(stochastic.steady(0.25), 16, seed, stop_at_first=True).first("warning")
        for seed in range(40)
    ]
    assert sum(f is not None for f in firsts) >= 39, firsts


def test_given_10_percent_failing_at_random_then_most_runs_warn_within_30_min():
    firsts = [
        stochastic.play(stochastic.steady(0.10), 31, seed, stop_at_first=True).first("warning")
        for seed in range(40)
    ]
    assert sum(f is not None for f in firsts) >= 36, firsts


def test_given_a_steady_10_percent_outage_then_one_warning_held_and_one_resolved_after():
    # Given 2 h of 10% failing at random, on a 0.5% background
    for seed in range(5):
        played = stochastic.play(stochastic.outage(0.10, 5, 125, 0.005), 170, seed)
        # Then one warning, no RESOLVED and no operational verdict while it lasts
        assert [sev for _, sev, _ in played.sent] == ["warning", "ok"], played.sent
        warned = played.first("warning")
        assert "operational" not in played.verdicts[warned:125]
        # And one RESOLVED within 20 min after it ends, with its duration and share
        resolved = played.first("ok")
        assert 125 <= resolved <= 145, resolved
        assert "requests failed" in played.texts[-1] and "Lasted" in played.texts[-1]


def test_given_1_percent_failing_for_a_day_then_nothing_is_sent():
    assert [stochastic.play(stochastic.steady(0.01), 1440, seed).sent for seed in (1, 2)] == [
        [],
        [],
    ]
