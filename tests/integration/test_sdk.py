"""The official anthropic SDK accepts the simulator's answers, streaming and not.

The SDK is a dev dependency only: it proves the simulator speaks the real protocol,
so tests against the simulator mean something.
"""

import anthropic
import pytest


@pytest.fixture
def client(healthy_sim):
    return anthropic.Anthropic(base_url=healthy_sim.url, api_key="sim-key", max_retries=0)


def test_the_sdk_reads_a_non_streaming_message(client):
    message = client.messages.create(
        model="claude-haiku-5-5", max_tokens=8, messages=[{"role": "user", "content": "hi"}]
    )
    assert message.type == "message" and message.content[0].text == "OK"
    assert message.usage.output_tokens == 1


def test_the_sdk_reads_a_stream_to_its_final_message(client):
    with client.messages.stream(
        model="claude-haiku-5-5", max_tokens=8, messages=[{"role": "user", "content": "hi"}]
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "OK"
    assert final.stop_reason == "end_turn"


def test_the_sdk_raises_its_typed_errors_for_simulated_failures(sim):
    client = anthropic.Anthropic(base_url=sim.url, api_key="sim-key", max_retries=0)
    expectations = {
        "auth_error": anthropic.AuthenticationError,
        "model_not_found": anthropic.NotFoundError,
        "rate_limited": anthropic.RateLimitError,
        "server_error": anthropic.InternalServerError,
        "permission_error": anthropic.PermissionDeniedError,
    }
    for scenario, error in expectations.items():
        sim.set(scenario)
        with pytest.raises(error) as caught:
            client.messages.create(
                model="claude-haiku-5-5", max_tokens=8, messages=[{"role": "user", "content": "hi"}]
            )
        assert caught.value.request_id and caught.value.request_id.startswith("req_sim")


def test_the_sdk_surfaces_an_error_event_inside_a_200_stream(sim):
    sim.set("stream_error")
    client = anthropic.Anthropic(base_url=sim.url, api_key="sim-key", max_retries=0)
    with (
        pytest.raises(anthropic.APIStatusError) as caught,
        client.messages.stream(
            model="claude-haiku-5-5", max_tokens=8, messages=[{"role": "user", "content": "hi"}]
        ) as stream,
    ):
        for _ in stream:
            pass
    assert "overloaded" in str(caught.value).lower()


@pytest.mark.parametrize(
    ("scenario", "stop_reason", "first_block"),
    [
        ("healthy", "end_turn", "text"),
        ("thinking_stream", "end_turn", "thinking"),
        ("stop_max_tokens", "max_tokens", "text"),
        ("stop_refusal", "refusal", "text"),
    ],
)
def test_the_sdk_reads_every_successful_stream_shape(sim, scenario, stop_reason, first_block):
    # Given the simulator serving one of the stream shapes the canary counts as success
    sim.set(scenario)
    client = anthropic.Anthropic(base_url=sim.url, api_key="sim-key", max_retries=0)
    # When the official SDK streams it to its final message
    with client.messages.stream(
        model="claude-haiku-5-5", max_tokens=8, messages=[{"role": "user", "content": "hi"}]
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    # Then it accepts it, with the block order and stop reason the simulator meant
    assert text == "OK"
    assert final.stop_reason == stop_reason
    assert final.content[0].type == first_block
    if first_block == "thinking":
        assert final.content[0].thinking and final.content[0].signature
        assert final.content[1].type == "text"


@pytest.mark.parametrize(
    ("scenario", "status", "has_request_id"),
    [
        ("overloaded", 529, True),
        ("cloudflare_502", 502, False),
        ("proxy_404", 404, False),
    ],
)
def test_the_sdk_sees_the_statuses_and_request_ids_the_canary_classifies_by(
    sim, scenario, status, has_request_id
):
    sim.set(scenario)
    client = anthropic.Anthropic(base_url=sim.url, api_key="sim-key", max_retries=0)
    with pytest.raises(anthropic.APIStatusError) as caught:
        client.messages.create(
            model="claude-haiku-5-5", max_tokens=8, messages=[{"role": "user", "content": "hi"}]
        )
    assert caught.value.status_code == status
    assert bool(caught.value.request_id) is has_request_id


@pytest.mark.parametrize(
    ("scenario", "expected_text"),
    [("wrong_answer", "Sure! How can I help you today?"), ("garbled", "好的"), ("empty_text", "")],
)
def test_the_sdk_accepts_the_answers_the_check_calls_wrong(sim, scenario, expected_text):
    # Given the simulator serving a well-formed answer with the wrong text
    sim.set(scenario)
    client = anthropic.Anthropic(base_url=sim.url, api_key="sim-key", max_retries=0)
    ask = {
        "model": "claude-haiku-5-5",
        "max_tokens": 2,
        "messages": [{"role": "user", "content": "Reply with OK"}],
    }
    # When the official SDK streams it, and asks for it whole
    with client.messages.stream(**ask) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    message = client.messages.create(**ask)
    # Then both are valid Messages API answers: one text block, the scenario's text
    assert text == expected_text
    assert final.stop_reason == "end_turn"
    assert [b.type for b in final.content] == ["text"]
    assert final.content[0].text == expected_text
    assert message.content[0].text == expected_text


def test_the_sdk_accepts_answers_made_wrong_at_random(sim):
    # Given every answer made wrong at random (rate 1)
    sim.set("healthy")
    sim.update(wrong_rate=1, wrong_seed=7)
    client = anthropic.Anthropic(base_url=sim.url, api_key="sim-key", max_retries=0)
    # When the SDK streams one
    question = [{"role": "user", "content": "Reply with OK"}]
    with client.messages.stream(
        model="claude-haiku-5-5", max_tokens=2, messages=question
    ) as stream:
        text = "".join(stream.text_stream)
    # Then it reads the wrong text from a valid stream
    assert text == "Sure! How can I help you today?"
