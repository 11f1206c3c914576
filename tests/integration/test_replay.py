"""Outage timelines replayed minute by minute through the Lambda handler.

Each test plays a short form of a real incident shape against the simulator, one
scheduled event per minute on a fixed clock, and asserts the minute of detection, the
lead time over the status page, and how many notifications went out and what they
say. The full forms (a day of background noise, the real lags) are in `make bench`.
"""

from __future__ import annotations

import pytest

from functions.monitor.keep.sqlite import SqliteStore
from tests import timelines
from tests.replay import at, replay_env, run


@pytest.fixture
def play(sim, tmp_path):
    def play(timeline: timelines.Timeline):
        env = replay_env(sim, str(tmp_path / "replay.sqlite3"), CANARY_MODELS=timeline.models)
        return run(sim, timeline.worlds, env)

    return play


def test_given_a_hard_outage_then_critical_on_the_second_failing_minute_with_the_lead(play):
    line = timelines.hard_outage(before=3, length=14, posted_after=6)
    replay = play(line)
    first = replay.sent[0]
    # Minute 3 fails for the first time; minute 4 is the second failing cycle.
    assert (first.minute, first.severity) == (4, "critical")
    assert "unconfirmed_outage" in first.notification.verdict
    # The page posted at minute 9; the canary first failed at minute 3: 6 minutes.
    lead = [value for _, value in replay.lead_times]
    assert lead and abs(lead[0] - 6) <= 1
    confirmed = [s for s in replay.sent if "6 min before the status page" in s.text]
    assert confirmed, [s.notification.subject for s in replay.sent]
    resolved = replay.sent[-1]
    assert resolved.notification.subject.startswith("RESOLVED")
    assert "Lasted" in resolved.text and "lead" not in resolved.notification.sms.lower()
    # Opened, confirmed, resolved: three messages for one outage.
    assert len(replay.sent) == 3, [s.notification.subject for s in replay.sent]


def test_given_a_quarter_of_requests_failing_then_a_warning_within_15_minutes(play):
    line = timelines.partial(every=4, length=25)
    replay = play(line)
    warning = replay.first_sent()
    assert warning is not None and warning.severity == "warning"
    assert warning.minute - line.starts <= 15
    assert "requests failed in the last" in warning.text


def test_given_a_tenth_of_requests_failing_then_a_warning_within_30_minutes(play):
    line = timelines.partial(every=10, length=35)
    replay = play(line)
    warning = replay.first_sent()
    assert warning is not None and warning.severity == "warning"
    assert warning.minute - line.starts <= 30


def test_given_one_percent_background_noise_then_nothing_is_sent(play):
    replay = play(timelines.background(every=100, minutes=240))
    assert replay.sent == []
    assert set(replay.verdicts) <= {"operational"}


@pytest.mark.parametrize("line", [timelines.blips(), timelines.flapping()], ids=["blips", "flap"])
def test_given_blips_or_flapping_then_nothing_is_sent(play, line):
    assert play(line).sent == []


def test_given_an_incident_naming_the_model_without_component_then_it_confirms(play):
    line = timelines.model_named_incident(before=2, length=16, posted_after=12)
    replay = play(line)
    assert replay.verdicts[line.posted] == "outage"
    assert replay.verdicts[line.posted - 1] == "unconfirmed_outage"
    lead = [value for _, value in replay.lead_times]
    assert lead and abs(lead[0] - 12) <= 1
    assert any("Haiku 4.5" in s.text and "12 min" in s.text for s in replay.sent)


def test_given_an_incident_on_claude_ai_only_then_nothing_changes(play):
    replay = play(timelines.claude_ai_only())
    assert replay.sent == []
    assert set(replay.verdicts) == {"operational"}


def test_given_a_confirming_incident_then_the_stored_record_keeps_who_confirmed_and_when(
    sim, tmp_path
):
    line = timelines.model_named_incident(before=2, length=14, posted_after=12)
    db = tmp_path / "record.sqlite3"
    run(sim, line.worlds, replay_env(sim, str(db), CANARY_MODELS=line.models))
    cycles = SqliteStore(str(db)).history("2000-01-01T00:00:00Z").cycles
    confirmed = cycles[line.posted]
    assert confirmed["verdict"] == "outage"
    [who] = confirmed["confirmed_by"]
    assert (who["name"], who["model"]) == (
        "Elevated errors on Claude Haiku 4.5",
        "claude-haiku-4-5",
    )
    # Three times: our first failure, the impact start Anthropic dates back, the post.
    lead = confirmed["lead"]
    assert lead["first_failure"] == at(line.starts)
    assert lead["started_at"] == at(line.starts)
    assert lead["created_at"] == at(line.posted)
    assert abs(lead["minutes"] - 12) <= 1
    canary = confirmed["canaries"][0]
    assert canary["requests"] >= 1 and canary["failed_requests"] == canary["requests"]
    healthy = cycles[0]["canaries"][0]
    assert healthy["stop_reason"] == "end_turn" and healthy["failed_requests"] == 0


def test_given_a_quarter_of_answers_wrong_at_random_then_a_warning_never_critical(play):
    # Given a quarter of the answers wrong at random (well-formed streams; the draws
    # fixed by seed 4), the status page silent
    line = timelines.wrong_answers(0.25, length=20, seed=4)
    replay = play(line)
    # Then wrong answers reach the error-rate window like failed requests: a warning
    # within 15 min, saying requests failed, and nobody paged for a single wrong one
    warning = replay.first_sent()
    assert warning is not None and warning.severity == "warning", replay.verdicts
    assert warning.minute - line.starts <= 15
    assert "requests failed in the last" in warning.text
    assert not [s for s in replay.sent if s.severity == "critical"]


def test_given_two_hours_of_right_answers_then_every_check_passes_and_nothing_is_sent(sim, play):
    # Given a healthy API for two hours, the answer checked every cycle (the default)
    replay = play(timelines.Timeline("right answers", [timelines.HEALTHY] * 120))
    # Then nothing is sent, every verdict is operational, and every request asked
    assert replay.sent == [] and set(replay.verdicts) == {"operational"}
    assert sim.requests()["last"]["body"]["messages"][0]["content"] == "Reply with OK"
    # (two samples a cycle, CANARY_SAMPLES's default, each asking, no burst)
    assert sum(sim.requests()["messages"].values()) == 120 * 2


def test_given_a_steady_random_10_percent_outage_then_one_warning_held_until_it_ends(sim, tmp_path):
    # Given 45 minutes of each request failing with probability 10% (seeded), the page
    # silent, then healthy again
    line = timelines.random_partial(0.10, length=45, before=2, after=22)
    end = line.starts + 45
    env = replay_env(sim, str(tmp_path / "replay.sqlite3"), CANARY_MODELS=line.models)
    replay = run(sim, line.worlds, env, seed=3)
    # Then one warning, within 30 minutes, naming the figures of the last hour
    assert [s.severity for s in replay.sent] == ["warning", "ok"], [
        (s.minute, s.notification.subject) for s in replay.sent
    ]
    warning, resolved = replay.sent
    assert warning.minute - line.starts <= 30
    assert "requests failed in the last" in warning.text and "%)" in warning.text
    # And no operational verdict while it lasts: the warning is held open
    assert "operational" not in replay.verdicts[warning.minute : end]
    # And one RESOLVED within 20 minutes after it ends, with its duration and share
    assert end <= resolved.minute <= end + 20
    assert "Lasted" in resolved.text and "requests failed" in resolved.text
