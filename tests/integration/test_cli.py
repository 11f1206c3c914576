"""The command line as users and monitoring plugins meet it: output and exit status."""

import json

import pytest

from tests.conftest import SECRET, closed_port, run_cli, sim_env

EXIT = {
    "operational": 0,
    "degraded": 1,
    "rate_limited": 1,
    "maintenance": 1,
    "outage": 2,
    "unconfirmed_outage": 2,
    "client_error": 2,
    "network_error": 3,
}
SCENARIO_VERDICT = {
    "healthy": "operational",
    "incident": "degraded",
    "rate_limited": "rate_limited",
    "maintenance": "maintenance",
    "outage": "outage",
    "overloaded": "unconfirmed_outage",
    "auth_error": "client_error",
    "api_reset": "network_error",
}


@pytest.mark.parametrize("scenario", sorted(SCENARIO_VERDICT))
def test_given_a_scenario_when_check_json_then_one_object_and_the_contract_exit(
    sim, tmp_path, scenario
):
    sim.set(scenario)
    run = run_cli("check", "--json", env=sim_env(sim, tmp_path))
    data = json.loads(run.stdout)  # exactly one JSON document on stdout
    assert run.stdout.strip().count("\n") == 0
    assert data["verdict"] == SCENARIO_VERDICT[scenario]
    assert run.code == EXIT[data["verdict"]]
    assert {
        "checked_at",
        "verdict",
        "severity",
        "summary",
        "status_page",
        "canaries",
        "transitions",
        "notifications",
    } <= set(data)
    assert {
        "reachable",
        "error",
        "indicator",
        "description",
        "api_status",
        "components",
        "incidents",
        "maintenances",
    } <= set(data["status_page"])
    canary = data["canaries"][0]
    assert {
        "model",
        "outcome",
        "http_status",
        "error_type",
        "request_id",
        "attempts",
        "latency_ms",
        "ttft_ms",
        "retry_after_s",
        "ratelimit",
    } <= set(canary)
    assert SECRET not in run.stdout + run.stderr
    assert "Traceback" not in run.stderr


def test_given_an_incident_when_check_then_the_table_shows_link_rows_and_next_step(sim, tmp_path):
    sim.set("outage")
    run = run_cli("check", env=sim_env(sim, tmp_path))
    assert run.code == 2
    assert run.stdout.startswith("OUTAGE (critical)")
    assert "https://stspg.io/sim0001" in run.stdout
    assert "claude-haiku-5-5" in run.stdout and "overloaded" in run.stdout
    assert "req_sim" in run.stdout
    assert "Next step:" in run.stdout and "fail over" in run.stdout


def test_given_no_key_when_check_then_it_says_how_to_add_one(healthy_sim, tmp_path):
    run = run_cli("check", env=sim_env(healthy_sim, tmp_path, ANTHROPIC_API_KEY=""))
    assert run.code == 0
    assert "ANTHROPIC_API_KEY" in run.stdout and "skipped" in run.stdout


def test_given_no_network_when_check_then_network_error_and_exit_3(tmp_path, sim):
    url = f"http://127.0.0.1:{closed_port()}"
    run = run_cli(
        "check",
        "--json",
        env=sim_env(
            sim, tmp_path, STATUS_PAGE_URL=url, ANTHROPIC_BASE_URL=url, ANTHROPIC_API_KEY=""
        ),
    )
    assert run.code == 3 and run.json["verdict"] == "network_error"
    assert run.json["severity"] == "unknown"


@pytest.mark.parametrize(
    ("name", "value"),
    [("CHECK_DEADLINE_SECONDS", "abc"), ("CANARY_MODELS", ","), ("STATUS_PAGE_URL", "nourl")],
)
def test_given_bad_configuration_then_one_line_on_stderr_and_exit_3(
    healthy_sim, tmp_path, name, value
):
    run = run_cli("check", "--json", env=sim_env(healthy_sim, tmp_path, **{name: value}))
    assert run.code == 3
    assert run.stdout == ""
    assert run.stderr.count("\n") == 1 and name in run.stderr
    assert "Traceback" not in run.stderr


def test_simulate_rejects_an_unknown_scenario_in_one_line(tmp_path, healthy_sim):
    run = run_cli("simulate", "--scenario", "nope", env=sim_env(healthy_sim, tmp_path))
    assert run.code == 2 and run.stderr.count("\n") == 1 and "nope" in run.stderr
