"""Shared fixtures: the simulator on loopback and a way to run the real command line."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from functions.simulator.server import Simulator
from tests.aws_support import FaultProxy, MotoServer

ROOT = Path(__file__).resolve().parent.parent
SECRET = "sk-ant-test-SECRET-never-print-0123456789"


@pytest.fixture(scope="session")
def sim() -> Iterator[Simulator]:
    with Simulator() as server:
        yield server


@pytest.fixture(scope="session")
def moto_server():
    """One moto server process for the session, and a fault proxy in front of it."""
    server = MotoServer().start()
    proxy = FaultProxy(server.port)
    yield server, proxy
    proxy.stop()
    server.stop()


@pytest.fixture
def healthy_sim(sim: Simulator) -> Simulator:
    sim.set("healthy")
    return sim


def sim_env(sim: Simulator, tmp_path: Path, **extra: str) -> dict[str, str]:
    """Environment pointing the monitor at the simulator, with fast retries."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ANTHROPIC_", "AWS_", "TABLE_", "TOPIC_", "CANARY_", "STATUS_"))
    }
    env.update(
        STATUS_PAGE_URL=sim.url,
        ANTHROPIC_BASE_URL=sim.url,
        ANTHROPIC_API_KEY=SECRET,
        CANARY_RETRY_BASE_SECONDS="0.01",
        CHECK_DEADLINE_SECONDS="10",
        LOCAL_DB_PATH=str(tmp_path / "state.sqlite3"),
        NO_COLOR="1",
        # One request per model per cycle: these tests count requests and retries;
        # the tests of sampling (test_sampling.py) set CANARY_SAMPLES themselves.
        CANARY_SAMPLES="1",
    )
    env.update(extra)
    return env


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> dict:
        return json.loads(self.stdout)


def run_cli(*args: str, env: dict[str, str], timeout: float = 60) -> Run:
    proc = subprocess.run(
        [sys.executable, "-m", "functions.monitor", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def closed_port() -> int:
    """A loopback port nothing listens on: connections are refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
