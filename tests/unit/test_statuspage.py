"""The status page parser: real pages, odd pages, broken pages. It never raises."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from functions.monitor.observe.statuspage import model_key, parse_summary
from functions.simulator.scenarios import API_COMPONENT, Page
from functions.simulator.state import summary_json

API = (API_COMPONENT,)
MODELS = (
    "claude-haiku-4-5",
    "claude-haiku-5-5",
    "claude-opus-4-0",
    "claude-opus-4-1",
    "claude-opus-4-6",
    "claude-sonnet-4-5-20250929",
    "claude-3-5-haiku-20241022",
)


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
    page = parse_summary(body, API, MODELS)
    assert page.reachable in (True, False)
    if not page.reachable:
        assert page.error and page.api_status is None


@settings(max_examples=300, deadline=None)
@given(json_values | summary_like)
def test_property_any_json_never_raises_and_is_never_wrongly_operational(data):
    page = parse_summary(json.dumps(data).encode(), API, MODELS)
    for incident in page.incidents:
        assert set(incident.confirms) <= {"api", *MODELS}
    if page.api_status == "operational":
        statuses = [
            c.get("status")
            for c in data.get("components", [])
            if isinstance(c, dict) and c.get("name") == API_COMPONENT and c.get("group") is not True
        ]
        assert statuses and all(s == "operational" for s in statuses)


def incident_page(name, body=None, component="none", started_at="2026-04-19T10:02:00Z"):
    data = summary_json(Page(incident="none"))
    raw = data["incidents"][0]
    raw["name"] = name
    raw["started_at"] = started_at
    raw["incident_updates"][0]["body"] = body or "We are investigating."
    if component == "none":
        raw["components"] = []
        raw["incident_updates"][0]["affected_components"] = []
    elif component != "api":
        raw["components"] = [{"name": component}]
        raw["incident_updates"][0]["affected_components"] = [{"name": component}]
    return parse_summary(json.dumps(data).encode(), API, MODELS)


def confirms_of(name, body=None, component="none"):
    [incident] = incident_page(name, body, component).incidents
    return incident.confirms


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Elevated errors on Claude Haiku 4.5", ["claude-haiku-4-5"]),
        ("Elevated errors on Haiku 4.5.", ["claude-haiku-4-5"]),
        ("Errors for haiku-4-5 requests", ["claude-haiku-4-5"]),
        ("Errors for claude-haiku-4-5", ["claude-haiku-4-5"]),
        ("Errors for claude-haiku-4-5-20251001", ["claude-haiku-4-5"]),
        ("Elevated errors on Opus 4 and Opus 4.1", ["claude-opus-4-0", "claude-opus-4-1"]),
        ("Elevated errors on Opus 4 and 4.1", ["claude-opus-4-0", "claude-opus-4-1"]),
        ("Elevated errors on Claude Opus 4.6", ["claude-opus-4-6"]),
        ("Elevated errors on Claude Opus 4.1", ["claude-opus-4-1"]),
        ("Elevated errors on Claude Haiku 5.5", ["claude-haiku-5-5"]),
        ("Degraded Sonnet 4.5", ["claude-sonnet-4-5-20250929"]),
        ("Errors on Claude 3.5 Haiku", ["claude-3-5-haiku-20241022"]),
        (
            "Elevated errors on Claude Opus 4.x",
            ["claude-opus-4-0", "claude-opus-4-1", "claude-opus-4-6"],
        ),
        (
            "Errors on all Haiku models",
            ["claude-haiku-4-5", "claude-haiku-5-5", "claude-3-5-haiku-20241022"],
        ),
        ("Elevated errors on the API", ["api"]),
        ("Elevated errors on the Claude API", ["api"]),
        ("Elevated error rates across multiple models", ["api"]),
        ("Errors affecting all models", ["api"]),
        ("Errors on api.anthropic.com", ["api"]),
        # Never confirms: other products, other versions, nothing specific.
        ("Elevated errors on claude.ai", []),
        ("Claude Code sessions failing for all models", []),
        ("Cowork unavailable", []),
        ("Console login errors; API keys page not loading", []),
        ("Elevated errors on Claude Opus 4.5", []),
        ("Elevated errors on Claude Haiku 3", []),
        ("Elevated errors", []),
    ],
)
def test_given_an_incident_without_components_then_its_text_decides_what_it_confirms(
    name, expected
):
    assert sorted(confirms_of(name)) == sorted(expected)


def test_given_opus_4_named_then_4_1_and_4_6_are_not_confirmed():
    confirmed = confirms_of("Elevated errors on Claude Opus 4")
    assert confirmed == ["claude-opus-4-0"]


def test_given_the_latest_update_names_the_model_then_it_confirms():
    assert confirms_of("Elevated errors", "Requests to Claude Haiku 4.5 are failing.") == [
        "claude-haiku-4-5"
    ]


def test_given_a_claude_ai_incident_saying_the_api_is_fine_then_nothing_is_confirmed():
    body = "Some users see errors on claude.ai for Opus 4.6. The API is not affected."
    assert confirms_of("Elevated errors on claude.ai", body, component="claude.ai") == []


def test_given_an_incident_on_the_api_component_then_it_confirms_api_and_names():
    page = incident_page("Elevated errors on Haiku 4.5", component="api")
    assert page.api_incident
    assert page.incidents[0].confirms == ["api", "claude-haiku-4-5"]


def test_given_a_model_named_incident_without_components_then_api_incident_stays_false():
    page = incident_page("Elevated errors on Claude Haiku 4.5")
    assert not page.api_incident
    assert page.incidents[0].started_at == "2026-04-19T10:02:00Z"
    assert page.to_dict()["incidents"][0]["confirms"] == ["claude-haiku-4-5"]


@pytest.mark.parametrize(
    ("model", "key"),
    [
        ("claude-haiku-4-5", ("haiku", 4, 5)),
        ("claude-haiku-4-5-20251001", ("haiku", 4, 5)),
        ("claude-opus-4-20250514", ("opus", 4, 0)),
        ("claude-3-5-haiku-20241022", ("haiku", 3, 5)),
        ("claude-3-opus-20240229", ("opus", 3, 0)),
        ("gpt-4", None),
    ],
)
def test_model_ids_parse_to_family_and_version(model, key):
    assert model_key(model) == key


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120), st.none() | st.text(max_size=120))
def test_property_any_incident_text_never_raises(name, body):
    from functions.monitor.observe.statuspage import confirms

    got = confirms(name, body, [], set(API), MODELS)
    assert set(got) <= {"api", *MODELS}


@pytest.mark.parametrize(
    ("start", "location", "allowed"),
    [
        ("http://status.claude.com/api/v2/summary.json", "/moved/api/v2/summary.json", True),
        (
            "http://status.claude.com/api/v2/summary.json",
            "https://status.claude.com/api/v2/summary.json",
            True,
        ),
        ("https://status.claude.com/x", "https://STATUS.claude.com/y", True),
        ("https://status.claude.com/x", "http://status.claude.com/x", False),  # downgrade
        ("https://status.claude.com/x", "https://status.example.com/x", False),
        ("https://status.claude.com/x", "https://status.claude.com:8443/x", False),
        ("https://status.claude.com/x", "//evil.example/x", False),
    ],
)
def test_redirects_are_followed_only_on_the_same_host_or_to_https(start, location, allowed):
    import httpx

    from functions.monitor.observe.statuspage import _allowed_redirect

    current = httpx.URL(start)
    assert _allowed_redirect(current, current.join(location)) is allowed


FIVE = ("claude-haiku-5-5", "claude-opus-5-5", "claude-sonnet-5-5", "claude-opus-4-6")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # A version of every family: every configured model of that version.
        ("Elevated errors on Claude 5.5 models", FIVE[:3]),
        # A family with no version: every configured model of that family.
        ("Elevated errors on Opus", ("claude-opus-5-5", "claude-opus-4-6")),
        ("Elevated errors on Sonnet", ("claude-sonnet-5-5",)),
        # The whole API, in other words.
        ("Elevated errors across Claude models", ("api",)),
        ("Elevated errors on all models", ("api",)),
        # Other products never confirm, whatever model they name.
        ("Elevated errors on Opus in Claude Code", ()),
        ("Claude for Government unavailable for Sonnet", ()),
        ("Cowork errors on Claude 5.5 models", ()),
        ("Console slow across Claude models", ()),
        ("Elevated errors on claude.ai for Opus", ()),
    ],
)
def test_given_loose_model_names_and_no_component_then_they_confirm_what_they_mean(name, expected):
    # Given an unresolved incident with no component whose name is loose
    from functions.monitor.observe.statuspage import confirms

    # When its text is read against the configured models
    got = confirms(name, None, [], set(API), FIVE)
    # Then it confirms the family, the version or the API it names, or nothing
    assert sorted(got) == sorted(expected)
