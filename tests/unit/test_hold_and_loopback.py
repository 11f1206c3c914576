"""The pure rules behind two lines `check` prints: why a stored alert is still open
(decide/hold.py), and a loopback base URL nothing answers on (decide/loopback.py)."""

from __future__ import annotations

import pytest

from functions.monitor.decide.hold import alert_hold
from functions.monitor.decide.hysteresis import FLAP_CLEAN
from functions.monitor.decide.loopback import loopback_address, loopback_step
from functions.monitor.decide.state import OVERALL, MonitorState, TargetState
from functions.monitor.models import CanaryResult, CheckResult, StatusPage, Verdict


def _state(**fields) -> MonitorState:
    target = TargetState("outage", alerting=True, good_streak=fields.pop("good_streak", 0))
    return MonitorState(targets={OVERALL: target}, **fields)


def test_no_open_alert_means_nothing_to_show():
    assert alert_hold(MonitorState(), 2, "operational") is None
    closed = MonitorState(targets={OVERALL: TargetState("operational")})
    assert alert_hold(closed, 2, "operational") is None


@pytest.mark.parametrize(
    ("fields", "verdict", "ran", "reason", "left"),
    [
        ({}, "outage", True, "still_bad", 2),
        ({"good_streak": 1}, "operational", True, "recovering", 1),
        # three openings/closings lately: the closing cycle starts a flap hold
        ({"good_streak": 1, "cycle_no": 20, "flips": [15, 17, 19]}, "operational", True,
         "recovering", FLAP_CLEAN - 1),
        # the same changes long ago have slid out of the window by the closing cycle
        ({"good_streak": 1, "cycle_no": 60, "flips": [15, 17, 19]}, "operational", True,
         "recovering", 1),
        ({"flapping": True, "clean_streak": 5, "good_streak": 1}, "operational", True,
         "flapping", FLAP_CLEAN - 5),
        ({"flapping": True, "clean_streak": 0}, "outage", True, "flapping", FLAP_CLEAN + 1),
        ({"canary_alert": True}, "operational", False, "canaries_not_run", 2),
    ],
)  # fmt: skip
def test_an_open_alert_says_why_and_how_many_good_cycles_close_it(
    fields, verdict, ran, reason, left
):
    hold = alert_hold(_state(**fields), 2, verdict, canaries_ran=ran)
    assert hold is not None
    assert (hold.reason, hold.good_cycles_to_close) == (reason, left)
    assert f"{left} more good cycle" in hold.why


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("http://127.0.0.1:8765", "127.0.0.1:8765"),
        ("http://localhost:9000/prefix", "localhost:9000"),
        ("https://127.0.0.2", "127.0.0.2:443"),
        ("http://[::1]:8765", "[::1]:8765"),
        ("https://api.anthropic.com", None),
        ("http://10.0.0.5:8765", None),
    ],
)
def test_a_loopback_base_url_is_named_with_its_port(url, address):
    assert loopback_address(url) == address


def _network(page_error: str | None, error_type: str | None) -> CheckResult:
    page = StatusPage(reachable=page_error is None, error=page_error)
    canary = CanaryResult("m", "network_error", error_type=error_type, attempts=3)
    return CheckResult("t", Verdict("network_error", "x"), page, [canary])


def test_refused_on_loopback_names_the_address_and_the_simulator():
    result = _network("status page unreachable (127.0.0.1): ConnectError: refused", "ConnectError")
    step = loopback_step(result, "http://127.0.0.1:8765", "http://127.0.0.1:8765")
    assert step is not None and step.startswith("Nothing answers on 127.0.0.1:8765:")
    assert "`make simulate`" in step


def test_anything_but_a_refusal_on_loopback_keeps_the_network_advice():
    local = "http://127.0.0.1:8765"
    # a timeout is not "nothing answers"; a remote host is not this machine
    assert loopback_step(_network(None, "connect_timeout"), local, local) is None
    remote = "https://api.anthropic.com"
    assert loopback_step(_network(None, "ConnectError"), remote, remote) is None
    result = _network(None, "ConnectError")
    result.verdict = Verdict("outage", "x")
    assert loopback_step(result, local, local) is None
