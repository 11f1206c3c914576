"""What a person reads fits 80 columns and says what is true: the printed notification
(and that it was not sent), `make help`, `mute --help`, `simulate --help` with a line
for each scenario, and the simulator's banner; `--step-seconds` paces a timeline."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time

import httpx

from functions.monitor.models import Notification
from functions.monitor.tell.notifiers import ConsoleNotifier
from functions.simulator.scenarios import DESCRIPTIONS, SCENARIOS, TIMELINES
from functions.simulator.server import Simulator
from tests.conftest import ROOT, closed_port, run_cli, sim_env

COLUMNS = {"COLUMNS": "80", "NO_COLOR": "1"}


def _wide(text: str) -> list[str]:
    return [line for line in text.splitlines() if len(line) > 80]


def test_given_an_alert_locally_then_the_printed_block_fits_80_columns_and_says_not_sent(
    sim, tmp_path
):
    # Given: no TOPIC_ARN, and the API failing long enough to open an alert
    sim.set("overloaded")
    env = {**sim_env(sim, tmp_path), **COLUMNS}
    # When: the checks run as cron would run them
    runs = [run_cli("check", env=env) for _ in range(2)]
    # Then: the notification is printed, every line within 80 columns, and it says
    # that nothing went out and why
    printed = runs[1].stderr
    assert "NOTIFICATION CRITICAL" in printed
    assert "would be sent by email and SMS; TOPIC_ARN is not set" in printed
    assert _wide(printed) == [], _wide(printed)
    assert _wide(runs[1].stdout) == []


def test_a_long_notification_wraps_each_line_and_keeps_a_url_whole():
    # Given: a notification with lines far wider than a terminal, and a long URL
    url = "https://status.claude.com/incidents/" + "x" * 70
    note = Notification(
        id="n1",
        subject="CRITICAL: Claude API outage - " + "claude-haiku-5-5 overloaded 529, " * 3,
        sms="CRITICAL: " + "word " * 40,
        email="What changed:\n  " + "overall: operational -> outage " * 6 + f"\n  {url}",
        severity="critical",
        verdict="outage",
    )
    out = io.StringIO()
    # When: the console notifier prints it
    ConsoleNotifier(out).publish(note)
    # Then: every line but the URL's fits, words are kept, and the URL is whole
    lines = out.getvalue().splitlines()
    assert [line for line in lines if len(line) > 80] == [f"  {url}"]
    assert " ".join(out.getvalue().split()).count("overall: operational -> outage") == 6
    assert any(line.startswith("    ") and line[4] != " " for line in lines)  # hanging


def test_make_help_fits_80_columns_and_lists_every_target():
    run = subprocess.run(
        ["make", "-o", ".venv/.installed", "help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert run.returncode == 0 and _wide(run.stdout) == [], _wide(run.stdout)
    assert "make demo" in run.stdout and "make synth" in run.stdout


def test_mute_help_fits_and_shows_the_reason_as_required_with_for(tmp_path):
    run = run_cli("mute", "--help", env={**os.environ, **COLUMNS})
    assert run.code == 0 and _wide(run.stdout) == [], _wide(run.stdout)
    assert "--for DURATION --reason WHY" in run.stdout
    assert "required with --for" in run.stdout


def test_every_scenario_and_timeline_has_a_one_line_description():
    assert set(DESCRIPTIONS) == set(SCENARIOS) | set(TIMELINES)
    assert all(text and "\n" not in text for text in DESCRIPTIONS.values())


def test_simulate_help_describes_each_scenario_within_80_columns():
    # When: a newcomer asks the simulator what it can play, at 80 columns
    run = run_cli("simulate", "--help", env={**os.environ, **COLUMNS})
    # Then: each scenario and timeline is listed with its description, and it fits
    assert run.code == 0 and _wide(run.stdout) == [], _wide(run.stdout)
    listed = " ".join(run.stdout.split())
    for name, text in DESCRIPTIONS.items():
        assert f"{name} {text}" in listed, name
    assert "--step-seconds" in run.stdout


def test_simulate_rejects_a_step_that_is_not_a_positive_number():
    for bad in ("0", "-1", "soon", "nan"):
        run = run_cli("simulate", "--step-seconds", bad, env=dict(os.environ))
        assert run.code == 64 and "--step-seconds" in run.stderr and "Traceback" not in run.stderr


def test_the_simulator_banner_fits_80_columns_and_paces_a_timeline_by_step_seconds():
    # Given: `simulate` started on a timeline with half-second steps
    port = closed_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "functions.monitor",
            "simulate",
            "--port",
            str(port),
            "--scenario",
            "outage_timeline",
            "--step-seconds",
            "0.5",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        banner = []
        while not banner or "Ctrl-C stops" not in banner[-1]:
            banner.append(proc.stdout.readline())
            assert len(banner) < 20, banner
        # Then: the banner fits, describes the timeline and its pace, lists no scenarios
        text = "".join(banner)
        assert _wide(text) == [], _wide(text)
        assert "10 steps of 0.5 s" in text and "overloaded" not in text
        # and the timeline moves on at that pace: healthy first, 529 from step 3
        url = f"http://127.0.0.1:{port}"
        assert _canary_status(url) == 200
        time.sleep(1.2)
        assert _canary_status(url) == 529
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _canary_status(url: str) -> int:
    body = {"model": "claude-haiku-5-5", "max_tokens": 1, "messages": []}
    headers = {"x-api-key": "sim-key", "anthropic-version": "2023-06-01"}
    return httpx.post(f"{url}/v1/messages", json=body, headers=headers, timeout=10).status_code


def test_a_simulator_in_process_takes_its_step_from_the_constructor():
    # Given: the flapping timeline (healthy, overloaded, ...) with 0.5 s steps
    with Simulator(scenario="flapping", step_seconds=0.5) as sim:
        started = time.monotonic()
        # Then: healthy in its first step, overloaded in its second
        first = _canary_status(sim.url)
        time.sleep(max(0.0, started + 0.7 - time.monotonic()))
        assert (first, _canary_status(sim.url)) == (200, 529)
