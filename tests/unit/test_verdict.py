"""The verdict table of the contract, row by row, first matching rule wins."""

import pytest

from functions.monitor.decide.verdict import NEXT_STEP, decide, next_step
from functions.monitor.models import SEVERITY, CanaryResult, Incident, StatusPage

API = "Claude API (api.anthropic.com)"


def page(api_status="operational", incident=False, maintenance=False, reachable=True):
    if not reachable:
        return StatusPage(reachable=False, error="status page answered HTTP 503")
    incidents = (
        # As the reader builds it: an incident on the API component confirms "api".
        [Incident("i1", "Errors", "investigating", "major", None, [API], None, confirms=["api"])]
        if incident
        else []
    )
    return StatusPage(
        reachable=True,
        api_status=api_status,
        incidents=incidents,
        api_incident=incident,
        api_maintenance=maintenance,
        components=[{"name": API, "status": api_status}],
    )


def c(*outcomes):
    return [CanaryResult(model=f"m{i}", outcome=o) for i, o in enumerate(outcomes)]


ROWS = [
    # client_error beats everything, even an outage on the page
    (page("major_outage", incident=True), c("auth_error"), "client_error"),
    (page(), c("ok", "model_not_found"), "client_error"),
    (page(), c("spend_limit"), "client_error"),
    (page(), c("permission_error"), "client_error"),
    (page(), c("invalid_request"), "client_error"),
    (page(), c("request_too_large"), "client_error"),
    # rate_limited
    (page("major_outage"), c("rate_limited", "overloaded"), "rate_limited"),
    # maintenance: by component status or by an in-progress maintenance; failures expected
    (page("under_maintenance"), c("overloaded"), "maintenance"),
    (page("operational", maintenance=True), c("ok"), "maintenance"),
    # outage: page confirms and a canary failed with a platform or network error
    (page("major_outage"), c("overloaded"), "outage"),
    (page("partial_outage"), c("timeout"), "outage"),
    (page("degraded_performance"), c("server_error"), "outage"),
    (page("operational", incident=True), c("stream_error"), "outage"),
    (page("major_outage"), c("network_error"), "outage"),
    (page("major_outage"), c("bad_response"), "outage"),
    (page("major_outage"), c("intercepted"), "outage"),
    # outage: no canary ran and the component is partial/major outage
    (page("major_outage"), c("skipped"), "outage"),
    (page("partial_outage"), [], "outage"),
    # network_error: no canary reached the API
    (page(), c("network_error", "network_error"), "network_error"),
    (page(reachable=False), c("network_error"), "network_error"),
    (page(reachable=False), c("skipped"), "network_error"),
    (page(), c("intercepted"), "network_error"),
    (page(), c("intercepted", "network_error"), "network_error"),
    (page(reachable=False), c("intercepted"), "network_error"),
    # unconfirmed_outage: platform error, page operational or unreadable
    (page(), c("overloaded"), "unconfirmed_outage"),
    (page(reachable=False), c("server_error"), "unconfirmed_outage"),
    (page(), c("ok", "timeout"), "unconfirmed_outage"),
    (page(), c("bad_response"), "unconfirmed_outage"),
    # degraded
    (page(), c("slow"), "degraded"),
    (page("degraded_performance"), c("ok"), "degraded"),
    (page("major_outage", incident=True), c("ok"), "degraded"),
    (page("operational", incident=True), c("ok"), "degraded"),
    (page("investigating_weirdly"), c("ok"), "degraded"),
    (page("degraded_performance"), c("skipped"), "degraded"),
    (page(None), c("ok"), "degraded"),
    (page(reachable=False), c("slow"), "degraded"),
    (page(), c("ok", "network_error"), "degraded"),
    (page(), c("ok", "intercepted"), "degraded"),
    # operational
    (page(), c("ok"), "operational"),
    (page(), c("skipped"), "operational"),
    # every canary passes and the page is unreadable: operational, wakes nobody
    (page(reachable=False), c("ok"), "operational"),
    (page(reachable=False), c("ok", "ok"), "operational"),
    (page(), c("ok", "ok", "ok"), "operational"),
]


@pytest.mark.parametrize(("status_page", "canaries", "expected"), ROWS)
def test_verdict_table_row(status_page, canaries, expected):
    verdict = decide(status_page, canaries)
    assert verdict.verdict == expected, verdict.summary
    assert verdict.summary and "\n" not in verdict.summary


def test_every_verdict_has_a_severity_and_a_next_step():
    assert set(SEVERITY) == set(NEXT_STEP)
    assert set(SEVERITY.values()) == {"ok", "warning", "critical", "unknown"}


def test_an_unreadable_page_is_never_read_as_operational():
    # Given no canary passed, an unreadable page never yields operational.
    for canaries in (c("skipped"), [], c("server_error"), c("network_error")):
        assert decide(page(reachable=False), canaries).verdict != "operational"


