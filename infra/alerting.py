"""The alert topic: SSL enforced, encrypted with a key CloudWatch alarms may use, subscribers."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subs
from constructs import Construct

from .settings import Settings


class Alerting(Construct):
    def __init__(self, scope: Construct, construct_id: str, settings: Settings) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "TopicKey",
            description="Encrypts the Claude monitor's alert topic",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.DESTROY,
            pending_window=Duration.days(7),
        )
        # CloudWatch alarms publish to the encrypted topic: they need the data key.
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],  # in a key policy, "*" means this key
            )
        )
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
