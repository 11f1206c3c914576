"""The Bedrock path's pure parts: its configuration, classification, advice and cost."""

from __future__ import annotations

import pytest
from botocore import exceptions as bx

from functions.monitor.cli.bedrock_cost import (
    bedrock_cost_lines,
    bedrock_price_per_mtok,
    bedrock_token_cost_usd,
)
from functions.monitor.decide.failover import (
    BEDROCK_ONLY,
    FAIL_OVER,
    FAILING_EVERYWHERE,
    bedrock_observations,
    bedrock_ok,
    bedrock_target,
    failover_advice,
    failover_steps,
)
from functions.monitor.decide.verdict import decide
from functions.monitor.models import BedrockResult, CanaryResult, StatusPage
from functions.monitor.observe.bedrock import run_bedrock_canary
from functions.monitor.values import parse_bedrock_models, split_model_id

HAIKU = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
MONITORED = ("claude-haiku-4-5", "claude-sonnet-4-5")


# -- BEDROCK_MODELS -------------------------------------------------------------------


def test_given_no_bedrock_models_then_there_is_no_bedrock_path():
    assert parse_bedrock_models(None, MONITORED) == {}
    assert parse_bedrock_models("  ", MONITORED) == {}


def test_given_mapped_models_then_each_monitored_model_gets_its_bedrock_id():
    raw = (
        f" claude-haiku-4-5 = {HAIKU} ,"
        "claude-sonnet-4-5=global.anthropic.claude-sonnet-4-5-20250929-v1:0,"
    )
    assert parse_bedrock_models(raw, MONITORED) == {
        "claude-haiku-4-5": HAIKU,
        "claude-sonnet-4-5": "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
    }


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("claude-haiku-4-5", "model=bedrock-model-id"),
        ("=us.anthropic.claude-haiku-4-5-20251001-v1:0", "model=bedrock-model-id"),
        ("claude-haiku-4-5=", "model=bedrock-model-id"),
        (f"claude-opus-4-5={HAIKU}", "not in CANARY_MODELS"),
        (f"claude-haiku-4-5={HAIKU},claude-haiku-4-5={HAIKU}", "twice"),
        ("claude-haiku-4-5=meta.llama3-8b-instruct-v1:0", "not an Anthropic model id"),
        (
            "claude-haiku-4-5=arn:aws:bedrock:us-east-1:1:inference-profile/x",
            "not an Anthropic model id",
        ),
    ],
)
def test_given_a_malformed_entry_then_one_line_error_names_the_variable(raw, fragment):
    with pytest.raises(ValueError) as err:
        parse_bedrock_models(raw, MONITORED)
    message = str(err.value)
    assert message.startswith("BEDROCK_MODELS") and fragment in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("model_id", "geo", "base"),
    [
        (HAIKU, "us", "anthropic.claude-haiku-4-5-20251001-v1:0"),
        ("global.anthropic.claude-x-v1:0", "global", "anthropic.claude-x-v1:0"),
        ("us-gov.anthropic.claude-x-v1:0", "us-gov", "anthropic.claude-x-v1:0"),
        (
            "anthropic.claude-haiku-4-5-20251001-v1:0",
            None,
            "anthropic.claude-haiku-4-5-20251001-v1:0",
        ),
    ],
)
def test_split_model_id_separates_the_profile_prefix(model_id, geo, base):
    assert split_model_id(model_id) == (geo, base)


# -- classification of what boto3 raises (the client is the boundary) -----------------


class Raising:
    """A bedrock-runtime client stand-in whose converse raises what botocore would."""

    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    def converse(self, **_: object) -> dict:
        raise self.exc


def client_error(code: str, status: int, message: str = "m", request_id: str | None = "r-1"):
    meta = {"HTTPStatusCode": status}
    if request_id:
        meta["RequestId"] = request_id
    return bx.ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": meta}, "Converse"
    )


