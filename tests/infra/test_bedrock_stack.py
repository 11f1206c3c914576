"""The real MonitorStack with and without `-c bedrockModels=...`: IAM pinned, env passed."""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Annotations, Match, Template

from infra.settings import SettingsError, load
from tests.infra.conftest import synth_app
from tests.infra.test_bedrock_iam import PROFILE, model, render

HAIKU = "anthropic.claude-haiku-4-5-20251001-v1:0"
SONNET = "anthropic.claude-sonnet-4-5-20250929-v1:0"
BASE = {"regions": "us-east-1", "models": "claude-haiku-4-5,claude-sonnet-4-5"}
MAPPED = {
    **BASE,
    "bedrockModels": f"claude-haiku-4-5=us.{HAIKU},claude-sonnet-4-5=global.{SONNET}",
}


def build(context):
    _, [stack], _ = synth_app(context)
    return stack


@pytest.fixture(scope="module")
def mapped():
    return build(MAPPED)


@pytest.fixture(scope="module")
def unmapped():
    return build(BASE)


def bedrock_statements(stack):
    policies = Template.from_stack(stack).find_resources("AWS::IAM::Policy")
    found = [
        render(s) for p in policies.values() for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    return [s for s in found if "bedrock" in str(s.get("Action"))]


def env_of(stack):
    functions = Template.from_stack(stack).find_resources("AWS::Lambda::Function")
    [props] = [r["Properties"] for r in functions.values()]
    return props["Environment"]["Variables"]


def test_given_bedrock_models_then_the_role_invokes_exactly_the_mapped_models(mapped):
    statements = {s["Sid"]: s for s in bedrock_statements(mapped)}
    assert set(statements) == {"BedrockInvoke", "BedrockProfileRoutes0", "BedrockProfileRoutes1"}
    assert all(s["Action"] == "bedrock:InvokeModel" for s in statements.values())
    assert statements["BedrockInvoke"]["Resource"] == [
        f"{PROFILE}us.{HAIKU}",
        f"{PROFILE}global.{SONNET}",
    ]
    assert statements["BedrockProfileRoutes0"]["Resource"] == model("*", HAIKU)
    assert statements["BedrockProfileRoutes0"]["Condition"] == {
        "StringEquals": {"bedrock:InferenceProfileArn": f"{PROFILE}us.{HAIKU}"}
    }
    assert statements["BedrockProfileRoutes1"]["Resource"] == [
        model("${AWS::Region}", SONNET),
        model("", SONNET),
    ]


def test_given_bedrock_models_then_the_function_gets_them_and_alerts_stay_off(mapped):
    env = env_of(mapped)
    assert env["BEDROCK_MODELS"] == (
        f"claude-haiku-4-5=us.{HAIKU},claude-sonnet-4-5=global.{SONNET}"
    )
    assert env["BEDROCK_ALERTS"] == "false"


def test_given_no_bedrock_models_then_no_bedrock_statement_or_variable(unmapped):
    assert bedrock_statements(unmapped) == []
    env = env_of(unmapped)
    assert "BEDROCK_MODELS" not in env and "BEDROCK_ALERTS" not in env


@pytest.mark.parametrize("which", ["mapped", "unmapped"])
def test_cdk_nag_is_clean_with_and_without_bedrock(which, request):
    stack = request.getfixturevalue(which)
    for find in (
        Annotations.from_stack(stack).find_error,
        Annotations.from_stack(stack).find_warning,
    ):
        found = find("*", Match.string_like_regexp("AwsSolutions-.*"))
        assert found == [], [f.entry.data for f in found]


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (f"claude-opus-9=us.{HAIKU}", "not in 'models'"),
        ("claude-haiku-4-5=gpt-4o", "'bedrockModels'"),
        ("claude-haiku-4-5", "'bedrockModels'"),
    ],
)
def test_given_a_bad_bedrock_mapping_then_synth_fails_with_one_line(value, words):
    with pytest.raises(SettingsError) as caught:
        load({**BASE, "bedrockModels": value})
    message = str(caught.value)
    assert words in message and "\n" not in message and message.startswith("context ")


def test_given_a_us_profile_and_a_european_stack_then_synth_fails_with_one_line():
    context = {**MAPPED, "regions": "us-east-1,eu-west-1"}
    with pytest.raises(SettingsError) as caught:
        load(context)
    message = str(caught.value)
    assert message.startswith("context 'bedrockModels'") and "eu-west-1" in message
    assert "\n" not in message
