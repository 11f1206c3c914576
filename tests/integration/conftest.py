"""AWS fixtures: one moto server process per session, a fault proxy, fresh resources per test."""

from __future__ import annotations

import json
from dataclasses import dataclass

import boto3
import pytest

from tests.aws_support import CREDENTIALS, FaultProxy


@dataclass
class Aws:
    endpoint: str
    proxy: FaultProxy
    table: str
    topic_arn: str
    queue_url: str

    def client(self, service: str):
        return boto3.client(service, endpoint_url=self.endpoint, region_name="us-east-1")

    def messages(self) -> list[dict]:
        """Everything SNS delivered to the subscribed queue, drained."""
        sqs = self.client("sqs")
        got = []
        while True:
            batch = sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=10,
                MessageAttributeNames=["All"],
                WaitTimeSeconds=0,
            )
            if not batch.get("Messages"):
                return got
            for m in batch["Messages"]:
                got.append(json.loads(m["Body"]))
                sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=m["ReceiptHandle"])


def create_table(client, name: str) -> None:
    """The table as the stack defines it: pk/sk strings, on demand, TTL on expires_at."""
    client.create_table(
        TableName=name,
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    client.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"}
    )


@pytest.fixture
def aws(moto_server, monkeypatch) -> Aws:
    server, proxy = moto_server
    server.reset()
    proxy.clear()
    for key, value in CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
    direct = lambda s: boto3.client(s, endpoint_url=server.url, region_name="us-east-1")  # noqa: E731
    create_table(direct("dynamodb"), "monitor-results")
    topic = direct("sns").create_topic(Name="monitor-alerts")["TopicArn"]
    queue_url = direct("sqs").create_queue(QueueName="alerts-inbox")["QueueUrl"]
    queue_arn = direct("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    direct("sns").subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    return Aws(server.url, proxy, "monitor-results", topic, queue_url)
