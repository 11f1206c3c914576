"""The answer check end to end: the command line against the simulator, the store,
the message, and what the canary sends. Over loopback, nothing mocked."""

import asyncio
import json
import re
import sqlite3

import pytest

from functions.monitor.config import load_config
from functions.monitor.probe import probe
from tests.conftest import run_cli, sim_env

WRONG = "Sure! How can I help you today?"


def stored_canaries(tmp_path):
    with sqlite3.connect(tmp_path / "state.sqlite3") as db:
        [(record,)] = db.execute("SELECT record FROM cycles").fetchall()
    return json.loads(record)["canaries"]


@pytest.mark.parametrize(
    ("scenario", "got", "why"),
    [
        ("wrong_answer", WRONG, "a different answer"),
        ("garbled", "好的", "letters outside the prompt's Latin script"),
        ("empty_text", "", "empty answer"),
    ],
)
def test_given_a_wrong_answer_when_check_json_then_expected_and_got_are_shown_and_stored(
    sim, tmp_path, scenario, got, why
):
    # Given a well-formed stream whose text is wrong
    sim.set(scenario)
    # When one check runs, as `make check-sim` runs it
    run = run_cli("check", "--json", env=sim_env(sim, tmp_path))
    data = run.json
    [canary] = data["canaries"]
    # Then it is a platform failure, tried once, with what was expected and what came
    assert (canary["outcome"], canary["attempts"], run.code) == ("wrong_answer", 1, 2)
    assert data["verdict"] == "unconfirmed_outage"
    assert canary["answer_check"] == "wrong"
    assert (canary["answer_expected"], canary["answer_got"]) == ("OK", got)
    assert (canary["answers_checked"], canary["answers_wrong"]) == (1, 1)
    assert canary["detail"] == f"{why}: expected 'OK', got {got!r}"
    assert (canary["requests"], canary["failed_requests"]) == (1, 1)
    assert sim.requests()["messages"]["claude-haiku-5-5"] == 1
    # And the stored record keeps them
    [record] = stored_canaries(tmp_path)
    assert (record["answer_check"], record["answer_expected"], record["answer_got"]) == (
        "wrong",
        "OK",
        got,
    )


def test_given_a_healthy_api_then_the_check_passes_and_the_request_is_the_runbooks(
    healthy_sim, tmp_path
):
    run = run_cli("check", "--json", env=sim_env(healthy_sim, tmp_path))
    [canary] = run.json["canaries"]
    assert (canary["outcome"], canary["answer_check"], canary["answer_got"]) == (
        "ok",
        "passed",
        "OK",
    )
    body = healthy_sim.requests()["last"]["body"]
    assert body["messages"] == [{"role": "user", "content": "Reply with OK"}]
    assert body["max_tokens"] == 1


def test_given_a_model_that_always_thinks_then_its_check_is_skipped_and_says_why(
    healthy_sim, tmp_path
):
    # Given the default model and Opus 5.5 (adaptive thinking always on)
    env = sim_env(healthy_sim, tmp_path, CANARY_MODELS="claude-haiku-5-5,claude-opus-5-5")
    run = run_cli("check", "--json", env=env)
    haiku, opus = run.json["canaries"]
    # Then the default model is checked, Opus is probed the usual way and says why not
    assert haiku["answer_check"] == "passed"
    assert opus["outcome"] == "ok"
    assert opus["answer_check"].startswith("skipped: adaptive thinking is always on")
    assert opus["answers_checked"] == 0


def test_given_the_check_turned_off_then_the_canary_says_hi_and_judges_nothing(sim, tmp_path):
    # Given ANSWER_CHECK_EVERY=0 and an API whose answers are all wrong
    sim.set("wrong_answer")
    run = run_cli("check", "--json", env=sim_env(sim, tmp_path, ANSWER_CHECK_EVERY="0"))
    [canary] = run.json["canaries"]
    # Then the stream alone decides, as before the check existed
    assert (canary["outcome"], canary["answer_check"]) == ("ok", "skipped: ANSWER_CHECK_EVERY=0")
    assert sim.requests()["last"]["body"]["messages"][0]["content"] == "Hi"


def test_given_a_bad_answer_check_every_then_one_line_names_it(healthy_sim, tmp_path):
    run = run_cli("check", env=sim_env(healthy_sim, tmp_path, ANSWER_CHECK_EVERY="-1"))
    assert run.code == 3
    assert run.stderr.strip().count("\n") == 0 and "ANSWER_CHECK_EVERY" in run.stderr


def test_given_one_wrong_answer_among_a_burst_then_the_canary_passes_and_counts_it(sim, tmp_path):
    # Given three samples asking the question, every answer wrong at random odds of 1
    # in 2 (seeded: the draws below are fixed)
    sim.set("healthy")
    sim.update(wrong_rate=0.5, wrong_seed=3)
    config = load_config(sim_env(sim, tmp_path))
    result = asyncio.run(probe(config, config.api_key, samples={"claude-haiku-5-5": 3}))
    [canary] = result.canaries
    # Then a right answer makes the canary pass; each wrong one is one failed request
    assert canary.outcome == "ok"
    assert canary.answers_checked == 3 and 1 <= canary.answers_wrong <= 2
    assert canary.failed_requests == canary.answers_wrong
    assert canary.requests == 3 and canary.answer_check == "wrong"
    assert canary.answer_got == WRONG


def test_given_a_wrong_answer_then_the_message_shows_expected_and_got(sim, tmp_path):
    # Given every answer wrong for two cycles in a row (FAILURE_THRESHOLD)
    sim.set("wrong_answer")
    env = sim_env(sim, tmp_path)
    run_cli("check", env=env)
    run = run_cli("check", env=env)
    # Then the notification printed locally says what was expected and what came back
    # (the second cycle sends the burst: every sample asks, every one is wrong); the
    # printed block wraps to 80 columns, so its words are compared, not its lines
    shown = re.search(
        r"answer check: (\d+) of (\d+) answers wrong: expected 'OK', got (.*?) Next",
        " ".join(run.stderr.split()),
    )
    assert shown is not None, run.stderr
    assert shown.group(1) == shown.group(2) and int(shown.group(1)) > 1
    assert shown.group(3).strip().startswith(repr(WRONG)[:20])
    assert "retrying does not help" in " ".join((run.stdout + run.stderr).split())
