"""Every HTTP answer maps to exactly one contract outcome; whose answer it is decides
between the platform and the network path."""

import json
import math
import random
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from functions.monitor.models import ALL_OUTCOMES
from functions.monitor.observe.canary import backoff_s, redact
from functions.monitor.observe.classify import classify_http, parse_retry_after

RID = {"request-id": "req_0123"}
CF = {"cf-ray": "8a1b2c3d4e5f-SJC", "server": "cloudflare"}
NGINX = {"server": "nginx", "x-request-id": "abc"}  # a proxy's own id is no evidence


def body(error_type, message="m"):
    return json.dumps({"type": "error", "error": {"type": error_type, "message": message}}).encode()


@pytest.mark.parametrize(
    ("status", "payload", "headers", "outcome"),
    [
        # Anthropic's shape (with or without its request id) is classified by status.
        (400, body("invalid_request_error"), RID, "invalid_request"),
        (401, body("authentication_error"), {}, "auth_error"),
        (403, body("permission_error"), RID, "permission_error"),
        (404, body("not_found_error"), RID, "model_not_found"),
        (429, body("rate_limit_error"), RID, "rate_limited"),
        (500, body("api_error"), {}, "server_error"),
        (529, body("overloaded_error"), {}, "overloaded"),
        (402, body("billing_error"), RID, "spend_limit"),
        (400, body("invalid_request_error", "Your credit balance is too low"), RID, "spend_limit"),
        (
            400,
            body("invalid_request_error", "You have reached your specified API usage limits"),
            RID,
            "spend_limit",
        ),
        (409, body("conflict_error"), RID, "invalid_request"),
        # A request id alone is Anthropic's answer.
        (503, b"", RID, "server_error"),
        (408, b"", RID, "timeout"),
        # Anthropic's Cloudflare edge: HTML error pages with cf-ray stay platform.
        (502, b"<html>Bad gateway</html>", CF, "server_error"),
        (503, b"<html>Service unavailable</html>", {"cf-ray": "x"}, "server_error"),
        (413, b"<html>too large</html>", {"server": "cloudflare"}, "request_too_large"),
        # Neither shape nor request id nor edge marks: something on the path answered.
        (404, b"", {}, "intercepted"),
        (502, b"<html>bad gateway</html>", NGINX, "intercepted"),
        (503, b"", None, "intercepted"),
        (429, b"slow down", {}, "intercepted"),
        (500, b'{"error": "internal"}', {}, "intercepted"),
        (500, b'{"type":"error","error":{"type":"x"}}', {}, "intercepted"),  # no message
        # A block page with Cloudflare's marks but no Anthropic error (Cloudflare
        # Gateway, a WAF, a region block): stopped before the API, the key not blamed.
        (403, b"<html>Sorry, you have been blocked</html>", CF, "intercepted"),
        (403, b"", {"cf-ray": "x"}, "intercepted"),
        # The API never redirects, whatever the headers say.
        (302, b"<html>Sign in to the Wi-Fi</html>", {}, "intercepted"),
        (301, b"", RID, "intercepted"),
    ],
)
def test_given_an_http_answer_then_it_maps_to_one_outcome(status, payload, headers, outcome):
    got, _, detail = classify_http(status, payload, headers)
    assert got == outcome
    assert got in ALL_OUTCOMES
    if got == "intercepted" and status == 403:
        assert "firewall, secure web gateway or region block" in detail
    elif got == "intercepted":
        assert "proxy, captive portal or firewall" in detail


def test_given_an_error_body_then_its_type_and_message_are_kept():
    assert classify_http(404, body("not_found_error", "model: x"), RID) == (
        "model_not_found",
        "not_found_error",
        "model: x",
    )


def test_given_mixed_case_header_names_in_a_dict_then_they_are_still_found():
    assert classify_http(502, b"", {"CF-Ray": "abc"})[0] == "server_error"


def test_backoff_grows_exponentially_with_bounded_jitter():
    rng = random.Random(7)
    for attempt in range(1, 6):
        ceiling = 0.5 * 2 ** (attempt - 1)
        value = backoff_s(attempt, 0.5, rng)
        assert ceiling / 2 <= value <= ceiling


NOW = datetime(2026, 11, 27, 3, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "seconds"),
    [
        ("17", 17.0),
        (" 2.5 ", 2.5),
        ("0", 0.0),
        ("nan", None),
        ("NaN", None),
        ("inf", None),
        ("-inf", None),
        ("1e999", None),
        ("-5", None),
        ("1e9", 86_400.0),  # absurd: capped at a day
        ("Fri, 27 Nov 2026 03:01:30 GMT", 90.0),
        ("Fri, 27 Nov 2026 02:59:00 GMT", 0.0),  # already past: retry now
        ("Fri, 27 Nov 2099 03:00:00 GMT", 86_400.0),
        ("soon", None),
        ("", None),
    ],
)
def test_given_a_retry_after_value_then_it_is_finite_non_negative_and_capped(raw, seconds):
    got = parse_retry_after(raw, now=NOW)
    assert got == seconds
    # Whatever it is, it can go into strict JSON.
    json.dumps({"retry_after_s": got}, allow_nan=False)
    assert got is None or (math.isfinite(got) and 0 <= got <= 86_400)


def test_redact_removes_the_key():
    assert redact("bad key sk-ant-123 here", "sk-ant-123") == "bad key [redacted] here"
    assert redact("nothing", None) == "nothing"


KEY = "sk-ant-api03-Zq9XbY7wVu5tSr3qPo1nMl-kJiHg_FeDcBa0123456789AAAA"


@pytest.mark.parametrize(
    "text",
    [
        KEY,
        KEY + "\n",
        f"Illegal header value b'{KEY}\\n'",
        json.dumps({"key": KEY + "\n"}),
        repr(KEY + "\t"),
        "key=" + "%73%6B" + KEY[2:].replace("-", "%2D"),
        KEY[:30] + "\n  " + KEY[30:],
        KEY[:20] + "\\n" + KEY[20:],
        "prefix " + KEY[5:17] + " suffix",  # 12 characters of it
        "tail " + KEY[-13:],
    ],
)
def test_given_the_key_in_any_form_then_no_run_of_12_of_its_characters_survives(text):
    out = redact(text, KEY)
    assert "[redacted]" in out
    compact = "".join(out.split()).replace("\\n", "").replace("\\t", "")
    for i in range(len(KEY) - 11):
        assert KEY[i : i + 12] not in compact, (text, out)


def test_given_a_key_with_a_zero_width_space_then_its_escaped_forms_are_redacted():
    key = KEY[:20] + "\u200b" + KEY[20:]
    for text in (key, json.dumps(key), json.dumps(key, ensure_ascii=False), repr(key)):
        out = redact(text, key)
        assert KEY[:12] not in out and KEY[-12:] not in out, out


def test_given_text_that_shares_less_than_12_characters_then_it_is_kept():
    assert redact("sk-ant-api0 is a prefix", KEY) == "sk-ant-api0 is a prefix"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_property_retry_after_is_always_strict_json(raw):
    got = parse_retry_after(raw, now=NOW)
    json.dumps(got, allow_nan=False)
    assert got is None or 0 <= got <= 86_400


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30), st.text(max_size=30), st.sampled_from(["", "\n", " ", "\\n", "%0A"]))
def test_property_the_key_never_survives_redaction(before, after, glue):
    text = before + KEY[:25] + glue + KEY[25:] + after
    out = redact(text, KEY)
    cleaned = out.replace(glue, "") if glue else out
    for i in range(len(KEY) - 11):
        assert KEY[i : i + 12] not in cleaned
