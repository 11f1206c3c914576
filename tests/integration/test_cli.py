"""The command line as users and monitoring plugins meet it: output and exit status."""

import json
import subprocess

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


def test_simulate_rejects_an_unknown_scenario_in_one_line_as_a_usage_error(tmp_path, healthy_sim):
    run = run_cli("simulate", "--scenario", "nope", env=sim_env(healthy_sim, tmp_path))
    assert run.code == 64 and run.stderr.count("\n") == 1 and "nope" in run.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("bogus",),
        (),
        ("check", "--bogus"),
        ("history", "--since", "yesterday"),
        ("history", "--since", "99999999999999m"),
        ("history", "--since", "9999999d"),
        ("cost", "--memory-mb", "lots"),
        ("simulate", "--port", "x"),
        ("cost", "--nope"),
        ("mute",),
        # A duration too large for a timedelta is the same usage error as --for 8d.
        ("mute", "--for", "99999999999999999999d", "--reason", "x"),
        ("mute", "--for", "8d", "--reason", "x"),
        # Option values no deployment has: an empty list, a negative count, no port.
        ("cost", "--regions", ""),
        ("cost", "--models", " , "),
        ("cost", "--memory-mb", "-1"),
        ("cost", "--duration-ms", "0"),
        ("cost", "--alarms", "-5"),
        ("cost", "--metrics", "-1"),
        ("cost", "--input-tokens", "-1"),
        ("simulate", "--port", "99999"),
        ("simulate", "--bedrock-port", "-2"),
    ],
)
def test_a_usage_error_exits_64_never_a_verdict_status(tmp_path, healthy_sim, args):
    # Given an unknown command, option or bad option value, then exit 64 (EX_USAGE),
    # which no verdict uses, and no traceback
    run = run_cli(*args, env=sim_env(healthy_sim, tmp_path))
    assert run.code == 64, run.stderr
    assert "Traceback" not in run.stderr and run.stdout == ""


def test_check_help_lists_exit_statuses_and_the_variables_that_matter(tmp_path, healthy_sim):
    run = run_cli("check", "--help", env=sim_env(healthy_sim, tmp_path, COLUMNS="80"))
    assert run.code == 0
    for text in ("0   operational", "3   network_error", "64  usage error", "130"):
        assert text in run.stdout, text
    for name in (
        "ANTHROPIC_API_KEY",
        "CANARY_MODELS",
        "LATENCY_SLOW_MS",
        "ERROR_WINDOW_CYCLES",
        "ERROR_RATE_WARN",
        "CANARY_BURST",
        "ANSWER_CHECK_EVERY",
        "LOCAL_DB_PATH",
        "NO_COLOR",
    ):
        assert name in run.stdout, name
    # The models whose answer is never checked are named, with the JSON's word for it
    for text in ("claude-opus-5-5", "claude-fable-5-1", 'answer_check "skipped: ..."'):
        assert text in run.stdout, text
    assert max(len(line) for line in run.stdout.splitlines()) <= 80


def test_simulate_help_lists_scenarios_and_the_default_port(tmp_path, healthy_sim):
    from functions.simulator.scenarios import SCENARIOS, TIMELINES

    run = run_cli("simulate", "--help", env=sim_env(healthy_sim, tmp_path, COLUMNS="80"))
    assert run.code == 0 and "8765" in run.stdout
    words = set(run.stdout.replace(",", " ").split())
    assert set(SCENARIOS) | set(TIMELINES) <= words
    assert "answers in 11 s" in run.stdout  # `slow` is slow under the defaults


@pytest.mark.parametrize("command", ["history", "cost"])
def test_every_option_of_history_and_cost_has_help(tmp_path, healthy_sim, command):
    from functions.monitor.cli.parser import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command").choices[command]
    for action in sub._actions:
        assert action.help, f"{command} {action.option_strings} has no help"


def test_outside_the_venv_the_error_says_how_to_run_it(tmp_path):
    # Given a Python without the project's packages (-S: no site-packages), then one line
    # that says to run it through make, exit 3, no traceback
    import subprocess
    import sys

    from tests.conftest import ROOT

    proc = subprocess.run(
        [sys.executable, "-S", "-m", "functions.monitor", "check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "LOCAL_DB_PATH": str(tmp_path / "s.sqlite3")},
        timeout=60,
    )
    assert proc.returncode == 3
    assert proc.stderr.count("\n") == 1 and "make check" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_store_that_cannot_be_written_keeps_the_verdict_and_says_history_was_not_stored(
    tmp_path, healthy_sim
):
    # Given LOCAL_DB_PATH under a regular file, when check runs against a healthy API,
    # then the verdict's exit status stands (0) and stderr says history was not stored
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    env = sim_env(healthy_sim, tmp_path, LOCAL_DB_PATH=str(blocker / "state.sqlite3"))
    run = run_cli("check", "--json", env=env)
    assert run.code == 0 and run.json["verdict"] == "operational"
    assert "history was not stored" in run.stderr and "LOCAL_DB_PATH" in run.stderr


def test_at_80_columns_check_and_history_wrap_on_words(sim, tmp_path):
    # Given an incident with a link and a long summary, at 80 columns
    sim.set("outage")
    env = sim_env(sim, tmp_path, COLUMNS="80")
    for _ in range(3):
        run = run_cli("check", env=env)
    assert run.code == 2
    for line in run.stdout.splitlines():
        assert len(line) <= 80 or len(line.split()) == 1, line
    assert "(ma\n" not in run.stdout
    history = run_cli("history", env=env)
    assert history.code == 0
    assert max(len(line) for line in history.stdout.splitlines()) <= 80
    assert "requests failed" in history.stdout or "Transitions" in history.stdout


def test_no_colour_when_not_a_terminal(sim, tmp_path):
    sim.set("outage")
    env = sim_env(sim, tmp_path)
    env.pop("NO_COLOR")
    run = run_cli("check", env=env)
    assert "\033[" not in run.stdout


@pytest.mark.parametrize(("scenario", "status"), [("healthy", 0), ("api_reset", 3)])
def test_make_run_shows_the_checks_own_status(sim, tmp_path, scenario, status):
    # make itself can only exit 0 or 2; the check's status is on make's own error line
    # and on ours, so nobody reads "2" as critical
    import subprocess

    from tests.conftest import ROOT

    sim.set(scenario)
    proc = subprocess.run(
        ["make", "-s", "-o", ".venv/.installed", "run"],
        cwd=ROOT,
        env=sim_env(sim, tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    if status == 0:
        assert proc.returncode == 0, proc.stderr
    else:
        assert proc.returncode == 2
        assert f"the check exited {status}" in proc.stderr
        assert f"Error {status}" in proc.stderr


def _make(*args: str) -> subprocess.CompletedProcess[str]:
    from tests.conftest import ROOT

    return subprocess.run(
        ["make", "-o", ".venv/.installed", "-o", "node_modules/.installed", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_make_alone_lists_every_target_with_one_line():
    from tests.conftest import ROOT

    run = _make()
    assert run.returncode == 0
    phony = (ROOT / "Makefile").read_text().split(".PHONY:")[1].split("\n\n")[0]
    for target in phony.replace("\\", " ").split():
        [line] = [ln for ln in run.stdout.splitlines() if ln.split()[1:2] == [target]]
        assert len(line.split()) > 3, line  # a description follows the name


def test_make_destroy_never_waits_for_a_terminal():
    run = _make("-n", "destroy")
    assert run.returncode == 0 and "destroy --all --force" in run.stdout
