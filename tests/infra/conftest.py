"""Synthesise the app once per session, as `cdk synth` would, for the template tests."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# aws-cdk-lib runs `node` (jsii) from PATH: the project's own Node.js, which the Makefile
# links into the venv's bin, comes first there, also when pytest runs without make.
_VENV_BIN = str(Path(sys.executable).parent)
if (Path(_VENV_BIN) / "node").exists():
    os.environ["PATH"] = os.pathsep.join([_VENV_BIN, os.environ.get("PATH", "")])

CONTEXT = {
    "regions": "us-east-1,eu-west-1",
    "models": "claude-haiku-4-5,claude-sonnet-4-5",
    "emails": "oncall@example.com",
    "phones": "+15555550100",
}


# Every opt-in at once: the topic's key, every alarm action, the dashboard, a named key
# for the API key's parameter.
OPT_IN = {
    "models": "claude-haiku-5-5",
    "topicKey": "true",
    "alarmActions": "all",
    "dashboard": "true",
    "apiKeyKmsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd",
}


def synth_app(context: dict[str, str]):
    """The real app with this CDK context, as `cdk synth -c ...` builds it:
    (app, one stack per region, the cloud assembly)."""
    import aws_cdk as cdk

    from infra.app import build

    app = cdk.App(context=context)
    stacks = build(app)
    return app, stacks, app.synth()


@pytest.fixture(scope="session")
def synth_opt_in():
    return synth_app(OPT_IN)


@pytest.fixture(scope="session")
def synth():
    return synth_app(CONTEXT)
