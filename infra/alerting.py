"""The alert topic: SSL enforced, its subscribers, and (opt-in) a key CloudWatch alarms may use.

Encryption at rest is opt-in (`-c topicKey=true`) because it costs a customer
managed KMS key, $1 a month per region, a third of the default bill. The
AWS managed key `alias/aws/sns` is free but useless here: its key policy cannot
be changed, so CloudWatch alarms could not publish to a topic encrypted with it
(https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).
The messages carry verdicts, outcomes and request ids, never the API key; they
travel over TLS only (the topic refuses plain HTTP).
"""

from __future__ import annotations

from aws_cdk import Aws, Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subs
from constructs import Construct

from .settings import Settings


class Alerting(Construct):
    def __init__(self, scope: Construct, construct_id: str, settings: Settings) -> None:
        super().__init__(scope, construct_id)
        self.key: kms.Key | None = self._key() if settings.topic_key else None
        self.topic = sns.Topic(
            self,
            "Alerts",
            display_name="Claude API monitor",
            master_key=self.key,
            enforce_ssl=True,
        )
        for address in settings.emails:
            self.topic.add_subscription(subs.EmailSubscription(address))
        # SMS only for the severities asked for (critical by default): a phone buzzing
        # for every warning is how alerts get muted.
        sms_filter = {
            "severity": sns.SubscriptionFilter.string_filter(
                allowlist=list(settings.sms_severities)
            )
        }
        for number in settings.phones:
            self.topic.add_subscription(subs.SmsSubscription(number, filter_policy=sms_filter))

    def _key(self) -> kms.Key:
        key = kms.Key(
            self,
            "TopicKey",
            description="Encrypts the Claude monitor's alert topic",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.DESTROY,
            pending_window=Duration.days(7),
        )
        # CloudWatch alarms publish to the encrypted topic: they need the data key, but
        # only for this stack's alarms (CloudFormation names them "<stack>-<id>-<suffix>")
        # in this account and region: no confused deputy.
        alarms = f"arn:{Aws.PARTITION}:cloudwatch:{Aws.REGION}:{Aws.ACCOUNT_ID}:alarm:"
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowThisAccountsAlarmsToPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],  # in a key policy, "*" means this key
                conditions={
                    "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
                    "ArnLike": {"aws:SourceArn": f"{alarms}{Aws.STACK_NAME}-*"},
                },
            )
        )
        return key
