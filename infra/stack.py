"""One monitor per region: storage, alerting, the function and its schedule, observability."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack, Tags
from cdk_nag import NagSuppressions
from constructs import Construct

from .alerting import Alerting
from .channels import Channels, parse_channel_context
from .monitor import MonitorFunction
from .observability import Observability
from .settings import PROJECT, Settings

SSM_KEY_WILDCARD = "Resource::arn:<AWS::Partition>:kms:<AWS::Region>:<AWS::AccountId>:key/*"


class MonitorStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, settings: Settings, **kwargs: Any):
        super().__init__(scope, construct_id, **kwargs)
        from .storage import Storage

        home = settings.is_home(self.region)
        # A fleet's other regions keep no table: they write to the home's.
        storage = Storage(self, "Storage", settings) if home else None
        table = storage.table if storage else None
        alerting = Alerting(self, "Alerting", settings)
        monitor = MonitorFunction(self, "Monitor", settings, table, alerting.topic, alerting.key)
        self.observability = Observability(
            self,
            "Observability",
            settings,
            monitor.function,
            monitor.dlq,
            alerting.topic,
            region=self.region,
        )
        if home:
            self._channels(monitor)
        Tags.of(self).add("project", PROJECT)
        Tags.of(self).add("monitor-region", self.region)
        self.table, self.topic, self.function = table, alerting.topic, monitor.function
        if table is not None:
            CfnOutput(self, "TableName", value=table.table_name)
        CfnOutput(self, "TopicArn", value=alerting.topic.topic_arn)
        CfnOutput(self, "FunctionName", value=monitor.function.function_name)
        self._suppressions(monitor, settings, alerting)

    def _channels(self, monitor: MonitorFunction) -> None:
        """Slack, Teams, webhooks, quiet hours: all opt-in CDK context (docs/WEBHOOKS.md),
        and only where notifications are published (a fleet's home)."""
        alerting = self.node.find_child("Alerting")
        assert isinstance(alerting, Alerting)
        self.channels = Channels(
            self,
            "Channels",
            topic=alerting.topic,
            key=alerting.key,
            settings=parse_channel_context(self.node.try_get_context),
        )
        self.channels.forward_alarms(self.observability.acting)
        self.channels.grant_publish(monitor.role)
        for name, value in sorted(self.channels.function_environment().items()):
            monitor.function.add_environment(name, value)

    def _suppressions(
        self, monitor: MonitorFunction, settings: Settings, alerting: Alerting
    ) -> None:
        """Each with its reason; cdk-nag fails the synth on anything not listed here."""
        NagSuppressions.add_resource_suppressions(
            monitor.function,
            [
                {
                    "id": "AwsSolutions-L1",
                    "reason": "python3.13 is the runtime the project is built and tested on; "
                    "moving to a newer one is a deliberate, tested change.",
                }
            ],
        )
        # Exactly the wildcard resources the role has. The log statement names the log
        # group's own ARN (no wildcard in the template); the aws/ssm key has no ARN known
        # at synth time, so unless the parameter's key is named, kms:Decrypt names the
        # key ARN pattern, narrowed by kms:ViaService.
        if not settings.api_key_kms_key_arn:
            NagSuppressions.add_resource_suppressions(
                monitor.role,
                [
                    {
                        "id": "AwsSolutions-IAM5",
                        "reason": "The default aws/ssm key has no ARN known at synth time, so "
                        "kms:Decrypt is limited by kms:ViaService to SSM in this region instead "
                        "(name the key with -c apiKeyKmsKeyArn=... to drop the wildcard).",
                        "appliesTo": [SSM_KEY_WILDCARD],
                    }
                ],
                apply_to_children=True,
            )
        if alerting.key is None:
            NagSuppressions.add_resource_suppressions(
                alerting.topic,
                [
                    {
                        "id": "AwsSolutions-SNS2",
                        "reason": "Encryption at rest needs a customer managed KMS key ($1 a "
                        "month per region; CloudWatch alarms cannot publish to a topic under "
                        "the AWS managed aws/sns key). The messages hold verdicts, never the "
                        "API key, and the topic enforces TLS. Opt in with -c topicKey=true.",
                    }
                ],
            )
