"""The plan with channels: chat and webhook variants composed at commit, a re-send only to
the destination not yet reached, quiet hours and mutes on a fixed clock (issue 12)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import jsonschema

from functions.monitor.config import Config
from functions.monitor.decide.quiet import QuietState
from functions.monitor.decide.state import MonitorState, OutboxEntry, Stored
from functions.monitor.decide.verdict import decide
from functions.monitor.models import CanaryResult, CheckResult, StatusPage
from functions.monitor.plan import plan_cycle
from functions.monitor.tell.chat import CHAT_SCHEMA, WEBHOOK_SCHEMA
from functions.monitor.tell.notifiers import sns_message
from functions.monitor.values import parse_quiet

HOOKS = "arn:aws:sns:us-east-1:123456789012:monitor-webhooks"
CONFIG = Config(failure_threshold=2, recovery_threshold=2, webhook_topic_arn=HOOKS)
T0 = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)


def at(minutes: float, outcome: str = "ok") -> CheckResult:
    page = StatusPage(reachable=True, api_status="operational")
    canaries = [CanaryResult("claude-haiku-5-5", outcome, http_status=None, attempts=1)]
    when = (T0 + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return CheckResult(when, decide(page, canaries), page, canaries)


def run(stored: Stored, results: list[CheckResult], config: Config = CONFIG, wall=0.0):
    """Plan each result in turn, as if each commit landed and each send succeeded."""
    plans = []
    for n, result in enumerate(results):
        plan = plan_cycle(stored, result, config, wall + 60 * n)
        plans.append(plan)
        outbox = {} if plan.notification else plan.outbox
        stored = Stored(plan.state, stored.version + 1, outbox)
    return stored, plans


def test_given_webhooks_when_an_alert_opens_then_both_variants_are_committed_and_valid():
    # Given webhooks configured, when two bad cycles open the alert
    _, plans = run(Stored(MonitorState(), 0, {}), [at(0, "overloaded"), at(1, "overloaded")])
    note = plans[-1].notification
    # Then the committed notification carries the chat message and the webhook body
    chat, body = json.loads(note.chat), json.loads(note.webhook)
    jsonschema.validate(chat, CHAT_SCHEMA)
    jsonschema.validate(body, WEBHOOK_SCHEMA)
    assert body["notification_id"] == note.id and body["kind"] == "alert"
    assert {"target": "overall", "from": "operational", "to": "unconfirmed_outage"} in body[
        "transitions"
    ]
    # And the outbox entry holds exactly that, nothing sent yet
    entry = plans[-1].outbox[note.id]
    assert entry.notification["webhook"] == note.webhook and entry.done == []
    # And the alert topic's message gives Amazon Q (https) the chat variant
    assert json.loads(json.loads(sns_message(note))["https"]) == chat


def test_given_the_alert_went_out_but_the_webhook_did_not_then_the_resend_is_webhook_only():
    # Given an entry whose alert was published and marked, the webhook not
    _, plans = run(Stored(MonitorState(), 0, {}), [at(0, "overloaded"), at(1, "overloaded")])
    first = plans[-1]
    entry = replace(first.outbox[first.notification.id], done=["alert"])
    stored = Stored(first.state, 5, {entry.id: entry})
    # When a cycle after the lease takes it over (with nothing new to say)
    plan = plan_cycle(stored, at(2, "overloaded"), CONFIG, 10_000.0)
    # Then the same notification, same webhook body, goes only where it has not been
    assert plan.notification.id == first.notification.id
    assert plan.notification.webhook == first.notification.webhook
    assert plan.outbox[entry.id].done == ["alert"]


def test_given_a_half_sent_entry_and_a_new_alert_then_the_alert_topic_gets_only_the_new_one():
    _, plans = run(Stored(MonitorState(), 0, {}), [at(0, "overloaded"), at(1, "overloaded")])
    first = plans[-1]
    entry = replace(first.outbox[first.notification.id], done=["alert"])
    state = first.state
    # When the verdict recovers (a new notification) while the old webhook is pending
    stored = Stored(state, 5, {entry.id: entry})
    plan = plan_cycle(stored, at(2), CONFIG, 10_000.0)
    plan = plan_cycle(Stored(plan.state, 6, plan.outbox), at(3), CONFIG, 20_000.0)
    note = plan.notification
    # Then the alert topic's text is the recovery alone; the webhook carries both
    assert "RESOLVED" in note.subject and "CRITICAL" not in note.subject
    body = json.loads(note.webhook)
    assert body["notification_id"] != note.id  # the merged webhook message
    assert plan.outbox[note.id].done == []


def test_given_a_pending_entry_only_for_webhooks_no_longer_configured_then_it_is_dropped():
    _, plans = run(Stored(MonitorState(), 0, {}), [at(0, "overloaded"), at(1, "overloaded")])
    first = plans[-1]
    entry = replace(first.outbox[first.notification.id], done=["alert"])
    plan = plan_cycle(
        Stored(first.state, 5, {entry.id: entry}),
        at(2, "overloaded"),
        replace(CONFIG, webhook_topic_arn=None),
        10_000.0,
    )
    assert plan.notification is None and plan.outbox == {}


QUIET = replace(CONFIG, quiet_hours=parse_quiet("16-17"))


def test_given_quiet_hours_then_a_warning_is_held_and_told_once_when_they_end():
    # Given quiet hours 16:00-17:00 UTC and a warning (rate limited) from 16:00
    results = [at(0, "rate_limited"), at(1, "rate_limited"), at(2, "rate_limited")]
    stored, plans = run(Stored(MonitorState(), 0, {}), results, QUIET)
    # Then the alert's transition is stored, but nothing is sent; it is held
    assert [t.to for t in plans[1].transitions if t.target == "overall"] == ["rate_limited"]
    assert all(p.notification is None for p in plans)
    assert results[1].quiet and results[1].held == 1
    # When the hours end (17:00) with the warning still on
    end = at(60, "rate_limited")
    stored, [plan] = run(stored, [end], QUIET)
    # Then one digest tells it, and nothing stays held
    note = plan.notification
    assert note is not None and note.subject.startswith("DIGEST: 1 held")
    assert "overall: operational -> rate_limited" in note.email
    body = json.loads(note.webhook)
    assert body["kind"] == "digest"
    # And the chat message and the webhook say what changed meanwhile
    held = {"target": "overall", "from": "operational", "to": "rate_limited"}
    assert held in body["transitions"]
    assert "overall operational → rate_limited" in json.loads(note.chat)["content"]["description"]
    assert end.held == 0 and stored.state.quiet is None
    # And the next cycle sends nothing more
    _, [after] = run(stored, [at(61, "rate_limited")], QUIET)
    assert after.notification is None


def test_given_quiet_hours_then_a_critical_goes_at_once():
    results = [at(0, "overloaded"), at(1, "overloaded")]
    _, plans = run(Stored(MonitorState(), 0, {}), results, QUIET)
    assert plans[1].notification is not None
    assert plans[1].notification.severity == "critical"


def test_given_a_mute_then_even_a_critical_waits_for_its_end_and_no_transition_is_lost():
    # Given a mute from 15:59 for 30 minutes, stored in the state
    quiet = QuietState()
    quiet.mute(T0 - timedelta(minutes=1), timedelta(minutes=30), "key rotation")
    state = MonitorState(quiet=quiet.to_dict())
    # When an outage opens and closes inside it
    results = [at(m, "overloaded") for m in (0, 1, 2)] + [at(m) for m in (3, 4)]
    stored, plans = run(Stored(state, 1, {}), results)
    # Then nothing is sent, every transition is stored, and check shows the mute
    assert all(p.notification is None for p in plans)
    moved = [t.to for p in plans for t in p.transitions if t.target == "overall"]
    assert moved == ["unconfirmed_outage", "operational"]
    assert results[-1].muted_until == "2026-11-25T16:29:00Z"
    assert results[-1].mute_reason == "key rotation" and results[-1].held == 2
    # When the mute ends
    stored, [plan] = run(stored, [at(29)])
    # Then one digest tells both, with the path the overall verdict took
    note = plan.notification
    assert note is not None and note.subject.startswith("DIGEST: 2 held")
    assert "overall: operational -> unconfirmed_outage -> operational" in note.email
    assert stored.state.quiet is None


def test_given_an_odd_stored_quiet_value_then_the_state_is_read_and_the_rest_kept():
    item = {"notification_id": "n", "at": "2026-11-25T16:00:00Z", "severity": "warning"}
    item.update(verdict="degraded", subject="s", transitions=[], why="quiet")
    odd_values = (
        "x",
        {"mutes": [{"until_iso": "soon"}]},
        {"mutes": [{"until_iso": "2026-11-25T16:00:00Z", "set_at": "2026-11-25T15:00:00Z"}]}
        | {"held": {"items": [{"at": 1}]}},
        {"held": {"items": [{**item, "transitions": [{"target": "x"}]}]}},
        {"held": {"items": [item], "folded": {"count": "2"}}},
        {"held": {"items": [item], "folded": {"paths": {"overall": "ab"}}}},
    )
    for odd in odd_values:
        state, problems = MonitorState.parse(json.dumps({"quiet": odd, "cycle_no": 7}))
        assert state.quiet is None and state.cycle_no == 7 and problems == ["quiet unreadable"]
        plan_cycle(Stored(state, 1, {}), at(0), CONFIG, 0.0)  # and the plan does not crash


def test_given_a_newer_version_added_fields_to_a_held_item_then_the_mute_survives():
    quiet = QuietState()
    quiet.mute(T0, timedelta(hours=1), "work")
    data = quiet.to_dict()
    data["mutes"][0]["by"] = "someone"
    data["held"]["items"] = [
        {
            "notification_id": "n-1",
            "at": "2026-11-25T16:00:00Z",
            "severity": "warning",
            "verdict": "degraded",
            "subject": "s",
            "transitions": [],
            "why": "quiet",
            "channel": "new",
        }
    ]
    state, problems = MonitorState.parse(json.dumps({"quiet": data}))
    assert problems == [] and QuietState.from_dict(state.quiet).mutes[0].reason == "work"


def test_outbox_entry_done_survives_the_round_trip_and_ignores_junk():
    entry = OutboxEntry("n-1", 1.0, [], {}, done=["alert"])
    assert OutboxEntry.from_json(entry.to_json()).done == ["alert"]
    raw = json.dumps({"id": "n-1", "done": ["alert", {"x": 1}, "pager"]})
    assert OutboxEntry.from_json(raw).done == ["alert"]


def test_given_a_mute_ends_inside_quiet_hours_then_a_held_critical_goes_at_once():
    # Given a mute until 16:10 and quiet hours 16-17; an outage inside the mute
    quiet = QuietState()
    quiet.mute(T0 - timedelta(minutes=1), timedelta(minutes=11), "key rotation")
    results = [at(0, "overloaded"), at(1, "overloaded")]
    stored, plans = run(Stored(MonitorState(quiet=quiet.to_dict()), 1, {}), results, QUIET)
    assert plans[1].notification is None
    # When the mute ends at 16:10, still inside quiet hours
    _, [plan] = run(stored, [at(10, "overloaded")], QUIET)
    # Then the critical digest is not held for the quiet hours
    assert plan.notification is not None and plan.notification.severity == "critical"


def test_given_reminders_during_quiet_hours_then_the_digest_holds_the_change_not_one_a_cycle():
    # Given quiet hours 16:00-18:00 UTC, reminders every 30 min, and a warning all along
    config = replace(CONFIG, quiet_hours=parse_quiet("16-18"), reminder_minutes=30)
    results = [at(m, "rate_limited") for m in range(120)]
    stored, plans = run(Stored(MonitorState(), 0, {}), results, config)
    # Then nothing is sent in the hours, and only the alert's opening is held (a
    # reminder says nothing new: it must not join the digest every cycle)
    assert all(p.notification is None for p in plans)
    assert results[-1].held == 1
    # When the hours end, one digest tells the one change, and no reminder rides on it
    stored, [plan] = run(stored, [at(120, "rate_limited")], config)
    note = plan.notification
    assert note is not None and note.subject.startswith("DIGEST: 1 held")
    assert "REMINDER" not in note.subject
    # And the reminders resume from the digest, 30 minutes later
    _, later = run(stored, [at(121, "rate_limited"), at(150, "rate_limited")], config)
    assert later[0].notification is None
    assert later[1].notification is not None and "REMINDER" in later[1].notification.subject


def slow_at(minutes: float) -> CheckResult:
    result = at(minutes)
    result.canaries[0].outcome = "slow"
    result.verdict = decide(result.status_page, result.canaries)
    return result


def test_given_a_critical_that_paged_then_its_resolved_is_not_held_by_quiet_hours():
    # Given quiet hours from 16:10: an outage that paged at 16:01 (critical always
    # goes), turning degraded at 16:21 (a warning: held) and recovering at 16:41
    config = replace(CONFIG, quiet_hours=parse_quiet("16:10-18:00"))
    results = [at(m, "overloaded") for m in range(20)]
    results += [slow_at(m) for m in range(20, 40)] + [at(m) for m in range(40, 50)]
    stored, plans = run(Stored(MonitorState(), 0, {}), results, config)
    sent = [(r.checked_at[11:16], p.notification) for r, p in zip(results, plans)]
    sent = [(when, n) for when, n in sent if n is not None]
    # Then the RESOLVED goes at once: people were paged for this alert, and must not
    # believe (nor their pager show) that the outage lasts until the morning
    assert [(when, n.subject.split(":")[0], n.severity) for when, n in sent] == [
        ("16:01", "CRITICAL", "critical"),
        ("16:41", "RESOLVED", "ok"),
    ]
    # And when the hours end, the digest fills in the held degraded change with the
    # state as it is now: no alarm re-raised for an alert that is over
    _, [plan] = run(stored, [at(120)], config)
    note = plan.notification
    assert note is not None and note.subject.startswith("DIGEST: 1 held")
    assert "unconfirmed_outage -> degraded" in note.email
    assert note.severity == "ok" and json.loads(note.webhook)["NewStateValue"] == "OK"


def test_given_an_entry_dated_far_ahead_then_it_is_sent_not_kept_waiting_for_ever():
    # Given pending entries whose stored time is far ahead of the clock (a skewed
    # writer, a corrupt item, JSON's Infinity)
    _, plans = run(Stored(MonitorState(), 0, {}), [at(0, "overloaded"), at(1, "overloaded")])
    first = plans[-1]
    text = first.outbox[first.notification.id].to_json()
    for created in ("1e300", "Infinity", str(10_000.0 + 3600)):
        raw = text.replace('"created_wall":60.0', f'"created_wall":{created}')
        assert raw != text
        entry = OutboxEntry.from_json(raw)
        # When the next cycle plans, with nothing new to say
        plan = plan_cycle(
            Stored(first.state, 5, {entry.id: entry}), at(2, "overloaded"), CONFIG, 10_000.0
        )
        # Then the committed notification goes out now, same id
        assert plan.notification is not None and plan.notification.id == entry.id


def test_given_a_committed_webhook_body_this_version_cannot_publish_then_it_is_recomposed():
    from functions.monitor.tell.chat import webhook_publish_kwargs

    # Given a half-sent entry (alert done) whose stored webhook body is not one this
    # version can publish (another version's shape, a corrupt item)
    _, plans = run(Stored(MonitorState(), 0, {}), [at(0, "overloaded"), at(1, "overloaded")])
    first = plans[-1]
    huge = json.dumps({**json.loads(first.notification.webhook), "summary": "x" * 300_000})
    for odd in ("not json", "[1, 2]", '{"schema_version": 2}', '{"severity": 5}', huge):
        entry = replace(first.outbox[first.notification.id], done=["alert"])
        entry.notification = {**entry.notification, "webhook": odd}
        # When a later cycle takes it over
        plan = plan_cycle(
            Stored(first.state, 5, {entry.id: entry}), at(2, "overloaded"), CONFIG, 1e4
        )
        # Then what goes to the webhook topic can be published (it would otherwise fail
        # on every re-send and never leave the outbox), with the committed id and severity
        body = json.loads(plan.notification.webhook)
        assert len(webhook_publish_kwargs(body)["Message"].encode()) < 256 * 1024
        assert body["notification_id"] == entry.id and body["severity"] == "critical"
        assert plan.outbox[entry.id].done == ["alert"]


def test_given_a_resend_while_this_cycles_change_is_held_then_the_resend_does_not_claim_it():
    # Given quiet hours from 16:10, an outage from 16:00 whose alert (16:01) is still in
    # the outbox, unsent, and at 16:21 the outage turns degraded (a warning: held)
    config = replace(CONFIG, quiet_hours=parse_quiet("16:10-18:00"))
    stored, plans = run(Stored(MonitorState(), 0, {}), [at(m, "overloaded") for m in range(20)])
    stored, _ = run(stored, [slow_at(20)], config, wall=1200.0)
    entry = plans[1].outbox[plans[1].notification.id]
    stored = Stored(stored.state, stored.version, {entry.id: entry})
    # When the cycle re-sends the alert
    plan = plan_cycle(stored, slow_at(21), config, 1260.0)
    held = {"target": "overall", "from": "unconfirmed_outage", "to": "degraded"}
    assert held in [t.to_dict() for t in plan.transitions]
    # Then the re-sent entry announces what it told, not the change that is held (the
    # digest tells that one, later)
    assert plan.notification.id == entry.id
    assert held not in plan.outbox[entry.id].transitions
    assert held in plan.state.quiet["held"]["items"][0]["transitions"]


def test_given_a_digest_and_a_new_alert_in_one_message_then_it_does_not_call_them_late():
    # Given a warning held through quiet hours 16-17, recovering as the hours end
    results = [at(m, "rate_limited") for m in range(59)] + [at(59), at(60)]
    _, plans = run(Stored(MonitorState(), 0, {}), results, QUIET)
    note = plans[-1].notification
    # Then the digest and the RESOLVED go together, and nothing in it was late
    assert note is not None and "RESOLVED" in note.subject and "DIGEST" in note.subject
    assert note.email.startswith("This message carries 2 notifications, newest first.")
    assert "not confirmed as sent" not in note.email


def test_given_a_lead_time_measured_while_muted_then_the_digest_tells_it():
    from functions.monitor.models import CanaryResult

    def cycle(minute: int, page_status: str) -> CheckResult:
        page = StatusPage(reachable=True, api_status=page_status)
        canaries = [CanaryResult("claude-haiku-5-5", "overloaded", http_status=529, attempts=1)]
        when = (T0 + timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M:%SZ")
        return CheckResult(when, decide(page, canaries), page, canaries)

    # Given a mute from 15:59 for 30 minutes, and an outage the canary sees from 16:00
    # that the status page confirms at 16:03
    quiet = QuietState()
    quiet.mute(T0 - timedelta(minutes=1), timedelta(minutes=30), "key rotation")
    results = [cycle(m, "operational") for m in range(3)]
    results += [cycle(m, "major_outage") for m in range(3, 10)]
    stored, plans = run(Stored(MonitorState(quiet=quiet.to_dict()), 1, {}), results)
    assert 3.0 in [p.lead_time_min for p in plans]
    assert all(p.notification is None for p in plans)
    # When the mute ends, then the digest says how much earlier the canary saw it (the
    # muted notification that told it is the only one that would have)
    _, [plan] = run(stored, [cycle(30, "major_outage")])
    assert "Seen 3 min before the status page." in plan.notification.email


def test_given_one_outage_whose_confirmation_toggles_then_it_resolves_not_flaps():
    from functions.monitor.models import CanaryResult

    def cycle(minute: int, page_status: str, outcome: str = "overloaded") -> CheckResult:
        page = StatusPage(reachable=True, api_status=page_status)
        canaries = [CanaryResult("claude-haiku-5-5", outcome, http_status=529, attempts=1)]
        when = (T0 + timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M:%SZ")
        return CheckResult(when, decide(page, canaries), page, canaries)

    # Given a canary failing every cycle for 11 minutes while the status page's API
    # component goes major_outage, operational, major_outage, operational
    pages = ["operational"] * 3 + (["major_outage"] * 2 + ["operational"] * 2) * 2
    results = [cycle(m, page) for m, page in enumerate(pages)]
    results += [cycle(m, "operational", "ok") for m in range(11, 31)]
    _, plans = run(Stored(MonitorState(), 0, {}), results, replace(CONFIG, webhook_topic_arn=None))
    words = [p.notification.subject.split(":")[0] for p in plans if p.notification]
    # Then the alert moved between outage and unconfirmed_outage, one outage, and its
    # recovery says RESOLVED at once (it never was good: nothing flapped)
    assert words == ["CRITICAL"] * 5 + ["RESOLVED"]
    assert "RESOLVED" in plans[12].notification.subject


# -- issue 18: never "OK" while the alert is open -------------------------------------


def clock(hhmm: str, day: int = 0) -> float:
    """Minutes after T0 (16:00 on the 25th) for a wall time 'HH:MM', `day` days later."""
    hh, mm = (int(x) for x in hhmm.split(":"))
    return (hh - 16) * 60 + mm + day * 24 * 60


def test_given_an_open_outage_when_a_reminder_falls_on_a_blip_then_it_carries_the_alert():
    # Given an outage alert open since 16:01 and reminders every 10 minutes
    config = replace(CONFIG, reminder_minutes=10)
    results = [at(m, "overloaded") for m in range(11)]
    stored, _ = run(Stored(MonitorState(), 0, {}), results, config)
    # When the reminder falls due on one good cycle, below RECOVERY_THRESHOLD
    _, [plan] = run(stored, [at(11)], config)
    note = plan.notification
    # Then it is a reminder of the open outage: critical, never "operational" or OK
    assert note is not None and note.subject.startswith("REMINDER")
    assert "operational" not in note.subject and "unconfirmed_outage" in note.subject
    assert (note.severity, note.verdict) == ("critical", "unconfirmed_outage")
    body = json.loads(note.webhook)
    assert body["NewStateValue"] == "ALARM" and body["urgency"] == "high"
    assert "🔴" in json.loads(note.chat)["content"]["title"]


def test_given_an_open_outage_in_quiet_hours_then_a_reminder_on_a_degraded_cycle_still_goes():
    # Given quiet hours 16-18 and an outage open since 16:01 (it paged: critical)
    config = replace(CONFIG, reminder_minutes=10, quiet_hours=parse_quiet("16-18"))
    stored, _ = run(Stored(MonitorState(), 0, {}), [at(m, "overloaded") for m in range(11)], config)
    # When the reminder falls on a degraded (warning) cycle
    _, [plan] = run(stored, [slow_at(11)], config)
    # Then it goes, as the critical reminder of the open outage
    assert plan.notification is not None and plan.notification.severity == "critical"


def test_given_quiet_hours_when_the_digest_is_released_on_a_blip_then_it_carries_the_open_alert():
    # Given QUIET_HOURS=22-07: an outage pages at 21:01, eases to degraded at 22:31
    # (held), is an outage again at 22:41 (sent)
    config = replace(CONFIG, quiet_hours=parse_quiet("22-07"))
    minutes = [clock("21:00"), clock("21:01"), clock("22:30"), clock("22:31")]
    minutes += [clock("22:40"), clock("22:41")]
    outcomes = ["overloaded", "overloaded", "slow", "slow", "overloaded", "overloaded"]
    results = [slow_at(m) if o == "slow" else at(m, o) for m, o in zip(minutes, outcomes)]
    stored, plans = run(Stored(MonitorState(), 0, {}), results, config)
    sent = [p.notification.severity if p.notification else None for p in plans]
    assert sent == [None, "critical", None, None, None, "critical"]
    # When the first cycle at 07:00 is a blip (one good cycle, the alert stays open)
    _, [plan] = run(stored, [at(clock("07:00", day=1))], config)
    note = plan.notification
    # Then the digest carries the open outage: critical, ALARM, never "now operational"
    assert note is not None and note.subject.startswith("DIGEST")
    assert (note.severity, note.verdict) == ("critical", "unconfirmed_outage")
    assert "now operational" not in note.subject
    assert json.loads(note.webhook)["NewStateValue"] == "ALARM"


def test_given_a_muted_recovery_of_an_alert_that_paged_then_it_goes_when_the_mute_ends():
    # Given QUIET_HOURS=22-07, a critical that paged at 21:01, `mute --for 2h` at 22:00
    config = replace(CONFIG, quiet_hours=parse_quiet("22-07"))
    stored, plans = run(
        Stored(MonitorState(), 0, {}),
        [at(clock("21:00"), "overloaded"), at(clock("21:01"), "overloaded")],
        config,
    )
    assert plans[-1].notification.severity == "critical"
    quiet = QuietState.from_dict(stored.state.quiet)
    quiet.mute(T0 + timedelta(minutes=clock("22:00")), timedelta(hours=2), "planned work")
    stored.state.quiet = quiet.to_dict()
    # And the recovery at 22:41 is muted
    stored, plans = run(stored, [at(clock("22:40")), at(clock("22:41"))], config)
    assert all(p.notification is None for p in plans)
    # When the mute ends at 00:00, inside quiet hours
    _, [plan] = run(stored, [at(clock("00:00", day=1))], config)
    # Then the RESOLVED goes at once (what it resolves was sent), not at 07:00
    note = plan.notification
    assert note is not None and note.severity == "ok"
    assert json.loads(note.webhook)["NewStateValue"] == "OK"


def with_bedrock(result: CheckResult, outcome: str) -> CheckResult:
    from functions.monitor.models import BedrockResult

    result.bedrock = [BedrockResult(model="claude-haiku-5-5", outcome=outcome, model_id="us.x")]
    result.region = "eu-west-1"
    return result


def test_given_bedrock_alerts_then_the_bedrock_and_api_alerts_have_their_own_webhook_keys():
    # Given BEDROCK_ALERTS and webhooks: Bedrock fails (WARNING, ALARM)
    config = replace(CONFIG, bedrock_alerts=True)
    results = [with_bedrock(at(m), "server_error") for m in (0, 1)]
    # When the API then has an outage, and recovers, while Bedrock still fails
    results += [with_bedrock(at(m, "overloaded"), "server_error") for m in (2, 3)]
    results += [with_bedrock(at(m), "server_error") for m in (4, 5)]
    _, plans = run(Stored(MonitorState(), 0, {}), results, config)
    bodies = [json.loads(p.notification.webhook) for p in plans if p.notification]
    assert [b["NewStateValue"] for b in bodies] == ["ALARM", "ALARM", "OK"]
    bedrock, outage, resolved = bodies
    # Then the API's RESOLVED closes the API's key, not the Bedrock one still failing
    assert outage["dedup_key"] == resolved["dedup_key"] == "claude-api-monitor:eu-west-1"
    assert bedrock["dedup_key"] == "claude-api-monitor:eu-west-1:bedrock:claude-haiku-5-5"
    assert bedrock["AlarmName"] == bedrock["dedup_key"] != resolved["AlarmName"]
    assert bedrock["severity"] == "warning"


def test_given_both_alerts_change_in_one_message_then_each_gets_its_own_webhook_body():
    # Given BEDROCK_ALERTS and webhooks, when the API and Bedrock fail in the same cycles
    config = replace(CONFIG, bedrock_alerts=True)
    results = [with_bedrock(at(m, "overloaded"), "server_error") for m in (0, 1)]
    _, plans = run(Stored(MonitorState(), 0, {}), results, config)
    bodies = json.loads(plans[-1].notification.webhook)
    # Then the webhook gets one body per alert, each with its own key
    assert isinstance(bodies, list) and len(bodies) == 2
    keys = {b["dedup_key"]: b["NewStateValue"] for b in bodies}
    assert keys == {
        "claude-api-monitor:eu-west-1": "ALARM",
        "claude-api-monitor:eu-west-1:bedrock:claude-haiku-5-5": "ALARM",
    }
    for body in bodies:
        jsonschema.validate(body, WEBHOOK_SCHEMA)


def test_given_a_stale_critical_merged_with_its_resolved_then_the_message_is_the_resolved():
    # Given an outage whose CRITICAL was never sent (left in the outbox)
    _, plans = run(Stored(MonitorState(), 0, {}), [at(0, "overloaded"), at(1, "overloaded")])
    first = plans[-1]
    stored = Stored(first.state, 5, first.outbox)
    # When, after its lease, the recovery is planned and the stale CRITICAL merged into it
    plan = plan_cycle(stored, at(2), CONFIG, 10_000.0)
    plan = plan_cycle(Stored(plan.state, 6, plan.outbox), at(3), CONFIG, 20_000.0)
    note = plan.notification
    # Then it takes the latest state: a RESOLVED, never a red CRITICAL icon on it
    assert (note.severity, note.verdict) == ("ok", "operational")
    title = json.loads(note.chat)["content"]["title"]
    assert "🔴" not in title and "RESOLVED" in title and "unconfirmed_outage" not in title
    body = json.loads(note.webhook)
    assert body["NewStateValue"] == "OK" and body["urgency"] == "low"


def test_given_an_event_dated_behind_the_last_cycle_then_the_stored_times_never_go_back():
    # Given an outage alert notified at 17:01, the last cycle at 17:01
    results = [at(60, "overloaded"), at(61, "overloaded")]
    stored, plans = run(Stored(MonitorState(), 0, {}), results)
    assert plans[-1].notification is not None
    assert stored.state.last_cycle_at == stored.state.last_notified_at == "2026-11-25T17:01:00Z"
    # When a late delivery of an event dated 16:30 (up to a day behind) recovers it
    stored, plans = run(stored, [at(30), at(31)])
    # Then it is recorded, but last_cycle_at and last_notified_at stay at 17:01
    assert plans[-1].notification is not None
    assert stored.state.last_cycle_at == "2026-11-25T17:01:00Z"
    assert stored.state.last_notified_at == "2026-11-25T17:01:00Z"


def test_given_a_bedrock_alert_held_overnight_then_its_digest_raises_its_own_key_not_ok():
    # Given BEDROCK_ALERTS, quiet hours 16-17, and Bedrock failing from 16:00 (a
    # warning: held) while the API is fine
    config = replace(CONFIG, bedrock_alerts=True, quiet_hours=parse_quiet("16-17"))
    results = [with_bedrock(at(m), "server_error") for m in (0, 1)]
    stored, plans = run(Stored(MonitorState(), 0, {}), results, config)
    assert all(p.notification is None for p in plans)
    # When the hours end with Bedrock still failing
    _, [plan] = run(stored, [with_bedrock(at(60), "server_error")], config)
    body = json.loads(plan.notification.webhook)
    # Then the digest is a warning under the Bedrock path's key, never an OK
    assert plan.notification.severity == "warning" and body["NewStateValue"] == "ALARM"
    assert body["dedup_key"] == "claude-api-monitor:eu-west-1:bedrock:claude-haiku-5-5"
