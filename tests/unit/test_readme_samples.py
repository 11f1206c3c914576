"""The README's sample messages are what the code sends (tests/samples.py makes them)."""

from __future__ import annotations

import json

from tests.samples import README, readme_block, render_samples


def test_the_readme_sample_messages_are_what_the_code_composes():
    # Given: the README's sample block, and the messages the real plan composes now
    block = readme_block(README.read_text())
    assert block is not None, "README.md lost its <!-- samples:start --> block"
    # Then: they are the same, word for word
    assert block == render_samples(), (
        "README.md's sample messages drifted from the code; refresh them with "
        "`.venv/bin/python -m tests.samples`"
    )


def test_the_samples_show_each_channel_as_received():
    text = render_samples()
    assert "Subject: CRITICAL: Claude API" in text
    sms = text.split("**SMS**")[1].split("```text\n")[1].split("\n```")[0]
    assert 0 < len(sms) <= 160
    assert "🔴 Claude API | CRITICAL" in text
    body = text.split("```json\n")[1].split("\n```")[0]
    assert json.loads(body)["schema"] == "claude-api-monitor/notification"
