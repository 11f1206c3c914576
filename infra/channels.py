"""Where teams live: Slack and Microsoft Teams through Amazon Q Developer, and webhooks.

All optional, all from CDK context (`parse_channel_context`):

    -c slackWorkspaceId=T0123ABCD -c slackChannelId=C0123ABCD
    -c teamsTeamId=<uuid> -c teamsChannelId=19:...@thread.tacv2 -c teamsTenantId=<uuid>
    -c webhooks=https://a.example/hook,https://b.example/hook
    -c quiet=22-07 -c chatGuardrail=deny-all

Chat channels subscribe to the alert topic itself: Amazon Q renders our custom
notifications (the `https` key of each publish, see functions/monitor/tell/chat.py) and
the stack's CloudWatch alarms natively. Its channel role may only read CloudWatch
(what rendering alarm notifications needs), and a guardrail policy with the same
read-only actions caps it: without a guardrail Amazon Q applies AdministratorAccess
(GuardrailPolicyArns, Amazon Q Developer in chat applications API reference:
https://docs.aws.amazon.com/chatbot/latest/APIReference/API_TeamsChannelConfiguration.html).
Which guardrail: by default a read-only CloudWatch one, so Amazon Q can still read
the alarms it enriches; `-c chatGuardrail=deny-all` uses the AWS managed AWSDenyAll
policy instead (Deny * on *:
https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSDenyAll.html) and
gives the role no permission at all: notifications still arrive (SNS delivers them
to Amazon Q, no role involved), only what Amazon Q would read to enrich alarms goes.
Either way nobody can change anything in the account from the chat.

Webhooks get a topic of their own. Amazon Q and any HTTPS endpoint both read the
`https` key of a publish, and Amazon Q drops anything that is not its custom
schema, so one publish cannot carry both. The webhook topic carries the documented
body (docs/WEBHOOKS.md) in the SNS envelope (no raw delivery: endpoints can verify
the SNS signature, and PagerDuty's and Opsgenie's SNS integrations expect the
envelope), with a retry policy and a dead-letter queue whose depth is alarmed on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_chatbot as chatbot
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subs
from aws_cdk import aws_sqs as sqs
from cdk_nag import NagSuppressions
from constructs import Construct

from functions.monitor.values import parse_quiet
from infra.queues import dead_letter_queue

# What the channel role may do, and the guardrail that caps it: read CloudWatch only.
CHAT_READ_ACTIONS = ["cloudwatch:Describe*", "cloudwatch:Get*", "cloudwatch:List*"]
GUARDRAILS = ("cloudwatch-read", "deny-all")

# Retries for HTTPS deliveries, well inside SNS's 3600 s ceiling for one message:
# 1 at once, 2 after 2 s, 6 backing off to 5 min, 3 at 5 min: about 25 minutes.
WEBHOOK_RETRY = sns.HealthyRetryPolicy(
    num_retries=12,
    num_no_delay_retries=1,
    num_min_delay_retries=2,
    num_max_delay_retries=3,
    min_delay_target=Duration.seconds(2),
    max_delay_target=Duration.seconds(300),
    backoff_function=sns.BackoffFunction.EXPONENTIAL,
)

_SLACK_WORKSPACE = re.compile(r"^[0-9A-Z]{1,255}$")
_SLACK_CHANNEL = re.compile(r"^[A-Za-z0-9]{1,255}$")
_UUID = re.compile(r"^[0-9A-Fa-f]{8}(-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}$")
# The documented TeamsChannelId pattern: the channel id with ':' and '@' URL-encoded.
_TEAMS_CHANNEL = re.compile(
    r"^([a-zA-Z0-9-_=+/.,])*%3[aA]([a-zA-Z0-9-_=+/.,])*%40([a-zA-Z0-9-_=+/.,])*$"
)


@dataclass(frozen=True)
class ChannelSettings:
    slack_workspace_id: str = ""
    slack_channel_id: str = ""
    teams_team_id: str = ""
    teams_channel_id: str = ""
    teams_tenant_id: str = ""
    webhooks: tuple[str, ...] = ()
    quiet: str = ""
    chat_guardrail: str = "cloudwatch-read"  # or "deny-all"

    @property
    def slack(self) -> bool:
        return bool(self.slack_workspace_id)

    @property
    def teams(self) -> bool:
        return bool(self.teams_team_id)

    def function_environment(self) -> dict[str, str]:
        """What the monitor function needs to know (the topic ARN is added by Channels)."""
        return {"QUIET_HOURS": self.quiet} if self.quiet else {}


def _text(get: Callable[[str], Any], key: str) -> str:
    value = get(key)
    return "" if value is None else str(value).strip()


def _require_together(values: dict[str, str]) -> None:
    given = [k for k, v in values.items() if v]
    if given and len(given) != len(values):
        missing = next(k for k, v in values.items() if not v)
        raise ValueError(f"context '{missing}' is required with '{given[0]}'")


def _webhooks(raw: str) -> tuple[str, ...]:
    urls = tuple(u.strip() for u in raw.split(",") if u.strip())
    for n, url in enumerate(urls, 1):
        parts = urlsplit(url)
        # Never echo the URL: PagerDuty and Opsgenie URLs carry their integration key.
        if parts.scheme != "https" or not parts.hostname or any(c.isspace() for c in url):
            raise ValueError(f"context 'webhooks': entry {n} is not an https:// URL")
    if len(set(urls)) != len(urls):
        raise ValueError("context 'webhooks': the same URL is listed twice")
    return urls


def parse_channel_context(get: Callable[[str], Any]) -> ChannelSettings:
    """Channel options from CDK context (`node.try_get_context`); one-line errors."""
    slack = {k: _text(get, k) for k in ("slackWorkspaceId", "slackChannelId")}
    teams = {k: _text(get, k) for k in ("teamsTeamId", "teamsChannelId", "teamsTenantId")}
    _require_together(slack)
    _require_together(teams)
    if slack["slackWorkspaceId"] and not _SLACK_WORKSPACE.match(slack["slackWorkspaceId"]):
        raise ValueError("context 'slackWorkspaceId' must be the workspace id, like T0123ABCD")
    if slack["slackChannelId"] and not _SLACK_CHANNEL.match(slack["slackChannelId"]):
        raise ValueError("context 'slackChannelId' must be the channel id, like C0123ABCD")
    for key in ("teamsTeamId", "teamsTenantId"):
        if teams[key] and not _UUID.match(teams[key]):
            raise ValueError(f"context '{key}' must be a UUID, as the Amazon Q console shows it")
    channel = teams["teamsChannelId"]
    if channel and ("%" not in channel):
        # As copied from a Teams link: 19:abc@thread.tacv2; CloudFormation wants it encoded.
        channel = quote(channel, safe="-_=+/.,").replace("%3A", "%3a")
    if channel and not _TEAMS_CHANNEL.match(channel):
        raise ValueError("context 'teamsChannelId' must look like 19:...@thread.tacv2")
    guardrail = _text(get, "chatGuardrail") or "cloudwatch-read"
    if guardrail not in GUARDRAILS:
        raise ValueError(f"context 'chatGuardrail' must be one of {', '.join(GUARDRAILS)}")
    quiet = _text(get, "quiet")
    if quiet:
        parse_quiet(quiet, setting="context 'quiet'")
    return ChannelSettings(
        slack_workspace_id=slack["slackWorkspaceId"],
        slack_channel_id=slack["slackChannelId"],
        teams_team_id=teams["teamsTeamId"],
        teams_channel_id=channel,
        teams_tenant_id=teams["teamsTenantId"],
        webhooks=_webhooks(_text(get, "webhooks")),
        quiet=quiet,
        chat_guardrail=guardrail,
    )


class Channels(Construct):
    """Chat channels on the alert topic; webhooks on a topic of their own."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        topic: sns.ITopic,
        key: kms.IKey | None,
        settings: ChannelSettings,
    ) -> None:
        super().__init__(scope, construct_id)
        self.settings = settings
        self.topic = topic
        self._key = key
        self.chat_role: iam.Role | None = None
        self.slack: chatbot.SlackChannelConfiguration | None = None
        self.teams: chatbot.CfnMicrosoftTeamsChannelConfiguration | None = None
        self.webhook_topic: sns.Topic | None = None
        self.dlq: sqs.Queue | None = None
        self.dlq_alarm: cw.Alarm | None = None
        name = Stack.of(self).stack_name
        if settings.slack or settings.teams:
            self._chat_role()
        if settings.slack:
            self._slack(f"{name}-slack")
        if settings.teams:
            self._teams(f"{name}-teams")
        if settings.webhooks:
            self._webhooks(key)

    # chat

    def _chat_role(self) -> None:
        self.chat_role = iam.Role(
            self,
            "ChatRole",
            assumed_by=iam.ServicePrincipal("chatbot.amazonaws.com"),
            description="Amazon Q Developer channel role: changes nothing in the account",
        )
        if self.settings.chat_guardrail == "deny-all":
            self.guardrail: iam.IManagedPolicy = iam.ManagedPolicy.from_aws_managed_policy_name(
                "AWSDenyAll"
            )
            return
        self.guardrail = iam.ManagedPolicy(
            self,
            "ChatGuardrail",
            description="Caps what anyone can do through the monitor's chat channels: "
            "read CloudWatch, nothing else",
            statements=[iam.PolicyStatement(actions=CHAT_READ_ACTIONS, resources=["*"])],
        )
        self.chat_role.add_to_policy(
            iam.PolicyStatement(actions=CHAT_READ_ACTIONS, resources=["*"])
        )
        reason = (
            "Amazon Q reads the alarm and its metric to enrich CloudWatch alarm "
            "notifications; alarm ARNs vary and cloudwatch:Describe*/Get*/List* are "
            "read-only, so the wildcard lets nobody change anything."
        )
        for construct in (self.guardrail, self.chat_role):
            NagSuppressions.add_resource_suppressions(
                construct, [{"id": "AwsSolutions-IAM5", "reason": reason}], apply_to_children=True
            )

    def _slack(self, name: str) -> None:
        s = self.settings
        assert self.chat_role is not None
        self.slack = chatbot.SlackChannelConfiguration(
            self,
            "Slack",
            slack_channel_configuration_name=name,
            slack_workspace_id=s.slack_workspace_id,
            slack_channel_id=s.slack_channel_id,
            role=self.chat_role,
            guardrail_policies=[self.guardrail],
            notification_topics=[self.topic],
            logging_level=chatbot.LoggingLevel.ERROR,
            user_role_required=False,
        )

    def _teams(self, name: str) -> None:
        s = self.settings
        assert self.chat_role is not None
        self.teams = chatbot.CfnMicrosoftTeamsChannelConfiguration(
            self,
            "Teams",
            configuration_name=name,
            iam_role_arn=self.chat_role.role_arn,
            team_id=s.teams_team_id,
            teams_channel_id=s.teams_channel_id,
            teams_tenant_id=s.teams_tenant_id,
            guardrail_policies=[self.guardrail.managed_policy_arn],
            sns_topic_arns=[self.topic.topic_arn],
            logging_level="ERROR",
            user_role_required=False,
        )

    # webhooks

    def _webhooks(self, key: kms.IKey | None) -> None:
        self.dlq = dead_letter_queue(
            self,
            "WebhookDlq",
            "This queue is itself the dead-letter queue of the webhook "
            "subscriptions; its depth is alarmed on, its messages read by people.",
        )
        # Same key as the alert topic (its policy already lets CloudWatch alarms publish),
        # and, like it, unencrypted at rest unless -c topicKey=true.
        self.webhook_topic = sns.Topic(
            self,
            "Webhooks",
            display_name="Claude API monitor webhooks",
            master_key=key,
            enforce_ssl=True,
        )
        if key is None:
            NagSuppressions.add_resource_suppressions(
                self.webhook_topic,
                [
                    {
                        "id": "AwsSolutions-SNS2",
                        "reason": "As the alert topic: encryption at rest needs a customer "
                        "managed KMS key ($1 a month; CloudWatch alarms cannot publish to a "
                        "topic under aws/sns). The messages hold verdicts, never secrets, and "
                        "the topic enforces TLS. Opt in with -c topicKey=true.",
                    }
                ],
            )
        policy = sns.DeliveryPolicy(
            healthy_retry_policy=WEBHOOK_RETRY,
            request_policy=sns.RequestPolicy(header_content_type="application/json"),
        )
        for url in self.settings.webhooks:
            self.webhook_topic.add_subscription(
                subs.UrlSubscription(
                    url,
                    protocol=sns.SubscriptionProtocol.HTTPS,
                    raw_message_delivery=False,
                    dead_letter_queue=self.dlq,
                    delivery_policy=policy,
                )
            )
        self.dlq_alarm = cw.Alarm(
            self,
            "WebhookUndelivered",
            metric=self.dlq.metric_approximate_number_of_messages_visible(
                period=Duration.minutes(5), statistic="Maximum"
            ),
            threshold=1,
            comparison_operator=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
            alarm_description="A webhook endpoint refused a notification through every retry; "
            "it is kept in the webhook dead-letter queue",
        )
        # People hear about it on the alert topic (email, SMS, chat), not on the webhook
        # topic whose endpoint is the one failing.
        self.dlq_alarm.add_alarm_action(cw_actions.SnsAction(self.topic))
        CfnOutput(self, "WebhookTopicArn", value=self.webhook_topic.topic_arn)
        CfnOutput(self, "WebhookDlqUrl", value=self.dlq.queue_url)

    def forward_alarms(self, alarms: Sequence[cw.Alarm]) -> None:
        """Send these CloudWatch alarms (ALARM and OK) to the webhooks too.

        PagerDuty's and Opsgenie's CloudWatch integrations read alarm messages natively,
        opening and resolving an incident per alarm. No-op without webhooks.
        """
        if self.webhook_topic is None:
            return
        action = cw_actions.SnsAction(self.webhook_topic)
        for alarm in alarms:
            alarm.add_alarm_action(action)
            alarm.add_ok_action(action)

    def grant_publish(self, grantee: iam.IGrantable) -> None:
        """Let the monitor function publish the webhook body. No-op without webhooks."""
        if self.webhook_topic is None:
            return
        # Explicit actions rather than Topic.grant_publish, whose kms:GenerateDataKey*
        # wildcard cdk-nag flags; these two are what SNS needs with a KMS-encrypted topic.
        iam.Grant.add_to_principal(
            grantee=grantee, actions=["sns:Publish"], resource_arns=[self.webhook_topic.topic_arn]
        )
        if self._key is not None:
            iam.Grant.add_to_principal(
                grantee=grantee,
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resource_arns=[self._key.key_arn],
            )

    def function_environment(self) -> dict[str, str]:
        env = self.settings.function_environment()
        if self.webhook_topic is not None:
            env["WEBHOOK_TOPIC_ARN"] = self.webhook_topic.topic_arn
        return env
