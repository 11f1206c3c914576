"""Committed notifications: re-sent as committed, merged without lowering severity,
capped under SNS's size limit; stored state read tolerantly (issue 10 #1, #3, #6, #14)."""

import json
from dataclasses import replace

import pytest

from functions.monitor.config import Config
from functions.monitor.decide.state import MonitorState, OutboxEntry, Stored
from functions.monitor.decide.verdict import decide
from functions.monitor.models import CanaryResult, CheckResult, Incident, Notification, StatusPage
from functions.monitor.plan import plan_cycle
from functions.monitor.tell.outbox import EMAIL_MAX_BYTES, SNS_MAX_BYTES, cap_email, merge
from functions.monitor.tell.text import _GSM7, compose

CONFIG = Config(failure_threshold=2, recovery_threshold=2)


def result_at(minute, outcome="ok", api_status="operational"):
    page = StatusPage(reachable=True, api_status=api_status)
    canaries = [CanaryResult("claude-haiku-5-5", outcome, attempts=1)]
    return CheckResult(f"2026-11-25T16:{minute:02d}:00Z", decide(page, canaries), page, canaries)


def committed_entry(result, created_wall=0.0):
    """What a cycle committed for its alert, as plan_cycle stores it."""
    stored = Stored(MonitorState(), 1, {})
    plan = plan_cycle(stored, result_at(0, "overloaded"), CONFIG, created_wall)
    plan = plan_cycle(Stored(plan.state, 2, {}), result, CONFIG, created_wall)
    assert plan.notification is not None
    return plan.state, plan.outbox[plan.notification.id], plan.notification


def test_given_a_stale_entry_then_it_is_resent_with_its_committed_id_text_and_severity():
    # Given a critical alert committed at 16:01 whose publish never got confirmed
    state, entry, sent_first = committed_entry(result_at(1, "overloaded"))
    # When a later cycle, seeing the API healthy, takes it over after the lease
    later = result_at(5)
    plan = plan_cycle(Stored(state, 3, {entry.id: entry}), later, CONFIG, 10_000.0)
    # Then the same notification goes out: same id, subject, texts, severity
    assert plan.notification == sent_first
    assert plan.notification.severity == "critical"
    assert plan.notification.subject.startswith("CRITICAL")
    assert list(plan.outbox) == [sent_first.id] and plan.taken_over == [sent_first.id]


def test_given_a_resent_entry_fails_again_then_the_third_try_still_has_the_first_id():
    state, entry, first = committed_entry(result_at(1, "overloaded"))
    bad = [result_at(m, "overloaded") for m in (5, 9)]
    plan = plan_cycle(Stored(state, 3, {entry.id: entry}), bad[0], CONFIG, 10_000.0)
    again = plan.outbox[first.id]
    plan = plan_cycle(Stored(plan.state, 4, {first.id: again}), bad[1], CONFIG, 20_000.0)
    assert plan.notification.id == first.id


def test_given_a_stale_critical_entry_and_a_new_resolution_then_one_message_of_the_latest_state():
    # Given a critical alert never sent, and the API now recovered for two cycles
    state, entry, critical = committed_entry(result_at(1, "overloaded"))
    stored = Stored(state, 3, {})
    plan = plan_cycle(stored, result_at(2), CONFIG, 100.0)  # within the lease: not stale
    entry.created_wall = 100.0
    plan = plan_cycle(Stored(plan.state, 4, {entry.id: entry}), result_at(3), CONFIG, 10_000.0)
    # When the resolution and the stale alert merge
    merged = plan.notification
    # Then it takes the alert's latest state (the RESOLVED: issue 18, a red CRITICAL on
    # a RESOLVED title and webhook urgency high), and the texts carry both changes
    assert merged.severity == "ok" and merged.verdict == "operational"
    assert merged.id not in (critical.id,) and list(plan.outbox) == [merged.id]
    assert "RESOLVED" in merged.subject and "CRITICAL" in merged.subject
    assert "RESOLVED" in merged.sms and "CRITICAL" in merged.sms
    assert critical.email in merged.email
    assert "overall: unconfirmed_outage -> operational" in merged.email
    assert len(merged.subject) <= 100 and len(merged.sms) <= 160
    assert set(merged.sms) <= _GSM7


