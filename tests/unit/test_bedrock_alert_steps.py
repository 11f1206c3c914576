"""A Bedrock path's own alert (BEDROCK_ALERTS) never says "Nothing to do" while it is
open: not when it opens, nor in the digest quiet hours release while it stays open."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from functions.monitor.config import Config
from functions.monitor.decide.failover import annotate
from functions.monitor.decide.state import MonitorState, Stored
from functions.monitor.decide.verdict import decide
from functions.monitor.models import BedrockResult, CanaryResult, CheckResult, StatusPage
from functions.monitor.plan import plan_cycle
from functions.monitor.values import parse_quiet

MODEL = "claude-haiku-5-5"
CONFIG = Config(
    canary_models=(MODEL,),
    bedrock_models=((MODEL, "anthropic.claude-haiku-5-5"),),
    bedrock_alerts=True,
    aws_region="us-east-1",
    quiet_hours=parse_quiet("22-07", setting="QUIET_HOURS"),
)
T0 = datetime(2026, 11, 25, 21, 50, tzinfo=UTC)
PAGE = StatusPage(True, api_status="operational")


def cycle(stored: Stored, n: int, api: str = "ok", bedrock: str = "server_error"):
    at = (T0 + timedelta(minutes=n)).strftime("%Y-%m-%dT%H:%M:%SZ")
    canaries = [CanaryResult(MODEL, api, samples=2, requests=2)]
    result = CheckResult(
        at, decide(PAGE, canaries), PAGE, canaries, bedrock=[BedrockResult(MODEL, bedrock)]
    )
    annotate(result)
    plan = plan_cycle(stored, result, CONFIG, 1_000_000.0 + 60 * n)
    return Stored(plan.state, stored.version + 1, {}), plan.notification


def step(notification) -> str:
    return notification.email.split("Next step: ")[-1]


def test_given_bedrock_failing_alone_then_its_warning_and_the_digest_name_a_step():
    # Given Bedrock failing from 21:51 while the API answers; during quiet hours the
    # API is slow for 15 min (a warning, held) then fine again (held too)
    stored, sent = Stored(MonitorState(), 0, {}), []
    for n in range(560):
        api = "slow" if 15 <= n < 30 else "ok"
        stored, note = cycle(stored, n, api)
        sent += [note] if note else []
    # Then the Bedrock warning at 21:51 and the 07:00 digest, both of the open
    # Bedrock alert, tell what to do about it, never "Nothing to do"
    warning, digest = sent
    assert warning.alert == digest.alert == f"bedrock:{MODEL}"
    assert digest.subject.startswith("DIGEST") and digest.severity == "warning"
    for note in (warning, digest):
        assert "Nothing to do" not in step(note)
        assert "Bedrock" in step(note) and "RESOLVED" in step(note)
    assert "Amazon Bedrock alert for claude-haiku-5-5 stays open" in digest.email
