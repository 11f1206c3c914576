"""Adaptive sampling over loopback, and the simulator's counter-keeping updates that
minute-by-minute replays drive."""

import asyncio
import json

import httpx
import pytest

from functions.monitor.config import load_config
from functions.monitor.observe.statuspage import parse_summary
from functions.monitor.probe import probe
from tests.conftest import sim_env

MODEL = "claude-haiku-5-5"


def check(sim, tmp_path, samples=None, **env):
    config = load_config(sim_env(sim, tmp_path, **env))
    return asyncio.run(probe(config, config.api_key, samples=samples))


def sent(sim):
    return sum(sim.requests()["messages"].values())


def test_given_no_samples_then_canary_samples_requests_are_sent(healthy_sim, tmp_path):
    # Given CANARY_SAMPLES=1 (the tests' environment), then one request
    [canary] = check(healthy_sim, tmp_path).canaries
    assert (canary.samples, canary.requests, canary.failed_requests) == (1, 1, 0)
    assert sent(healthy_sim) == 1


def test_given_the_default_base_rate_then_two_concurrent_requests_are_sent(healthy_sim, tmp_path):
    # Given the default CANARY_SAMPLES (2), when a cycle probes without a plan
    env = {k: v for k, v in sim_env(healthy_sim, tmp_path).items() if k != "CANARY_SAMPLES"}
    config = load_config(env)
    [canary] = asyncio.run(probe(config, config.api_key)).canaries
    # Then two independent requests went out, and one success is reported
    assert config.canary_samples == 2
    assert (canary.outcome, canary.samples, canary.requests) == ("ok", 2, 2)
    assert sent(healthy_sim) == 2


def test_given_three_samples_then_three_independent_requests_are_sent(healthy_sim, tmp_path):
    [canary] = check(healthy_sim, tmp_path, samples={MODEL: 3}).canaries
    assert canary.outcome == "ok"
    assert (canary.samples, canary.requests, canary.attempts) == (3, 3, 3)
    assert sent(healthy_sim) == 3


def test_given_more_samples_than_base_and_burst_then_they_are_capped(healthy_sim, tmp_path):
    # Given CANARY_SAMPLES=1 and CANARY_BURST=2: at most 3 requests per model
    result = check(
        healthy_sim,
        tmp_path,
        samples={MODEL: 10, "claude-other-1": 0},
        CANARY_MODELS=f"{MODEL},claude-other-1",
        CANARY_BURST="2",
    )
    assert [c.samples for c in result.canaries] == [3, 1]
    assert sent(healthy_sim) == 4


def test_given_every_second_request_failing_then_retries_and_failures_are_all_counted(
    healthy_sim, tmp_path
):
    # Given a partial outage where every 2nd request gets an Anthropic 529
    healthy_sim.update(fail_every=2, fail_status=529)
    # When three samples run, each with its own retries
    [canary] = check(healthy_sim, tmp_path, samples={MODEL: 3}).canaries
    # Then a success is reported, and every request (first tries and retries) counts
    total = sent(healthy_sim)
    assert canary.outcome == "ok" and canary.samples == 3
    assert canary.requests == total == canary.attempts
    assert canary.failed_requests == total // 2 >= 1


def test_given_every_request_failing_then_the_first_samples_failure_is_reported(sim, tmp_path):
    sim.set("overloaded")
    [canary] = check(sim, tmp_path, samples={MODEL: 2}).canaries
    assert canary.outcome == "overloaded"
    assert (canary.samples, canary.requests, canary.failed_requests) == (2, 6, 6)
    assert sent(sim) == 6


@pytest.mark.parametrize("scenario", ["rate_limited", "auth_error", "proxy_404", "api_reset"])
def test_given_failures_that_are_not_the_platforms_then_none_is_counted_failed(
    sim, tmp_path, scenario
):
    sim.set(scenario)
    [canary] = check(sim, tmp_path, samples={MODEL: 2}).canaries
    assert canary.requests == sent(sim) >= 2
    assert canary.failed_requests == 0


def test_given_no_key_then_nothing_is_sampled(healthy_sim, tmp_path):
    [canary] = check(healthy_sim, tmp_path, samples={MODEL: 3}, ANTHROPIC_API_KEY="").canaries
    assert canary.outcome == "skipped" and canary.requests == 0


# The simulator's updates, as a replay uses them.


def post(sim, path, **body):
    return httpx.post(f"{sim.url}{path}", json=body)


def messages(sim, n, model=MODEL):
    statuses = []
    for _ in range(n):
        r = httpx.post(
            f"{sim.url}/v1/messages",
            headers={"x-api-key": "k"},
            json={"model": model, "max_tokens": 1, "messages": [{"role": "user", "content": "x"}]},
        )
        statuses.append(r.status_code)
        if r.status_code != 200:
            body = r.json()
            assert body["type"] == "error" and r.headers["request-id"].startswith("req_sim")
    return statuses


