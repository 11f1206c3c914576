"""The stack, pinned property by property; cdk-nag and cfn-lint as quality gates."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from aws_cdk.assertions import Annotations, Match, Template


@pytest.fixture(scope="module")
def stack(synth):
    return synth[1][0]


@pytest.fixture(scope="module")
def template(stack):
    return Template.from_stack(stack)


def test_one_stack_per_region_each_tagging_its_region(synth):
    _, stacks, _ = synth
    assert [s.region for s in stacks] == ["us-east-1", "eu-west-1"]
    for s in stacks:
        fn = Template.from_stack(s).find_resources("AWS::Lambda::Function")
        [props] = [r["Properties"] for r in fn.values()]
        assert props["Environment"]["Variables"]["MONITOR_REGION"] == s.region


def test_cdk_nag_aws_solutions_has_no_unsuppressed_errors_or_warnings(synth):
    _, stacks, _ = synth
    for s in stacks:
        errors = Annotations.from_stack(s).find_error(
            "*", Match.string_like_regexp("AwsSolutions-.*")
        )
        warnings = Annotations.from_stack(s).find_warning(
            "*", Match.string_like_regexp("AwsSolutions-.*")
        )
        assert errors == [], [e.entry.data for e in errors]
        assert warnings == [], [w.entry.data for w in warnings]


def test_every_suppression_carries_a_reason(template):
    for resource in template.to_json()["Resources"].values():
        rules = resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
        for rule in rules:
            assert len(rule["reason"]) > 40, rule


def test_cfn_lint_passes_on_every_template(synth):
    _, _, assembly = synth
    for artifact in assembly.stacks:
        path = f"{assembly.directory}/{artifact.template_file}"
        cfn_lint = str(Path(sys.executable).with_name("cfn-lint"))
        run = subprocess.run([cfn_lint, path], capture_output=True, text=True)
        assert run.returncode == 0, run.stdout + run.stderr


def test_the_function_runs_python313_on_arm64_with_a_timeout_above_the_deadline(template):
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Runtime": "python3.13",
            "Architectures": ["arm64"],
            "Handler": "functions.monitor.handler.handler",
            "Timeout": 30,
            "MemorySize": 256,
            "LoggingConfig": {"LogGroup": Match.any_value()},
            "Environment": {
                "Variables": Match.object_like(
                    {
                        "CHECK_DEADLINE_SECONDS": "25",
                        "ANTHROPIC_API_KEY_PARAMETER": "/claude-monitor/anthropic-api-key",
                        "CANARY_MODELS": "claude-haiku-4-5,claude-sonnet-4-5",
                        "TABLE_NAME": Match.any_value(),
                        "TOPIC_ARN": Match.any_value(),
                    }
                )
            },
        },
    )
    template.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": 30})


def test_async_invocations_are_not_retried_expire_in_60s_and_fail_to_the_queue(template):
    template.has_resource_properties(
        "AWS::Lambda::EventInvokeConfig",
        {
            "MaximumRetryAttempts": 0,
            "MaximumEventAgeInSeconds": 60,
            "DestinationConfig": {"OnFailure": {"Destination": Match.any_value()}},
        },
    )


def test_the_schedule_runs_every_minute_with_no_retries_and_the_dlq(template):
    template.has_resource_properties(
        "AWS::Events::Rule",
        {
            "ScheduleExpression": "rate(1 minute)",
            "Targets": [
                Match.object_like(
                    {
                        "RetryPolicy": {"MaximumRetryAttempts": 0, "MaximumEventAgeInSeconds": 60},
                        "DeadLetterConfig": {"Arn": Match.any_value()},
                    }
                )
            ],
        },
    )


def test_the_table_is_on_demand_with_ttl_pitr_encryption_and_retained(template):
    template.has_resource(
        "AWS::DynamoDB::Table",
        {
            "Properties": Match.object_like(
                {
                    "BillingMode": "PAY_PER_REQUEST",
                    "KeySchema": [
                        {"AttributeName": "pk", "KeyType": "HASH"},
                        {"AttributeName": "sk", "KeyType": "RANGE"},
                    ],
                    "TimeToLiveSpecification": {"AttributeName": "expires_at", "Enabled": True},
                    "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                    "SSESpecification": {"SSEEnabled": True},
                }
            ),
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
        },
    )
    assert template.find_resources("AWS::DynamoDB::GlobalTable") == {}


def test_the_topic_enforces_ssl_and_uses_a_key_cloudwatch_may_use(template):
    template.has_resource_properties("AWS::SNS::Topic", {"KmsMasterKeyId": Match.any_value()})
    template.has_resource_properties(
        "AWS::SNS::TopicPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Deny",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        )
                    ]
                )
            }
        },
    )
    template.has_resource_properties(
        "AWS::KMS::Key",
        {
            "EnableKeyRotation": True,
            "KeyPolicy": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                            }
                        )
                    ]
                )
            },
        },
    )


def test_subscriptions_come_from_context_and_sms_is_filtered_to_critical(template):
    template.has_resource_properties(
        "AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": "oncall@example.com"}
    )
    template.has_resource_properties(
        "AWS::SNS::Subscription",
        {
            "Protocol": "sms",
            "Endpoint": "+15555550100",
            "FilterPolicy": {"severity": ["critical"]},
        },
    )


def _statements(template):
    policies = template.find_resources("AWS::IAM::Policy")
    return [s for p in policies.values() for s in p["Properties"]["PolicyDocument"]["Statement"]]


def test_the_role_has_exactly_the_actions_the_function_uses_and_no_wildcard_actions(template):
    actions = set()
    for statement in _statements(template):
        listed = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        actions.update(listed)
    assert not [a for a in actions if "*" in a]
    assert actions == {
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:ConditionCheckItem",
        "dynamodb:Query",
        "sns:Publish",
        "kms:Decrypt",
        "kms:GenerateDataKey",
        "ssm:GetParameter",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "sqs:SendMessage",
        "sqs:GetQueueAttributes",
        "sqs:GetQueueUrl",  # failure destination
    }
    roles = template.find_resources("AWS::IAM::Role")
    assert len(roles) == 1
    assert not any(r["Properties"].get("ManagedPolicyArns") for r in roles.values())


def test_the_heartbeat_alarm_treats_missing_data_as_breaching(template):
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "MetricName": "Heartbeat",
            "Namespace": "ClaudeStatus",
            "TreatMissingData": "breaching",
            "ComparisonOperator": "LessThanThreshold",
            "AlarmActions": [Match.any_value()],
            "OKActions": [Match.any_value()],
        },
    )


@pytest.mark.parametrize(
    ("metric", "extra"),
    [
        (
            "CanaryFailed",
            {"EvaluationPeriods": 5, "DatapointsToAlarm": 3, "TreatMissingData": "notBreaching"},
        ),
        ("CanaryLatency", {"ExtendedStatistic": "p90"}),
        ("StatusPageApiDown", {}),
        ("RateLimitHeadroom", {}),
    ],
)
def test_each_metric_alarm_acts_on_the_topic_with_an_ok_action(template, metric, extra):
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "MetricName": metric,
            "AlarmActions": [Match.any_value()],
            "OKActions": [Match.any_value()],
            **extra,
        },
    )


def test_function_errors_and_dlq_messages_alarm(template):
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm", {"MetricName": "Errors", "Namespace": "AWS/Lambda"}
    )
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {"MetricName": "ApproximateNumberOfMessagesVisible", "Namespace": "AWS/SQS"},
    )


def test_alarm_count_matches_what_the_cost_model_assumes(template):
    from functions.monitor.cost import alarms_per_region

    alarms = template.find_resources("AWS::CloudWatch::Alarm")
    assert len(alarms) == alarms_per_region(models=2)


def test_the_dashboard_shows_success_latency_severity_lead_time_and_alarms(template):
    [board] = template.find_resources("AWS::CloudWatch::Dashboard").values()
    body = json.dumps(board["Properties"]["DashboardBody"])
    for text in (
        "CanaryFailed",
        "Heartbeat",
        "CanaryLatency",
        "CanaryTTFT",
        "Severity",
        "DetectionLeadTime",
        "alarm",
    ):
        assert text in body, text
