"""The monitor function, its schedule, its failure queue and its one least-privilege role."""

from __future__ import annotations

import jsii
from aws_cdk import Aws, Duration, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from .bedrock import grant_bedrock
from .bundle import build_asset
from .queues import dead_letter_queue
from .settings import Settings

# A stale check is worthless: no retries, and an event older than a minute is dropped.
MAX_EVENT_AGE = Duration.seconds(60)


class MonitorFunction(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        settings: Settings,
        table: dynamodb.ITable | None,
        topic: sns.ITopic,
        topic_key: kms.IKey | None,
    ) -> None:
        """`table` is None in a region of a fleet that is not the home: it has no table
        of its own and writes its result to the home table (`settings.home_table_name`)."""
        super().__init__(scope, construct_id)
        region = Stack.of(self).region
        self.dlq = dead_letter_queue(
            self,
            "FailedChecks",
            "This queue is itself the dead-letter queue of the function and of "
            "its schedule; its messages are alarmed on, not re-driven.",
        )
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            retention=_retention(settings.log_retention_days),
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Claude monitor: its table, its topic, its key parameter, its logs",
        )
        self.function = lambda_.Function(
            self,
            "Function",
            runtime=lambda_.Runtime.PYTHON_3_13,
            architecture=lambda_.Architecture.ARM_64,
            handler="functions.monitor.handler.handler",
            code=lambda_.Code.from_asset(str(build_asset())),
            memory_size=settings.memory_mb,
            timeout=Duration.seconds(settings.timeout_seconds),
            role=self.role,
            log_group=self.log_group,
            environment=settings.function_environment(
                region, table.table_name if table else "", topic.topic_arn
            ),
            retry_attempts=0,
            max_event_age=MAX_EVENT_AGE,
            on_failure=_SendOnlyQueue(self.dlq),
            description="Checks the Claude API and its status page, records, alerts on change",
        )
        if table is not None:
            self._grant(settings, table, topic, topic_key)
        else:
            self._grant_regional(settings, region)
        self._grant_key_and_logs(settings)
        # The failover probe: bedrock:InvokeModel on exactly the mapped models.
        grant_bedrock(self.role, dict(settings.bedrock_models))
        self._depend_on_policy_only()
        self.rule = events.Rule(
            self,
            "Schedule",
            schedule=events.Schedule.expression(settings.schedule),
            description="Runs one Claude API check cycle",
        )
        self.rule.add_target(
            targets.LambdaFunction(
                self.function,
                retry_attempts=0,
                max_event_age=MAX_EVENT_AGE,
                dead_letter_queue=self.dlq,
            )
        )

    def _depend_on_policy_only(self) -> None:
        """Keep the function's DependsOn on its policy (so it never runs without its
        permissions) and drop the one on the role, which the Role GetAtt already
        enforces (cfn-lint W3005)."""
        from aws_cdk import CfnResource, Stack

        policy = self.role.node.find_child("DefaultPolicy").node.default_child
        function = self.function.node.default_child
        assert isinstance(policy, CfnResource) and isinstance(function, CfnResource)
        function.add_override("DependsOn", [Stack.of(self).get_logical_id(policy)])

    def _grant(
        self, settings: Settings, table: dynamodb.ITable, topic: sns.ITopic, key: kms.IKey | None
    ) -> None:
        """Exactly the calls the function makes; no wildcard actions.

        DynamoDB: GetItem (state, outbox), UpdateItem (clearing the outbox) and
        TransactWriteItems, whose Put entries are authorised as dynamodb:PutItem; the
        function sends no ConditionCheck entries, so no ConditionCheckItem
        (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html).
        No Query: `history` reads the table with a person's own credentials.
        """
        reads = ["dynamodb:BatchGetItem"] if settings.fleet else []
        self.role.add_to_policy(
            iam.PolicyStatement(
                # A fleet's home reads the regions' items of the minute in one BatchGetItem.
                actions=["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", *reads],
                resources=[table.table_arn],
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(actions=["sns:Publish"], resources=[topic.topic_arn])
        )
        if key is not None:
            self.role.add_to_policy(
                iam.PolicyStatement(
                    actions=["kms:Decrypt", "kms:GenerateDataKey"], resources=[key.key_arn]
                )
            )

    def _grant_regional(self, settings: Settings, region: str) -> None:
        """A region of a fleet that is not the home: one conditional PutItem of its own
        items in the home table, nothing else there (no read, no other region's
        items), and no SNS publish at all.

        `dynamodb:LeadingKeys` is the partition key of the items a request touches;
        with ForAllValues:StringEquals every one of them must be this region's
        (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html).
        A PutItem always names its item's partition key, so the set is never empty
        (ForAllValues over an empty set would allow)."""
        from functions.monitor.keep.regions import region_key

        table_arn = (
            f"arn:{Aws.PARTITION}:dynamodb:{settings.home_region}:{Aws.ACCOUNT_ID}:table/"
            f"{settings.home_table_name}"
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["dynamodb:PutItem"],
                resources=[table_arn],
                conditions={
                    "ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [region_key(region)]}
                },
            )
        )

    def _grant_key_and_logs(self, settings: Settings) -> None:
        parameter_arn = (
            f"arn:{Aws.PARTITION}:ssm:{Aws.REGION}:{Aws.ACCOUNT_ID}:parameter"
            f"{settings.api_key_parameter}"
        )
        self.role.add_to_policy(
            iam.PolicyStatement(actions=["ssm:GetParameter"], resources=[parameter_arn])
        )
        if settings.api_key_kms_key_arn:
            key_resources = [settings.api_key_kms_key_arn]
        else:
            # The default aws/ssm key has no fixed ARN to name; decryption is limited
            # to calls made through SSM in this region.
            key_resources = [f"arn:{Aws.PARTITION}:kms:{Aws.REGION}:{Aws.ACCOUNT_ID}:key/*"]
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["kms:Decrypt"],
                resources=key_resources,
                conditions={"StringEquals": {"kms:ViaService": f"ssm.{Aws.REGION}.amazonaws.com"}},
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[self.log_group.log_group_arn],
            )
        )


@jsii.implements(lambda_.IDestination)
class _SendOnlyQueue:
    """The failure destination with only what Lambda needs to use it, sqs:SendMessage
    (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html);
    CDK's SqsDestination grants GetQueueAttributes and GetQueueUrl too, which neither
    Lambda nor the function ever calls."""

    def __init__(self, queue: sqs.IQueue) -> None:
        self.queue = queue

    def bind(
        self,
        scope: Construct,
        fn: lambda_.IFunction,
        *,
        type: lambda_.DestinationType | None = None,  # noqa: A002 (the interface's name)
    ) -> lambda_.DestinationConfig:
        iam.Grant.add_to_principal(
            grantee=fn, actions=["sqs:SendMessage"], resource_arns=[self.queue.queue_arn]
        )
        return lambda_.DestinationConfig(destination=self.queue.queue_arn)


_RETENTION = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
}


def _retention(days: int) -> logs.RetentionDays:
    """The shortest retention CloudWatch offers that keeps at least `days` days."""
    fitting = [d for d in sorted(_RETENTION) if d >= days]
    return _RETENTION[fitting[0] if fitting else 365]
