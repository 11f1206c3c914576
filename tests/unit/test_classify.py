"""Every HTTP answer maps to exactly one contract outcome."""

import json
import random

import pytest

from functions.monitor.canary import backoff_s, classify_http, redact
from functions.monitor.models import ALL_OUTCOMES


def body(error_type, message="m"):
    return json.dumps({"type": "error", "error": {"type": error_type, "message": message}}).encode()


@pytest.mark.parametrize(
    ("status", "payload", "outcome"),
    [
        (400, body("invalid_request_error"), "invalid_request"),
        (401, body("authentication_error"), "auth_error"),
        (403, body("permission_error"), "permission_error"),
        (404, body("not_found_error"), "model_not_found"),
        (413, b"<html>too large</html>", "request_too_large"),
        (429, body("rate_limit_error"), "rate_limited"),
        (500, body("api_error"), "server_error"),
        (502, b"bad gateway", "server_error"),
        (503, b"", "server_error"),
        (529, body("overloaded_error"), "overloaded"),
        (402, body("billing_error"), "spend_limit"),
        (400, body("invalid_request_error", "Your credit balance is too low"), "spend_limit"),
        (
            400,
            body("invalid_request_error", "You have reached your specified API usage limits"),
            "spend_limit",
        ),
        (409, body("conflict_error"), "invalid_request"),
        (408, b"", "timeout"),
        (302, b"<html>Sign in to the Wi-Fi</html>", "bad_response"),
        (301, b"", "bad_response"),
    ],
)
def test_given_an_http_answer_then_it_maps_to_one_outcome(status, payload, outcome):
    got, _, _ = classify_http(status, payload)
    assert got == outcome
    assert got in ALL_OUTCOMES


def test_given_an_error_body_then_its_type_and_message_are_kept():
    assert classify_http(404, body("not_found_error", "model: x")) == (
        "model_not_found",
        "not_found_error",
        "model: x",
    )


def test_backoff_grows_exponentially_with_bounded_jitter():
    rng = random.Random(7)
    for attempt in range(1, 6):
        ceiling = 0.5 * 2 ** (attempt - 1)
        value = backoff_s(attempt, 0.5, rng)
        assert ceiling / 2 <= value <= ceiling


def test_redact_removes_the_key():
    assert redact("bad key sk-ant-123 here", "sk-ant-123") == "bad key [redacted] here"
    assert redact("nothing", None) == "nothing"