@pytest.mark.parametrize(
    ("exc", "outcome"),
    [
        (client_error("ThrottlingException", 429), "rate_limited"),
        (client_error("ServiceQuotaExceededException", 400), "rate_limited"),
        (client_error("AccessDeniedException", 403), "permission_error"),
        (
            client_error("ValidationException", 400, "The provided model identifier is invalid."),
            "model_not_found",
        ),
        (client_error("ValidationException", 400, "maxTokens must be positive"), "invalid_request"),
        (client_error("ResourceNotFoundException", 404), "model_not_found"),
        (client_error("ExpiredTokenException", 400), "auth_error"),
        (client_error("ModelNotReadyException", 429), "overloaded"),
        (client_error("ServiceUnavailableException", 503), "server_error"),
        (client_error("InternalServerException", 500), "server_error"),
        (client_error("ModelErrorException", 424), "server_error"),
        (client_error("ModelTimeoutException", 408), "timeout"),
        (client_error("SomethingNewException", 502), "server_error"),
        (client_error("SomethingNewException", 429), "rate_limited"),
        (client_error("SomethingNewException", 409), "invalid_request"),
        (client_error("502", 502, "Bad Gateway", request_id=None), "intercepted"),
        (bx.ReadTimeoutError(endpoint_url="https://bedrock"), "timeout"),
        (bx.ConnectTimeoutError(endpoint_url="https://bedrock"), "network_error"),
        (bx.EndpointConnectionError(endpoint_url="https://bedrock"), "network_error"),
        (bx.ConnectionClosedError(endpoint_url="https://bedrock"), "network_error"),
        (bx.NoCredentialsError(), "auth_error"),
        (RuntimeError("surprise"), "network_error"),
    ],
)
def test_given_what_boto3_raises_then_the_outcome_matches_the_api_canarys(exc, outcome):
    result = run_bedrock_canary(Raising(exc), "claude-haiku-4-5", HAIKU, 1.0)
    assert result.outcome == outcome
    assert result.attempts == 1 and result.latency_ms is None
    assert result.detail and len(result.detail) <= 300
    assert result.failed_requests == (
        1 if outcome in ("server_error", "overloaded", "timeout", "bad_response") else 0
    )


class Answering:
    def __init__(self, response: dict) -> None:
        self.response = response

    def converse(self, **_: object) -> dict:
        return self.response


def test_given_an_answer_without_bedrocks_request_id_then_it_is_intercepted():
    result = run_bedrock_canary(
        Answering({"ResponseMetadata": {"HTTPStatusCode": 200}}), "m", HAIKU, 1
    )
    assert result.outcome == "intercepted"


def test_given_a_refusal_stop_reason_then_the_platform_still_answered():
    answer = {
        "output": {"message": {"role": "assistant", "content": []}},
        "stopReason": "content_filtered",
        "usage": {"inputTokens": 8, "outputTokens": 0},
        "ResponseMetadata": {"HTTPStatusCode": 200, "RequestId": "r"},
    }
    assert run_bedrock_canary(Answering(answer), "m", HAIKU, 1).outcome == "ok"


# -- the two paths, through the advice table ------------------------------------------


@pytest.mark.parametrize(
    ("api_failing", "bedrock", "advice"),
    [
        (True, True, FAIL_OVER),
        (True, False, FAILING_EVERYWHERE),
        (False, False, BEDROCK_ONLY),
        (False, True, None),
        (True, None, None),
        (False, None, None),
    ],
)
def test_every_combination_of_the_two_paths_gives_its_next_step(api_failing, bedrock, advice):
    assert failover_advice(api_failing, bedrock) == advice


def test_the_advice_texts_are_the_issues():
    assert FAIL_OVER == "Claude answers on Amazon Bedrock right now: fail over there"
    assert FAILING_EVERYWHERE == (
        "the model is failing everywhere: a model-level problem, not Anthropic's API alone"
    )


