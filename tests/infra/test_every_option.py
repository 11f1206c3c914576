"""Every stack option at once, on the real app: the seams between the constructs that
each option's own tests build alone (topic key x webhooks x chat x Bedrock x alarms)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from aws_cdk.assertions import Annotations, Match, Template

from tests.infra.conftest import synth_app
from tests.infra.test_channels import EVERYTHING

ALL_ON = {
    **EVERYTHING,
    "regions": "us-east-1,eu-west-1",
    "models": "claude-haiku-5-5",
    "dashboard": "true",
    "topicKey": "true",
    "alarmActions": "all",
    "bedrockModels": "claude-haiku-5-5=global.anthropic.claude-haiku-5-5-v1:0",
}


@pytest.fixture(scope="module")
def everything():
    _, stacks, assembly = synth_app(ALL_ON)
    return stacks, assembly


def test_given_every_option_then_cdk_nag_has_nothing_unsuppressed(everything):
    stacks, _ = everything
    rule = Match.string_like_regexp("AwsSolutions-.*")
    for stack in stacks:
        annotations = Annotations.from_stack(stack)
        assert not annotations.find_error("*", rule), stack.stack_name
        assert not annotations.find_warning("*", rule), stack.stack_name


def test_given_every_option_then_cfn_lint_is_clean(everything, tmp_path):
    stacks, assembly = everything
    cfn_lint = str(Path(sys.executable).with_name("cfn-lint"))
    for stack in stacks:
        path = Path(assembly.get_stack_by_name(stack.stack_name).template_full_path)
        run = subprocess.run([cfn_lint, str(path)], capture_output=True, text=True)
        assert run.returncode == 0, run.stdout + run.stderr


def test_given_every_option_then_the_role_holds_exactly_the_calls_the_function_makes(everything):
    stacks, _ = everything
    # Two regions are a fleet: its home makes every call; the other region only
    # writes its own items to the home table (tests/infra/test_fleet.py).
    for stack in stacks[:1]:
        template = Template.from_stack(stack)
        [function] = template.find_resources("AWS::Lambda::Function").values()
        role = function["Properties"]["Role"]["Fn::GetAtt"][0]
        actions: dict[str, list] = {}
        for policy in template.find_resources("AWS::IAM::Policy").values():
            if {"Ref": role} not in policy["Properties"]["Roles"]:
                continue
            for st in policy["Properties"]["PolicyDocument"]["Statement"]:
                for action in st["Action"] if isinstance(st["Action"], list) else [st["Action"]]:
                    actions.setdefault(action, []).append(st["Resource"])
        assert set(actions) == {
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:BatchGetItem",
            "sns:Publish",
            "kms:Decrypt",
            "kms:GenerateDataKey",
            "ssm:GetParameter",
            "logs:CreateLogStream",
            "logs:PutLogEvents",
            "sqs:SendMessage",
            "bedrock:InvokeModel",
        }
        # sns:Publish on the alert topic and the webhook topic, nothing else
        published = json.dumps(actions["sns:Publish"])
        assert "AlertingAlerts" in published and "ChannelsWebhooks" in published
        assert "*" not in published


def test_given_every_option_then_the_function_starts_with_the_environment_it_gets(everything):
    # Given the synthesised environment (tokens for ARNs replaced), when the function's
    # own configuration loads it, then it starts and sees every option
    from functions.monitor.config import load_config

    stacks, _ = everything
    for stack in stacks:
        [function] = Template.from_stack(stack).find_resources("AWS::Lambda::Function").values()
        env = {
            k: v if isinstance(v, str) else f"arn:aws:sns:{stack.region}:123456789012:{k}"
            for k, v in function["Properties"]["Environment"]["Variables"].items()
        }
        config = load_config({**env, "AWS_REGION": stack.region})
        assert config.bedrock_models and config.fleet_regions == ("us-east-1", "eu-west-1")
        assert function["Properties"]["Timeout"] == int(config.deadline_s) + 5
        if stack.region == config.home_region:
            assert config.quiet_hours is not None and config.webhook_topic_arn
            assert config.topic_arn and config.table_name
        else:  # a fleet's other region: no topic, no table of its own, no channels
            assert not (config.topic_arn or config.table_name or config.webhook_topic_arn)
            assert config.home_table_name