def test_merge_is_deterministic_and_takes_the_worst_alert_as_its_latest_part_leaves_it():
    def n(i, severity, verdict, alert=""):
        return Notification(f"n-{i}", f"S{i}", "sms", f"E{i}", severity, verdict, alert=alert)

    # Given parts of one alert, oldest first: the latest one is where it stands
    parts = [n(1, "warning", "degraded"), n(2, "unknown", "network_error"), n(3, "ok", "x")]
    one, two = merge(parts, "t"), merge(parts, "t")
    assert one == two and one.severity == "ok" and one.verdict == "x"
    assert merge(parts[:1], "t") is parts[0]
    # Given two alerts, the API's open and a Bedrock path's resolved: the worst wins
    mixed = [n(1, "critical", "outage"), n(2, "ok", "outage", alert="bedrock:m")]
    assert merge(mixed, "t").severity == "critical"
    mixed = [n(1, "warning", "outage", alert="bedrock:m"), n(2, "ok", "operational")]
    assert merge(mixed, "t").severity == "warning"


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        '{"targets": null}',
        '{"targets": {"overall": {"alerting": true}}}',  # missing reported
        '{"targets": {"overall": {"reported": "outage", "alerting": true, "new_field": 1}}}',
        '{"targets": {"overall": {"reported": "outage", "bad_streak": "x"}}}',
        '{"suspected_at": "yesterday", "future": {"a": 1}}',
        '{"lead": {"incident": "x"}, "pending_lead_time_min": 3}',
        '{"episode": {"since": "2026-11-25T16:00:00Z"}}',
        '{"windows": [[1, 0]], "flips": "x", "cycle_no": "7", "flapping": 1}',
    ],
)
def test_given_odd_stored_state_then_it_loads_without_raising_and_a_plan_is_made(text):
    state, problems = MonitorState.parse(text)
    plan = plan_cycle(Stored(state, 7, {}), result_at(1, "overloaded"), CONFIG, 0.0)
    assert plan.state.last_cycle_at == "2026-11-25T16:01:00Z"
    if "new_field" in text:
        assert state.targets["overall"].reported == "outage" and not problems
    elif text != '{"targets": null}':
        assert problems


@pytest.mark.parametrize(
    "text",
    [
        '{"id": "n-1", "created_wall": 5, "transitions": [], "notification": {}, "v2": 1}',
        '{"id": "n-1", "transitions": [{"target": "overall", "from": "a", "to": "b", "x": 1}]}',
        '{"id": "n-1", "created_wall": "soon", "transitions": "x", "notification": null}',
    ],
)
def test_given_an_odd_outbox_entry_then_it_is_read_and_due_rather_than_lost(text):
    entry = OutboxEntry.from_json(text, "n-1")
    assert entry is not None and entry.id == "n-1"
    plan = plan_cycle(Stored(MonitorState(), 3, {"n-1": entry}), result_at(1), CONFIG, 1e9)
    assert plan.notification is not None and plan.notification.id == "n-1"


def test_an_unreadable_outbox_entry_is_none():
    assert OutboxEntry.from_json("{{", "n") is None
    assert OutboxEntry.from_json("[1]", "n") is None


def long_incidents_result(count=150):
    incidents = [
        Incident(
            f"i{i}",
            f"Incident {i} " + "x" * 2000,
            "investigating",
            "major",
            f"https://stspg.io/{i}",
            ["API"],
            None,
        )
        for i in range(count)
    ]
    page = StatusPage(True, api_status="major_outage", incidents=incidents, api_incident=True)
    canaries = [CanaryResult("claude-haiku-5-5", "overloaded", http_status=529, attempts=3)]
    return CheckResult("2026-11-25T16:00:00Z", decide(page, canaries), page, canaries)


def test_given_150_long_incidents_then_the_email_is_capped_and_says_how_many_were_left_out():
    email = compose("n-1", [], long_incidents_result(), None).email
    assert len(email.encode()) > SNS_MAX_BYTES
    capped = cap_email(email)
    assert len(json.dumps(capped).encode()) <= EMAIL_MAX_BYTES
    assert "Incident 0 " in capped and "more incidents" in capped
    assert capped.split("\n")[0] == email.split("\n")[0]
    assert "Next step:" in capped  # the tail after the incident list survives


def test_a_short_email_is_untouched_and_a_text_without_incidents_is_cut_with_a_note():
    assert cap_email("short") == "short"
    cut = cap_email("y" * 200_000)
    assert len(json.dumps(cut).encode()) <= EMAIL_MAX_BYTES and cut.endswith("too long for SNS]")


def test_the_sns_message_of_an_oversized_committed_notification_still_fits():
    from functions.monitor.tell.notifiers import sns_message

    email = compose("n-1", [], long_incidents_result(), None).email
    big = Notification("n-1", "S", "sms", email, "critical", "outage")
    message = sns_message(big)
    assert len(message.encode()) < SNS_MAX_BYTES - 4096
    assert "more incidents" in json.loads(message)["email"]


