"""Every outcome and verdict, over loopback against the simulator, with retry counts."""

import asyncio
import time

import pytest

from functions.monitor.config import load_config
from functions.monitor.probe import probe
from tests.conftest import SECRET, closed_port, sim_env

# scenario -> (outcome, attempts, verdict); CANARY_MAX_ATTEMPTS is 3. The verdict for
# `intercepted` belongs to the verdict rules' own tests (None: not asserted here).
CASES = {
    "healthy": ("ok", 1, "operational"),
    "auth_error": ("auth_error", 1, "client_error"),
    "permission_error": ("permission_error", 1, "client_error"),
    "model_not_found": ("model_not_found", 1, "client_error"),
    "invalid_request": ("invalid_request", 1, "client_error"),
    "request_too_large": ("request_too_large", 1, "client_error"),
    "spend_limit": ("spend_limit", 1, "client_error"),
    "rate_limited": ("rate_limited", 1, "rate_limited"),
    # Every 4xx is final, even a 408 that says x-should-retry: true.
    "request_timeout": ("timeout", 1, "unconfirmed_outage"),
    "server_error": ("server_error", 3, "unconfirmed_outage"),
    "server_error_no_retry": ("server_error", 1, "unconfirmed_outage"),
    "overloaded": ("overloaded", 3, "unconfirmed_outage"),
    "stream_error": ("stream_error", 3, "unconfirmed_outage"),
    "stream_error_first": ("stream_error", 3, "unconfirmed_outage"),
    "truncated_stream": ("stream_error", 3, "unconfirmed_outage"),
    "bad_response": ("bad_response", 1, "unconfirmed_outage"),
    "captive_portal": ("intercepted", 1, None),
    "page_moved": ("ok", 1, "operational"),
    "api_reset": ("network_error", 3, "network_error"),
    "outage": ("overloaded", 3, "outage"),
    "maintenance": ("overloaded", 3, "maintenance"),
    "degraded_page": ("ok", 1, "degraded"),
    "incident": ("ok", 1, "degraded"),
    "page_major_outage": ("ok", 1, "degraded"),
    "page_unknown_status": ("ok", 1, "degraded"),
    "page_minimal": ("ok", 1, "operational"),
    "page_html": ("ok", 1, "operational"),
    "page_truncated": ("ok", 1, "operational"),
    "page_empty": ("ok", 1, "operational"),
    "page_500": ("ok", 1, "operational"),
    # Answers that are not Anthropic's: the network path, never retried.
    "proxy_404": ("intercepted", 1, None),
    "proxy_502": ("intercepted", 1, None),
    "proxy_200_html": ("intercepted", 1, None),
    # Anthropic's CDN edge and Anthropic's own odd answers stay platform.
    "cloudflare_502": ("server_error", 3, "unconfirmed_outage"),
    "cloudflare_503": ("server_error", 3, "unconfirmed_outage"),
    "anthropic_200_json": ("bad_response", 1, "unconfirmed_outage"),
    # Streams that are a success of the platform.
    "thinking_stream": ("ok", 1, "operational"),
    "stop_max_tokens": ("ok", 1, "operational"),
    "stop_refusal": ("ok", 1, "operational"),
    # Well-formed streams with the wrong answer: a platform failure, never retried.
    "wrong_answer": ("wrong_answer", 1, "unconfirmed_outage"),
    "garbled": ("wrong_answer", 1, "unconfirmed_outage"),
    "empty_text": ("wrong_answer", 1, "unconfirmed_outage"),
}


def check(sim, tmp_path, **env):
    config = load_config(sim_env(sim, tmp_path, **env))
    return asyncio.run(probe(config, config.api_key))


