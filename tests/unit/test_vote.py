"""The fleet's vote (decide/vote.py): several regions' views of a minute, one verdict."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from functions.monitor.decide.state import MonitorState
from functions.monitor.decide.vote import (
    FAILING,
    RegionView,
    fleet_observations,
    region_target,
    silence,
    silent_line,
    vote,
)
from functions.monitor.models import SEVERITY, Verdict

REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2")
HOME = "us-east-1"
MINUTE = "2026-12-06T14:02"
SUMMARIES = {
    "operational": "all canaries ok",
    "network_error": "claude-haiku-4-5 network_error",
    "unconfirmed_outage": "claude-haiku-4-5 overloaded; the status page says nothing yet",
    "outage": "claude-haiku-4-5 overloaded; incident confirms it",
    "client_error": "claude-haiku-4-5 auth_error",
    "degraded": "status page: degraded_performance",
}


def view(region: str, verdict: str, outcome: str = "ok") -> RegionView:
    canaries = (("claude-haiku-4-5", outcome),)
    return RegionView(region, MINUTE, verdict, SUMMARIES[verdict], MINUTE + ":03Z", canaries)


def views(**verdicts: str) -> dict[str, RegionView]:
    return {r.replace("_", "-"): view(r.replace("_", "-"), v) for r, v in verdicts.items()}


def own(verdict: str) -> Verdict:
    return Verdict(verdict, SUMMARIES[verdict])


def test_given_one_region_failing_alone_then_it_is_that_regions_network_path_a_warning():
    seen = views(us_east_1="operational", eu_west_1="network_error", ap_southeast_2="operational")
    fleet = vote(own("operational"), HOME, seen, REGIONS, 2)
    assert fleet.regional and fleet.verdict.verdict == "network_error"
    assert fleet.verdict.severity == "warning"
    assert fleet.verdict.summary == (
        "eu-west-1 cannot reach the API; us-east-1 and ap-southeast-2 can"
    )
    assert "eu-west-1" in fleet.verdict.next_step and "not Claude" in fleet.verdict.next_step


def test_given_the_home_failing_alone_then_it_names_the_home_and_is_a_warning():
    seen = views(us_east_1="unconfirmed_outage", eu_west_1="operational")
    seen["ap-southeast-2"] = view("ap-southeast-2", "operational")
    fleet = vote(own("unconfirmed_outage"), HOME, seen, REGIONS, 2)
    assert fleet.verdict.summary.startswith("us-east-1 cannot reach the API")
    assert fleet.verdict.severity == "warning"


def test_given_every_region_failing_then_it_is_the_platform_verdict_as_today():
    seen = {r: view(r, "unconfirmed_outage") for r in REGIONS}
    fleet = vote(own("unconfirmed_outage"), HOME, seen, REGIONS, 2)
    assert not fleet.regional
    assert fleet.verdict.verdict == "unconfirmed_outage"
    assert fleet.verdict.severity == "critical"
    assert "seen from 3 of 3 regions" in fleet.verdict.summary


def test_given_a_quorum_failing_but_not_the_home_then_the_worst_failing_verdict_wins():
    seen = views(us_east_1="operational", eu_west_1="outage", ap_southeast_2="network_error")
    fleet = vote(own("operational"), HOME, seen, REGIONS, 2)
    assert fleet.verdict.verdict == "outage" and fleet.verdict.severity == "critical"
    assert fleet.verdict.summary.startswith("eu-west-1: ")


def test_given_a_missing_region_then_it_is_named_and_counted_neither_way():
    seen = views(us_east_1="operational", eu_west_1="network_error")
    fleet = vote(own("operational"), HOME, seen, REGIONS, 2)
    assert fleet.missing == ("ap-southeast-2",)
    assert fleet.verdict.summary == (
        "eu-west-1 cannot reach the API; us-east-1 can; ap-southeast-2 did not report this minute"
    )


def test_given_only_failing_regions_reported_then_the_failure_stays_the_platforms():
    # Given the home fails and nobody else reported, no region shows the API works:
    # the home's own verdict stands (never OK, nor a mere warning, while it is wrong).
    fleet = vote(own("unconfirmed_outage"), HOME, views(us_east_1="unconfirmed_outage"), REGIONS, 2)
    assert fleet.verdict.verdict == "unconfirmed_outage" and fleet.verdict.severity == "critical"
    assert "eu-west-1 and ap-southeast-2 did not report" in fleet.verdict.summary


def test_given_a_region_whose_canaries_could_not_run_then_it_does_not_count_as_passing():
    # Given eu-west-1 fails, and ap-southeast-2 had no key (its canaries skipped) while
    # its page reads operational: nobody shows the API works from elsewhere but the home
    seen = views(us_east_1="unconfirmed_outage", eu_west_1="unconfirmed_outage")
    seen["ap-southeast-2"] = view("ap-southeast-2", "operational", "skipped")
    fleet = vote(own("unconfirmed_outage"), HOME, seen, REGIONS, 3)
    assert fleet.blind == ("ap-southeast-2",) and fleet.passing == ()
    assert fleet.verdict.verdict == "unconfirmed_outage" and fleet.verdict.severity == "critical"
    assert "ap-southeast-2 could not probe the API" in fleet.verdict.summary


def test_given_a_client_error_everywhere_then_it_is_not_a_network_vote():
    seen = {r: view(r, "client_error") for r in REGIONS}
    fleet = vote(own("client_error"), HOME, seen, REGIONS, 2)
    assert fleet.verdict.verdict == "client_error" and not fleet.failing


VERDICTS = st.sampled_from(sorted(SUMMARIES))


@settings(max_examples=300, deadline=None)
@given(
    home_verdict=VERDICTS,
    others=st.lists(
        st.one_of(st.none(), st.tuples(VERDICTS, st.sampled_from(["ok", "skipped"]))),
        min_size=1,
        max_size=6,
    ),
    quorum_pick=st.integers(min_value=0, max_value=10),
)
def test_given_any_fleet_then_the_vote_keeps_its_rules(home_verdict, others, quorum_pick):
    regions = (HOME, *[f"r{i}-west-1" for i in range(len(others))])
    quorum = quorum_pick % len(regions) + 1
    seen = {HOME: view(HOME, home_verdict)}
    seen |= {r: view(r, *v) for r, v in zip(regions[1:], others, strict=True) if v is not None}
    fleet = vote(own(home_verdict), HOME, seen, regions, quorum)
    failing = [r for r in seen if seen[r].verdict in FAILING]
    passing = [r for r in seen if seen[r].verdict not in FAILING and seen[r].ran]
    missing = [r for r in regions if r not in seen]
    # Every region is failing, passing, missing or blind (no canary ran), and each
    # region counted neither way is named.
    everyone = fleet.failing + fleet.passing + fleet.missing + fleet.blind
    assert sorted(everyone) == sorted(regions)
    for region in missing + list(fleet.blind):
        assert region in fleet.verdict.summary
    if failing and passing and len(failing) < quorum:
        # fewer than quorum fail while someone passes: the named regions' path, a warning
        assert fleet.regional and fleet.verdict.severity == "warning"
        assert all(r in fleet.verdict.summary for r in failing + passing)
    elif failing:
        # enough regions fail, or nobody shows the API works: the platform's verdict
        assert not fleet.regional and fleet.verdict.verdict in FAILING
        assert fleet.verdict.severity == SEVERITY[fleet.verdict.verdict]
    else:
        # nobody fails: the home's own verdict, unchanged
        assert fleet.verdict.verdict == home_verdict and not fleet.regional
    # never OK while a region that reported fails
    if failing:
        assert fleet.verdict.severity != "ok"


def test_given_a_view_when_stored_and_read_back_then_it_is_the_same():
    original = RegionView(
        "eu-west-1", MINUTE, "network_error", "s", MINUTE + ":01Z", (("m", "timeout"),), None
    )
    assert RegionView.from_dict(original.to_dict()) == original


def test_given_an_unreadable_view_then_it_counts_as_not_reported():
    for bad in (None, [], {"region": "x"}, {**view("x", "operational").to_dict(), "verdict": "?"}):
        assert RegionView.from_dict(bad) is None


def test_given_a_region_silent_then_the_observation_says_so_and_seen_keeps_its_last_minute():
    seen = {"ap-southeast-2": "2026-12-06T14:01"}
    observed = silence(seen, {"eu-west-1": MINUTE}, REGIONS, HOME)
    assert observed == {
        region_target("eu-west-1"): ("reporting", "reporting"),
        region_target("ap-southeast-2"): ("silent", "reporting"),
    }
    assert seen == {"ap-southeast-2": "2026-12-06T14:01", "eu-west-1": MINUTE}
    assert silent_line("ap-southeast-2", seen["ap-southeast-2"]) == (
        "ap-southeast-2 has not reported since 14:01 UTC"
    )


def test_given_no_fleet_then_there_are_no_region_observations():
    from tests.unit.test_metrics import result

    assert fleet_observations(MonitorState(), result()) == {}
