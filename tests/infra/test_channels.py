"""The Channels construct on a tiny stack with one topic: each option present and absent,
cdk-nag's AwsSolutions pack clean, and the context parser's one-line errors."""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Annotations, Match, Template

from infra.channels import CHAT_READ_ACTIONS, Channels, ChannelSettings, parse_channel_context

SLACK = {"slackWorkspaceId": "T0123ABCD", "slackChannelId": "C0456EFGH"}
TEAMS = {
    "teamsTeamId": "74361522-da01-438d-aa2e-ac7918c6bb92",
    "teamsChannelId": "19:abcDEF123@thread.tacv2",
    "teamsTenantId": "11111111-2222-4333-8444-555555555555",
}
HOOKS = {
    "webhooks": "https://events.example.com/integration/abc/enqueue,https://hooks.example.org/x"
}
EVERYTHING = {**SLACK, **TEAMS, **HOOKS, "quiet": "22-07"}


def tiny(context: dict[str, str]):
    import aws_cdk as cdk
    from aws_cdk import aws_cloudwatch as cw
    from aws_cdk import aws_kms as kms
    from aws_cdk import aws_sns as sns
    from cdk_nag import AwsSolutionsChecks

    app = cdk.App()
    stack = cdk.Stack(app, "Tiny", env=cdk.Environment(account="123456789012", region="us-east-1"))
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    topic = sns.Topic(stack, "Alerts", master_key=key, enforce_ssl=True)
    channels = Channels(
        stack, "Channels", topic=topic, key=key, settings=parse_channel_context(context.get)
    )
    alarm = cw.Alarm(
        stack,
        "Heartbeat",
        metric=cw.Metric(namespace="X", metric_name="Heartbeat"),
        threshold=1,
        evaluation_periods=1,
    )
    channels.forward_alarms([alarm])
    role = cdk.aws_iam.Role(
        stack, "FnRole", assumed_by=cdk.aws_iam.ServicePrincipal("lambda.amazonaws.com")
    )
    channels.grant_publish(role)
    cdk.Aspects.of(app).add(AwsSolutionsChecks(verbose=True))
    app.synth()
    return stack, Template.from_stack(stack), channels


@pytest.fixture(scope="module")
def nothing():
    return tiny({})


@pytest.fixture(scope="module")
def everything():
    return tiny(EVERYTHING)


# absent


def test_given_no_channel_options_then_nothing_is_added_but_the_tiny_stack(nothing):
    _, template, channels = nothing
    for kind in (
        "AWS::Chatbot::SlackChannelConfiguration",
        "AWS::Chatbot::MicrosoftTeamsChannelConfiguration",
        "AWS::SNS::Subscription",
        "AWS::SQS::Queue",
        "AWS::IAM::ManagedPolicy",
    ):
        template.resource_count_is(kind, 0)
    template.resource_count_is("AWS::SNS::Topic", 1)
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm", {"AlarmActions": Match.absent(), "OKActions": Match.absent()}
    )
    assert channels.function_environment() == {}


# Slack


def test_given_slack_ids_then_a_slack_channel_listens_to_the_alert_topic_read_only():
    _, template, _ = tiny(SLACK)
    template.resource_count_is("AWS::Chatbot::SlackChannelConfiguration", 1)
    template.resource_count_is("AWS::Chatbot::MicrosoftTeamsChannelConfiguration", 0)
    template.has_resource_properties(
        "AWS::Chatbot::SlackChannelConfiguration",
        {
            "ConfigurationName": "Tiny-slack",
            "SlackWorkspaceId": "T0123ABCD",
            "SlackChannelId": "C0456EFGH",
            "SnsTopicArns": [{"Ref": Match.string_like_regexp("Alerts")}],
            "GuardrailPolicies": [{"Ref": Match.string_like_regexp("ChatGuardrail")}],
            "IamRoleArn": {"Fn::GetAtt": [Match.string_like_regexp("ChatRole"), "Arn"]},
            "LoggingLevel": "ERROR",
            "UserRoleRequired": False,
        },
    )
    _assert_chat_can_only_read(template)


def _assert_chat_can_only_read(template: Template) -> None:
    """No chat user can change anything: role and guardrail allow CloudWatch reads only."""
    for policy_type in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        for resource in template.find_resources(policy_type).values():
            for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
                assert statement["Effect"] == "Allow"
                assert sorted(statement["Action"]) == sorted(CHAT_READ_ACTIONS), statement
    roles = template.find_resources(
        "AWS::IAM::Role",
        {"Properties": {"AssumeRolePolicyDocument": Match.object_like({})}},
    )
    chat_roles = [
        r for r in roles.values() if "chatbot" in str(r["Properties"]["AssumeRolePolicyDocument"])
    ]
    assert len(chat_roles) == 1
    assert "ManagedPolicyArns" not in chat_roles[0]["Properties"]


# Teams