def _within(seconds: float, work):
    """work() in a thread; its value, or a failure when it does not end in time."""
    import threading

    out: list = []
    thread = threading.Thread(target=lambda: out.append(work()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert out, f"did not end within {seconds} s"
    return out[0]


def test_given_a_committed_chat_message_too_large_then_the_message_is_built_and_fits():
    from functions.monitor.tell.notifiers import sns_message

    # Given a committed notification whose chat variant alone is over SNS's limit
    # (another version's, a corrupt item)
    note = Notification("n-1", "CRITICAL: x", "sms", "email\n" * 10, "critical", "outage")
    note = replace(note, chat="x" * 300_000)
    # When its SNS message is built, then it ends (it looped for ever), within the limit,
    # the email and SMS intact and the oversized chat variant left out
    message = json.loads(_within(5, lambda: sns_message(note)))
    assert message["email"] == note.email and message["sms"] == "sms"
    assert "https" not in message
    assert len(json.dumps(message).encode()) < SNS_MAX_BYTES


def test_cap_email_ends_with_a_limit_below_its_own_note():
    assert _within(5, lambda: cap_email("y" * 1000, 10)) == ""
    assert _within(5, lambda: cap_email("y" * 1000, -5)) == ""


# -- issue 18: an undelivered earlier entry is never sent after a later one ------------


class FlakyNotifier:
    """A notifier whose first `failures` publishes fail; keeps what it sent, in order."""

    def __init__(self, failures: int) -> None:
        self.failures, self.sent = failures, []

    def publish(self, notification):
        from functions.monitor.tell.notifiers import NotifyError

        if self.failures:
            self.failures -= 1
            raise NotifyError("SNS publish failed: Throttling: Rate exceeded", unsent=True)
        self.sent.append(notification)


def test_given_a_failed_critical_then_its_resolved_is_never_sent_before_it(tmp_path):
    # Given a 150 s deadline (lease 155 s) on a one-minute schedule, the real SQLite
    # store, and an alert topic whose first publish fails
    from functions.monitor.cycle import Cycle
    from functions.monitor.keep.sqlite import SqliteStore

    config = replace(CONFIG, deadline_s=150.0)
    notifier = FlakyNotifier(failures=1)
    cycle = Cycle(config=config, store=SqliteStore(str(tmp_path / "m.db")), notifier=notifier)
    # When the CRITICAL's publish fails at 16:01, the API recovers (RESOLVED at 16:03)
    timeline = [(0, "overloaded"), (1, "overloaded"), (2, "ok"), (3, "ok"), (4, "ok"), (5, "ok")]
    for minute, outcome in timeline:
        cycle.record(result_at(minute, outcome), now_wall=1_000.0 + 60 * minute)
    # Then the pager gets the CRITICAL (given up by its cycle, re-sent by the next one)
    # and then its RESOLVED, never the other way round
    assert [n.severity for n in notifier.sent] == ["critical", "ok"]
    assert "RESOLVED" in notifier.sent[-1].subject
    # And nothing is left in the outbox
    assert cycle.store.load().outbox == {}


def test_given_an_entry_still_in_its_owners_hands_then_its_alerts_next_news_waits_behind_it():
    # Given a CRITICAL committed at wall 60 whose owner died before publishing (its
    # lease, 155 s, not over yet)
    config = replace(CONFIG, deadline_s=150.0)
    stored = Stored(MonitorState(), 0, {})
    for minute, wall in ((0, 0.0), (1, 60.0)):
        plan = plan_cycle(stored, result_at(minute, "overloaded"), config, wall)
        stored = Stored(plan.state, stored.version + 1, plan.outbox)
    critical = plan.notification
    assert critical is not None and critical.severity == "critical"
    # When the API recovers at 16:03 (wall 180), within that lease
    for minute, wall in ((2, 120.0), (3, 180.0)):
        plan = plan_cycle(stored, result_at(minute), config, wall)
        stored = Stored(plan.state, stored.version + 1, plan.outbox)
    # Then the RESOLVED is committed but not sent: it waits behind the CRITICAL
    assert plan.notification is None
    waiting = [e for e in stored.outbox.values() if e.waiting]
    assert len(waiting) == 1 and waiting[0].notification["severity"] == "ok"
    # When the CRITICAL's lease is over (16:04, wall 240)
    plan = plan_cycle(stored, result_at(4), config, 240.0)
    # Then both go as one message, in order, with the latest state: the RESOLVED
    note = plan.notification
    assert note is not None and (note.severity, note.verdict) == ("ok", "operational")
    assert "RESOLVED" in note.subject and critical.email in note.email
    assert sorted(plan.taken_over) == sorted([critical.id, waiting[0].id])


def test_given_a_pending_merged_entry_then_each_alert_it_holds_is_blocked():
    # Given an entry still in its owner's hands that merged two alerts (the API's
    # verdict and a fleet region's silence: its notification names no single alert)
    from functions.monitor.decide.state import OutboxEntry
    from functions.monitor.tell.outbox import in_order

    moved = [
        {"target": "overall", "from": "operational", "to": "outage"},
        {"target": "region:ap-southeast-2", "from": "reporting", "to": "silent"},
    ]
    pending = OutboxEntry("n-1", 100.0, moved, {"id": "n-1", "alert": ""})
    # Then news of either alert waits behind it: the region's RESOLVED sent first
    # would be overtaken by its older WARNING, and the pager would end on ALARM
    _, blocked = in_order({"n-1": pending}, [])
    assert {"overall", "region:ap-southeast-2"} <= blocked