def page(sim, models=(MODEL,)):
    body = httpx.get(f"{sim.url}/api/v2/summary.json").content
    return parse_summary(body, ("Claude API (api.anthropic.com)",), models)


def test_given_a_fail_rate_and_a_seed_then_requests_fail_by_chance_repeatably(healthy_sim):
    # Given 30% of requests failing at random from seed 7
    healthy_sim.update(fail_rate=0.3, seed=7, fail_status=529)
    first = messages(healthy_sim, 100)
    # Then about 30% fail, with Anthropic's shape (checked in `messages`)
    assert 15 <= first.count(529) <= 45 and set(first) == {200, 529}
    # And the same seed gives the same draws; null ends the outage
    healthy_sim.update(seed=7)
    assert messages(healthy_sim, 100) == first
    healthy_sim.update(fail_rate=None)
    assert messages(healthy_sim, 20) == [200] * 20


def test_given_fail_every_k_then_every_kth_request_fails_and_counters_are_kept(healthy_sim):
    assert messages(healthy_sim, 2) == [200, 200]
    healthy_sim.update(fail_every=4, fail_status=529)
    # Requests 3..10: the 4th and 8th fail, counting from the scenario's start
    assert messages(healthy_sim, 8) == [200, 529, 200, 200, 200, 529, 200, 200]
    assert healthy_sim.requests()["messages"][MODEL] == 10
    healthy_sim.update(fail_every=None)
    assert messages(healthy_sim, 4) == [200] * 4


def test_given_an_incident_update_then_the_page_carries_it_as_given(healthy_sim):
    healthy_sim.update(
        incident={
            "name": "Elevated errors on Claude Haiku 5.5",
            "component": None,
            "created_at": "2026-11-25T16:07:00Z",
            "started_at": "2026-11-25T15:58:00Z",
            "impact": "none",
        },
        api_status="operational",
    )
    [incident] = page(healthy_sim).incidents
    assert incident.name == "Elevated errors on Claude Haiku 5.5"
    assert incident.components == [] and incident.impact == "none"
    assert (incident.created_at, incident.started_at) == (
        "2026-11-25T16:07:00Z",
        "2026-11-25T15:58:00Z",
    )
    assert incident.confirms == [MODEL]
    assert not page(healthy_sim).api_incident


@pytest.mark.parametrize(
    ("component", "status", "confirms", "api_incident"),
    [
        ("api", "partial_outage", ["api"], True),
        ("Claude API (api.anthropic.com)", "major_outage", ["api"], True),
        ("claude.ai", "operational", [], False),
    ],
)
def test_given_an_incident_on_a_component_then_confirms_follows_the_component(
    healthy_sim, component, status, confirms, api_incident
):
    name = "Elevated errors on claude.ai" if component == "claude.ai" else "Elevated errors"
    healthy_sim.update(incident={"name": name, "component": component}, api_status=status)
    parsed = page(healthy_sim)
    assert parsed.api_status == status
    assert parsed.incidents[0].confirms == confirms
    assert parsed.api_incident is api_incident
    healthy_sim.update(incident=None, api_status=None)
    assert page(healthy_sim).incidents == [] and page(healthy_sim).api_status == "operational"


@pytest.mark.parametrize(
    "body",
    [
        {"fail_every": 0},
        {"fail_every": 2, "fail_status": 503},
        {"fail_rate": 1.5},
        {"fail_rate": "half"},
        {"seed": 1.5},
        {"incident": {"component": "api"}},
        {"incident": {"name": "x", "component": "nope"}},
        {"bogus": 1},
    ],
)
def test_given_a_bad_update_then_it_is_refused_with_a_reason(healthy_sim, body):
    response = post(healthy_sim, "/_sim/update", **body)
    assert response.status_code == 400 and json.loads(response.content)["error"]
    with pytest.raises(ValueError):
        healthy_sim.update(**body)


@pytest.mark.parametrize(
    ("timeline", "step", "confirms", "fails"),
    [
        ("model_named_incident", 3, None, True),
        ("model_named_incident", 9, [MODEL], True),
        ("claude_ai_only", 0, [], False),
    ],
)
def test_given_the_new_timelines_then_each_step_serves_what_it_says(
    sim, timeline, step, confirms, fails
):
    from functions.simulator.scenarios import SCENARIOS, TIMELINES

    page_, api = SCENARIOS[TIMELINES[timeline][step]]
    assert bool(api.fail_every) is fails
    if confirms is None:
        assert page_.incident is None
    else:
        sim.set(TIMELINES[timeline][step])
        assert page(sim).incidents[0].confirms == confirms


def test_the_partial_outage_timelines_fail_one_request_in_k():
    from functions.simulator.scenarios import SCENARIOS, TIMELINES

    for name, k in (("partial_outage_25", 4), ("partial_outage_10", 10)):
        failing = [SCENARIOS[s][1].fail_every for s in TIMELINES[name]]
        assert k in failing and set(failing) <= {0, k}
