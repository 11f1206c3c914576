"""Quiet hours and mutes, driven by a fixed clock: no sleeps, no wall time."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime, timedelta

import pytest

from functions.monitor.decide.quiet import (
    HeldDigest,
    Mute,
    active_mute,
    decide_delivery,
    digest_severity,
    parse_duration,
    release_digest,
)
from functions.monitor.values import QuietHours, parse_quiet


def at(hh: int, mm: int = 0, day: int = 26) -> datetime:
    return datetime(2026, 11, day, hh, mm, tzinfo=UTC)


def note(n: int, verdict: str = "degraded", severity: str = "warning") -> dict[str, str]:
    return {
        "id": f"n{n}",
        "subject": f"WARNING: Claude API {verdict}",
        "severity": severity,
        "verdict": verdict,
        "sms": "",
        "email": "",
    }


# parse_quiet


@pytest.mark.parametrize(
    ("spec", "start", "end"),
    [
        ("22-07", 22 * 60, 7 * 60),
        ("22:30-07:15", 22 * 60 + 30, 7 * 60 + 15),
        (" 9 - 17 ", 540, 1020),
    ],
)
def test_given_a_quiet_spec_when_parsed_then_minutes_after_midnight(spec, start, end):
    assert parse_quiet(spec) == QuietHours(start, end)


@pytest.mark.parametrize("spec", ["", "22", "24-07", "22:60-07", "7-7", "night", "22-07-01"])
def test_given_a_bad_quiet_spec_when_parsed_then_one_line_error_naming_the_setting(spec):
    with pytest.raises(ValueError) as err:
        parse_quiet(spec)
    assert str(err.value).startswith("quiet: ")
    assert "\n" not in str(err.value)


def test_given_hours_that_wrap_midnight_then_both_sides_are_quiet_and_the_end_is_exclusive():
    quiet = parse_quiet("22-07")
    assert quiet.contains(at(22)) and quiet.contains(at(3)) and quiet.contains(at(6, 59))
    assert (
        not quiet.contains(at(7)) and not quiet.contains(at(21, 59)) and not quiet.contains(at(12))
    )


def test_given_daytime_hours_then_only_inside_them_is_quiet():
    quiet = parse_quiet("09:00-17:30")
    assert quiet.contains(at(9)) and quiet.contains(at(17, 29))
    assert not quiet.contains(at(17, 30)) and not quiet.contains(at(8, 59))


def test_given_a_naive_time_then_it_is_refused_rather_than_guessed():
    with pytest.raises(ValueError):
        parse_quiet("22-07").contains(datetime(2026, 11, 26, 23))


# parse_duration and Mute


@pytest.mark.parametrize(
    ("text", "seconds"), [("2h", 7200), ("30m", 1800), ("1h30m", 5400), ("1d", 86400), ("90s", 90)]
)
def test_given_a_duration_when_parsed_then_seconds(text, seconds):
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize(
    "text",
    ["", "2", "h", "0m", "2x", "-1h", "8d", "2h garbage", "99999999999999999999d", "9" * 30 + "s"],
)
def test_given_a_bad_duration_when_parsed_then_one_line_error_naming_the_option(text):
    with pytest.raises(ValueError) as err:
        parse_duration(text)
    assert str(err.value).startswith("--for: ")


def test_given_a_mute_when_started_then_it_covers_exactly_its_span_and_round_trips():
    mute = Mute.start(at(10), timedelta(hours=2), "rotating the\nAPI key")
    assert mute == Mute(
        until_iso="2026-11-26T12:00:00Z",
        reason="rotating the API key",
        set_at="2026-11-26T10:00:00Z",
    )
    assert not mute.active(at(9, 59)) and mute.active(at(10)) and mute.active(at(11, 59))
    assert not mute.active(at(12))
    assert Mute.from_dict(json.loads(json.dumps(mute.to_dict()))) == mute


def test_given_no_reason_then_a_mute_is_refused():
    with pytest.raises(ValueError, match="--reason"):
        Mute.start(at(10), timedelta(hours=1), "   ")


def test_given_overlapping_mutes_then_the_one_ending_last_is_shown():
    short = Mute.start(at(10), timedelta(hours=1), "a")
    long = Mute.start(at(10, 30), timedelta(hours=3), "b")
    assert active_mute([short, long], at(10, 45)) == long
    assert active_mute([short, long], at(14)) is None


# decide_delivery


QUIET = parse_quiet("22-07")


@pytest.mark.parametrize(
    ("severity", "when", "expected"),
    [
        ("warning", at(23), "hold"),
        ("warning", at(12), "send"),
        ("critical", at(23), "send"),  # critical always goes
        ("unknown", at(23), "send"),
        ("ok", at(23), "send"),  # a recovery of something that was sent wakes nobody new
    ],
)
def test_given_quiet_hours_when_deciding_then_only_warnings_are_held(severity, when, expected):
    assert decide_delivery(severity, when, QUIET, []) == expected


def test_given_the_warning_was_held_when_it_recovers_in_quiet_hours_then_the_recovery_is_held():
    assert decide_delivery("ok", at(23), QUIET, [], holding=True) == "hold"
    assert decide_delivery("ok", at(8), QUIET, [], holding=True) == "send"


def test_given_a_mute_then_everything_is_muted_critical_included_and_after_it_sends():
    mute = Mute.start(at(10), timedelta(hours=2), "key rotation")
    for severity in ("critical", "warning", "unknown", "ok"):
        assert decide_delivery(severity, at(11), None, [mute]) == "mute"
    assert decide_delivery("critical", at(12), None, [mute]) == "send"


def test_given_no_quiet_hours_and_no_mute_then_everything_sends():
    assert decide_delivery("warning", at(3), None, []) == "send"


# HeldDigest and release_digest


def test_given_warnings_held_overnight_when_the_hours_end_then_one_summary_tells_every_change():
    digest = HeldDigest()
    digest.add(
        note(1), [{"target": "overall", "from": "operational", "to": "degraded"}], at(23), "quiet"
    )
    digest.add(
        note(2, "operational", "ok"),
        [{"target": "overall", "from": "degraded", "to": "operational"}],
        at(23, 40),
        "quiet",
    )
    assert release_digest(digest, at(6, 59), QUIET) is None  # still quiet
    text = release_digest(digest, at(7), QUIET)
    assert text is not None
    assert "2 notifications" in text and "quiet hours" in text
    assert "overall: operational -> degraded -> operational" in text
    assert "degraded x1" in text and "operational x1" in text
    assert digest_severity(digest) == "ok"


def test_given_nothing_held_then_there_is_no_digest():
    assert release_digest(HeldDigest(), at(8), QUIET) is None


def test_given_a_mute_still_active_then_the_digest_waits_for_it():
    mute = Mute.start(at(6), timedelta(hours=3), "gateway move")
    digest = HeldDigest()
    digest.add(
        note(1, "client_error", "critical"),
        [{"target": "overall", "from": "operational", "to": "client_error"}],
        at(6, 30),
        "mute",
    )
    assert release_digest(digest, at(8), QUIET, [mute]) is None
    text = release_digest(digest, at(9), QUIET, [mute])
    assert text is not None and "a mute" in text and "client_error" in text


def test_given_more_than_the_bound_when_held_then_old_ones_are_folded_not_dropped():
    digest = HeldDigest(max_items=3)
    states = ["operational", "degraded", "rate_limited", "degraded", "operational", "degraded"]
    for n, (a, b) in enumerate(zip(states, states[1:], strict=False)):
        digest.add(note(n, b), [{"target": "overall", "from": a, "to": b}], at(23, n), "quiet")
    assert len(digest.items) == 3 and digest.folded.count == 2
    text = release_digest(digest, at(8), QUIET) or ""
    assert "5 notifications" in text
    # the whole path survives the folding: first state to last
    assert "overall: operational -> rate_limited -> degraded -> operational -> degraded" in text


def test_given_a_digest_when_stored_as_json_and_read_back_then_it_is_the_same():
    digest = HeldDigest(max_items=2)
    for n in range(4):
        digest.add(
            note(n),
            [{"target": "claude-x", "from": "ok", "to": "server_error"}],
            at(23, n),
            "quiet",
        )
    digest.mark_sent(at(23, 10))
    again = HeldDigest.from_dict(json.loads(json.dumps(digest.to_dict())))
    assert again.to_dict() == digest.to_dict()
    assert release_digest(again, at(8), QUIET) == release_digest(digest, at(8), QUIET)


def test_given_a_critical_sent_after_a_held_warning_then_its_recovery_is_not_held():
    digest = HeldDigest()
    digest.add(
        note(1), [{"target": "overall", "from": "operational", "to": "degraded"}], at(23), "quiet"
    )
    assert digest.holding
    digest.mark_sent(at(23, 5))  # the outage that followed was sent
    assert not digest.holding
    assert decide_delivery("ok", at(23, 30), QUIET, [], holding=digest.holding) == "send"


# QuietState: the glue the cycle calls


def test_given_a_night_of_warnings_and_an_outage_then_the_outage_goes_and_the_rest_waits():
    from functions.monitor.decide.quiet import QuietState

    state = QuietState()
    went_down = [{"target": "overall", "from": "operational", "to": "degraded"}]
    assert state.route(note(1), went_down, at(23), QUIET) == "hold"
    assert state.describe(at(23)) == "1 notification held"
    outage = [{"target": "overall", "from": "degraded", "to": "outage"}]
    assert state.route(note(2, "outage", "critical"), outage, at(23, 10), QUIET) == "send"
    back = [{"target": "overall", "from": "outage", "to": "operational"}]
    # the outage was sent, so its recovery is sent too, even in quiet hours
    assert state.route(note(3, "operational", "ok"), back, at(23, 50), QUIET) == "send"
    assert state.release(at(6), QUIET) is None
    released = state.release(at(7), QUIET)
    assert released is not None
    severity, text = released
    assert severity == "warning" and "overall: operational -> degraded" in text
    assert state.release(at(7, 1), QUIET) is None  # told once
    again = QuietState.from_dict(json.loads(json.dumps(state.to_dict())))
    assert again.to_dict() == state.to_dict()


def test_given_a_mute_then_a_real_outage_meanwhile_is_told_once_when_it_ends():
    from functions.monitor.decide.quiet import QuietState

    state = QuietState()
    mute = state.mute(at(10), timedelta(hours=1), "rotating the key")
    assert state.describe(at(10, 5)) == "muted until 2026-11-26T11:00:00Z: rotating the key"
    change = [{"target": "overall", "from": "operational", "to": "client_error"}]
    assert state.route(note(1, "client_error", "critical"), change, at(10, 5), None) == "mute"
    assert state.release(at(10, 30), None) is None
    assert state.expire(at(10, 30)) == []
    assert state.expire(at(11)) == [mute]  # history keeps its span
    released = state.release(at(11), None)
    assert released is not None and "a mute" in released[1] and released[0] == "critical"


def test_given_an_active_mute_when_unmuted_then_it_ends_now_and_delivery_resumes():
    from functions.monitor.decide.quiet import QuietState

    state = QuietState()
    state.mute(at(10), timedelta(hours=2), "gateway move")
    [ended] = state.unmute(at(10, 20))
    assert ended.until_iso == "2026-11-26T10:20:00Z" and ended.reason == "gateway move"
    assert state.route(note(1, "outage", "critical"), [], at(10, 21), None) == "send"
    assert state.describe(at(10, 21)) is None


def test_given_fields_a_newer_version_stored_in_quiet_state_then_they_are_written_back():
    # Given quiet state with a newer version's fields: on the state, a mute, a held item
    stored = {
        "calendar": "ops",
        "mutes": [{"until_iso": "2026-11-26T05:00:00Z", "reason": "r", "set_at": "x", "scope": 1}],
        "held": {"items": [{**asdict(_held()), "lead": "5 min"}], "folded": {}},
    }
    # When this version reads it and writes it back
    from functions.monitor.decide.quiet import QuietState

    again = QuietState.from_dict(stored).to_dict()
    # Then nothing it does not know is lost
    assert again["calendar"] == "ops" and again["mutes"][0]["scope"] == 1
    assert again["held"]["items"][0]["lead"] == "5 min"


def _held():
    from functions.monitor.decide.quiet import Held

    return Held("n-1", "2026-11-26T01:00:00Z", "warning", "degraded", "s", [], "quiet")
