"""cdk.json sets every CDK feature flag, so a synth does not print "N feature flags are
not configured". Only three of them were chosen for what they change; every other one
was set (by `cdk flags --unstable=flags --safe`) because it changes nothing in the
synthesised templates, and this pins that: a CDK upgrade or a hand edit that makes one
change a resource fails here, not in an account."""

from __future__ import annotations

import json

import pytest

from tests.conftest import ROOT
from tests.infra.conftest import synth_app
from tests.infra.test_every_option import ALL_ON

pytestmark = pytest.mark.slow

# The flags that were set before the others, for what they do.
CHOSEN = (
    "@aws-cdk/core:checkSecretUsage",
    "@aws-cdk/aws-iam:minimizePolicies",
    "@aws-cdk/core:enablePartitionLiterals",
)


def _flags() -> dict[str, object]:
    context = json.loads((ROOT / "cdk.json").read_text())["context"]
    return {k: v for k, v in context.items() if k.startswith("@aws-cdk")}


def _templates(context: dict[str, object]) -> dict[str, dict]:
    """Each stack's template without the CDK's metadata resource, whose analytics
    string encodes the flags themselves and deploys nothing."""
    _, stacks, assembly = synth_app(context)
    out = {}
    for stack in stacks:
        template = json.loads(json.dumps(assembly.get_stack_by_name(stack.stack_name).template))
        template["Resources"] = {
            k: v for k, v in template["Resources"].items() if v["Type"] != "AWS::CDK::Metadata"
        }
        out[stack.stack_name] = template
    return out


def test_cdk_json_sets_every_flag_the_cli_would_report():
    # Given cdk.json, then it configures far more than the three chosen flags (the CLI
    # counts every unset one), and each chosen one is among them
    flags = _flags()
    assert len(flags) > 80 and all(name in flags for name in CHOSEN)


def test_given_every_option_the_flags_change_nothing_but_the_chosen_three():
    # Given every option on (two regions, chat, webhooks, dashboard, key, Bedrock)
    flags = _flags()
    chosen = {name: flags[name] for name in CHOSEN}
    # When the app is synthesised with all of cdk.json's flags, and with the chosen only
    # Then every template is the same, resource by resource (asset hashes included)
    assert _templates({**ALL_ON, **flags}) == _templates({**ALL_ON, **chosen})
