"""The status page parser: real pages, odd pages, broken pages. It never raises."""

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from functions.monitor.simulator import API_COMPONENT, Page, summary_json
from functions.monitor.statuspage import parse_summary

API = (API_COMPONENT,)


def parse(data) -> object:
    return parse_summary(json.dumps(data).encode(), API)


def test_given_a_healthy_page_when_parsed_then_api_is_operational_and_groups_are_skipped():
    page = parse(summary_json(Page()))
    assert page.reachable and page.error is None
    assert page.api_status == "operational"
    assert page.indicator == "none"
    names = [c["name"] for c in page.components]
    assert API_COMPONENT in names
    assert "Claude" not in names  # the group is a container, not a component
    assert page.incidents == [] and page.maintenances == []


def test_given_an_incident_on_the_api_when_parsed_then_it_is_kept_with_link_and_update():
    page = parse(summary_json(Page("major_outage", incident="major")))
    assert page.api_status == "major_outage"
    assert page.api_incident
    [incident] = page.incidents
    assert incident.impact == "major" and incident.status == "investigating"
    assert incident.shortlink.startswith("https://")
    assert API_COMPONENT in incident.components
    assert incident.latest_update == "We are investigating elevated error rates."


def test_given_resolved_incidents_and_future_maintenance_then_neither_counts():
    data = summary_json(Page(incident="minor", maintenance=True))
    data["incidents"][0]["status"] = "resolved"
    data["scheduled_maintenances"][0]["status"] = "scheduled"
    page = parse(data)
    assert page.incidents == [] and not page.api_incident
    assert page.maintenances == [] and not page.api_maintenance


def test_given_an_in_progress_maintenance_on_the_api_then_it_is_flagged():
    page = parse(summary_json(Page("under_maintenance", maintenance=True)))
    assert page.api_maintenance and page.api_status == "under_maintenance"


def test_given_incident_on_another_component_then_it_is_reported_but_not_attributed():
    data = summary_json(Page(incident="minor"))
    data["incidents"][0]["components"] = [{"name": "claude.ai"}]
    data["incidents"][0]["incident_updates"][0]["affected_components"] = None
    page = parse(data)
    assert len(page.incidents) == 1 and not page.api_incident


def test_given_a_page_without_incidents_or_maintenances_and_with_nulls_then_it_still_parses():
    page = parse(summary_json(Page(mode="minimal")))
    assert page.reachable and page.api_status == "operational"
    assert page.indicator is None and page.incidents == []


def test_given_unknown_status_values_then_they_are_kept_not_read_as_operational():
    data = summary_json(Page("investigating_weirdly"))
    data["status"]["indicator"] = "purple"
    page = parse(data)
    assert page.api_status == "investigating_weirdly"
    assert page.indicator == "purple"


def test_given_two_matching_components_then_the_worst_status_wins():
    data = summary_json(Page())
    data["components"].append(
        {"name": "Claude API (api.anthropic.com)", "status": "partial_outage"}
    )
    assert parse(data).api_status == "partial_outage"


def test_given_the_api_component_is_missing_then_api_status_is_none():
    page = parse_summary(json.dumps(summary_json(Page())).encode(), ("No such component",))
    assert page.reachable and page.api_status is None


def test_given_unreadable_bodies_then_each_is_unreachable_with_a_one_line_error():
    full = json.dumps(summary_json(Page())).encode()
    cases = {
        b"": "empty",
        b"   \n": "empty",
        b"<!DOCTYPE html><html>503</html>": "HTML",
        full[: len(full) // 2]: "truncated",
        b"[1, 2]": "not an object",
        b'{"status": {}}': "no components",
    }
    for body, words in cases.items():
        page = parse_summary(body, API)
        assert not page.reachable, body
        assert page.api_status is None
        assert words in page.error and "\n" not in page.error


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=30,
)
summary_like = st.fixed_dictionaries(
    {},
    optional={
        "components": st.lists(
            st.fixed_dictionaries(
                {}, optional={"name": json_values, "status": json_values, "group": json_values}
            )
            | json_values,
            max_size=5,
        ),
        "incidents": st.lists(
            json_values
            | st.fixed_dictionaries(
                {},
                optional={
                    "status": json_values,
                    "components": json_values,
                    "incident_updates": json_values,
                    "name": json_values,
                },
            ),
            max_size=3,
        ),
        "scheduled_maintenances": json_values,
        "status": json_values,
    },
)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_property_any_bytes_never_raise(body):
    page = parse_summary(body, API)
    assert page.reachable in (True, False)
    if not page.reachable:
        assert page.error and page.api_status is None


@settings(max_examples=300, deadline=None)
@given(json_values | summary_like)
def test_property_any_json_never_raises_and_is_never_wrongly_operational(data):
    page = parse_summary(json.dumps(data).encode(), API)
    if page.api_status == "operational":
        statuses = [
            c.get("status")
            for c in data.get("components", [])
            if isinstance(c, dict) and c.get("name") == API_COMPONENT and c.get("group") is not True
        ]
        assert statuses and all(s == "operational" for s in statuses)
