"""Configuration: defaults, one-line errors naming the variable, the key kept secret."""

import pytest

from functions.monitor.config import Config, ConfigError, load_config


def test_given_no_variables_then_the_contract_defaults_apply():
    config = load_config({})
    assert config.status_page_url == "https://status.claude.com"
    assert config.anthropic_base_url == "https://api.anthropic.com"
    assert config.canary_models == ("claude-haiku-5-5",)
    assert config.api_components == ("Claude API (api.anthropic.com)",)
    assert (config.deadline_s, config.max_attempts, config.latency_slow_ms) == (25, 3, 10000)
    assert (config.failure_threshold, config.recovery_threshold) == (2, 2)
    assert config.local_db_path == ".monitor/state.sqlite3"
    assert config.table_name is None and config.topic_arn is None and config.api_key is None


def test_given_lists_and_a_gateway_prefix_then_they_are_parsed():
    config = load_config(
        {"CANARY_MODELS": " a , b,,a ", "ANTHROPIC_BASE_URL": "https://gw.example/v2/anthropic/"}
    )
    assert config.canary_models == ("a", "b")
    assert config.anthropic_base_url == "https://gw.example/v2/anthropic"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CHECK_DEADLINE_SECONDS", "soon"),
        ("CHECK_DEADLINE_SECONDS", "0"),
        ("CANARY_MODELS", " , "),
        ("STATUS_PAGE_URL", "status.claude.com"),
        ("ANTHROPIC_BASE_URL", "ftp://x"),
        ("CANARY_MAX_ATTEMPTS", "2.5"),
        ("FAILURE_THRESHOLD", "0"),
        ("LATENCY_SLOW_MS", "fast"),
        ("API_COMPONENTS", ""),
    ],
)
def test_given_a_bad_value_then_the_error_is_one_line_naming_the_variable(name, value):
    with pytest.raises(ConfigError) as caught:
        load_config({name: value})
    message = str(caught.value)
    assert name in message and "\n" not in message


def test_the_key_never_appears_in_the_config_repr():
    config = Config(api_key="sk-ant-secret")
    assert "sk-ant-secret" not in repr(config)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CHECK_DEADLINE_SECONDS", "inf"),
        ("CHECK_DEADLINE_SECONDS", "1e300"),
        ("CHECK_DEADLINE_SECONDS", "1e9"),
        ("CHECK_DEADLINE_SECONDS", "nan"),
        ("CHECK_DEADLINE_SECONDS", "841"),
        ("STATUS_PAGE_URL", "http://localhost:99999"),
        ("ANTHROPIC_BASE_URL", "http://[::1"),
        ("RETENTION_DAYS", "1e17"),
        ("RETENTION_DAYS", "100000000000000000"),
        ("RETENTION_DAYS", "3651"),
        ("ERROR_RATE_WARN", "1"),
        ("ERROR_RATE_WARN", "-0.1"),
        ("ERROR_RATE_WARN", "nan"),
        ("CANARY_BURST", "11"),
        ("ANSWER_CHECK_EVERY", "1441"),
        ("ANSWER_CHECK_EVERY", "-1"),
        ("ANSWER_CHECK_EVERY", "1.5"),
        ("ERROR_WINDOW_CYCLES", "1441"),
        ("FAILURE_THRESHOLD", "61"),
        ("RECOVERY_THRESHOLD", "1000000"),
        ("CANARY_MAX_ATTEMPTS", "1000"),
        ("LATENCY_SLOW_MS", "1e99"),
        ("CANARY_MODELS", ",".join(f"m{i}" for i in range(21))),
    ],
)
def test_given_an_out_of_range_value_then_one_line_names_the_variable(name, value):
    # Given a value that parses but would make the cycle never end, overflow or
    # never fit a DynamoDB transaction; When loading; Then a one-line ConfigError.
    with pytest.raises(ConfigError) as caught:
        load_config({name: value})
    message = str(caught.value)
    assert name in message and "\n" not in message
    assert "Group" not in message


def test_the_bounds_themselves_are_accepted():
    config = load_config(
        {
            "CHECK_DEADLINE_SECONDS": "840",
            "RETENTION_DAYS": "3650",
            "ERROR_RATE_WARN": "0.99",
            "CANARY_BURST": "10",
            "ANSWER_CHECK_EVERY": "1440",
            "CANARY_MODELS": ",".join(f"m{i}" for i in range(20)),
            "STATUS_PAGE_URL": "http://[::1]:8080",
        }
    )
    assert config.deadline_s == 840 and len(config.canary_models) == 20
    assert config.answer_check_every == 1440 and load_config({}).answer_check_every == 1


@pytest.mark.parametrize("key", ["sk-ant-abc\u200bdef", "sk-ant abc", "sk-ant-\x7fabc", "sk-ant-é"])
def test_given_a_malformed_key_then_the_error_names_the_variable_never_the_value(key):
    with pytest.raises(ConfigError) as caught:
        load_config({"ANTHROPIC_API_KEY": key})
    message = str(caught.value)
    assert "ANTHROPIC_API_KEY" in message and "\n" not in message
    assert "abc" not in message and "sk-ant" not in message


def test_given_a_key_with_a_trailing_newline_then_it_is_stripped():
    assert load_config({"ANTHROPIC_API_KEY": "sk-ant-key\n"}).api_key == "sk-ant-key"


def test_aws_calls_are_budgeted_from_the_deadline():
    # Given the default and the smallest deadlines, Then one AWS call (connect + read,
    # one attempt) is a small share of the deadline
    for seconds in (1, 4, 10, 25, 840):
        config = load_config({"CHECK_DEADLINE_SECONDS": str(seconds)})
        connect, read = config.aws_timeouts_s
        assert 0 < connect <= read <= 2.0
        assert config.aws_call_s <= max(0.7, seconds * 0.3)


