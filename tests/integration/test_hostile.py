"""Hostile upstreams over loopback: gzip bombs, a proxy that reflects the key, odd
headers and keys, a status page that redirects elsewhere. Each ends in a bounded,
redacted outcome for that canary alone; the rest of the probe is kept."""

import asyncio
import dataclasses
import json
import tracemalloc
from urllib.parse import quote

import pytest

from functions.monitor.config import load_config
from functions.monitor.probe import probe
from functions.simulator.wire import gzip_bomb, stream_bomb
from tests.conftest import SECRET, sim_env

MiB = 1024 * 1024


def config_for(sim, tmp_path, **env):
    return load_config(sim_env(sim, tmp_path, **env))


def run(config, key=SECRET):
    return asyncio.run(probe(config, key))


def peak_during(fn):
    """Peak traced memory (bytes) above the start, while fn runs."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base, _ = tracemalloc.get_traced_memory()
        result = fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak - base


@pytest.fixture(scope="module", autouse=True)
def bombs_built():
    # Built once, before any measurement: the simulator's own cost is not the monitor's.
    gzip_bomb(), stream_bomb()


def test_given_a_gzip_bomb_as_the_status_page_then_it_is_unreadable_and_memory_stays_bounded(
    sim, tmp_path
):
    # Given a 200 KiB gzip body that inflates to 200 MiB (the old reader grew 139 MiB)
    sim.set("page_gzip_bomb")
    config = config_for(sim, tmp_path)
    result, peak = peak_during(lambda: run(config))
    # Then the page is unreadable with a one-line reason, and the canary still ran
    assert not result.status_page.reachable
    assert "larger than 4 MiB" in result.status_page.error
    assert result.canaries[0].outcome == "ok"
    assert peak < 24 * MiB, peak / MiB


def test_given_a_gzip_bomb_as_an_api_error_body_then_it_is_a_server_error_within_bounds(
    sim, tmp_path
):
    # Given a 500 with Anthropic's request id whose gzip body inflates to 200 MiB
    sim.set("api_error_gzip_bomb")
    config = config_for(sim, tmp_path)
    result, peak = peak_during(lambda: run(config))
    [canary] = result.canaries
    # Then the body is dropped at 64 KiB and the status decides: a retried server error
    assert (canary.outcome, canary.attempts) == ("server_error", 3)
    assert result.status_page.reachable
    assert peak < 16 * MiB, peak / MiB


def test_given_a_gzip_bomb_inside_a_2xx_stream_then_the_stream_is_cut_at_its_cap(sim, tmp_path):
    # Given a stream that starts like the API's and then inflates without end
    sim.set("stream_gzip_bomb")
    config = config_for(sim, tmp_path)
    result, peak = peak_during(lambda: run(config))
    [canary] = result.canaries
    # Then it is a broken stream (capped at 1 MiB), not 634 MiB of memory
    assert canary.outcome == "stream_error"
    assert "larger than 1 MiB" in canary.detail
    assert peak < 24 * MiB, peak / MiB


def forms_of(key):
    yield key
    yield json.dumps(key)[1:-1]
    yield quote(key, safe="")
    for i in range(len(key) - 11):
        yield key[i : i + 12]


def test_given_a_proxy_that_reflects_the_key_everywhere_then_no_field_holds_any_form_of_it(
    sim, tmp_path
):
    # Given answers echoing the key into error.type, request-id, body, stop_reason, text
    config = config_for(sim, tmp_path)
    for scenario in ("reflect_key", "reflect_key_stream"):
        sim.set(scenario)
        result = run(config)
        text = json.dumps(result.to_dict())
        # Then no field holds the key, escaped, URL-encoded or cut
        for form in forms_of(SECRET):
            assert form not in text, (scenario, form)
        [canary] = result.canaries
        assert "[redacted]" in (canary.error_type or "") + (canary.stop_reason or "")
        if scenario == "reflect_key":
            assert canary.request_id == "[redacted]"
            assert canary.outcome == "server_error"
        else:
            # The answer check shows what came back: the key in it is redacted
            assert canary.outcome == "wrong_answer"
            assert canary.answer_got == "Your key is [redacted]", canary.answer_got


def test_given_a_ratelimit_header_that_is_a_digit_but_no_int_then_the_probe_goes_on(sim, tmp_path):
    # Given `anthropic-ratelimit-requests-limit: ²` ('²'.isdigit() is True; int() raises)
    sim.set("reflect_key")
    result = run(config_for(sim, tmp_path))
    # Then the header is ignored, the canary has its own outcome, and the page is kept
    [canary] = result.canaries
    assert canary.outcome == "server_error"
    assert "requests_limit" not in canary.ratelimit
    assert result.status_page.reachable and result.status_page.api_status == "operational"


def test_given_a_key_httpx_cannot_send_then_that_canary_fails_alone_without_leaking(
    healthy_sim, tmp_path
):
    # Given a key with a zero-width space (a copy-paste accident), passed straight in
    key = SECRET[:20] + "\u200b" + SECRET[20:]
    config = dataclasses.replace(
        config_for(healthy_sim, tmp_path), canary_models=("claude-haiku-5-5", "claude-opus-5-5")
    )
    result = run(config, key)
    # Then each canary reports it as its own outcome, not retried, and the page is kept
    assert [c.outcome for c in result.canaries] == ["network_error", "network_error"]
    assert all(c.attempts == 1 for c in result.canaries)
    assert all("UnicodeEncodeError" in c.detail for c in result.canaries)
    assert result.status_page.reachable
    text = json.dumps(result.to_dict(), ensure_ascii=False)
    assert SECRET[:12] not in text and SECRET[-12:] not in text


def test_given_retry_after_values_that_are_not_numbers_then_the_json_stays_strict(sim, tmp_path):
    # Given a 429 whose retry-after is the scenario's 17: reported, and strict JSON
    sim.set("rate_limited")
    result = run(config_for(sim, tmp_path))
    assert result.canaries[0].retry_after_s == 17
    json.dumps(result.to_dict(), allow_nan=False)


def test_given_a_status_page_redirecting_to_another_host_then_it_is_not_followed(sim, tmp_path):
    sim.set("page_redirect_elsewhere")
    result = run(config_for(sim, tmp_path))
    page = result.status_page
    assert not page.reachable
    assert "another host" in page.error and "status.example.invalid" in page.error
    assert "\n" not in page.error
    assert result.canaries[0].outcome == "ok"


def test_given_a_same_host_move_then_the_page_is_still_read(sim, tmp_path):
    sim.set("page_moved")
    assert run(config_for(sim, tmp_path)).status_page.reachable


class ExplodingPosts:
    """A real httpx client whose POSTs raise something nobody planned for."""

    def __init__(self, inner):
        self.inner = inner

    def stream(self, method, url, **kwargs):
        if method == "POST":
            raise RuntimeError(f"boom {kwargs['headers']['x-api-key']}")
        return self.inner.stream(method, url, **kwargs)


def test_given_an_unexpected_exception_in_a_canary_then_it_is_that_canarys_outcome(
    healthy_sim, tmp_path
):
    import httpx

    config = config_for(healthy_sim, tmp_path)

    async def go():
        async with httpx.AsyncClient() as inner:
            return await probe(config, SECRET, client=ExplodingPosts(inner))

    result = asyncio.run(go())
    [canary] = result.canaries
    assert canary.outcome == "network_error" and canary.attempts == 1
    assert canary.detail == "could not complete the request: RuntimeError"
    assert result.status_page.reachable
    assert SECRET[:12] not in json.dumps(result.to_dict())
