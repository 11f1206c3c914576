"""Wrong answers checked every few cycles (ANSWER_CHECK_EVERY > 1) still warn: the
worse the answers, never the quieter the monitor (issue 22 x issue 17)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from functions.monitor.config import Config
from functions.monitor.decide.score import samples_for
from functions.monitor.decide.state import MonitorState, Stored
from functions.monitor.decide.verdict import decide
from functions.monitor.models import CanaryResult, CheckResult, StatusPage
from functions.monitor.observe.answer import checks_for
from functions.monitor.plan import plan_cycle

MODEL = "claude-haiku-5-5"
T0 = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
PAGE = StatusPage(True, api_status="operational")


def play(every: int, wrong_from: int, wrong_until: int, minutes: int) -> list[tuple[int, str]]:
    """The real cadence (checks_for on the state's cycle counter), samples and plan;
    between `wrong_from` and `wrong_until` every checked answer is wrong (the stream
    is fine), unchecked requests pass. Returns (minute, subject) of what was sent."""
    config = Config(canary_models=(MODEL,), answer_check_every=every)
    stored, sent = Stored(MonitorState(), 0, {}), []
    for minute in range(minutes):
        samples = samples_for(stored.state, config)[MODEL]
        checked = checks_for(stored.state, config)[MODEL] == "check"
        wrong = checked and wrong_from <= minute < wrong_until
        canary = CanaryResult(
            MODEL,
            "wrong_answer" if wrong else "ok",
            attempts=samples,
            samples=samples,
            requests=samples,
            failed_requests=samples if wrong else 0,
            answers_checked=samples if checked else 0,
            answers_wrong=samples if wrong else 0,
        )
        at = (T0 + timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M:%SZ")
        result = CheckResult(at, decide(PAGE, [canary]), PAGE, [canary])
        plan = plan_cycle(stored, result, config, 1_000_000.0 + 60 * minute)
        if plan.notification is not None:
            sent.append((minute, plan.notification.subject))
        stored = Stored(plan.state, stored.version + 1, {})
    return sent


@pytest.mark.parametrize("every", [2, 3, 5])
def test_given_every_checked_answer_wrong_for_an_hour_then_one_warning_and_one_resolved(every):
    # Given answers checked every `every` cycles, all of them wrong for an hour
    sent = play(every, wrong_from=10, wrong_until=70, minutes=160)
    # Then one warning while it lasts, and one RESOLVED after it ends
    assert [s.split(":")[0] for _, s in sent] == ["WARNING", "RESOLVED"], sent
    (warned, _), (resolved, _) = sent
    assert 10 < warned < 70 and resolved >= 70


def test_given_every_answer_checked_then_all_wrong_is_still_a_critical_and_closes_promptly():
    sent = play(1, wrong_from=10, wrong_until=40, minutes=80)
    assert [s.split(":")[0] for _, s in sent] == ["CRITICAL", "RESOLVED"], sent
    assert sent[1][0] <= 45