def test_given_canaries_pass_and_the_page_is_unreadable_then_the_summary_says_so():
    verdict = decide(page(reachable=False), c("ok"))
    assert verdict.verdict == "operational"
    assert "status page could not be read" in verdict.summary


def text_incident(*confirms):
    return Incident(
        "t1",
        "Elevated errors",
        "investigating",
        "none",
        None,
        [],
        None,
        None,
        confirms=list(confirms),
    )


def confirming_page(*confirms):
    return StatusPage(
        reachable=True,
        api_status="operational",
        incidents=[text_incident(*confirms)],
        components=[{"name": API, "status": "operational"}],
    )


# The outage row's "incident naming the failing model or the API in its text", and the
# degraded row's error-rate window: one case per branch.
ROWS_ADDED = [
    (confirming_page("m0"), c("overloaded"), "outage"),
    (confirming_page("api"), c("timeout"), "outage"),
    (confirming_page("m1"), c("server_error", "ok"), "unconfirmed_outage"),
    (confirming_page(), c("server_error"), "unconfirmed_outage"),
    (confirming_page(), c("ok"), "operational"),
    (confirming_page("m0"), c("ok"), "degraded"),
    (confirming_page("m0"), c("auth_error"), "client_error"),
    (confirming_page("m0"), c("rate_limited"), "rate_limited"),
]


@pytest.mark.parametrize(("status_page", "canaries", "expected"), ROWS_ADDED)
def test_incident_text_rows(status_page, canaries, expected):
    assert decide(status_page, canaries).verdict == expected


def test_given_intercepted_answers_then_summary_and_next_step_name_the_middlebox():
    for canaries in (c("intercepted"), c("intercepted", "network_error"), c("ok", "intercepted")):
        verdict = decide(page(), canaries)
        wanted = "a proxy, captive portal or firewall answered instead of the API"
        assert wanted in verdict.summary
        assert wanted in next_step(verdict)


def test_given_no_key_then_no_wording_claims_the_api_was_unreachable():
    for status_page in (page(reachable=False), page(), page("major_outage")):
        verdict = decide(status_page, c("skipped"))
        said = verdict.summary + " " + next_step(verdict)
        assert "could not be reached" not in said, said
    assert "No API request was made" in next_step(decide(page(reachable=False), c("skipped")))


def test_given_an_open_partial_outage_score_then_operational_or_degraded_becomes_degraded():
    # Given a model whose partial-outage score is open (decide/score.py)
    window = {"cycles": 15, "requests": 31, "failed": 9, "open": True, "score": 9.5}
    canaries = [CanaryResult("m0", "ok", window=window)]
    assert decide(page(), canaries, 0.05).verdict == "degraded"
    assert decide(page("degraded_performance"), canaries, 0.05).verdict == "degraded"
    assert decide(page(reachable=False), canaries, 0.05).verdict == "degraded"


def test_given_no_key_then_an_incident_naming_a_monitored_model_still_makes_it_degraded():
    # Given no canary ran (no key) and an incident whose text names the monitored model
    named = Incident(
        "i2",
        "Elevated errors on Claude Haiku 5.5",
        "investigating",
        "none",
        None,
        [],
        None,
        confirms=["claude-haiku-5-5"],
    )
    other = Incident("i3", "claude.ai login", "investigating", "minor", None, ["claude.ai"], None)
    status = StatusPage(
        reachable=True,
        api_status="operational",
        incidents=[named, other],
        components=[{"name": API, "status": "operational"}],
    )
    skipped = [CanaryResult(model="claude-haiku-5-5", outcome="skipped")]
    verdict = decide(status, skipped)
    # Then it is degraded, as with a passing canary, and only that incident is named
    assert verdict.verdict == "degraded"
    assert "Claude Haiku 5.5" in verdict.summary and "claude.ai login" not in verdict.summary


def test_given_a_403_block_page_then_the_step_names_the_firewall_not_the_key():
    # Given a canary stopped by a 403 block page before the API (classified intercepted)
    blocked = CanaryResult("m0", "intercepted", http_status=403)
    # When the verdict is decided, alone or beside a passing canary
    alone = decide(page(), [blocked])
    beside = decide(page(), [blocked, CanaryResult("m1", "ok")])
    # Then it is the network path, and the step names a firewall, gateway or region
    # block, never the API key
    assert alone.verdict == "network_error" and beside.verdict == "degraded"
    for verdict in (alone, beside):
        step = next_step(verdict)
        assert "secure web gateway" in step and "region" in step
        assert "check the API key" not in step
    # And an intercepted answer of another kind keeps the proxy step
    portal = decide(page(), [CanaryResult("m0", "intercepted", http_status=302)])
    assert "captive portal" in next_step(portal)
