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


@pytest.fixture(scope="module")
def opt_in_template(synth_opt_in):
    return Template.from_stack(synth_opt_in[1][0])


def test_one_stack_per_region_each_tagging_its_region(synth):
    _, stacks, _ = synth
    assert [s.region for s in stacks] == ["us-east-1", "eu-west-1"]
    for s in stacks:
        fn = Template.from_stack(s).find_resources("AWS::Lambda::Function")
        [props] = [r["Properties"] for r in fn.values()]
        assert props["Environment"]["Variables"]["MONITOR_REGION"] == s.region


def test_cdk_nag_aws_solutions_has_no_unsuppressed_errors_or_warnings(synth, synth_opt_in):
    for s in synth[1] + synth_opt_in[1]:
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


def test_the_topic_enforces_ssl_and_has_no_paid_key_by_default(template):
    # Given the default context, then the topic refuses plain HTTP and no $1/month key exists
    [topic] = template.find_resources("AWS::SNS::Topic").values()
    assert "KmsMasterKeyId" not in topic["Properties"]
    assert template.find_resources("AWS::KMS::Key") == {}
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


def test_with_topic_key_only_this_stacks_alarms_may_use_the_key(opt_in_template):
    # Given -c topicKey=true, then the topic is encrypted, and CloudWatch may use the key
    # only for alarms of this stack, account and region
    opt_in_template.has_resource_properties(
        "AWS::SNS::Topic", {"KmsMasterKeyId": Match.any_value()}
    )
    [key] = opt_in_template.find_resources("AWS::KMS::Key").values()
    assert key["Properties"]["EnableKeyRotation"] is True
    [statement] = [
        s
        for s in key["Properties"]["KeyPolicy"]["Statement"]
        if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}
    ]
    assert statement["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
    condition = statement["Condition"]
    assert condition["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    arn = json.dumps(condition["ArnLike"]["aws:SourceArn"])
    for part in (":cloudwatch:", "AWS::Region", "AWS::AccountId", ":alarm:", "AWS::StackName"):
        assert part in arn, part
    # and the function may use the key to publish
    actions = {a for st in _statements(opt_in_template) for a in _listed(st["Action"])}
    assert {"kms:Decrypt", "kms:GenerateDataKey"} <= actions


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


def _listed(value):
    return value if isinstance(value, list) else [value]


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
        # The context is a two-region fleet: its home reads the regions' items of the
        # minute (tests/infra/test_fleet.py pins the other region's role).
        "dynamodb:BatchGetItem",
        "sns:Publish",
        "kms:Decrypt",  # the API key's parameter, through SSM only
        "ssm:GetParameter",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "sqs:SendMessage",  # failure destination: what Lambda needs, nothing more
    }
    roles = template.find_resources("AWS::IAM::Role")
    assert len(roles) == 1
    assert not any(r["Properties"].get("ManagedPolicyArns") for r in roles.values())


def test_iam5_suppression_lists_exactly_the_wildcard_resources_of_the_role(
    template, opt_in_template
):
    # Given the default context, the only wildcard resource is the aws/ssm key pattern
    wildcards = [
        json.dumps(r)
        for st in _statements(template)
        for r in _listed(st["Resource"])
        if "*" in json.dumps(r)
    ]
    assert len(wildcards) == 1 and ":key/*" in wildcards[0]
    assert _iam5_applies_to(template) == {
        "Resource::arn:<AWS::Partition>:kms:<AWS::Region>:<AWS::AccountId>:key/*"
    }
    # Given a named key for the parameter, no wildcard and no IAM5 suppression remain
    assert not [
        r for st in _statements(opt_in_template) for r in _listed(st["Resource"]) if "*" in str(r)
    ]
    assert _iam5_applies_to(opt_in_template) == set()


def _iam5_applies_to(template):
    found = set()
    for resource in template.to_json()["Resources"].values():
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", []):
            if rule["id"] == "AwsSolutions-IAM5":
                found.update(rule.get("applies_to", []))
    return found


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


def _alarms_by_metric(template):
    alarms = template.find_resources("AWS::CloudWatch::Alarm").values()
    return {a["Properties"].get("MetricName"): a["Properties"] for a in alarms}


ACTING = {
    "Heartbeat",
    "Errors",  # the function's
    "ApproximateNumberOfMessagesVisible",  # the dead-letter queue's
    "ApiKeyUnavailable",
    "RateLimitHeadroom",
    "CanaryLatency",
}
MIRRORING = {"CanaryFailed", "StatusPageApiDown"}


def test_only_alarms_the_function_does_not_notify_about_publish_by_default(template):
    # Given the default alarmActions, when an alarm changes state, then only those about
    # the monitor itself and about what the function does not notify publish to the topic
    alarms = template.find_resources("AWS::CloudWatch::Alarm").values()
    acting = {a["Properties"]["MetricName"] for a in alarms if a["Properties"].get("AlarmActions")}
    silent = {
        a["Properties"]["MetricName"] for a in alarms if not a["Properties"].get("AlarmActions")
    }
    assert acting == ACTING
    assert silent == MIRRORING
    for a in alarms:
        if not a["Properties"].get("AlarmActions"):
            assert not a["Properties"].get("OKActions")


def test_alarm_actions_all_restores_every_action(opt_in_template):
    alarms = opt_in_template.find_resources("AWS::CloudWatch::Alarm").values()
    assert all(a["Properties"].get("AlarmActions") for a in alarms)
    assert {a["Properties"]["MetricName"] for a in alarms} == ACTING | MIRRORING


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
        ("ApiKeyUnavailable", {"TreatMissingData": "notBreaching", "Statistic": "Maximum"}),
    ],
)
def test_each_metric_alarm_watches_its_metric(template, metric, extra):
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {"MetricName": metric, "Namespace": "ClaudeStatus", **extra},
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
    from functions.monitor.cli.cost import alarms_per_region

    alarms = template.find_resources("AWS::CloudWatch::Alarm")
    assert len(alarms) == alarms_per_region(models=2)


