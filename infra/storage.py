"""The results table: on demand, TTL, point-in-time recovery, encrypted, retained."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from .settings import Settings


class Storage(Construct):
    def __init__(self, scope: Construct, construct_id: str, settings: Settings) -> None:
        super().__init__(scope, construct_id)
        # A fleet's home table has a fixed name: the other regions' stacks name it in
        # their function's environment and role (no reference crosses regions).
        name = settings.home_table_name if settings.fleet else None
        # `Table`, not `TableV2`: the local emulator deploys it, and one region's table
        # is all it needs (a fleet's history is the home's; the others write to it).
        self.table = dynamodb.Table(
            self,
            "Results",
            table_name=name,
            partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="sk", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            time_to_live_attribute="expires_at",
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            removal_policy=RemovalPolicy.RETAIN,
        )