@pytest.mark.parametrize("scenario", sorted(CASES))
def test_given_a_scenario_then_outcome_attempts_and_verdict_match(sim, tmp_path, scenario):
    sim.set(scenario)
    outcome, attempts, verdict = CASES[scenario]
    result = check(sim, tmp_path)
    [canary] = result.canaries
    got_verdict = result.verdict.verdict if verdict else None
    assert (canary.outcome, canary.attempts, got_verdict) == (
        outcome,
        attempts,
        verdict,
    ), (canary, result.verdict)
    # The simulator saw exactly as many requests as the canary says it made.
    assert sim.requests()["messages"].get("claude-haiku-5-5", 0) == attempts


def test_given_a_healthy_api_then_request_shape_timings_and_headers_are_recorded(
    healthy_sim, tmp_path
):
    result = check(healthy_sim, tmp_path)
    [canary] = result.canaries
    assert canary.request_id.startswith("req_sim")
    assert canary.ttft_ms is not None and canary.latency_ms >= canary.ttft_ms
    assert canary.ratelimit["requests_limit"] == 50
    assert 0 < canary.headroom <= 1
    last = healthy_sim.requests()["last"]
    assert last["headers"]["x-api-key"] == "<present>"
    assert last["headers"]["anthropic-version"] == "2023-06-01"
    assert last["body"]["stream"] is True and last["body"]["max_tokens"] <= 16
    assert len(last["body"]["messages"]) == 1


def test_given_a_gateway_path_prefix_then_the_canary_appends_v1_messages(healthy_sim, tmp_path):
    result = check(healthy_sim, tmp_path, ANTHROPIC_BASE_URL=healthy_sim.url + "/gateway/anthropic")
    assert result.canaries[0].outcome == "ok"


def test_given_429_then_retry_after_is_reported_not_slept_on(sim, tmp_path):
    sim.set("rate_limited")
    started = time.monotonic()
    result = check(sim, tmp_path)
    assert result.canaries[0].retry_after_s == 17
    assert time.monotonic() - started < 17


def test_given_a_slow_stream_then_the_outcome_is_slow_and_verdict_degraded(sim, tmp_path):
    sim.set("slow", slow_ms=400)
    result = check(sim, tmp_path, LATENCY_SLOW_MS="200")
    assert result.canaries[0].outcome == "slow"
    assert result.verdict.verdict == "degraded"


def test_given_no_key_then_canaries_are_skipped_and_the_page_decides(sim, tmp_path):
    sim.set("page_major_outage")
    config = load_config(sim_env(sim, tmp_path, ANTHROPIC_API_KEY=""))
    result = asyncio.run(probe(config, config.api_key))
    assert result.canaries[0].outcome == "skipped"
    assert result.verdict.verdict == "outage"
    assert sim.requests()["messages"] == {}


def test_given_an_unknown_model_among_several_then_each_model_gets_its_own_outcome(
    healthy_sim, tmp_path
):
    result = check(healthy_sim, tmp_path, CANARY_MODELS="claude-haiku-4-5,gpt-nope")
    outcomes = {c.model: c.outcome for c in result.canaries}
    assert outcomes == {"claude-haiku-4-5": "ok", "gpt-nope": "model_not_found"}
    assert result.verdict.verdict == "client_error"


def test_given_a_refused_port_then_network_error_is_retried_and_verdict_network_error(
    sim, tmp_path
):
    sim.set("healthy")
    url = f"http://127.0.0.1:{closed_port()}"
    result = check(sim, tmp_path, ANTHROPIC_BASE_URL=url, STATUS_PAGE_URL=url)
    [canary] = result.canaries
    assert canary.outcome == "network_error" and canary.attempts == 3
    assert result.verdict.verdict == "network_error"
    assert not result.status_page.reachable