def test_the_dashboard_is_opt_in(template):
    assert template.find_resources("AWS::CloudWatch::Dashboard") == {}


def test_the_dashboard_shows_success_latency_severity_lead_time_and_alarms(opt_in_template):
    [board] = opt_in_template.find_resources("AWS::CloudWatch::Dashboard").values()
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


@pytest.mark.parametrize(
    ("schedule", "period", "periods"),
    [
        ("rate(1 minute)", 300, 1),
        ("rate(15 minutes)", 1800, 1),
        ("cron(0 * * * ? *)", 7200, 1),
        ("rate(1 day)", 86400, 2),
        ("cron(0 12 ? * MON-FRI *)", 86400, 1),
    ],
)
def test_the_heartbeat_window_spans_two_scheduled_cycles(schedule, period, periods):
    # Given a schedule slower than a cycle every 2.5 minutes, when the stack synthesises,
    # then the heartbeat alarm waits for two missed cycles instead of going off (and
    # mailing everyone) in every quiet interval between two healthy cycles
    import aws_cdk as cdk

    from infra.app import build

    [stack] = build(cdk.App(context={"schedule": schedule}))
    [alarm] = [
        a["Properties"]
        for a in Template.from_stack(stack).find_resources("AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("MetricName") == "Heartbeat"
    ]
    assert (alarm["Period"], alarm["EvaluationPeriods"]) == (period, periods)
    assert alarm["DatapointsToAlarm"] == periods and alarm["TreatMissingData"] == "breaching"


def test_per_cycle_alarms_get_a_datapoint_in_every_period_on_a_slower_schedule():
    # Given rate(5 minutes), when the stack synthesises, then each alarm on a metric the
    # function publishes once per cycle has periods at least a cycle long: HeadroomLow
    # (2 of 2 periods) and CanaryFailing (3 of 5) could never fill 1-minute periods
    import aws_cdk as cdk

    from infra.app import build

    [stack] = build(cdk.App(context={"schedule": "rate(5 minutes)"}))
    alarms = _alarms_by_metric(Template.from_stack(stack))
    for metric in (
        "CanaryFailed",
        "RateLimitHeadroom",
        "StatusPageApiDown",
        "ApiKeyUnavailable",
        "CanaryLatency",
    ):
        assert alarms[metric]["Period"] >= 300, metric
    # and on the default schedule the periods stay as they were
    [default] = build(cdk.App(context={}))
    periods = {m: a["Period"] for m, a in _alarms_by_metric(Template.from_stack(default)).items()}
    assert periods["CanaryFailed"] == periods["RateLimitHeadroom"] == 60
    assert periods["CanaryLatency"] == periods["ApiKeyUnavailable"] == 300
