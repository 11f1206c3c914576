"""IAM for the Bedrock failover probe: invoke exactly the mapped models, nothing else.

The probe calls Converse, which needs `bedrock:InvokeModel` and nothing more:
https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html
(it does not stream, so `bedrock:InvokeModelWithResponseStream` is not granted).

What a model id needs, per AWS's documentation:
- a foundation-model id (`anthropic.claude-...`): that model's ARN in this Region;
- a geographic cross-Region profile (`us.anthropic...`, `eu.`, `apac.`, `jp.`, ...):
  the profile's ARN in this account and Region, and the foundation model's ARN in every
  destination Region the profile routes to, since the request is authorised again
  there ("IAM policy requirements for Geographic cross-Region inference",
  https://docs.aws.amazon.com/bedrock/latest/userguide/geographic-cross-region-inference.html;
  and "you must also specify the foundation model in each Region associated with it",
  https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-prereq.html);
- a global profile (`global.anthropic...`): the profile's ARN, the foundation model's
  ARN in this Region, and its Region-less ARN `arn:aws:bedrock:::foundation-model/...`
  ("IAM policy requirements for global cross-Region inference",
  https://docs.aws.amazon.com/bedrock/latest/userguide/global-cross-region-inference.html).

The foundation-model grants behind a profile carry the condition
`bedrock:InferenceProfileArn` = that profile, as those pages show: the role can reach
the model only through the profile, never by calling it directly in another Region.

One wildcard remains, in the Region field only, and only for a geographic profile
whose destination Regions the caller does not name: AWS publishes each profile's
destinations per model and adds Regions to them without notice, and a request routed
to a Region missing from the policy is denied (the probe would then report Bedrock as
`permission_error` while Bedrock is fine). The action, the account-less model ARN and
the exact model id stay pinned, and the condition above still binds it to the one
profile. Pass `destinations` to list the Regions instead and have no wildcard at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Aws
from aws_cdk import aws_iam as iam
from cdk_nag import NagSuppressions

from functions.monitor.values import split_model_id

ACTION = "bedrock:InvokeModel"
PROFILE_CONDITION = "bedrock:InferenceProfileArn"


def _model_arn(region: str, base: str) -> str:
    return f"arn:{Aws.PARTITION}:bedrock:{region}::foundation-model/{base}"


def _profile_arn(model_id: str) -> str:
    return f"arn:{Aws.PARTITION}:bedrock:{Aws.REGION}:{Aws.ACCOUNT_ID}:inference-profile/{model_id}"


def _routed_models(geo: str, base: str, regions: Sequence[str] | None) -> list[str]:
    """The foundation-model ARNs a profile may route to (see the module docstring)."""
    if geo == "global":
        return [_model_arn(Aws.REGION, base), _model_arn("", base)]
    if regions:
        return [_model_arn(region, base) for region in dict.fromkeys(regions)]
    return [_model_arn("*", base)]


def grant_bedrock(
    role: iam.IRole,
    model_ids: Mapping[str, str],
    destinations: Mapping[str, Sequence[str]] | None = None,
) -> list[iam.PolicyStatement]:
    """Let `role` invoke exactly the mapped Bedrock models ({model: Bedrock id}).

    `destinations` optionally maps a geographic profile id to the Regions it routes
    to; without it, that profile's foundation-model grant has a Region wildcard. Returns
    the statements added (none when nothing is mapped).
    """
    destinations = destinations or {}
    direct: list[str] = []
    statements: list[iam.PolicyStatement] = []
    wildcards: list[str] = []
    for index, model_id in enumerate(dict.fromkeys(model_ids.values())):
        geo, base = split_model_id(model_id)
        if geo is None:
            direct.append(_model_arn(Aws.REGION, base))
            continue
        profile = _profile_arn(model_id)
        direct.append(profile)
        routed = _routed_models(geo, base, destinations.get(model_id))
        if geo != "global" and not destinations.get(model_id):
            wildcards.append(f"Resource::arn:<AWS::Partition>:bedrock:*::foundation-model/{base}")
        statements.append(
            iam.PolicyStatement(
                sid=f"BedrockProfileRoutes{index}",
                actions=[ACTION],
                resources=routed,
                conditions={"StringEquals": {PROFILE_CONDITION: profile}},
            )
        )
    if not direct:
        return []
    statements.insert(
        0, iam.PolicyStatement(sid="BedrockInvoke", actions=[ACTION], resources=direct)
    )
    for statement in statements:
        role.add_to_principal_policy(statement)
    if wildcards:
        NagSuppressions.add_resource_suppressions(
            role,
            [
                {
                    "id": "AwsSolutions-IAM5",
                    "reason": "A geographic inference profile routes to Regions AWS may add "
                    "to at any time; the Region is the only wildcard, the model id is exact, "
                    "and bedrock:InferenceProfileArn binds the grant to the mapped profile.",
                    "appliesTo": wildcards,
                }
            ],
            apply_to_children=True,
        )
    return statements
