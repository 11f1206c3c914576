"""Usage errors name the bad value: a negative `--since` or `--for` is read as that
command's value (not as an unknown option), and `cost --regions` takes only the
regions the stack would deploy."""

from __future__ import annotations

import os

import pytest

from functions.monitor.cli.parser import EXIT_USAGE, build_parser
from tests.conftest import run_cli


def usage_error(capsys, *args: str) -> str:
    with pytest.raises(SystemExit) as stop:
        build_parser().parse_args(list(args))
    assert stop.value.code == EXIT_USAGE
    return capsys.readouterr().err


@pytest.mark.parametrize(
    "args",
    [
        ("report", "--since", "-3d"),
        ("history", "--since", "-3d"),
        ("mute", "--for", "-1h", "--reason", "x"),
    ],
)
def test_given_a_negative_window_then_one_line_names_it_not_a_missing_argument(tmp_path, args):
    # Given a window with a minus sign, when the command runs
    env = {**os.environ, "LOCAL_DB_PATH": str(tmp_path / "s.sqlite3")}
    env.pop("TABLE_NAME", None)
    run = run_cli(*args, env=env)
    # Then it is a usage error about that value, in one line: never "expected one
    # argument" beside a usage block
    assert run.code == EXIT_USAGE
    assert "expected one argument" not in run.stderr
    assert args[2] in run.stderr and len(run.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("regions", ["nope", "us-east-1,us-east-1", "us-east-1,EU-WEST-1"])
def test_given_regions_the_stack_would_refuse_then_cost_is_a_usage_error(capsys, regions):
    error = usage_error(capsys, "cost", "--regions", regions)
    assert "--regions" in error


def test_given_a_fleet_then_cost_takes_it():
    args = build_parser().parse_args(["cost", "--regions", "us-east-1, eu-west-1,ap-southeast-2"])
    assert args.regions.replace(" ", "") == "us-east-1,eu-west-1,ap-southeast-2"


@pytest.mark.parametrize(
    "args",
    [("--samples", "0"), ("--samples", "11"), ("--samples", "99999999999999999999"),
     ("--burst", "0"), ("--burst", "11")],
)  # fmt: skip
def test_given_samples_or_burst_the_monitor_refuses_then_cost_refuses_them_too(capsys, args):
    # CANARY_SAMPLES and CANARY_BURST are 1 to 10 (config.py): `cost --samples 0`
    # priced 2 samples, and 99999999999999999999 priced a bill no deployment runs
    error = usage_error(capsys, "cost", *args)
    assert args[0] in error
