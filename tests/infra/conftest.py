"""Synthesise the app once per session, as `cdk synth` would, for the template tests."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

CONTEXT = {
    "regions": "us-east-1,eu-west-1",
    "models": "claude-haiku-4-5,claude-sonnet-4-5",
    "emails": "oncall@example.com",
    "phones": "+15555550100",
}


@pytest.fixture(scope="session")
def synth():
    import aws_cdk as cdk

    from infra.app import build

    app = cdk.App(context=CONTEXT)
    stacks = build(app)
    assembly = app.synth()
    return app, stacks, assembly
