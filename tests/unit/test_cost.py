"""The cost model: items, free tier, Synthetics comparison, growth with models and regions."""

import json

import pytest

from functions.monitor.canary import MAX_TOKENS
from functions.monitor.cost import estimate, runs_per_month
from tests.conftest import run_cli


def test_the_default_deployment_is_itemised_with_every_service():
    report = estimate()
    names = {i["name"].split(" (")[0] for i in report["items"]}
    for name in (
        "Lambda requests",
        "Lambda duration",
        "DynamoDB writes",
        "DynamoDB reads",
        "DynamoDB storage",
        "CloudWatch custom metrics",
        "CloudWatch alarms",
        "CloudWatch Logs ingestion",
        "SNS publishes and emails",
        "Canary tokens claude-haiku-4-5",
    ):
        assert name in names, name
    assert report["total_usd"] == pytest.approx(sum(i["usd"] for i in report["items"]), abs=0.01)
    assert 0 <= report["total_with_free_tier_usd"] < report["total_usd"]
    # A Synthetics canary at one-minute cadence: 43,200 runs at $0.0012.
    assert report["synthetics_usd"] == pytest.approx(51.84)
    assert report["assumptions"]["canary_output_tokens"] == MAX_TOKENS


def test_cost_grows_with_models_and_regions():
    one = estimate()["total_usd"]
    three_models = estimate(models=("claude-haiku-4-5", "claude-sonnet-4-5", "claude-opus-4-5"))
    two_regions = estimate(regions=("us-east-1", "eu-west-1"))
    assert three_models["total_usd"] > one and two_regions["total_usd"] > one
    assert two_regions["total_usd"] == pytest.approx(2 * one, abs=0.02)
    assert two_regions["synthetics_usd"] == pytest.approx(2 * 51.84)


def test_the_dashboard_is_one_line_and_can_be_left_out():
    assert estimate()["total_usd"] - estimate(dashboard=False)["total_usd"] == pytest.approx(3.0)


def test_schedules_parse_and_bad_ones_fail_clearly():
    assert runs_per_month("rate(1 minute)") == 43200
    assert runs_per_month("rate(5 minutes)") == 8640
    assert runs_per_month("rate(1 hour)") == 720
    with pytest.raises(ValueError, match="--schedule"):
        runs_per_month("every minute")


def test_cost_json_prints_the_contract_object(tmp_path):
    run = run_cli("cost", "--json", env={"PATH": "/usr/bin:/bin"})
    data = json.loads(run.stdout)
    assert run.code == 0
    assert {"total_usd", "total_with_free_tier_usd", "synthetics_usd", "items"} <= set(data)


def test_cost_rejects_an_unknown_model_in_one_line():
    run = run_cli("cost", "--models", "gpt-4", env={"PATH": "/usr/bin:/bin"})
    assert run.code == 2 and run.stderr.count("\n") == 1 and "gpt-4" in run.stderr
