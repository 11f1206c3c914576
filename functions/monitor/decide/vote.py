"""The fleet's vote: several regions' views of one scheduled minute, one verdict. Pure.

Every region of a fleet (FLEET_REGIONS) probes each minute and records its view;
the home region (HOME_REGION) reads them and decides for all:

- a failure seen from at least QUORUM regions is the platform's: the verdict is the
  one each of them reached on its own (the home's when it is among them), as a
  single region would decide;
- a failure seen from fewer, while at least one region passes, is the network path
  from those regions: `network_error`, severity warning, naming who fails and who
  does not ("eu-west-1 cannot reach the API; us-east-1 and ap-southeast-2 can");
- a region that reported nothing for the minute is counted neither way, and named.
  When every region that did report fails, no region shows the platform works, so
  the failure stays the platform's whatever the count: never OK while it is wrong.

A region silent for FAILURE_THRESHOLD cycles in a row is one message of its own,
through the alert state's target `region:<name>` (hysteresis, as every target).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..models import SEVERITY, CheckResult, Verdict
from .state import RANK

# A region "sees a failure" when its own verdict is one of these: the API failed
# from there (the platform, or the path to it). A client error, a rate limit or a
# status-page verdict is the same from everywhere and decides nothing here.
FAILING = frozenset({"outage", "unconfirmed_outage", "network_error"})
REPORTING, SILENT = "reporting", "silent"
TARGET_PREFIX = "region:"


def region_target(region: str) -> str:
    return f"{TARGET_PREFIX}{region}"


def minute_of(cycle_id: str) -> str:
    """The scheduled minute a cycle belongs to ("2026-12-06T14:02"): every region's
    event for one minute carries the same scheduled time, to the minute."""
    return cycle_id[:16]


@dataclass(frozen=True)
class RegionView:
    """What one region saw in one scheduled minute: what the home needs to vote and
    what `check` and `history` show side by side. Never holds a secret."""

    region: str
    minute: str
    verdict: str
    summary: str
    checked_at: str
    canaries: tuple[tuple[str, str], ...] = ()
    api_status: str | None = None

    @property
    def failing(self) -> bool:
        return self.verdict in FAILING

    @property
    def ran(self) -> bool:
        """A canary reached out from there: without one (no key), a region that does
        not fail shows nothing about the API and is not counted as passing."""
        return any(outcome != "skipped" for _, outcome in self.canaries)

    @classmethod
    def of(cls, result: CheckResult) -> RegionView:
        page = result.status_page
        return cls(
            region=result.region,
            minute=minute_of(result.cycle_id),
            verdict=result.verdict.verdict,
            summary=result.verdict.summary[:300],
            checked_at=result.checked_at,
            canaries=tuple((c.model, c.outcome) for c in result.canaries),
            api_status=page.api_status if page.reachable else None,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "minute": self.minute,
            "verdict": self.verdict,
            "severity": SEVERITY[self.verdict],
            "summary": self.summary,
            "checked_at": self.checked_at,
            "canaries": {model: outcome for model, outcome in self.canaries},
            "api_status": self.api_status,
        }

    @classmethod
    def from_dict(cls, data: Any) -> RegionView | None:
        """The view, or None when it cannot be read (a stranger's or a newer shape):
        an unreadable view counts as a region that did not report."""
        if not isinstance(data, dict):
            return None
        texts = [data.get(k) for k in ("region", "minute", "verdict", "summary", "checked_at")]
        if not all(isinstance(t, str) for t in texts) or data["verdict"] not in SEVERITY:
            return None
        raw = data.get("canaries")
        canaries = raw if isinstance(raw, dict) else {}
        status = data.get("api_status")
        region, minute, verdict, summary, checked_at = (str(t) for t in texts)
        return cls(
            region,
            minute,
            verdict,
            summary,
            checked_at,
            canaries=tuple((str(m), str(o)) for m, o in canaries.items()),
            api_status=status if isinstance(status, str) else None,
        )


@dataclass(frozen=True)
class FleetVote:
    verdict: Verdict
    failing: tuple[str, ...] = ()
    passing: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    # The failure is the named regions' network path, not the platform's.
    regional: bool = False
    views: dict[str, RegionView] = field(default_factory=dict)
    # Reported, but no canary ran there and it did not fail: counted neither way.
    blind: tuple[str, ...] = ()


def _join(names: list[str] | tuple[str, ...]) -> str:
    names = list(names)
    if not names:
        return ""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _missing_note(missing: tuple[str, ...]) -> str:
    if not missing:
        return ""
    return f"; {_join(missing)} did not report this minute"


def vote(
    own: Verdict,
    home: str,
    views: dict[str, RegionView],
    regions: tuple[str, ...],
    quorum: int,
) -> FleetVote:
    """The fleet's verdict for one minute. `own` is the home's own verdict, `views`
    every region that reported (the home's own view included)."""
    reported = {r: views[r] for r in regions if r in views}
    missing = tuple(r for r in regions if r not in reported)
    failing = tuple(r for r, v in reported.items() if v.failing)
    passing = tuple(r for r, v in reported.items() if not v.failing and v.ran)
    blind = tuple(r for r, v in reported.items() if not v.failing and not v.ran)
    note = _missing_note(missing)
    if blind:
        note += f"; {_join(blind)} could not probe the API (no canary ran)"

    def result(verdict: Verdict, regional: bool = False) -> FleetVote:
        return FleetVote(verdict, failing, passing, missing, regional, reported, blind)

    if failing and passing and len(failing) < quorum:
        return result(_regional(failing, passing, note), regional=True)
    seen = (
        f"; seen from {len(failing)} of {len(regions)} regions ({_join(failing)})"
        if failing
        else ""
    )
    if failing and home not in failing:
        # The platform fails from enough regions, though not from the home's.
        worst = max(failing, key=lambda r: RANK.get(reported[r].verdict, 0))
        verdict = Verdict(reported[worst].verdict, f"{worst}: {reported[worst].summary}{seen}")
        return result(_note(verdict, note))
    return result(_note(_copy(own, seen), note))


def _copy(verdict: Verdict, extra: str) -> Verdict:
    return Verdict(verdict.verdict, verdict.summary + extra, verdict.next_step, verdict.severity_as)


def _note(verdict: Verdict, note: str) -> Verdict:
    verdict.summary += note
    return verdict


def _regional(failing: tuple[str, ...], passing: tuple[str, ...], note: str) -> Verdict:
    summary = f"{_join(failing)} cannot reach the API; {_join(passing)} can{note}"
    from_where = "that region" if len(failing) == 1 else "those regions"
    step = (
        f"The network path from {_join(failing)} fails, not Claude: {_join(passing)} "
        f"reach the API. Check DNS, egress (NAT, firewall, VPC endpoints) and TLS in "
        f"{from_where}; move traffic to {_join(passing)} meanwhile."
    )
    return Verdict("network_error", summary, next_step=step, severity_as="warning")


def silence(
    seen: dict[str, str], reported: dict[str, str], regions: tuple[str, ...], home: str
) -> dict[str, tuple[str, str]]:
    """Update `seen` (region -> last minute it reported) from `reported` (region ->
    minute, this cycle) and return one observation per region other than the home:
    (`reporting` or `silent`, the good value `reporting`)."""
    views = reported
    for region, minute in reported.items():
        if region in regions and minute > seen.get(region, ""):
            seen[region] = minute
    for gone in [r for r in seen if r not in regions]:
        del seen[gone]
    return {
        region_target(r): (REPORTING if r in views else SILENT, REPORTING)
        for r in regions
        if r != home
    }


def silent_line(region: str, last_seen: str | None) -> str:
    """ "ap-southeast-2 has not reported since 14:02" (UTC, the last minute it did)."""
    if not last_seen:
        return f"{region} has not reported yet"
    return f"{region} has not reported since {last_seen[11:16]} UTC"


def in_fleet(config: Any) -> bool:
    """Several regions vote (FLEET_REGIONS names two or more)."""
    return len(getattr(config, "fleet_regions", ())) > 1


def is_home(config: Any) -> bool:
    """This region decides and notifies: always, outside a fleet."""
    return not in_fleet(config) or config.region == config.home_region


def quorum_of(config: Any) -> int:
    """QUORUM, or a majority of the fleet when it is 0."""
    return config.quorum or len(config.fleet_regions) // 2 + 1


def fleet_observations(state: Any, result: CheckResult) -> dict[str, tuple[str, str]]:
    """The home's `region:<name>` observations for the alert state (none outside a
    fleet), and the regions' last reported minute kept in `state.regions_seen`."""
    if not result.regions:
        return {}
    rows = result.regions
    home = next((r["region"] for r in rows if r.get("home")), "")
    reported = {r["region"]: str(r.get("minute", "")) for r in rows if r.get("reported")}
    regions = tuple(r["region"] for r in rows)
    return silence(state.regions_seen, reported, regions, home)


def rows(
    views: dict[str, RegionView], regions: tuple[str, ...], home: str, seen: dict[str, str]
) -> list[dict[str, Any]]:
    """One row per region, the home first: its view, or who did not report and the
    last minute it did (from the alert state)."""
    ordered = (home, *[r for r in regions if r != home])
    out: list[dict[str, Any]] = []
    for region in ordered:
        view = views.get(region)
        row: dict[str, Any] = view.to_dict() if view else {"region": region}
        row["home"] = region == home
        row["reported"] = view is not None
        row["last_seen"] = view.minute if view else seen.get(region)
        out.append(row)
    return out


def revote(result: CheckResult, config: Any) -> None:
    """The vote again, on the home's verdict as the plan re-decided it (its error
    window): the other regions' views are the ones the cycle gathered."""
    if not result.regions or not in_fleet(config):
        return
    home, regions = config.home_region, tuple(config.fleet_regions)
    views = {
        r["region"]: v
        for r in result.regions
        if r.get("reported") and (v := RegionView.from_dict(r)) is not None
    }
    views[home] = RegionView.of(result)
    seen = {r["region"]: r["last_seen"] for r in result.regions if r.get("last_seen")}
    fleet = vote(result.verdict, home, views, regions, quorum_of(config))
    result.verdict = fleet.verdict
    result.regions = rows(fleet.views, regions, home, seen)
