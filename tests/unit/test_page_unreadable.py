"""The status page's target reads "unreadable" when the page could not be read, as the
verdict's summary says ("could not be read"), whether nothing answered or an HTML page
did; a state stored by a release that called it "unreachable" carries over without a
transition between the two names."""

from __future__ import annotations

import json

from functions.monitor.decide.state import MonitorState, Stored
from functions.monitor.decide.verdict import decide
from functions.monitor.models import CanaryResult, CheckResult, StatusPage
from functions.monitor.plan import plan_cycle
from tests.unit.test_signal import CONFIG, MODEL, at

HTML = StatusPage(False, error="status page answered text/html, not JSON")


def _cycle(stored: Stored, minute: int):
    canaries = [CanaryResult(MODEL, "ok", requests=1, failed_requests=0)]
    result = CheckResult(at(minute), decide(HTML, canaries), HTML, canaries)
    plan = plan_cycle(stored, result, CONFIG, 1000.0 + 60 * minute)
    return result, plan, Stored(plan.state, stored.version + 1, {})


def test_given_an_html_page_then_the_transition_and_the_summary_agree():
    # Given: canaries pass and the status page answers HTML for several cycles
    stored = Stored(MonitorState(), 0, {})
    moved, summaries = [], set()
    for minute in range(1, 5):
        result, plan, stored = _cycle(stored, minute)
        moved += [(t.from_, t.to) for t in plan.transitions if t.target == "status_page"]
        summaries.add(result.verdict.summary)
    # Then: the target moves to "unreadable", the word the summary uses
    assert moved == [("operational", "unreadable")]
    assert all("could not be read" in s for s in summaries)


def test_given_a_state_stored_as_unreachable_then_an_upgrade_records_no_transition():
    # Given: the previous release's stored state, the page target alerting as
    # "unreachable" (its name for the same thing)
    old = {
        "targets": {
            "status_page": {"reported": "unreachable", "alerting": True, "bad_streak": 5},
            "overall": {"reported": "operational"},
        }
    }
    state, problems = MonitorState.parse(json.dumps(old))
    assert problems == [] and state.targets["status_page"].reported == "unreadable"
    # When: this release keeps seeing an unreadable page
    stored = Stored(state, 1, {})
    transitions = []
    for minute in range(1, 6):
        _, plan, stored = _cycle(stored, minute)
        transitions += [t for t in plan.transitions if t.target == "status_page"]
    # Then: nothing moves, and the alert stays open under the new name
    assert transitions == []
    page = stored.state.targets["status_page"]
    assert page.alerting and page.reported == "unreadable"
