"""Metric datapoints per cycle, and the EMF documents Powertools prints for them."""

import json

from functions.monitor.models import CanaryResult, CheckResult, StatusPage, Verdict
from functions.monitor.tell.metrics import EmfMetrics, datapoints


def result(
    outcome="ok", severity_verdict="operational", api="operational", remaining=49, lead=None
):
    canary = CanaryResult(
        "claude-haiku-4-5",
        outcome,
        latency_ms=800 if outcome == "ok" else None,
        ttft_ms=600 if outcome == "ok" else None,
        ratelimit={"requests_limit": 50, "requests_remaining": remaining},
    )
    return CheckResult(
        "2026-11-25T16:00:00Z",
        Verdict(severity_verdict, "s"),
        StatusPage(True, api_status=api),
        [canary],
        region="us-east-1",
        lead_time_min=lead,
    )


def names(points):
    return {(m, n) for m, n, _, _ in points}


def test_a_healthy_cycle_publishes_only_the_always_on_metrics():
    assert names(datapoints(result())) == {
        (None, "Heartbeat"),
        ("claude-haiku-4-5", "CanaryLatency"),
        ("claude-haiku-4-5", "CanaryTTFT"),
    }


def test_a_bad_cycle_adds_the_sparse_metrics():
    points = datapoints(result("overloaded", "outage", "major_outage", remaining=5, lead=6.0))
    values = {(m, n): v for m, n, v, _ in points}
    assert values[(None, "Severity")] == 2
    assert values[(None, "StatusPageApiDown")] == 1
    assert values[(None, "DetectionLeadTime")] == 6.0
    assert values[("claude-haiku-4-5", "CanaryFailed")] == 1
    assert ("claude-haiku-4-5", "CanaryLatency") not in values
    assert values[("claude-haiku-4-5", "RateLimitHeadroom")] == 0.1


def test_emf_documents_carry_namespace_model_dimension_and_region(capsys):
    EmfMetrics("ClaudeStatusTest").emit(result(lead=2.0))
    docs = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert len(docs) == 2  # one per dimension set: global, and the model
    for doc in docs:
        meta = doc["_aws"]["CloudWatchMetrics"][0]
        assert meta["Namespace"] == "ClaudeStatusTest"
        assert doc["region"] == "us-east-1"
    by_model = {doc.get("model"): doc for doc in docs}
    assert by_model[None]["Heartbeat"] == [1.0] or by_model[None]["Heartbeat"] == 1.0
    assert by_model["claude-haiku-4-5"]["CanaryLatency"] in (800.0, [800.0])
    dims = by_model["claude-haiku-4-5"]["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0]
    assert "model" in dims and "service" in dims


def test_always_on_metric_count_matches_what_a_healthy_cycle_publishes():
    from functions.monitor.tell.metrics import counts

    assert counts(1)["always"] == len(names(datapoints(result())))


def test_given_a_window_with_failures_then_the_error_rate_is_published_per_model():
    cycle = result()
    cycle.canaries[0].window = {"cycles": 15, "requests": 40, "failed": 10}
    values = {(m, n): v for m, n, v, _ in datapoints(cycle)}
    assert values[("claude-haiku-4-5", "CanaryErrorRate")] == 0.25


def test_given_a_clean_window_then_no_error_rate_is_published():
    cycle = result()
    cycle.canaries[0].window = {"cycles": 15, "requests": 15, "failed": 0}
    assert ("claude-haiku-4-5", "CanaryErrorRate") not in names(datapoints(cycle))


def test_given_an_unreadable_page_then_the_sparse_unreadable_metric_is_published():
    cycle = result()
    cycle.status_page = StatusPage(False, error="HTTP 503")
    values = {(m, n): v for m, n, v, _ in datapoints(cycle)}
    assert values[(None, "StatusPageUnreadable")] == 1
    assert (None, "StatusPageUnreadable") not in names(datapoints(result()))


def test_sparse_metric_count_names_every_sparse_metric():
    from functions.monitor.tell.metrics import SPARSE_GLOBAL, SPARSE_PER_MODEL, counts

    assert "CanaryErrorRate" in SPARSE_PER_MODEL and "StatusPageUnreadable" in SPARSE_GLOBAL
    assert counts(2)["sparse"] == len(SPARSE_GLOBAL) + 2 * len(SPARSE_PER_MODEL)
