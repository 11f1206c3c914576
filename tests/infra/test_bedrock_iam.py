"""The Bedrock grant, pinned statement by statement in a synthesised template."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Annotations, Match, Template
from cdk_nag import AwsSolutionsChecks, NagSuppressions

from infra.bedrock import grant_bedrock

HAIKU = "anthropic.claude-haiku-4-5-20251001-v1:0"
SONNET = "anthropic.claude-sonnet-4-5-20250929-v1:0"
OPUS = "anthropic.claude-opus-4-5-20251101-v1:0"
PROFILE = "arn:${AWS::Partition}:bedrock:${AWS::Region}:${AWS::AccountId}:inference-profile/"


def model(region: str, base: str) -> str:
    return f"arn:${{AWS::Partition}}:bedrock:{region}::foundation-model/{base}"


def render(value):
    """A CloudFormation string (Fn::Join of Refs) as one readable ${...} string."""
    if isinstance(value, dict) and "Fn::Join" in value:
        sep, parts = value["Fn::Join"]
        return sep.join(render(p) for p in parts)
    if isinstance(value, dict) and "Ref" in value:
        return "${" + value["Ref"] + "}"
    if isinstance(value, list):
        return [render(v) for v in value]
    if isinstance(value, dict):
        return {k: render(v) for k, v in value.items()}
    return value


def synth(model_ids, destinations=None, nag=False):
    app = cdk.App()
    stack = cdk.Stack(
        app, "BedrockTest", env=cdk.Environment(account="123456789012", region="us-east-1")
    )
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    added = grant_bedrock(role, model_ids, destinations)
    if nag:
        cdk.Aspects.of(app).add(AwsSolutionsChecks())
        app.synth()
    return stack, role, added


def statements(stack) -> list[dict]:
    policies = Template.from_stack(stack).find_resources("AWS::IAM::Policy")
    return [
        render(s) for p in policies.values() for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_given_a_geographic_profile_then_the_profile_and_its_routed_model_are_granted():
    stack, _, _ = synth({"claude-haiku-4-5": f"us.{HAIKU}"})
    assert statements(stack) == [
        {
            "Sid": "BedrockInvoke",
            "Effect": "Allow",
            "Action": "bedrock:InvokeModel",
            "Resource": f"{PROFILE}us.{HAIKU}",
        },
        {
            "Sid": "BedrockProfileRoutes0",
            "Effect": "Allow",
            "Action": "bedrock:InvokeModel",
            "Resource": model("*", HAIKU),
            "Condition": {"StringEquals": {"bedrock:InferenceProfileArn": f"{PROFILE}us.{HAIKU}"}},
        },
    ]


def test_given_named_destinations_then_no_wildcard_is_left():
    stack, _, _ = synth(
        {"claude-haiku-4-5": f"us.{HAIKU}"},
        destinations={f"us.{HAIKU}": ["us-east-1", "us-east-2", "us-west-2"]},
    )
    routed = statements(stack)[1]
    assert routed["Resource"] == [
        model("us-east-1", HAIKU),
        model("us-east-2", HAIKU),
        model("us-west-2", HAIKU),
    ]
    assert "*" not in str(statements(stack))


def test_given_a_global_profile_then_the_regional_and_regionless_model_arns_are_granted():
    stack, _, _ = synth({"claude-sonnet-4-5": f"global.{SONNET}"})
    [invoke, routed] = statements(stack)
    assert invoke["Resource"] == f"{PROFILE}global.{SONNET}"
    assert routed["Resource"] == [model("${AWS::Region}", SONNET), model("", SONNET)]
    assert routed["Condition"] == {
        "StringEquals": {"bedrock:InferenceProfileArn": f"{PROFILE}global.{SONNET}"}
    }
    assert "*" not in str(statements(stack))


def test_given_a_foundation_model_id_then_only_that_model_in_this_region_is_granted():
    stack, _, _ = synth({"claude-opus-4-5": OPUS})
    assert statements(stack) == [
        {
            "Sid": "BedrockInvoke",
            "Effect": "Allow",
            "Action": "bedrock:InvokeModel",
            "Resource": model("${AWS::Region}", OPUS),
        }
    ]


def test_given_several_models_then_one_invoke_statement_lists_them_and_no_action_is_wild():
    stack, _, _ = synth(
        {"claude-haiku-4-5": f"us.{HAIKU}", "claude-sonnet-4-5": f"global.{SONNET}", "o": OPUS}
    )
    found = statements(stack)
    assert found[0]["Resource"] == [
        f"{PROFILE}us.{HAIKU}",
        f"{PROFILE}global.{SONNET}",
        model("${AWS::Region}", OPUS),
    ]
    assert [s["Sid"] for s in found] == [
        "BedrockInvoke",
        "BedrockProfileRoutes0",
        "BedrockProfileRoutes1",
    ]
    assert {s["Action"] for s in found} == {"bedrock:InvokeModel"}


def test_given_no_models_then_nothing_is_granted():
    stack, _, added = synth({})
    assert added == []
    assert statements(stack) == []


def test_cdk_nag_accepts_the_region_wildcard_only_with_its_reason():
    stack, _, _ = synth({"claude-haiku-4-5": f"us.{HAIKU}"}, nag=True)
    errors = Annotations.from_stack(stack).find_error(
        "*", Match.string_like_regexp("AwsSolutions-IAM5.*")
    )
    assert errors == []


def test_the_suppression_keeps_an_earlier_one_on_the_same_role():
    app = cdk.App()
    stack = cdk.Stack(app, "S", env=cdk.Environment(account="123456789012", region="us-east-1"))
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    role.add_to_principal_policy(
        iam.PolicyStatement(actions=["logs:PutLogEvents"], resources=["*"])
    )
    NagSuppressions.add_resource_suppressions(
        role,
        [
            {
                "id": "AwsSolutions-IAM5",
                "reason": "the test's own wildcard",
                "appliesTo": ["Resource::*"],
            }
        ],
        apply_to_children=True,
    )
    grant_bedrock(role, {"claude-haiku-4-5": f"us.{HAIKU}"})
    cdk.Aspects.of(app).add(AwsSolutionsChecks())
    app.synth()
    errors = Annotations.from_stack(stack).find_error(
        "*", Match.string_like_regexp("AwsSolutions-IAM5.*")
    )
    assert errors == []


def test_an_unknown_model_id_fails_synth_with_one_line():
    with pytest.raises(ValueError, match="not an Anthropic model id"):
        synth({"m": "meta.llama3-8b-instruct-v1:0"})


def test_the_nag_check_above_can_fail_an_unsuppressed_wildcard():
    # Guards the two nag tests: the same check does flag a wildcard nobody explained.
    app = cdk.App()
    stack = cdk.Stack(app, "S", env=cdk.Environment(account="123456789012", region="us-east-1"))
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    role.add_to_principal_policy(
        iam.PolicyStatement(actions=["bedrock:InvokeModel"], resources=[model("*", HAIKU)])
    )
    cdk.Aspects.of(app).add(AwsSolutionsChecks())
    app.synth()
    errors = Annotations.from_stack(stack).find_error(
        "*", Match.string_like_regexp("AwsSolutions-IAM5.*")
    )
    assert errors != []