def test_a_bad_url_with_a_credential_is_not_echoed():
    with pytest.raises(ConfigError) as caught:
        load_config({"ANTHROPIC_BASE_URL": "ftp://user:tok-SECRET@gw.example/?key=SECRET"})
    assert "SECRET" not in str(caught.value) and "ANTHROPIC_BASE_URL" in str(caught.value)


def test_given_quiet_hours_and_a_webhook_topic_then_they_are_read_once():
    from functions.monitor.config import load_config

    config = load_config(
        {
            "QUIET_HOURS": "22-07",
            "WEBHOOK_TOPIC_ARN": "arn:aws:sns:eu-west-1:123456789012:hooks",
            "AWS_REGION": "eu-west-1",
        }
    )
    assert config.quiet_hours is not None and config.quiet_hours.label() == "22:00-07:00 UTC"
    assert config.webhook_topic_arn == "arn:aws:sns:eu-west-1:123456789012:hooks"
    assert load_config({}).quiet_hours is None and load_config({}).webhook_topic_arn is None


@pytest.mark.parametrize(
    "env, name",
    [
        ({"QUIET_HOURS": "25-07"}, "QUIET_HOURS"),
        ({"QUIET_HOURS": "7-7"}, "QUIET_HOURS"),
        ({"WEBHOOK_TOPIC_ARN": "https://hooks.example"}, "WEBHOOK_TOPIC_ARN"),
        ({"WEBHOOK_TOPIC_ARN": "arn:aws:sns:eu-west-1:1:x"}, "AWS_REGION"),
    ],
)
def test_given_a_bad_channel_variable_then_one_line_names_it(env, name):
    from functions.monitor.config import ConfigError, load_config

    with pytest.raises(ConfigError) as error:
        load_config(env)
    assert name in str(error.value) and "\n" not in str(error.value)


PROFILE = "us.anthropic.claude-haiku-4-5-20251001-v1:0"


def test_given_no_bedrock_models_then_there_is_no_bedrock_path_and_no_alerts():
    config = load_config({})
    assert config.bedrock_models == () and config.bedrock_map == {}
    assert config.bedrock_alerts is False


def test_given_bedrock_models_and_a_region_then_the_mapping_is_kept_in_order():
    config = load_config(
        {
            "CANARY_MODELS": "claude-haiku-4-5,claude-sonnet-4-5",
            "BEDROCK_MODELS": f"claude-sonnet-4-5=anthropic.claude-sonnet-4-5-20250929-v1:0,"
            f" claude-haiku-4-5 = {PROFILE}",
            "AWS_REGION": "us-east-1",
            "BEDROCK_ALERTS": "true",
        }
    )
    assert config.bedrock_models == (
        ("claude-sonnet-4-5", "anthropic.claude-sonnet-4-5-20250929-v1:0"),
        ("claude-haiku-4-5", PROFILE),
    )
    assert config.bedrock_map["claude-haiku-4-5"] == PROFILE
    assert config.bedrock_alerts is True
    hash(config)  # still a hashable frozen dataclass


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"BEDROCK_MODELS": f"claude-haiku-4-5={PROFILE}"}, "AWS_REGION must be set"),
        ({"BEDROCK_MODELS": f"claude-opus-9={PROFILE}", "AWS_REGION": "us-east-1"}, "CANARY"),
        ({"BEDROCK_MODELS": "claude-haiku-4-5", "AWS_REGION": "us-east-1"}, "BEDROCK_MODELS"),
        (
            {"BEDROCK_MODELS": "claude-haiku-4-5=gpt-4\nTraceback", "AWS_REGION": "us-east-1"},
            "BEDROCK_MODELS",
        ),
        ({"BEDROCK_ALERTS": "sometimes"}, "BEDROCK_ALERTS"),
    ],
)
def test_given_a_bad_bedrock_setting_then_one_line_names_it(env, words):
    env = {"CANARY_MODELS": "claude-haiku-4-5", **env}
    with pytest.raises(ConfigError) as caught:
        load_config(env)
    message = str(caught.value)
    assert words in message and "\n" not in message


@pytest.mark.parametrize(
    ("model_id", "region", "ok"),
    [
        (PROFILE, "us-east-1", True),
        (PROFILE, "eu-west-1", False),
        (PROFILE, "us-gov-west-1", False),
        ("eu.anthropic.claude-haiku-4-5-20251001-v1:0", "eu-central-1", True),
        ("apac.anthropic.claude-haiku-4-5-20251001-v1:0", "ap-southeast-1", True),
        ("global.anthropic.claude-haiku-4-5-20251001-v1:0", "eu-west-1", True),
        ("anthropic.claude-haiku-4-5-20251001-v1:0", "sa-east-1", True),
    ],
)
def test_given_a_geographic_profile_then_it_must_be_callable_from_aws_region(model_id, region, ok):
    env = {
        "CANARY_MODELS": "claude-haiku-4-5",
        "BEDROCK_MODELS": f"claude-haiku-4-5={model_id}",
        "AWS_REGION": region,
    }
    if ok:
        assert load_config(env).bedrock_map == {"claude-haiku-4-5": model_id}
        return
    with pytest.raises(ConfigError) as caught:
        load_config(env)
    assert "cannot be called from " + region in str(caught.value)
    assert "AWS_REGION" in str(caught.value) and "\n" not in str(caught.value)
