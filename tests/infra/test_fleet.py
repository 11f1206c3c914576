"""Several regions, one voice: what each region's stack may do, pinned in its template.

A fleet's home keeps the table, the topic, the alarms and the channels; every other
region probes, writes its own items to the home table and nothing else, publishes
nothing and adds one alarm, its heartbeat. One region alone is exactly as before.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from aws_cdk.assertions import Annotations, Match, Template

from infra.settings import SettingsError, load
from tests.infra.conftest import synth_app

FLEET = {
    "regions": "us-east-1,eu-west-1,ap-southeast-2",
    "models": "claude-haiku-4-5",
    "emails": "oncall@example.com",
}
GOLDEN = Path(__file__).with_name("single_region_resources.json")


@pytest.fixture(scope="module")
def fleet():
    return synth_app(FLEET)


def _templates(fleet):
    return {s.region: Template.from_stack(s) for s in fleet[1]}


def _statements(template):
    policies = template.find_resources("AWS::IAM::Policy")
    return [s for p in policies.values() for s in p["Properties"]["PolicyDocument"]["Statement"]]


def _actions(statement):
    action = statement["Action"]
    return action if isinstance(action, list) else [action]


def _env(template):
    [fn] = template.find_resources("AWS::Lambda::Function").values()
    return fn["Properties"]["Environment"]["Variables"]


def test_given_one_region_when_synthesised_then_its_resources_are_exactly_as_before():
    # Given the resources a single-region deployment had before fleets existed (saved
    # from that synth, the asset's content hash masked), when one region synthesises
    # now, then every resource and property is the same.
    single = {"models": "claude-haiku-4-5,claude-sonnet-4-5", "emails": "oncall@example.com"}
    _, [stack], _ = synth_app(single)
    resources = Template.from_stack(stack).to_json()["Resources"]
    text = json.dumps(resources, sort_keys=True, indent=1)
    text = re.sub(r'"[0-9a-f]{64}\.zip"', '"ASSET.zip"', text)
    assert json.loads(text) == json.loads(GOLDEN.read_text())


def test_given_a_fleet_when_synthesised_then_only_the_home_has_a_table_and_channels(fleet):
    templates = _templates(fleet)
    assert templates["us-east-1"].find_resources("AWS::DynamoDB::Table")
    for region in ("eu-west-1", "ap-southeast-2"):
        assert templates[region].find_resources("AWS::DynamoDB::Table") == {}
    templates["us-east-1"].has_resource_properties(
        "AWS::DynamoDB::Table", {"TableName": "ClaudeMonitor-us-east-1-results"}
    )


def test_given_a_fleet_then_each_function_knows_the_fleet_and_only_the_home_its_topic(fleet):
    for region, template in _templates(fleet).items():
        env = _env(template)
        assert env["FLEET_REGIONS"] == "us-east-1,eu-west-1,ap-southeast-2"
        assert env["HOME_REGION"] == "us-east-1" and env["QUORUM"] == "2"
        if region == "us-east-1":
            assert "TABLE_NAME" in env and "TOPIC_ARN" in env and "HOME_TABLE_NAME" not in env
        else:
            assert "TABLE_NAME" not in env and "TOPIC_ARN" not in env
            assert env["HOME_TABLE_NAME"] == "ClaudeMonitor-us-east-1-results"


def test_given_a_region_that_is_not_the_home_then_it_may_only_put_its_own_items(fleet):
    for region in ("eu-west-1", "ap-southeast-2"):
        statements = _statements(_templates(fleet)[region])
        dynamo = [s for s in statements if any(a.startswith("dynamodb:") for a in _actions(s))]
        assert dynamo == [
            {
                "Action": "dynamodb:PutItem",
                "Condition": {
                    "ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [f"REGION#{region}"]}
                },
                "Effect": "Allow",
                "Resource": {
                    "Fn::Join": [
                        "",
                        [
                            "arn:",
                            {"Ref": "AWS::Partition"},
                            ":dynamodb:us-east-1:",
                            {"Ref": "AWS::AccountId"},
                            ":table/ClaudeMonitor-us-east-1-results",
                        ],
                    ]
                },
            }
        ]
        assert not [a for s in statements for a in _actions(s) if a.startswith("sns:")]


def test_given_the_home_then_it_reads_the_regions_items_and_publishes(fleet):
    statements = _statements(_templates(fleet)["us-east-1"])
    actions = {a for s in statements for a in _actions(s)}
    assert {"dynamodb:BatchGetItem", "dynamodb:GetItem", "sns:Publish"} <= actions
    [dynamo] = [s for s in statements if "dynamodb:BatchGetItem" in _actions(s)]
    assert "Condition" not in dynamo  # the home reads every region's items


def test_given_a_region_that_is_not_the_home_then_its_one_alarm_is_its_heartbeat(fleet):
    for region, template in _templates(fleet).items():
        alarms = template.find_resources("AWS::CloudWatch::Alarm")
        names = {a["Properties"].get("MetricName") for a in alarms.values()}
        if region == "us-east-1":
            assert {"Heartbeat", "CanaryFailed", "ApiKeyUnavailable"} <= names
        else:
            assert names == {"Heartbeat"}
            [alarm] = alarms.values()
            assert alarm["Properties"]["AlarmActions"]  # it tells, on its own topic


def test_given_a_fleet_then_every_custom_metric_alarm_names_its_region(fleet):
    # The function emits Region in a fleet (tell/metrics.py); CloudWatch matches a
    # metric by its exact dimension set, so an alarm without it would never fire.
    for region, template in _templates(fleet).items():
        for alarm in template.find_resources("AWS::CloudWatch::Alarm").values():
            props = alarm["Properties"]
            if props.get("Namespace") != "ClaudeStatus":
                continue
            dims = {d["Name"]: d["Value"] for d in props["Dimensions"]}
            assert dims["Region"] == region and dims["service"] == "claude-status"


def test_given_a_fleet_then_cdk_nag_has_nothing_unsuppressed(fleet):
    for stack in fleet[1]:
        pattern = Match.string_like_regexp("AwsSolutions-.*")
        assert Annotations.from_stack(stack).find_error("*", pattern) == []
        assert Annotations.from_stack(stack).find_warning("*", pattern) == []


@pytest.mark.parametrize(
    ("context", "says"),
    [
        ({"regions": "us-east-1,eu-west-1", "homeRegion": "ap-south-1"}, "'homeRegion'"),
        ({"regions": "us-east-1,eu-west-1", "quorum": "3"}, "'quorum'"),
        ({"regions": "us-east-1,eu-west-1", "quorum": "two"}, "'quorum'"),
        ({"regions": "us-east-1", "quorum": "2"}, "'quorum'"),
    ],
)
def test_given_a_bad_fleet_setting_when_loaded_then_one_line_names_it(context, says):
    with pytest.raises(SettingsError) as caught:
        load(context)
    assert says in str(caught.value) and "\n" not in str(caught.value)


def test_given_a_fleet_then_the_home_defaults_to_the_first_region_and_quorum_to_a_majority():
    settings = load({"regions": "eu-west-1,us-east-1,ap-southeast-2,sa-east-1"})
    assert settings.home_region == "eu-west-1"
    env = settings.function_environment("us-east-1", "t", "arn:aws:sns:us-east-1:1:t")
    assert env["QUORUM"] == "3" and env["HOME_REGION"] == "eu-west-1"
    moved = load({"regions": "eu-west-1,us-east-1", "homeRegion": "us-east-1", "quorum": "1"})
    assert moved.home_region == "us-east-1"
    assert moved.function_environment("us-east-1", "t", "a")["QUORUM"] == "1"


def test_given_a_fleet_then_the_home_is_deployed_before_the_regions_that_write_to_it(fleet):
    _, stacks, _ = fleet
    home = stacks[0]
    assert home.region == "us-east-1" and home.dependencies == []
    for stack in stacks[1:]:
        assert [d.stack_name for d in stack.dependencies] == [home.stack_name]