def test_given_teams_ids_then_a_teams_channel_listens_with_the_documented_encoded_channel_id():
    _, template, _ = tiny(TEAMS)
    template.resource_count_is("AWS::Chatbot::SlackChannelConfiguration", 0)
    template.has_resource_properties(
        "AWS::Chatbot::MicrosoftTeamsChannelConfiguration",
        {
            "ConfigurationName": "Tiny-teams",
            "TeamId": TEAMS["teamsTeamId"],
            "TeamsTenantId": TEAMS["teamsTenantId"],
            "TeamsChannelId": "19%3aabcDEF123%40thread.tacv2",
            "SnsTopicArns": [{"Ref": Match.string_like_regexp("Alerts")}],
            "GuardrailPolicies": [{"Ref": Match.string_like_regexp("ChatGuardrail")}],
            "LoggingLevel": "ERROR",
            "UserRoleRequired": False,
        },
    )
    _assert_chat_can_only_read(template)


# webhooks


def test_given_webhooks_then_each_is_an_https_subscription_with_retries_and_a_dlq(everything):
    _, template, _ = everything
    subs = template.find_resources("AWS::SNS::Subscription")
    assert len(subs) == 2
    endpoints = sorted(s["Properties"]["Endpoint"] for s in subs.values())
    assert endpoints == sorted(HOOKS["webhooks"].split(","))
    for sub in subs.values():
        props = sub["Properties"]
        assert props["Protocol"] == "https"
        assert props.get("RawMessageDelivery", False) is False  # the signed envelope
        assert "Alerts" not in str(props["TopicArn"])  # their own topic, not the chat one
        assert "WebhookDlq" in str(props["RedrivePolicy"]["deadLetterTargetArn"])
        retry = props["DeliveryPolicy"]["healthyRetryPolicy"]
        assert retry["numRetries"] == 12 and retry["backoffFunction"].lower() == "exponential"
        backoff = retry["numRetries"] - sum(
            retry[k] for k in ("numNoDelayRetries", "numMinDelayRetries", "numMaxDelayRetries")
        )
        worst = (
            retry["numMinDelayRetries"] * retry["minDelayTarget"]
            + (backoff + retry["numMaxDelayRetries"]) * retry["maxDelayTarget"]
        )
        assert worst < 3600  # SNS's ceiling for one message's retries
        assert props["DeliveryPolicy"]["requestPolicy"]["headerContentType"] == "application/json"


def test_given_webhooks_then_their_topic_is_encrypted_and_the_dlq_is_alarmed_to_people(everything):
    _, template, _ = everything
    template.resource_count_is("AWS::SNS::Topic", 2)
    template.has_resource_properties(
        "AWS::SNS::Topic",
        {
            "DisplayName": "Claude API monitor webhooks",
            "KmsMasterKeyId": {"Fn::GetAtt": [Match.string_like_regexp("Key"), "Arn"]},
        },
    )
    template.has_resource_properties("AWS::SQS::Queue", {"SqsManagedSseEnabled": True})
    template.has_resource_properties(
        "AWS::SQS::QueuePolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Action": "sqs:SendMessage",
                                "Principal": {"Service": "sns.amazonaws.com"},
                            }
                        )
                    ]
                )
            }
        },
    )
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "MetricName": "ApproximateNumberOfMessagesVisible",
            "AlarmActions": [{"Ref": Match.string_like_regexp("Alerts")}],
        },
    )


def test_given_webhooks_then_alarms_are_forwarded_and_the_function_may_publish(everything):
    _, template, channels = everything
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "MetricName": "Heartbeat",
            "AlarmActions": [{"Ref": Match.string_like_regexp("Webhooks")}],
            "OKActions": [{"Ref": Match.string_like_regexp("Webhooks")}],
        },
    )
    template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Action": "sns:Publish",
                                "Resource": {"Ref": Match.string_like_regexp("Webhooks")},
                            }
                        )
                    ]
                )
            }
        },
    )
    env = channels.function_environment()
    assert env["QUIET_HOURS"] == "22-07" and "WEBHOOK_TOPIC_ARN" in env


# cdk-nag


@pytest.mark.parametrize("which", ["nothing", "everything"])
def test_cdk_nag_aws_solutions_is_clean_with_and_without_channels(which, request):
    stack, template, _ = request.getfixturevalue(which)
    pattern = Match.string_like_regexp("AwsSolutions-.*")
    errors = Annotations.from_stack(stack).find_error("*", pattern)
    warnings = Annotations.from_stack(stack).find_warning("*", pattern)
    assert errors == [], [e.entry.data for e in errors]
    assert warnings == [], [w.entry.data for w in warnings]
    for resource in template.to_json()["Resources"].values():
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", []):
            assert len(rule["reason"]) > 40, rule


# context parsing


def test_given_every_option_then_the_settings_hold_them():
    settings = parse_channel_context(EVERYTHING.get)
    assert settings.slack and settings.teams
    assert settings.webhooks == tuple(HOOKS["webhooks"].split(","))
    assert settings.teams_channel_id == "19%3aabcDEF123%40thread.tacv2"
    assert settings.quiet == "22-07"


