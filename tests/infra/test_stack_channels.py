"""The channel options on the real MonitorStack: each present, all absent, cdk-nag clean,
and a bad value a one-line error at synth."""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Annotations, Match, Template

from tests.infra.test_channels import EVERYTHING


def _stack(context: dict[str, str]):
    import aws_cdk as cdk

    from infra.app import build

    app = cdk.App(context={"regions": "us-east-1", "models": "claude-haiku-5-5", **context})
    stacks = build(app)
    app.synth()
    return stacks[0]


@pytest.fixture(scope="module")
def wired():
    stack = _stack({**EVERYTHING, "topicKey": "true"})
    return stack, Template.from_stack(stack)


@pytest.fixture(scope="module")
def plain(synth):
    stack = synth[1][0]
    return stack, Template.from_stack(stack)


def _env(template: Template) -> dict[str, str]:
    [fn] = template.find_resources("AWS::Lambda::Function").values()
    return fn["Properties"]["Environment"]["Variables"]


def test_given_no_channel_context_then_the_stack_has_no_channel_no_webhook_no_quiet(plain):
    _, template = plain
    for kind in (
        "AWS::Chatbot::SlackChannelConfiguration",
        "AWS::Chatbot::MicrosoftTeamsChannelConfiguration",
    ):
        template.resource_count_is(kind, 0)
    template.resource_count_is("AWS::SNS::Topic", 1)
    env = _env(template)
    assert "WEBHOOK_TOPIC_ARN" not in env and "QUIET_HOURS" not in env
    assert not [o for o in template.find_outputs("*") if "Webhook" in o]


def test_given_slack_and_teams_then_both_listen_to_the_alert_topic(wired):
    stack, template = wired
    topic = stack.resolve(stack.topic.topic_arn)
    for kind in (
        "AWS::Chatbot::SlackChannelConfiguration",
        "AWS::Chatbot::MicrosoftTeamsChannelConfiguration",
    ):
        template.resource_count_is(kind, 1)
        template.has_resource_properties(kind, {"SnsTopicArns": [topic]})


def test_given_webhooks_then_the_function_may_publish_there_and_knows_the_topic(wired):
    stack, template = wired
    template.resource_count_is("AWS::SNS::Topic", 2)
    template.resource_count_is("AWS::SNS::Subscription", 2)
    webhook_arn = stack.resolve(stack.channels.webhook_topic.topic_arn)
    env = _env(template)
    assert env["WEBHOOK_TOPIC_ARN"] == webhook_arn
    assert env["QUIET_HOURS"] == "22-07"
    role = stack.resolve(stack.function.role.role_name)
    template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "Roles": [role],
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [Match.object_like({"Action": "sns:Publish", "Resource": webhook_arn})]
                )
            },
        },
    )


def test_given_webhooks_then_the_acting_alarms_also_reach_them(wired):
    stack, template = wired
    webhook_arn = stack.resolve(stack.channels.webhook_topic.topic_arn)
    acting = [stack.resolve(a.alarm_arn) for a in stack.observability.acting]
    assert acting
    alarms = template.find_resources(
        "AWS::CloudWatch::Alarm",
        {"Properties": {"AlarmActions": Match.array_with([webhook_arn])}},
    )
    assert len(alarms) == len(stack.observability.acting)


def test_given_every_channel_option_then_cdk_nag_is_clean(wired):
    stack, _ = wired
    for finder in (
        Annotations.from_stack(stack).find_error,
        Annotations.from_stack(stack).find_warning,
    ):
        found = finder("*", Match.string_like_regexp("AwsSolutions-.*"))
        assert found == [], [f.entry.data for f in found]


@pytest.mark.parametrize(
    "context, words",
    [
        ({"quiet": "25-07"}, "context 'quiet'"),
        ({"webhooks": "http://insecure.example/x"}, "context 'webhooks'"),
        ({"slackWorkspaceId": "T0123ABCD"}, "slackChannelId"),
        ({"chatGuardrail": "admin"}, "chatGuardrail"),
    ],
)
def test_given_a_bad_channel_option_then_synth_stops_with_one_line(context, words):
    with pytest.raises(ValueError) as error:
        _stack(context)
    assert words in str(error.value) and "\n" not in str(error.value)


def test_given_webhooks_without_a_topic_key_then_cdk_nag_is_clean_and_no_kms_grant():
    stack = _stack({"webhooks": "https://hooks.example.org/x"})
    for finder in (
        Annotations.from_stack(stack).find_error,
        Annotations.from_stack(stack).find_warning,
    ):
        found = finder("*", Match.string_like_regexp("AwsSolutions-.*"))
        assert found == [], [f.entry.data for f in found]
    policies = Template.from_stack(stack).find_resources("AWS::IAM::Policy")
    assert "kms:GenerateDataKey" not in str(policies)


def test_given_webhooks_then_the_alarm_count_is_the_cost_models(wired):
    from functions.monitor.cli.cost import alarms_per_region

    _, template = wired
    alarms = template.find_resources("AWS::CloudWatch::Alarm")
    assert len(alarms) == alarms_per_region(1) + 1