@pytest.mark.parametrize("outcome", ["permission_error", "model_not_found", "rate_limited"])
def test_given_bedrock_fails_on_our_side_then_it_is_not_called_a_model_level_problem(outcome):
    advice = failover_advice(True, False, bedrock_outcome=outcome)
    assert advice and outcome in advice and "everywhere" not in advice


def test_given_bedrock_fails_on_the_platform_then_the_model_fails_everywhere():
    assert failover_advice(True, False, bedrock_outcome="server_error") == FAILING_EVERYWHERE


def test_bedrock_ok_reads_the_results():
    def r(outcome: str) -> CanaryResult:
        return BedrockResult(model="m", outcome=outcome)

    assert bedrock_ok([]) is None
    assert bedrock_ok([r("ok"), r("slow")]) is True
    assert bedrock_ok([r("ok"), r("timeout")]) is False


# -- cost -----------------------------------------------------------------------------


def test_global_profiles_pay_the_list_price_and_geographic_ones_ten_percent_more():
    assert bedrock_price_per_mtok("global.anthropic.claude-haiku-4-5-20251001-v1:0") == (1.0, 5.0)
    price_in, price_out = bedrock_price_per_mtok(HAIKU)
    assert price_in == pytest.approx(1.1) and price_out == pytest.approx(5.5)


def test_a_month_of_one_minute_probes_costs_tokens_times_price():
    # 43,200 cycles x (8 input x $1 + 1 output x $5) per MTok, on the global profile
    usd = bedrock_token_cost_usd("global.anthropic.claude-haiku-4-5-20251001-v1:0", 8, 1, 43_200)
    assert usd == pytest.approx(43_200 * 13 / 1_000_000)


def test_given_a_model_without_a_price_then_a_one_line_error():
    with pytest.raises(ValueError, match="no Bedrock price for 'claude-3-haiku'"):
        bedrock_price_per_mtok("anthropic.claude-3-haiku-20240307-v1:0")


# -- wiring helpers: per-model next steps and the bedrock:<model> alert target ---------


def canary(model: str, outcome: str) -> CanaryResult:
    return CanaryResult(model=model, outcome=outcome)


def on_bedrock(model: str, outcome: str) -> BedrockResult:
    return BedrockResult(model=model, outcome=outcome, model_id=HAIKU)


def test_given_both_paths_per_model_then_each_model_gets_its_own_next_step():
    canaries = [
        canary("a", "server_error"),
        canary("b", "timeout"),
        canary("c", "ok"),
        canary("d", "ok"),
        canary("e", "skipped"),
    ]
    bedrock = [
        on_bedrock("a", "ok"),
        on_bedrock("b", "overloaded"),
        on_bedrock("c", "server_error"),
        on_bedrock("d", "slow"),
        on_bedrock("e", "server_error"),
    ]
    assert failover_steps(canaries, bedrock) == {
        "a": FAIL_OVER,
        "b": FAILING_EVERYWHERE,
        "c": BEDROCK_ONLY,
    }


def test_given_bedrock_denied_while_the_api_fails_then_the_step_says_check_access():
    steps = failover_steps([canary("a", "overloaded")], [on_bedrock("a", "permission_error")])
    assert "permission_error" in steps["a"] and "everywhere" not in steps["a"]


def test_bedrock_targets_sit_beside_the_canary_targets():
    observed = bedrock_observations([on_bedrock("a", "ok"), on_bedrock("b", "throttled")])
    assert observed == {"bedrock:a": ("ok", "ok"), "bedrock:b": ("throttled", "ok")}
    assert bedrock_target("claude-haiku-4-5") == "bedrock:claude-haiku-4-5"


# -- the issue's table: verdict from the API path alone, next step from both ----------

PAGE_OK = StatusPage(reachable=True, api_status="operational", indicator="none")


