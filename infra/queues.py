"""The dead-letter queues: one shape for every queue that holds what could not be
delivered (the function's failed runs, webhook deliveries)."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_sqs as sqs
from cdk_nag import NagSuppressions
from constructs import Construct


def dead_letter_queue(scope: Construct, construct_id: str, why_no_dlq: str) -> sqs.Queue:
    """SSE-SQS, TLS only, kept 14 days (the longest SQS allows). It is itself a
    dead-letter queue, so cdk-nag's SQS3 (a queue without one) is suppressed with
    `why_no_dlq`."""
    queue = sqs.Queue(
        scope,
        construct_id,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        retention_period=Duration.days(14),
    )
    NagSuppressions.add_resource_suppressions(
        queue, [{"id": "AwsSolutions-SQS3", "reason": why_no_dlq}]
    )
    return queue
