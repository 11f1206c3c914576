"""The failover table end to end: `check --json` against both loopback simulators.

The status page and Messages API fake on one port, the Bedrock Converse fake on
another, reached by boto3 through AWS_ENDPOINT_URL_BEDROCK_RUNTIME.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from functions.monitor.decide.failover import BEDROCK_ONLY, FAIL_OVER, FAILING_EVERYWHERE
from functions.simulator.bedrock import BedrockSimulator
from tests.conftest import run_cli, sim_env

MODEL = "claude-haiku-4-5"
PROFILE = "us.anthropic.claude-haiku-4-5-20251001-v1:0"


@pytest.fixture(scope="module")
def bsim() -> Iterator[BedrockSimulator]:
    with BedrockSimulator(slow_s=0.3, hang_s=30) as server:
        yield server


def env_for(sim, bsim, tmp_path, **extra):
    settings = {
        "CANARY_MODELS": MODEL,
        "BEDROCK_MODELS": f"{MODEL}={PROFILE}",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": bsim.url,
    }
    return sim_env(sim, tmp_path, **{**settings, **extra})


# (API scenario, Bedrock scenario) -> (verdict, failover step or None, exit code)
TABLE = {
    ("server_error", "ok"): ("unconfirmed_outage", FAIL_OVER, 2),
    ("server_error", "unavailable"): ("unconfirmed_outage", FAILING_EVERYWHERE, 2),
    ("healthy", "unavailable"): ("operational", BEDROCK_ONLY, 0),
    ("healthy", "ok"): ("operational", None, 0),
}


@pytest.mark.parametrize(("api", "bedrock"), sorted(TABLE))
def test_given_both_paths_when_checked_then_verdict_and_next_step_follow_the_table(
    sim, bsim, tmp_path, api, bedrock
):
    # Given: the API fake and the Bedrock fake in this combination
    sim.set(api)
    bsim.set(bedrock)
    verdict, step, code = TABLE[(api, bedrock)]
    # When: one full check runs through the command line
    run = run_cli("check", "--json", env=env_for(sim, bsim, tmp_path))
    # Then: the verdict is the API's own, the failover step follows the table
    assert run.code == code, run.stderr
    data = run.json
    assert data["verdict"] == verdict
    assert [b["model"] for b in data["bedrock"]] == [MODEL]
    assert data["bedrock"][0]["model_id"] == PROFILE
    assert data["bedrock"][0]["outcome"] == ("ok" if bedrock == "ok" else "server_error")
    assert data["failover"] == ({MODEL: step} if step else {})
    if step in (FAIL_OVER, FAILING_EVERYWHERE):
        assert step in data["summary"]
    if step == BEDROCK_ONLY:
        assert "note: " + BEDROCK_ONLY in data["summary"]
    assert bsim.requests and bsim.requests[-1]["model_id"] == PROFILE


def test_given_api_failing_and_bedrock_passing_then_the_table_says_fail_over_first(
    sim, bsim, tmp_path
):
    # Given: API failing, Bedrock passing; When: the table is printed
    sim.set("server_error")
    bsim.set("ok")
    run = run_cli("check", env=env_for(sim, bsim, tmp_path))
    # Then: the next step starts with the failover step and Bedrock has its own row
    out = " ".join(run.stdout.split())
    assert "Next step: " + FAIL_OVER in out
    assert all(len(line) <= 80 for line in run.stdout.splitlines())
    assert any(line.startswith("bedrock") for line in run.stdout.splitlines())


def test_given_bedrock_access_denied_when_api_fails_then_it_is_not_called_model_level(
    sim, bsim, tmp_path
):
    sim.set("server_error")
    bsim.set("access_denied")
    run = run_cli("check", "--json", env=env_for(sim, bsim, tmp_path))
    step = run.json["failover"][MODEL]
    assert "check its access" in step and step != FAILING_EVERYWHERE


def test_given_bedrock_hangs_when_checked_then_the_cycle_ends_within_its_deadline(
    sim, bsim, tmp_path
):
    # Given: Bedrock never answers (hang 30 s) and a 4 s deadline
    sim.set("healthy")
    bsim.set("hang")
    started = time.monotonic()
    run = run_cli("check", "--json", env=env_for(sim, bsim, tmp_path, CHECK_DEADLINE_SECONDS="4"))
    # Then: the check returns within the deadline (+1 s to start Python), Bedrock timed out,
    # and the verdict is still the API's
    assert time.monotonic() - started < 4 + 3
    data = run.json
    assert data["verdict"] == "operational"
    assert data["bedrock"][0]["outcome"] == "timeout"
    assert data["failover"] == {MODEL: BEDROCK_ONLY}


def test_given_bedrock_failing_for_cycles_then_history_shows_its_target(sim, bsim, tmp_path):
    # Given: Bedrock failing three cycles in a row while the API answers
    sim.set("healthy")
    bsim.set("unavailable")
    env = env_for(sim, bsim, tmp_path)
    for _ in range(3):
        run = run_cli("check", "--json", env=env)
    # Then: the bedrock target transitioned, nobody was woken, history shows it
    assert run.json["notifications"] == []
    history = run_cli("history", "--json", env=env).json
    assert any(t["target"] == f"bedrock:{MODEL}" for t in history["transitions"])
    assert history["availability"][f"bedrock:{MODEL}"] == 0.0
    assert history["timeline"][f"bedrock:{MODEL}"].endswith("!!!")
    text = run_cli("history", env=env).stdout
    assert f"bedrock:{MODEL}" in text


def test_given_bedrock_alerts_when_bedrock_fails_then_people_are_woken(sim, bsim, tmp_path):
    sim.set("healthy")
    bsim.set("unavailable")
    env = env_for(sim, bsim, tmp_path, BEDROCK_ALERTS="true")
    runs = [run_cli("check", "--json", env=env) for _ in range(2)]
    [note] = runs[-1].json["notifications"]
    assert "Amazon Bedrock" in note["subject"] and MODEL in note["subject"]
    assert runs[-1].json["verdict"] == "operational"


def test_simulate_starts_the_bedrock_fake_and_prints_its_endpoint(tmp_path):
    # Given: `simulate` started as people start it
    import os
    import re
    import subprocess
    import sys

    from tests.conftest import ROOT, closed_port

    port = closed_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "functions.monitor", "simulate", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        printed = [proc.stdout.readline() for _ in range(6)]
        # Then: it prints the endpoint boto3 reads (shell lines joined by backslashes,
        # to fit 80 columns), and a check using the printed variables reaches both fakes
        assert all(len(p.rstrip("\n")) <= 80 for p in printed), printed
        assigned = dict(re.findall(r"([A-Z_]+)=(\S+)", "".join(printed)))
        assert assigned["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"].startswith("http://127.0.0.1:")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ANTHROPIC_"))}
        env.update(
            assigned,
            STATUS_PAGE_URL=f"http://127.0.0.1:{port}",
            ANTHROPIC_BASE_URL=f"http://127.0.0.1:{port}",
            ANTHROPIC_API_KEY="sim-key",
            LOCAL_DB_PATH=str(tmp_path / "s.sqlite3"),
        )
        run = run_cli("check", "--json", env=env)
        assert run.code == 0, run.stderr
        assert run.json["bedrock"][0]["outcome"] == "ok"
        assert run.json["bedrock"][0]["request_id"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_a_bedrock_answer_echoing_the_session_token_never_reaches_output_or_store(
    sim, bsim, tmp_path
):
    # Given: role-like credentials, and a Bedrock endpoint that echoes the request's
    # X-Amz-Security-Token (and Authorization) in its error message
    token = "IQoJb3JpZ2luX2VjEXAMPLEsessionTOKEN" + "a1B2c3D4" * 40
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    sim.set("healthy")
    bsim.set("reflect_credentials")
    env = env_for(sim, bsim, tmp_path, AWS_SESSION_TOKEN=token, AWS_SECRET_ACCESS_KEY=secret)
    # When: checked, then history read
    run = run_cli("check", "--json", env=env)
    table = run_cli("check", env=env)
    # Then: the probe is a server error, and no part of the token or key is anywhere
    assert run.json["bedrock"][0]["outcome"] == "server_error"
    detail = run.json["bedrock"][0]["detail"]
    assert "[redacted]" in detail and "\x1b" not in detail and "\n" not in detail
    stored = (tmp_path / "state.sqlite3").read_bytes().decode("latin-1")
    for text in (run.stdout, run.stderr, table.stdout, table.stderr, stored):
        assert token[:40] not in text and token[-40:] not in text
        assert secret not in text


def test_with_dynamodb_a_steady_cycle_with_bedrock_still_makes_two_requests(
    sim, bsim, tmp_path, aws, monkeypatch
):
    # Given: DynamoDB and SNS (moto behind the counting proxy) and Bedrock (its fake)
    import json as jsonlib

    from functions.monitor.config import load_config
    from functions.monitor.observe import bedrock as bedrock_module
    from functions.monitor.wiring import build_cycle
    from tests.integration.test_aws import at, items

    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", bsim.url)
    bedrock_module.bedrock_client.cache_clear()
    sim.set("healthy")
    bsim.set("unavailable")
    env = env_for(sim, bsim, tmp_path, TABLE_NAME=aws.table, TOPIC_ARN=aws.topic_arn)
    config = load_config(env)
    cycle = build_cycle(config)
    cycle.run(config.api_key, at(0))
    cycle.run(config.api_key, at(1))  # the bedrock target transitions here
    aws.proxy.calls.clear()
    # When: a steady cycle runs
    result = cycle.run(config.api_key, at(2))
    bedrock_module.bedrock_client.cache_clear()
    # Then: two DynamoDB requests, no SNS (Bedrock wakes nobody), Bedrock in the record
    services = [service for service, _ in aws.proxy.calls]
    assert services.count("dynamodb") == 2 and "sns" not in services
    assert result.bedrock[0].outcome == "server_error"
    [cycle_item] = [i for i in items(aws, "CYCLE") if i["sk"]["S"] == result.cycle_id]
    record = jsonlib.loads(cycle_item["record"]["S"])
    assert record["bedrock"][0]["outcome"] == "server_error"
    assert record["failover"] == {MODEL: BEDROCK_ONLY}
    moved = [i["target"]["S"] for i in items(aws, "TRANSITION")]
    assert f"bedrock:{MODEL}" in moved


def test_given_bedrock_unreachable_when_checked_at_80_columns_then_the_table_fits(
    sim, bsim, tmp_path
):
    # Given: nothing listens where Bedrock should be (botocore's message carries the
    # whole endpoint URL, model path included: longer than a line)
    from tests.conftest import closed_port

    sim.set("healthy")
    env = env_for(sim, bsim, tmp_path, COLUMNS="80")
    env["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"] = f"http://127.0.0.1:{closed_port()}"
    # When: the table is printed at 80 columns
    run = run_cli("check", env=env)
    # Then: Bedrock's network_error is shown, naming the endpoint's host, in 80 columns
    assert run.code == 0, run.stderr
    assert "network_error" in run.stdout and "127.0.0.1" in run.stdout
    assert max(len(line) for line in run.stdout.splitlines()) <= 80, run.stdout
    assert run_cli("check", "--json", env=env).json["bedrock"][0]["outcome"] == "network_error"