@pytest.mark.parametrize(
    ("api", "bedrock", "verdict", "step"),
    [
        ("server_error", "ok", "unconfirmed_outage", FAIL_OVER),
        ("server_error", "server_error", "unconfirmed_outage", FAILING_EVERYWHERE),
        ("ok", "server_error", "operational", BEDROCK_ONLY),
        ("ok", "ok", "operational", None),
        ("server_error", None, "unconfirmed_outage", None),
        ("ok", None, "operational", None),
        ("network_error", "ok", "network_error", FAIL_OVER),
        ("timeout", "timeout", "unconfirmed_outage", FAILING_EVERYWHERE),
    ],
)
def test_every_combination_of_the_two_paths_through_the_verdict_table(api, bedrock, verdict, step):
    # Given: one model on each path
    canaries = [canary("claude-haiku-4-5", api)]
    on_bed = [] if bedrock is None else [on_bedrock("claude-haiku-4-5", bedrock)]
    # When: the verdict is decided from the API canaries only, the step from both
    decided = decide(PAGE_OK, canaries)
    steps = failover_steps(canaries, on_bed)
    # Then: Bedrock never changes the verdict; it only adds the next step
    assert decided.verdict == verdict
    assert steps.get("claude-haiku-4-5") == step


def test_cost_lines_fit_the_cost_commands_items():
    from functions.monitor.cli.cost import Item

    lines = bedrock_cost_lines({"claude-haiku-4-5": HAIKU}, runs=43_200, input_tokens=8)
    [item] = [Item(region="us-east-1", **line) for line in lines]
    assert item.name.startswith("Bedrock tokens claude-haiku-4-5 via us.anthropic")
    assert item.unit_usd == pytest.approx((8 * 1.1 + 1 * 5.5) / 1e6)
    assert item.usd == pytest.approx(43_200 * item.unit_usd)


def test_a_5_5_model_on_bedrock_is_priced_as_its_api_list_price_with_the_newer_tokenizer():
    # Given claude-haiku-5-5 mapped to its global profile (no published Bedrock price:
    # assumed the API's $0.10 / $0.50, as for every 5.5 model), when it is priced,
    # then the input counts the 5.x tokenizer's 30% more tokens, as the API canary's does
    profile = "global.anthropic.claude-haiku-5-5-v1:0"
    [line] = bedrock_cost_lines({"claude-haiku-5-5": profile}, runs=1, input_tokens=8)
    assert line["unit_usd"] == pytest.approx((8 * 1.3 * 0.10 + 1 * 0.50) / 1e6)
    assert "(10.4 in, 1 out)" in line["name"]


def test_given_a_fable_mapping_then_it_is_priced_ten_and_fifty_global_ten_percent_more_regional():
    # Given claude-fable-5-1 mapped to Bedrock (issue 18: `make cost` raised for it)
    # When priced on the global profile and on a geographic one
    assert bedrock_price_per_mtok("global.anthropic.claude-fable-5-1") == (10.0, 50.0)
    price_in, price_out = bedrock_price_per_mtok("us.anthropic.claude-fable-5-1")
    # Then the regional profile costs 10% more, as for the 4.5 models
    assert price_in == pytest.approx(11.0) and price_out == pytest.approx(55.0)


@pytest.mark.parametrize(
    ("model_id", "region", "ok"),
    [
        # Anthropic's region table lists ca-central-1 under "Global, US".
        ("us.anthropic.claude-haiku-5-5-v1:0", "ca-central-1", True),
        ("us.anthropic.claude-haiku-5-5-v1:0", "us-east-1", True),
        ("us.anthropic.claude-haiku-5-5-v1:0", "eu-west-1", False),
        ("us.anthropic.claude-haiku-5-5-v1:0", "ca-west-1", False),
        ("global.anthropic.claude-haiku-5-5-v1:0", "ca-central-1", True),
        ("eu.anthropic.claude-haiku-5-5-v1:0", "ca-central-1", False),
    ],
)
def test_given_a_geographic_profile_then_the_region_check_follows_the_region_table(
    model_id, region, ok
):
    from functions.monitor.values import region_problem

    assert (region_problem(model_id, region) is None) is ok
