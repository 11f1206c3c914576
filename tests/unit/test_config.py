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
