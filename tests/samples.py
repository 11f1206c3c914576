"""The README's sample messages, generated from the code: one email, one SMS, one
Slack message and one webhook body, as a person receives them when an outage opens.

Two outage cycles on a fixed clock go through the real plan (hysteresis, composition,
the chat and webhook variants committed with the outbox entry); nothing is written
by hand. tests/unit/test_readme_samples.py fails when README.md's block drifts from
this. To refresh the block after changing a message:

    .venv/bin/python -m tests.samples
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from functions.monitor.config import load_config
from functions.monitor.decide.state import MonitorState, Stored
from functions.monitor.decide.verdict import decide
from functions.monitor.models import CanaryResult, CheckResult, Incident, StatusPage
from functions.monitor.plan import plan_cycle

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- samples:start -->", "<!-- samples:end -->"
REGION = "us-east-1"
ENV = {
    "AWS_REGION": REGION,
    "TOPIC_ARN": f"arn:aws:sns:{REGION}:123456789012:ClaudeMonitor-Alerts",
    "WEBHOOK_TOPIC_ARN": f"arn:aws:sns:{REGION}:123456789012:ClaudeMonitor-Webhooks",
    "CANARY_MODELS": "claude-haiku-5-5",
}


def _cycle(minute: int, confirmed: bool) -> CheckResult:
    """One outage cycle: the canary overloaded; the page confirms it from `confirmed`."""
    incidents = []
    if confirmed:
        incidents.append(
            Incident(
                "inc-1",
                "Elevated errors on Claude Haiku 5.5",
                "investigating",
                "major",
                "https://stspg.io/sample",
                ["Claude API (api.anthropic.com)"],
                "2026-11-25T16:03:00Z",
                started_at="2026-11-25T15:58:00Z",
                confirms=["claude-haiku-5-5"],
            )
        )
    page = StatusPage(
        True,
        indicator="major" if confirmed else "none",
        description="Partial System Outage" if confirmed else "All Systems Operational",
        api_status="major_outage" if confirmed else "operational",
        components=[{"name": "Claude API (api.anthropic.com)", "status": "operational"}],
        incidents=incidents,
    )
    canary = CanaryResult(
        "claude-haiku-5-5",
        "overloaded",
        http_status=529,
        error_type="overloaded_error",
        request_id=f"req_011CSample{minute:04d}",
        attempts=3,
        samples=1,
        requests=3,
        failed_requests=3,
    )
    checked_at = f"2026-11-25T16:{minute:02d}:00Z"
    return CheckResult(checked_at, decide(page, [canary]), page, [canary], region=REGION)


def outage_notification():
    """The notification the second bad cycle commits, through the real plan."""
    config = load_config(ENV)
    stored = Stored(MonitorState(), 0, {})
    first = plan_cycle(stored, _cycle(1, confirmed=False), config, 1_764_000_060.0)
    stored = Stored(first.state, 1, {})
    second = plan_cycle(stored, _cycle(2, confirmed=False), config, 1_764_000_120.0)
    assert first.notification is None and second.notification is not None, "two bad cycles"
    return second.notification


def _slack(chat: dict) -> str:
    """What Slack shows of Amazon Q's custom notification: title, text, next steps."""
    content = chat["content"]
    lines = [content["title"], "", content["description"], "", "Next steps"]
    lines += [f"• {step}" for step in content.get("nextSteps", [])]
    return "\n".join(lines)


def render_samples() -> str:
    """The README block between the markers, markers excluded."""
    note = outage_notification()
    webhook = json.dumps(json.loads(note.webhook), indent=2, ensure_ascii=False)
    parts = [
        "**Email** (subject, then body):",
        "",
        "```text",
        f"Subject: {note.subject}",
        "",
        note.email.rstrip(),
        "```",
        "",
        "**SMS** (one part, 160 characters at most):",
        "",
        "```text",
        note.sms,
        "```",
        "",
        "**Slack** (Amazon Q Developer's rendering of the custom notification):",
        "",
        "```text",
        _slack(json.loads(note.chat)),
        "```",
        "",
        "**Webhook body** (`-c webhooks=...`; schema in docs/WEBHOOKS.md):",
        "",
        "```json",
        webhook,
        "```",
    ]
    return "\n".join(parts)


def readme_block(text: str) -> str | None:
    match = re.search(re.escape(START) + r"\n(.*?)\n?" + re.escape(END), text, re.S)
    return match.group(1) if match else None


def main() -> int:
    text = README.read_text()
    if readme_block(text) is None:
        print(f"error: README.md has no {START} ... {END} block", file=sys.stderr)
        return 1
    fresh = f"{START}\n{render_samples()}\n{END}"
    pattern = re.escape(START) + r"\n.*?\n?" + re.escape(END)
    README.write_text(re.sub(pattern, lambda _: fresh, text, flags=re.S))
    print("README.md sample messages refreshed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
