"""The cost model: items, free tier, Synthetics comparison, growth with models and regions."""

import json

import pytest

from functions.monitor.cli.cost import alarms_per_region, estimate, runs_per_month
from functions.monitor.cli.cost_table import render
from functions.monitor.observe.canary import MAX_TOKENS
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
        "Canary tokens claude-haiku-5-5",
    ):
        assert name in names, name
    assert report["total_usd"] == pytest.approx(sum(i["usd"] for i in report["items"]), abs=0.01)
    assert 0 <= report["total_with_free_tier_usd"] < report["total_usd"]
    # A Synthetics canary at one-minute cadence: 43,200 runs at $0.0012.
    assert report["synthetics_usd"] == pytest.approx(51.84)
    assert report["assumptions"]["canary_output_tokens"] == MAX_TOKENS


def test_the_default_deployment_meets_its_targets():
    # Given the default deployment (no dashboard, no topic key), then the bill is at most
    # $3.00 at list price and at most $2.00 with the always-free tier
    report = estimate()
    assert report["total_usd"] <= 3.00
    assert report["total_with_free_tier_usd"] <= 2.00
    assert report["assumptions"]["alarms_per_region"] == alarms_per_region(1)


def test_the_dashboard_and_the_topic_key_are_optional_items_priced_anyway():
    base = estimate()
    names = {o["name"]: o for o in base["optional"]}
    assert names["CloudWatch dashboard"]["usd"] == pytest.approx(3.0)
    assert names["CloudWatch dashboard"]["included"] is False
    assert "three dashboards" in names["CloudWatch dashboard"]["free_tier_note"]
    assert names["KMS key for the alert topic"]["usd"] == pytest.approx(1.0)
    with_both = estimate(dashboard=True, topic_key=True)
    assert with_both["total_usd"] - base["total_usd"] == pytest.approx(4.0, abs=0.01)
    # the dashboard is free within the always-free three; the key is not
    assert with_both["total_with_free_tier_usd"] - base[
        "total_with_free_tier_usd"
    ] == pytest.approx(1.0, abs=0.01)


def test_5x_models_count_30_percent_more_input_tokens():
    [haiku5] = [i for i in estimate()["items"] if i["name"].startswith("Canary tokens")]
    [haiku4] = [
        i
        for i in estimate(models=("claude-haiku-4-5",))["items"]
        if i["name"].startswith("Canary tokens")
    ]
    assert "10.4 in" in haiku5["name"] and "8 in" in haiku4["name"]
    # $0.10 in / $0.50 out per MTok
    assert haiku5["unit_usd"] == pytest.approx((10.4 * 0.10 + MAX_TOKENS * 0.50) / 1e6)


def test_sampling_counts_the_base_rate_and_the_bursts():
    # Given CANARY_SAMPLES = 2 a cycle and 1% of cycles bursting 10 more
    calm = estimate(failure_share=0.0)
    healthy = estimate(failure_share=0.01, burst=10, samples=2)
    one = estimate(failure_share=0.0, samples=1)
    tokens = [
        next(i for i in r["items"] if i["name"].startswith("Canary")) for r in (calm, healthy, one)
    ]
    # Then the base rate doubles the requests of one sample, and bursts add 5% on top
    assert tokens[0]["quantity"] == pytest.approx(tokens[2]["quantity"] * 2)
    assert tokens[1]["quantity"] == pytest.approx(tokens[0]["quantity"] * 1.05)
    assert healthy["assumptions"]["canary_requests_per_run"] == pytest.approx(2.1)
    with pytest.raises(ValueError, match="--failure-share"):
        estimate(failure_share=1.5)
    with pytest.raises(ValueError, match="--samples"):
        estimate(samples=0)


def test_every_current_model_has_a_price():
    for model in (
        "claude-haiku-5-5",
        "claude-sonnet-5-5",
        "claude-opus-5-5",
        "claude-fable-5-1",
        "claude-haiku-4-5",
    ):
        estimate(models=(model,))