def test_given_an_already_encoded_teams_channel_id_then_it_is_kept():
    ctx = {**TEAMS, "teamsChannelId": "19%3aabc%40thread.tacv2"}
    assert parse_channel_context(ctx.get).teams_channel_id == "19%3aabc%40thread.tacv2"


def test_given_nothing_then_no_channels():
    assert parse_channel_context({}.get) == ChannelSettings()


@pytest.mark.parametrize(
    ("context", "key"),
    [
        ({"slackWorkspaceId": "T0123ABCD"}, "slackChannelId"),
        ({"slackChannelId": "C1"}, "slackWorkspaceId"),
        ({**SLACK, "slackWorkspaceId": "my workspace"}, "slackWorkspaceId"),
        ({**SLACK, "slackChannelId": "#alerts"}, "slackChannelId"),
        ({"teamsTeamId": TEAMS["teamsTeamId"]}, "teamsChannelId"),
        ({**TEAMS, "teamsTenantId": "contoso"}, "teamsTenantId"),
        ({**TEAMS, "teamsTeamId": "123"}, "teamsTeamId"),
        ({**TEAMS, "teamsChannelId": "general"}, "teamsChannelId"),
        ({"webhooks": "http://plain.example.com/hook?apiKey=SECRET"}, "webhooks"),
        ({"webhooks": "https://a.example/x,https://a.example/x"}, "webhooks"),
        ({"webhooks": "not a url"}, "webhooks"),
        ({"quiet": "late"}, "quiet"),
    ],
)
def test_given_a_bad_option_then_a_one_line_error_names_the_key_and_never_the_url(context, key):
    with pytest.raises(ValueError) as err:
        parse_channel_context(context.get)
    message = str(err.value)
    assert f"'{key}'" in message and "\n" not in message
    assert "SECRET" not in message


def test_cfn_lint_accepts_the_template_with_every_channel(everything, tmp_path):
    import json
    import subprocess
    import sys
    from pathlib import Path

    _, template, _ = everything
    path = tmp_path / "channels.json"
    path.write_text(json.dumps(template.to_json()))
    cfn_lint = str(Path(sys.executable).with_name("cfn-lint"))
    run = subprocess.run([cfn_lint, str(path)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def test_given_a_deny_all_guardrail_then_the_channel_role_has_no_permission_at_all():
    stack, template, _ = tiny({**SLACK, **TEAMS, "chatGuardrail": "deny-all"})
    deny_all = {
        "Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::aws:policy/AWSDenyAll"]]
    }
    template.has_resource_properties(
        "AWS::Chatbot::SlackChannelConfiguration", {"GuardrailPolicies": [deny_all]}
    )
    template.has_resource_properties(
        "AWS::Chatbot::MicrosoftTeamsChannelConfiguration", {"GuardrailPolicies": [deny_all]}
    )
    template.resource_count_is("AWS::IAM::Policy", 0)
    template.resource_count_is("AWS::IAM::ManagedPolicy", 0)
    pattern = Match.string_like_regexp("AwsSolutions-.*")
    assert Annotations.from_stack(stack).find_error("*", pattern) == []
    assert Annotations.from_stack(stack).find_warning("*", pattern) == []


def test_given_an_unknown_guardrail_then_a_one_line_error_names_the_key():
    with pytest.raises(ValueError, match="'chatGuardrail'"):
        parse_channel_context({"chatGuardrail": "admin"}.get)


@pytest.mark.parametrize("topic_key", ["false", "true"])
def test_given_the_real_stack_when_channels_are_wired_as_documented_then_nag_stays_clean(
    topic_key,
):
    """The real stack, its channels wired by stack.py from the context."""
    import aws_cdk as cdk
    from cdk_nag import AwsSolutionsChecks

    from infra.settings import load
    from infra.stack import MonitorStack

    app = cdk.App(context=EVERYTHING)
    settings = load({"regions": "us-east-1", "models": "claude-haiku-4-5", "topicKey": topic_key})
    stack = MonitorStack(
        app, "ClaudeMonitor-us-east-1", settings,
        env=cdk.Environment(account="123456789012", region="us-east-1"),
    )  # fmt: skip
    cdk.Aspects.of(app).add(AwsSolutionsChecks(verbose=True))
    app.synth()

    pattern = Match.string_like_regexp("AwsSolutions-.*")
    errors = Annotations.from_stack(stack).find_error("*", pattern)
    warnings = Annotations.from_stack(stack).find_warning("*", pattern)
    assert errors == [], [e.entry.data for e in errors]
    assert warnings == [], [w.entry.data for w in warnings]
    template = Template.from_stack(stack)
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Environment": {
                "Variables": Match.object_like(
                    {"QUIET_HOURS": "22-07", "WEBHOOK_TOPIC_ARN": {"Ref": Match.any_value()}}
                )
            }
        },
    )
    template.resource_count_is("AWS::Chatbot::SlackChannelConfiguration", 1)
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {"AlarmActions": Match.array_with([{"Ref": Match.string_like_regexp("Webhooks")}])},
    )
