"""Chat and webhook variants, validated against their schemas.

The chat schema is the one Amazon Q Developer in chat applications documents for
custom notifications (version 1.0, source custom, content, metadata); the webhook
schema is ours, printed in docs/WEBHOOKS.md.
"""

from __future__ import annotations

import json

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from functions.monitor.decide.verdict import NEXT_STEP
from functions.monitor.models import (
    ALL_OUTCOMES,
    SEVERITY,
    CanaryResult,
    CheckResult,
    Incident,
    StatusPage,
    Transition,
    Verdict,
)
from functions.monitor.tell.chat import (
    CHAT_SCHEMA,
    DESCRIPTION_MAX,
    URGENCY,
    WEBHOOK_SCHEMA,
    chat_message,
    webhook_body,
    webhook_subject,
)
from functions.monitor.tell.text import compose
from tests.channels_support import outage


def test_given_an_outage_when_rendered_for_chat_then_it_is_a_valid_custom_notification():
    note, result = outage()
    message = chat_message(note, result)
    jsonschema.validate(message, CHAT_SCHEMA)
    assert message["version"] == "1.0" and message["source"] == "custom"
    assert message["content"]["textType"] == "client-markdown"
    assert message["id"] == "n-42"
    # survives the trip through SNS as a JSON string
    assert json.loads(json.dumps(message)) == message


def test_given_an_outage_then_the_chat_message_carries_every_fact_a_responder_needs():
    note, result = outage()
    content = chat_message(note, result)["content"]
    text = content["description"]
    assert "outage (critical)" in text  # the verdict
    assert "overall operational → outage" in text  # what changed
    assert "`claude-haiku-5-5`: overloaded, HTTP 529" in text  # failing model, outcome, status
    assert "claude-sonnet-4-5" not in text  # passing ones are not noise
    # the incident link, on the status page's own host (issue 18: no other host)
    assert "https://status.claude.com/incidents/inc1" in text and "stspg.io" not in text
    assert "seen 4 min before the status page" in text  # the lead time
    assert content["nextSteps"] == [NEXT_STEP["outage"]]  # the next step
    assert "upstream text" not in json.dumps(content)
    assert content["title"].startswith("🔴 Claude API | CRITICAL: outage | eu-west-1")


def test_given_a_recovery_then_the_title_says_resolved_and_the_event_type_too():
    note, result = outage(
        transitions=[Transition("overall", "outage", "operational")],
        verdict="operational",
        lead=None,
    )
    message = chat_message(note, result)
    jsonschema.validate(message, CHAT_SCHEMA)
    assert "RESOLVED: operational" in message["content"]["title"]
    assert message["metadata"]["eventType"] == "ClaudeApiResolved"
    assert "Lead time" not in message["content"]["description"]


def test_given_a_reminder_without_transitions_then_it_says_the_alert_is_still_open():
    note, result = outage(transitions=[])
    assert "still open" in chat_message(note, result)["content"]["description"]


def test_given_an_unreadable_status_page_then_chat_says_so():
    note, result = outage(reachable=False, verdict="unconfirmed_outage")
    assert "unreadable (HTTP 503" in chat_message(note, result)["content"]["description"]


def test_the_schema_test_would_catch_a_field_amazon_q_does_not_know():
    note, result = outage()
    message = chat_message(note, result)
    message["content"]["body"] = "not in the schema"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(message, CHAT_SCHEMA)
    del message["content"]["body"]
    message["source"] = "aws.cloudwatch"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(message, CHAT_SCHEMA)


@settings(max_examples=60, deadline=None)
@given(
    outcomes=st.lists(st.sampled_from(sorted(ALL_OUTCOMES)), min_size=1, max_size=12),
    verdict=st.sampled_from(sorted(SEVERITY)),
    summary=st.text(max_size=2000),
    names=st.text(min_size=1, max_size=300),
)
def test_given_any_result_then_the_chat_message_stays_within_schema_and_caps(
    outcomes, verdict, summary, names
):
    canaries = [
        CanaryResult(f"model-{i}-{names[:60]}", o, http_status=500, request_id="r" * 80)
        for i, o in enumerate(outcomes)
    ]
    page = StatusPage(
        True,
        api_status="operational",
        incidents=[Incident("i", names, "identified", "minor", "https://x", [], None)],
    )
    result = CheckResult("2026-11-25T16:00:00Z", Verdict(verdict, summary), page, canaries)
    result.transitions = [Transition("overall", "operational", verdict)]
    note = compose("n", result.transitions, result, None)
    message = chat_message(note.to_dict(), result.to_dict())
    jsonschema.validate(message, CHAT_SCHEMA)
    assert len(message["content"]["description"]) <= DESCRIPTION_MAX


# webhook body