@pytest.mark.parametrize("scenario", ["api_hang", "page_hang"])
def test_given_a_hanging_upstream_then_the_cycle_ends_within_the_deadline(sim, tmp_path, scenario):
    sim.set(scenario)
    started = time.monotonic()
    result = check(sim, tmp_path, CHECK_DEADLINE_SECONDS="2")
    elapsed = time.monotonic() - started
    assert elapsed < 2.0, elapsed  # the deadline is a correctness bound, not a speed target
    if scenario == "api_hang":
        assert result.canaries[0].outcome == "timeout"
        assert result.verdict.verdict == "unconfirmed_outage"
    else:
        assert not result.status_page.reachable and "did not answer" in result.status_page.error
        # Every canary passed: an unreadable page alone leaves the verdict operational.
        assert result.verdict.verdict == "operational"
        assert "status page could not be read" in result.verdict.summary


def test_given_slow_upstreams_then_probes_run_concurrently(sim, tmp_path):
    sim.set("healthy", delay_ms=400)
    started = time.monotonic()
    result = check(sim, tmp_path, CANARY_MODELS="claude-a,claude-b,claude-c,claude-d")
    elapsed = time.monotonic() - started
    assert all(c.outcome == "ok" for c in result.canaries)
    # Five probes of 0.4 s each: serial would take 2 s.
    assert elapsed < 1.6, elapsed


def test_the_key_never_appears_in_any_result(sim, tmp_path):
    for scenario in ("auth_error", "api_reset", "bad_response", "stream_error"):
        sim.set(scenario)
        assert SECRET not in str(check(sim, tmp_path).to_dict())


@pytest.mark.parametrize(
    ("scenario", "stop_reason"),
    [
        ("healthy", "end_turn"),
        ("thinking_stream", "end_turn"),
        ("stop_max_tokens", "max_tokens"),
        ("stop_refusal", "refusal"),
    ],
)
def test_given_a_successful_stream_shape_then_it_is_ok_and_its_stop_reason_recorded(
    sim, tmp_path, scenario, stop_reason
):
    sim.set(scenario)
    [canary] = check(sim, tmp_path).canaries
    assert canary.outcome == "ok"
    assert canary.stop_reason == stop_reason
    assert canary.to_dict()["stop_reason"] == stop_reason
    assert canary.ttft_ms is not None  # the thinking delta counts as the first token


def test_the_canary_request_is_valid_for_every_current_model(healthy_sim, tmp_path):
    # Given the canary's request as the API receives it
    check(healthy_sim, tmp_path)
    body = healthy_sim.requests()["last"]["body"]
    # Then it has no sampling parameters, no prefill and a tiny max_tokens
    assert not {"temperature", "top_p", "top_k"} & set(body)
    assert 1 <= body["max_tokens"] <= 16
    assert [m["role"] for m in body["messages"]] == ["user"]
    assert body["model"] == "claude-haiku-5-5"


def test_given_an_intercepted_answer_then_the_json_outcome_is_intercepted(sim, tmp_path):
    sim.set("proxy_404")
    result = check(sim, tmp_path)
    [canary] = result.to_dict()["canaries"]
    assert canary["outcome"] == "intercepted"
    assert canary["http_status"] == 404 and canary["request_id"] is None
    assert "proxy, captive portal or firewall" in result.canaries[0].detail


def test_given_a_name_that_does_not_resolve_then_the_canary_and_page_name_the_host(sim, tmp_path):
    # .invalid never resolves (RFC 6761): a DNS failure, as on a broken resolver.
    result = check(
        sim,
        tmp_path,
        ANTHROPIC_BASE_URL="http://api.monitor-test.invalid",
        STATUS_PAGE_URL="http://status.monitor-test.invalid",
    )
    [canary] = result.canaries
    assert canary.outcome == "network_error"
    assert "api.monitor-test.invalid" in canary.detail
    assert "status.monitor-test.invalid" in result.status_page.error
    assert result.verdict.verdict == "network_error"


def test_the_slow_scenario_is_slow_under_the_default_settings():
    from functions.monitor.config import Config
    from functions.simulator.state import SimState

    # Slower than LATENCY_SLOW_MS, yet answered inside the default probe budget.
    assert Config().latency_slow_ms < SimState().slow_ms < Config().probe_budget_s * 1000
