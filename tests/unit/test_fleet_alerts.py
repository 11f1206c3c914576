"""A fleet's region falling silent is its own alert (issue 20 x issue 18): its own
webhook key and a warning's severity, never the API's "ok" under the API's key."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from functions.monitor.config import Config
from functions.monitor.decide.state import MonitorState, Stored
from functions.monitor.decide.verdict import decide
from functions.monitor.decide.vote import RegionView, quorum_of, rows, vote
from functions.monitor.models import CanaryResult, CheckResult, StatusPage
from functions.monitor.plan import plan_cycle
from functions.monitor.values import parse_quiet

MODEL = "claude-haiku-5-5"
REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2")
HOME = REGIONS[0]
CONFIG = Config(
    canary_models=(MODEL,),
    region=HOME,
    fleet_regions=REGIONS,
    home_region=HOME,
    webhook_topic_arn="arn:aws:sns:us-east-1:123456789012:hooks",
)
T0 = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)
PAGE = StatusPage(True, api_status="operational")


def home_cycle(
    stored: Stored, n: int, reporting: tuple[str, ...], outcome: str = "ok", config=CONFIG
):
    """The home's minute `n`: its own canary's `outcome`, the `reporting` regions'
    views alike, voted as fleet.decide does, then planned; what it sent is delivered."""
    at = (T0 + timedelta(minutes=n)).strftime("%Y-%m-%dT%H:%M:%SZ")
    failed = 0 if outcome in ("ok", "slow") else 2
    canaries = [CanaryResult(MODEL, outcome, samples=2, requests=2, failed_requests=failed)]
    result = CheckResult(at, decide(PAGE, canaries), PAGE, canaries, region=HOME)
    views = {
        r: RegionView(r, at[:16], result.verdict.verdict, "seen", at, ((MODEL, outcome),))
        for r in reporting
    }
    views[HOME] = RegionView.of(result)
    fleet = vote(result.verdict, HOME, views, REGIONS, quorum_of(config))
    result.verdict = fleet.verdict
    result.regions = rows(fleet.views, REGIONS, HOME, stored.state.regions_seen)
    plan = plan_cycle(stored, result, config, 1_000_000.0 + 60 * n)
    return Stored(plan.state, stored.version + 1, {}), plan.notification


def bodies(notification):
    body = json.loads(notification.webhook)
    return body if isinstance(body, list) else [body]


def test_given_a_region_silent_then_its_warning_is_a_warning_under_its_own_key():
    # Given a healthy fleet whose ap-southeast-2 stops reporting after minute 0
    stored, _ = home_cycle(Stored(MonitorState(), 0, {}), 0, REGIONS)
    sent = []
    for n in range(1, 5):
        stored, note = home_cycle(stored, n, ("eu-west-1",))
        sent += [note] if note else []
    # Then one warning: severity warning, webhook ALARM under the region's own key
    [warning] = sent
    assert warning.subject.startswith("WARNING: ap-southeast-2 has not reported")
    assert warning.severity == "warning"
    [body] = bodies(warning)
    assert body["NewStateValue"] == "ALARM" and body["severity"] == "warning"
    assert body["dedup_key"] == "claude-api-monitor:us-east-1:region:ap-southeast-2"
    chat = json.loads(warning.chat)
    assert "ap-southeast-2" in chat["content"]["title"]
    # And its step is about that region's monitor, never "Nothing to do"
    step = warning.email.split("Next step: ")[-1]
    assert "Nothing to do" not in step and "Nothing to do" not in warning.sms
    assert step.startswith("Check the monitor in ap-southeast-2")
    # When the API then fails everywhere that reports, and recovers, while the region
    # comes back: the API's alert opens and closes under the API's key, the region's
    # under its own, and no OK is ever sent under a key whose alert is still open
    keys: dict[str, str] = {body["dedup_key"]: body["NewStateValue"]}
    for n, reporting, outcome in [
        *[(n, ("eu-west-1",), "server_error") for n in range(5, 8)],
        *[(n, REGIONS, "server_error") for n in range(8, 11)],
        *[(n, REGIONS, "ok") for n in range(11, 20)],
    ]:
        stored, note = home_cycle(stored, n, reporting, outcome)
        for body in bodies(note) if note else []:
            keys[body["dedup_key"]] = body["NewStateValue"]
            if body["dedup_key"].endswith(HOME) and body["NewStateValue"] == "OK":
                assert n >= 11, "the API's alert closed while it was failing"
    # Then both alerts end closed, each under its own key
    assert keys == {
        "claude-api-monitor:us-east-1": "OK",
        "claude-api-monitor:us-east-1:region:ap-southeast-2": "OK",
    }


def test_given_a_regional_warning_open_then_its_reminders_stay_warnings():
    # Given reminders every 10 min and eu-west-1's path failing alone (a warning: the
    # vote names the region; a network_error on its own would be "unknown")
    config = replace(CONFIG, reminder_minutes=10)
    stored, sent = Stored(MonitorState(), 0, {}), []
    for n in range(25):
        at = (T0 + timedelta(minutes=n)).strftime("%Y-%m-%dT%H:%M:%SZ")
        canaries = [CanaryResult(MODEL, "ok", samples=2, requests=2)]
        result = CheckResult(at, decide(PAGE, canaries), PAGE, canaries, region=HOME)
        views = {
            "eu-west-1": RegionView(
                "eu-west-1", at[:16], "network_error", "x", at, ((MODEL, "network_error"),)
            ),
            "ap-southeast-2": RegionView(
                "ap-southeast-2", at[:16], "operational", "x", at, ((MODEL, "ok"),)
            ),
            HOME: RegionView.of(result),
        }
        fleet = vote(result.verdict, HOME, views, REGIONS, quorum_of(config))
        result.verdict = fleet.verdict
        result.regions = rows(fleet.views, REGIONS, HOME, stored.state.regions_seen)
        plan = plan_cycle(stored, result, config, 1_000_000.0 + 60 * n)
        sent += [plan.notification] if plan.notification else []
        stored = Stored(plan.state, stored.version + 1, {})
    # Then the warning and each reminder of it carry the warning's severity: a
    # reminder never escalates it to "unknown" (which quiet hours never hold)
    assert [n.subject.split(":")[0] for n in sent] == ["WARNING", "REMINDER", "REMINDER"]
    assert [n.severity for n in sent] == ["warning"] * 3


def test_given_a_region_still_silent_when_quiet_hours_end_then_the_digest_keeps_its_alert():
    # Given quiet hours 16:30-17:30 (UTC); ap-southeast-2 falls silent at 16:01 (told
    # at 16:02), and during the quiet hours the API is slow for a while (held)
    config = replace(CONFIG, quiet_hours=parse_quiet("16:30-17:30", setting="QUIET_HOURS"))
    stored, sent = Stored(MonitorState(), 0, {}), []
    stored, _ = home_cycle(stored, 0, REGIONS, config=config)
    for n in range(1, 95):
        outcome = "slow" if 40 <= n < 50 else "ok"
        stored, note = home_cycle(stored, n, ("eu-west-1",), outcome, config)
        sent += [note] if note else []
    # Then the digest at 17:30 says the region's alert stays open, under its key,
    # with its step: never "now operational ... Nothing to do" while it is open
    warning, digest = sent
    assert warning.alert == digest.alert == "region:ap-southeast-2"
    assert digest.subject.startswith("DIGEST") and digest.severity == "warning"
    assert "monitor region alert for ap-southeast-2 stays open" in digest.email
    assert digest.email.split("Next step: ")[-1].startswith("Check the monitor in")