def test_given_an_outage_when_rendered_for_webhooks_then_the_documented_body_validates():
    note, result = outage()
    body = webhook_body(note, result)
    jsonschema.validate(body, WEBHOOK_SCHEMA)
    assert body["notification_id"] == "n-42" and body["kind"] == "alert"
    assert body["verdict"] == "outage" and body["severity"] == "critical"
    assert body["transitions"] == [{"target": "overall", "from": "operational", "to": "outage"}]
    assert body["failing_models"] == ["claude-haiku-5-5"]
    assert body["incident_links"] == ["https://stspg.io/abc"]
    assert body["incidents"][0]["confirms"] == ["api"]
    assert body["lead_time_min"] == 4.0
    assert (body["urgency"], body["priority"]) == ("high", "P1")
    assert body["NewStateValue"] == "ALARM" and body["dedup_key"] == "claude-api-monitor:eu-west-1"
    assert "upstream text" not in json.dumps(body)


def test_given_a_recovery_then_the_webhook_resolves_the_same_dedup_key():
    alert = webhook_body(*outage())
    note, result = outage(
        transitions=[Transition("overall", "outage", "operational")],
        verdict="operational",
        lead=None,
    )
    resolved = webhook_body(note, result)
    jsonschema.validate(resolved, WEBHOOK_SCHEMA)
    assert resolved["kind"] == "resolved" and resolved["NewStateValue"] == "OK"
    assert resolved["dedup_key"] == alert["dedup_key"]


@pytest.mark.parametrize(("severity", "expected"), sorted(URGENCY.items()))
def test_every_severity_maps_to_one_urgency_and_priority(severity, expected):
    verdict = next(v for v, s in SEVERITY.items() if s == severity)
    note, result = outage(verdict=verdict)
    body = webhook_body(note, result)
    jsonschema.validate(body, WEBHOOK_SCHEMA)
    assert (body["urgency"], body["priority"]) == expected


def test_given_a_digest_kind_then_it_is_kept():
    body = webhook_body(*outage(), kind="digest")
    jsonschema.validate(body, WEBHOOK_SCHEMA)
    assert body["kind"] == "digest"


def test_the_webhook_subject_is_short_ascii_and_starts_like_an_alarm():
    body = webhook_body(*outage())
    subject = webhook_subject(body)
    assert subject.startswith("ALARM: CRITICAL: Claude API outage")
    assert len(subject) <= 100 and subject.isascii()


# -- issue 18: text from outside, links, caps, threads, failover advice ---------------


def test_given_a_hostile_incident_name_then_the_chat_message_neither_pings_nor_links_away():
    # Given an incident named to ping a channel behind a link to another host
    note, result = outage()
    result["status_page"]["incidents"][0]["name"] = (
        "<!channel> <https://evil.example/rotate|Rotate your API key now> *urgent* "
        "[x](https://evil.example)"
    )
    message = chat_message(note, result)
    text = message["content"]["description"]
    # Then no mention, no Slack or Teams link and no working URL to that host survive
    for markup in ("<!channel>", "<https://", "|Rotate", "](", "https://evil.example", "*urgent*"):
        assert markup not in text, markup
    assert "&lt;!channel&gt;" in text and "evil(.)example" in text
    # And the incident still links to the status page's own host
    assert "https://status.claude.com/incidents/inc1" in text
    assert message["metadata"]["relatedResources"] == ["https://status.claude.com/incidents/inc1"]
    jsonschema.validate(message, CHAT_SCHEMA)


def test_given_many_incidents_then_related_resources_are_capped_and_on_the_page_host():
    # Given 40 open incidents, their shortlinks on another host
    note, result = outage()
    incident = result["status_page"]["incidents"][0]
    result["status_page"]["incidents"] = [
        {**incident, "id": f"inc{n}", "shortlink": "https://stspg.io/x"} for n in range(40)
    ]
    related = chat_message(note, result)["metadata"]["relatedResources"]
    # Then a handful of links, each on the status page's host
    assert 0 < len(related) <= 5
    assert all(link.startswith("https://status.claude.com/incidents/") for link in related)


def test_given_the_api_failing_and_bedrock_answering_then_chat_next_steps_say_fail_over():
    # Given a cycle whose failover step says to fail over (as next_step puts it first)
    from functions.monitor.decide.failover import FAIL_OVER

    note, result = outage()
    result["failover"] = {"claude-haiku-5-5": FAIL_OVER}
    content = chat_message(note, result)["content"]
    body = webhook_body(note, result)
    # Then the chat's next steps and the webhook's next_step carry it first
    assert content["nextSteps"][0].startswith(FAIL_OVER)
    assert content["nextSteps"][1] == NEXT_STEP["outage"]
    assert body["next_step"].startswith(FAIL_OVER)


def test_a_chat_message_threads_with_its_alerts_other_messages():
    # Given an alert, then its chat message carries the alert's key as threadId
    note, result = outage()
    assert chat_message(note, result)["metadata"]["threadId"] == "claude-api-monitor:eu-west-1"
    # And a Bedrock path's own alert threads apart from the API's
    bedrock = {**note, "alert": "bedrock:claude-haiku-5-5"}
    threaded = chat_message(bedrock, result)["metadata"]["threadId"]
    assert threaded == "claude-api-monitor:eu-west-1:bedrock:claude-haiku-5-5"
