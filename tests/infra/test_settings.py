"""Every context value is validated at synth: one line that names it, a non-zero exit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from infra.settings import DEFAULTS, SettingsError, load

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("failureThreshold", "0", "between 1 and"),
        ("recoveryThreshold", "-1", "between 1 and"),
        # the function's timeout would be 1005 s, over Lambda's 900 s
        ("deadlineSeconds", "1000", "between 1 and 840"),
        # past the function's own bounds (config.py): every cycle would fail at start
        ("deadlineSeconds", "841", "between 1 and 840"),
        ("failureThreshold", "61", "between 1 and 60"),
        ("recoveryThreshold", "1000", "between 1 and 60"),
        ("reminderMinutes", "10081", "between 0 and 10080"),
        ("latencySlowMs", "900001", "between 1 and 900000"),
        ("retentionDays", "3651", "between 1 and 3650"),
        ("models", ",".join(f"claude-m{n}" for n in range(21)), "at most 20"),
        # EventBridge rejects both day fields set (or both '?') at deploy time
        ("schedule", "cron(* * * * * *)", "exactly one of day-of-month"),
        ("schedule", "cron(0 * ? * ? *)", "exactly one of day-of-month"),
        ("schedule", "every-minute", "EventBridge expression"),
        ("schedule", "rate(1 minutes)", "rate(1 minute)"),
        ("schedule", "rate(5 minute)", "rate(N minutes)"),
        ("emails", "not-an-email", "email address"),
        ("emails", "a@example.com,oops", "email address"),
        ("phones", "5555550100", "E.164"),
        ("memoryMb", "abc", "whole number"),
        ("memoryMb", "64", "between 128 and 10240"),
        ("regions", "us_east_1", "AWS region"),
        ("models", "Claude Haiku", "model id"),
        ("smsSeverities", "loud", "one of"),
        ("apiKeyParameter", "claude/key", "starting with /"),
        ("apiKeyKmsKeyArn", "alias/aws/ssm", "KMS key ARN"),
        ("headroomAlarmBelow", "1.5", "below 1"),
        # the function publishes RateLimitHeadroom only under 0.5: the alarm would be blind
        ("headroomAlarmBelow", "0.6", "at most 0.5"),
        ("errorRateWarn", "x", "a number"),
        ("latencySlowMs", "0", "between 1 and 900000"),
        ("retentionDays", "0", "between 1 and 3650"),
        ("logRetentionDays", "99999", "between 1 and"),
        ("namespace", "AWS/Lambda", "namespace"),
        ("dashboard", "maybe", "true or false"),
        ("topicKey", "2", "true or false"),
        ("alarmActions", "some", "monitor, all"),
        ("canaryBurst", "0", "between 1 and"),
        ("answerCheckEvery", "-1", "between 0 and 1440"),
        ("answerCheckEvery", "often", "whole number"),
    ],
)
def test_a_bad_context_value_fails_with_one_line_naming_it(name, value, says):
    # Given one bad context value, when the settings load, then the error names it
    with pytest.raises(SettingsError) as caught:
        load({name: value})
    message = str(caught.value)
    assert f"'{name}'" in message and says in message and "\n" not in message


def test_the_defaults_load_and_match_cdk_json():
    settings = load({})
    assert settings.models == ("claude-haiku-5-5",)
    assert settings.dashboard is False and settings.topic_key is False
    assert settings.alarm_actions == "monitor"
    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    for key, value in context.items():
        if key in DEFAULTS:
            assert load({key: value}) == settings, key


def test_good_values_pass():
    settings = load(
        {
            "schedule": "rate(5 minutes)",
            "emails": "a@example.com, b@example.org",
            "phones": "+15555550100",
            "deadlineSeconds": "840",
            "memoryMb": "1024",
            "alarmActions": "all",
        }
    )
    assert settings.timeout_seconds == 845
    assert load({"schedule": "cron(0/5 * * * ? *)"}).schedule == "cron(0/5 * * * ? *)"


def test_the_cdk_app_exits_non_zero_with_one_line_for_a_bad_value():
    # Given `cdk synth -c memoryMb=abc` (the CLI passes context as CDK_CONTEXT_JSON),
    # when the app runs, then it prints one line naming memoryMb and exits non-zero
    env = {**os.environ, "CDK_CONTEXT_JSON": json.dumps({"memoryMb": "abc"})}
    run = subprocess.run(
        [sys.executable, "infra/app.py"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert run.returncode != 0
    assert run.stderr.strip().count("\n") == 0, run.stderr
    assert "memoryMb" in run.stderr and "Traceback" not in run.stderr


def test_every_bound_the_synth_accepts_the_function_accepts_too():
    # Given each numeric context value at the largest value the synth accepts (and 20
    # models), when the function reads the environment the stack gives it, then it starts
    from functions.monitor.config import load_config

    at_most = {
        "failureThreshold": "60",
        "recoveryThreshold": "60",
        "reminderMinutes": "10080",
        "deadlineSeconds": "840",
        "latencySlowMs": "900000",
        "errorWindowCycles": "1440",
        "canaryBurst": "10",
        "answerCheckEvery": "1440",
        "retentionDays": "3650",
        "models": ",".join(f"claude-m{n}" for n in range(20)),
    }
    settings = load(at_most)
    env = settings.function_environment("us-east-1", "t", "arn:aws:sns:us-east-1:1:t")
    config = load_config({**env, "AWS_REGION": "us-east-1"})
    assert config.deadline_s == 840 and config.failure_threshold == 60
    assert config.answer_check_every == 1440
    assert len(config.canary_models) == 20


def test_a_value_the_function_would_reject_fails_the_synth_naming_it():
    # Given settings past the function's bounds (as a future bound drift would leave
    # them), when the synth checks the function's environment, then it names the value
    from dataclasses import replace

    from infra.settings import _function_accepts

    with pytest.raises(SettingsError) as caught:
        _function_accepts(replace(load({}), failure_threshold=61))
    assert "'failureThreshold'" in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("name", "value", "field"),
    [
        ("models", "claude-haiku-5-5,claude-haiku-5-5", "models"),
        ("emails", "a@example.com, a@example.com", "emails"),
        ("phones", "+15555550100,+15555550100", "phones"),
    ],
)
def test_a_repeated_entry_counts_once(name, value, field):
    # Given an entry named twice (the function reads models once), when the settings
    # load, then it is one entry, not two constructs of the same name and a traceback
    assert len(getattr(load({name: value}), field)) == 1


def test_a_repeated_region_is_one_stack_not_a_traceback():
    # Given `-c regions=us-east-1,us-east-1`, when the app builds, then one stack
    import aws_cdk as cdk

    from infra.app import build

    stacks = build(cdk.App(context={"regions": "us-east-1,us-east-1"}))
    assert [s.region for s in stacks] == ["us-east-1"]


def test_answer_check_every_reaches_the_function_and_the_function_accepts_it():
    # Given the default and a chosen answerCheckEvery
    from functions.monitor.config import load_config

    for context, expected in (
        ({}, 1),
        ({"answerCheckEvery": "0"}, 0),
        ({"answerCheckEvery": "5"}, 5),
    ):
        env = load(context).function_environment("us-east-1", "t", "arn:aws:sns:us-east-1:1:t")
        # Then the function's environment carries it and the function reads it back
        assert env["ANSWER_CHECK_EVERY"] == str(expected)
        assert load_config({**env, "AWS_REGION": "us-east-1"}).answer_check_every == expected
