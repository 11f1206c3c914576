#!/usr/bin/env python3
"""The CDK app: one MonitorStack per region, all checked by cdk-nag's AwsSolutions pack."""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aws_cdk as cdk  # noqa: E402
from cdk_nag import AwsSolutionsChecks  # noqa: E402

from infra.settings import PROJECT, load  # noqa: E402
from infra.stack import MonitorStack  # noqa: E402


def build(app: cdk.App) -> list[MonitorStack]:
    settings = load(app.node.try_get_context)
    account = os.environ.get("CDK_DEFAULT_ACCOUNT")
    stacks = [
        MonitorStack(
            app,
            f"{PROJECT}-{region}",
            settings,
            env=cdk.Environment(account=account, region=region),
            description=f"Claude API monitor ({region})",
        )
        for region in settings.regions
    ]
    # A fleet's other regions write to the home's table: deploy the home first.
    home = next(s for s in stacks if settings.is_home(s.region))
    for stack in stacks:
        if stack is not home:
            stack.add_dependency(home, "writes its results to the home region's table")
    cdk.Aspects.of(app).add(AwsSolutionsChecks(verbose=True))
    return stacks


if __name__ == "__main__":
    app = cdk.App()
    try:
        build(app)
    except ValueError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        sys.exit(3)
    app.synth()
