"""boto3's real bedrock-runtime client against the loopback Converse fake.

Reached the way production configures nothing: boto3 reads
AWS_ENDPOINT_URL_BEDROCK_RUNTIME itself; credentials are "testing".
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from functions.monitor.observe import bedrock
from functions.simulator.bedrock import EXPECTED_OUTCOME, SCENARIOS, BedrockSimulator
from tests.conftest import closed_port

PROFILE = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
REGION = "us-east-1"


@pytest.fixture(scope="module")
def bsim() -> Iterator[BedrockSimulator]:
    with BedrockSimulator(slow_s=0.3, hang_s=30) as server:
        yield server


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch, bsim: BedrockSimulator) -> BedrockSimulator:
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", bsim.url)
    bedrock.bedrock_client.cache_clear()
    yield bsim
    bedrock.bedrock_client.cache_clear()


def test_every_scenario_has_an_expected_outcome():
    assert set(EXPECTED_OUTCOME) == set(SCENARIOS)


@pytest.mark.parametrize("scenario", sorted(EXPECTED_OUTCOME))
def test_given_a_bedrock_scenario_when_probed_then_one_request_gives_its_outcome(
    endpoint: BedrockSimulator, scenario: str
):
    # Given: the fake answers every model with this scenario
    endpoint.set(scenario)
    client = bedrock.bedrock_client(REGION, 1.0)
    # When: one canary runs through boto3
    result = bedrock.run_bedrock_canary(client, "claude-haiku-4-5", PROFILE, 1.0, slow_ms=150)
    # Then: the outcome is the scenario's, from exactly one request (botocore retries off)
    assert result.outcome == EXPECTED_OUTCOME[scenario], result.detail
    assert result.attempts == 1 and result.requests == 1
    if scenario not in ("reset",):
        assert len(endpoint.requests) == 1
    assert result.model == "claude-haiku-4-5" and result.model_id == PROFILE


def test_given_a_healthy_bedrock_when_probed_then_the_answer_is_parsed_in_full(endpoint):
    endpoint.set("ok")
    result = bedrock.run_bedrock_canary(
        bedrock.bedrock_client(REGION, 2.0), "claude-haiku-4-5", PROFILE, 2.0
    )
    assert result.outcome == "ok"
    assert result.http_status == 200
    assert result.request_id  # Bedrock's x-amzn-RequestId, through botocore
    assert result.stop_reason == "max_tokens"
    assert result.usage == {"input_tokens": 8, "output_tokens": 1}
    assert result.latency_ms is not None and result.detail is None
    assert result.to_dict()["model_id"] == PROFILE


def test_boto3_itself_parses_the_fake_converse_answer(endpoint):
    endpoint.set("ok")
    response = bedrock.bedrock_client(REGION, 2.0).converse(
        modelId=PROFILE, messages=[{"role": "user", "content": [{"text": "Hi"}]}]
    )
    assert response["output"]["message"]["content"][0]["text"] == "Hello"
    assert response["stopReason"] == "max_tokens"
    assert response["usage"]["outputTokens"] == 1
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_boto3_raises_the_fakes_errors_as_its_own_modelled_exceptions(endpoint):
    client = bedrock.bedrock_client(REGION, 2.0)
    endpoint.set("throttled")
    with pytest.raises(client.exceptions.ThrottlingException):
        client.converse(modelId=PROFILE, messages=[{"role": "user", "content": [{"text": "Hi"}]}])
    endpoint.set("model_not_ready")
    with pytest.raises(client.exceptions.ModelNotReadyException):
        client.converse(modelId=PROFILE, messages=[{"role": "user", "content": [{"text": "Hi"}]}])


def test_the_request_is_minimal_and_names_the_model_in_the_path(endpoint):
    endpoint.set("ok")
    bedrock.run_bedrock_canary(bedrock.bedrock_client(REGION, 2.0), "m", PROFILE, 2.0)
    [request] = endpoint.requests
    assert request["model_id"] == PROFILE
    assert request["body"]["inferenceConfig"] == {"maxTokens": 1}
    assert "temperature" not in str(request["body"]) and "topP" not in str(request["body"])
    assert "authorization" not in str(request).lower()


def test_given_nothing_listens_when_probed_then_network_error(monkeypatch, endpoint):
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", f"http://127.0.0.1:{closed_port()}")
    bedrock.bedrock_client.cache_clear()
    result = bedrock.run_bedrock_canary(bedrock.bedrock_client(REGION, 1.0), "m", PROFILE, 1.0)
    assert result.outcome == "network_error"
    assert result.error_type == "EndpointConnectionError"


def test_given_one_model_hangs_when_probed_together_then_all_return_by_the_deadline(endpoint):
    # Given: two models, one answering and one that never answers; a client whose own
    # socket timeout is longer than the probe's deadline
    endpoint.set("ok")
    hanging = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
    endpoint.set("hang", model_id=hanging)
    client = bedrock.bedrock_client(REGION, 10.0)
    models = {"claude-haiku-4-5": PROFILE, "claude-sonnet-4-5": hanging}
    # When
    started = time.monotonic()
    results = asyncio.run(bedrock.probe_bedrock(client, models, timeout_s=1.0))
    elapsed = time.monotonic() - started
    # Then: the answering model passes, the hanging one is a timeout, within deadline + 1 s
    assert [r.model for r in results] == ["claude-haiku-4-5", "claude-sonnet-4-5"]
    assert [r.outcome for r in results] == ["ok", "timeout"]
    assert results[1].failed_requests == 1
    assert elapsed < 2.0


def test_given_no_models_when_probed_then_nothing_is_sent(endpoint):
    endpoint.set("ok")
    assert asyncio.run(bedrock.probe_bedrock(object(), {}, timeout_s=1.0)) == []
    assert endpoint.requests == []


def test_the_scenario_endpoint_switches_what_converse_answers(endpoint):
    import json
    import urllib.request

    request = urllib.request.Request(
        endpoint.url + "/_sim/scenario",
        data=json.dumps({"name": "unavailable"}).encode(),
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200
    result = bedrock.run_bedrock_canary(bedrock.bedrock_client(REGION, 2.0), "m", PROFILE, 2.0)
    assert result.outcome == "server_error" and result.http_status == 503