def test_cost_grows_with_models_and_regions():
    one = estimate()["total_usd"]
    three_models = estimate(models=("claude-haiku-5-5", "claude-sonnet-5-5", "claude-opus-5-5"))
    two_regions = estimate(regions=("us-east-1", "eu-west-1"))
    assert three_models["total_usd"] > one and two_regions["total_usd"] > one
    # Two regions are a fleet: the second adds its probes and one alarm, not a
    # second table and alarm set (tests/unit/test_cost_fleet.py).
    assert one < two_regions["total_usd"] < 2 * one
    assert two_regions["synthetics_usd"] == pytest.approx(2 * 51.84)


def test_schedules_parse_and_bad_ones_fail_clearly():
    assert runs_per_month("rate(1 minute)") == 43200
    assert runs_per_month("rate(5 minutes)") == 8640
    assert runs_per_month("rate(1 hour)") == 720
    with pytest.raises(ValueError, match="--schedule"):
        runs_per_month("every minute")


@pytest.mark.parametrize("width", [60, 80, 120])
def test_the_bill_fits_the_terminal_and_never_says_target_no(width):
    text = render(estimate(models=("claude-haiku-5-5", "claude-sonnet-4-5")), width=width)
    assert max(len(line) for line in text.splitlines()) <= width
    assert "target" not in text.lower()
    assert "Synthetics" in text and "Optional" in text


def test_cost_json_prints_the_contract_object(tmp_path):
    run = run_cli("cost", "--json", env={"PATH": "/usr/bin:/bin"})
    data = json.loads(run.stdout)
    assert run.code == 0
    assert {"total_usd", "total_with_free_tier_usd", "synthetics_usd", "items"} <= set(data)


def test_cost_rejects_an_unknown_model_in_one_line_as_a_usage_error():
    run = run_cli("cost", "--models", "gpt-4", env={"PATH": "/usr/bin:/bin"})
    assert run.code == 64 and run.stderr.count("\n") == 1 and "gpt-4" in run.stderr


def test_given_webhooks_and_chat_then_their_deliveries_topic_queue_and_alarm_are_priced():
    from functions.monitor.cli.cost import WEBHOOK_NAMES, alarms_per_region, estimate

    plain = estimate()
    wired = estimate(webhooks=2, chat_channels=1)
    names = {i["name"]: i for i in wired["items"]}
    assert set(WEBHOOK_NAMES) <= set(names)
    # Every notification and forwarded alarm message reaches 2 webhooks and 1 channel
    assert names[WEBHOOK_NAMES[1]]["quantity"] == 3 * names[WEBHOOK_NAMES[0]]["quantity"]
    alarms = {i["name"]: i for i in wired["items"]}["CloudWatch alarms"]["quantity"]
    assert alarms == alarms_per_region(1) + 1  # WebhookUndelivered
    assert wired["total_usd"] >= plain["total_usd"]
    assert not set(WEBHOOK_NAMES) & {i["name"] for i in plain["items"]}
    chat_only = {i["name"] for i in estimate(chat_channels=1)["items"]}
    assert WEBHOOK_NAMES[1] in chat_only and WEBHOOK_NAMES[0] not in chat_only


HAIKU_PROFILE = "us.anthropic.claude-haiku-4-5-20251001-v1:0"


def test_given_bedrock_models_then_each_region_bills_one_probe_per_run_at_bedrock_prices():
    # Given: haiku 4.5 mapped to a US profile, two regions, one-minute cycles
    from functions.monitor.cli.bedrock_cost import bedrock_price_per_mtok

    base = estimate(models=("claude-haiku-4-5",), regions=("us-east-1", "eu-west-1"))
    report = estimate(
        models=("claude-haiku-4-5",),
        regions=("us-east-1", "eu-west-1"),
        bedrock_models=f"claude-haiku-4-5={HAIKU_PROFILE}",
    )
    # Then: one Bedrock line per region, priced from bedrock_prices.json, in the total
    lines = [i for i in report["items"] if i["name"].startswith("Bedrock tokens")]
    assert [i["region"] for i in lines] == ["us-east-1", "eu-west-1"]
    price_in, price_out = bedrock_price_per_mtok(HAIKU_PROFILE)
    runs = report["assumptions"]["runs_per_month_per_region"]
    per_probe = (8 * price_in + MAX_TOKENS * price_out) / 1e6
    assert lines[0]["quantity"] == runs
    assert lines[0]["usd"] == pytest.approx(round(runs * per_probe, 4))
    assert report["total_usd"] == pytest.approx(base["total_usd"] + 2 * runs * per_probe, abs=0.011)
    assert report["assumptions"]["bedrock_models"] == {"claude-haiku-4-5": HAIKU_PROFILE}


def test_given_no_bedrock_models_then_there_is_no_bedrock_line():
    report = estimate()
    assert not [i for i in report["items"] if "Bedrock" in i["name"]]
    assert report["assumptions"]["bedrock_models"] == {}


def test_cost_rejects_a_bedrock_mapping_for_an_unmonitored_model_as_a_usage_error():
    run = run_cli("cost", "--bedrock-models", f"claude-opus-9={HAIKU_PROFILE}", env={})
    assert run.code == 64
    assert run.stderr.count("\n") == 1 and "--bedrock-models" in run.stderr
    assert "Traceback" not in run.stderr


def test_the_answer_check_adds_at_most_five_cents_a_month_for_the_default_model():
    # Given the default deployment, with the answer check every cycle (the default)
    report = estimate()
    [check] = [i for i in report["items"] if i["name"].startswith("Answer check")]
    # Then its added cost is itemised and within the issue's $0.05 a month
    assert "claude-haiku-5-5" in check["name"] and 0 < check["usd"] <= 0.05
    # And it is exactly what turning the check off saves
    off = estimate(answer_check_every=0)
    assert abs((report["total_usd"] - off["total_usd"]) - check["usd"]) <= 0.01  # cents
    assert off["assumptions"]["answer_check_skipped"] == {
        "claude-haiku-5-5": "skipped: ANSWER_CHECK_EVERY=0"
    }


def test_the_answer_check_cost_is_printed_per_model_and_skipped_ones_say_why():
    models = ("claude-haiku-5-5", "claude-sonnet-5-5", "claude-opus-5-5", "claude-opus-4-5")
    report = estimate(models=models)
    checks = {
        i["name"].split()[2]: i["usd"] for i in report["items"] if "Answer check" in i["name"]
    }
    # Then every model whose check runs has its own line, dearer models costing more
    assert set(checks) == {"claude-haiku-5-5", "claude-sonnet-5-5", "claude-opus-4-5"}
    assert checks["claude-haiku-5-5"] < checks["claude-sonnet-5-5"] < checks["claude-opus-4-5"]
    # And Opus 5.5 (thinking always on) is skipped, which the text says
    assert list(report["assumptions"]["answer_check_skipped"]) == ["claude-opus-5-5"]
    assert "Answer check skipped for claude-opus-5-5" in render(report, width=200)


def test_every_tenth_cycle_costs_a_tenth():
    every = estimate(answer_check_every=1)["items"]
    tenth = estimate(answer_check_every=10)["items"]

    def usd(items):
        line = next(i for i in items if i["name"].startswith("Answer check"))
        return line["quantity"] * line["unit_usd"]

    assert abs(usd(tenth) - usd(every) / 10) < 1e-9


def test_given_the_topic_key_then_cost_says_its_yearly_rotation_adds_from_the_second_year():
    # Given the optional KMS key, which the stack rotates every year
    report = estimate(topic_key=True)
    [kms] = [o for o in report["optional"] if o["name"].startswith("KMS")]
    # Then the cost says what the first two rotations add (AWS KMS pricing)
    assert "$2.00 in the second year" in kms["free_tier_note"]
    assert "$3.00 from year 3 on" in kms["free_tier_note"]
