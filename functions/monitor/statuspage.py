"""Reads an Atlassian Statuspage v2 summary (`/api/v2/summary.json`).

`parse_summary` is pure and total: any bytes give a `StatusPage`, never an
exception. What cannot be read becomes `reachable=False` with a one-line error, and
values outside Statuspage's enumerations are kept as they are, never mapped to
"operational".
"""

from __future__ import annotations

import json
from typing import Any

from .models import COMPONENT_STATUSES, Incident, StatusPage

SUMMARY_PATH = "/api/v2/summary.json"
MAX_BODY_BYTES = 4 * 1024 * 1024
_DONE_INCIDENT = frozenset({"resolved", "postmortem", "completed"})
_IN_PROGRESS_MAINTENANCE = frozenset({"in_progress", "verifying"})
# Worst first: used to pick one status when several components match API_COMPONENTS.
_RANK = ["major_outage", "partial_outage", "degraded_performance", "under_maintenance"]


def _unreadable(reason: str) -> StatusPage:
    return StatusPage(reachable=False, error=" ".join(reason.split())[:200])


def _str(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    return str(value)


def _component_names(raw: Any) -> list[str]:
    if not isinstance(raw, list):
        return []
    names = [_str(c.get("name")) for c in raw if isinstance(c, dict)]
    return [n for n in names if n]


def _latest_update(raw: dict[str, Any]) -> str | None:
    updates = raw.get("incident_updates")
    if not isinstance(updates, list):
        return None
    dated = [u for u in updates if isinstance(u, dict)]
    if not dated:
        return None
    latest = max(dated, key=lambda u: str(u.get("created_at") or u.get("display_at") or ""))
    return _str(latest.get("body"))


def _affected(raw: dict[str, Any]) -> list[str]:
    names = _component_names(raw.get("components"))
    updates = raw.get("incident_updates")
    if isinstance(updates, list):
        for update in updates:
            if isinstance(update, dict):
                names += _component_names(update.get("affected_components"))
    return list(dict.fromkeys(names))


def _incident(raw: dict[str, Any]) -> Incident:
    return Incident(
        id=_str(raw.get("id")) or "",
        name=_str(raw.get("name")) or "(unnamed incident)",
        status=_str(raw.get("status")) or "unknown",
        impact=_str(raw.get("impact")) or "unknown",
        shortlink=_str(raw.get("shortlink")),
        components=_affected(raw),
        created_at=_str(raw.get("created_at")),
        latest_update=_latest_update(raw),
    )


def _api_status(components: list[dict[str, str]], api_names: set[str]) -> str | None:
    statuses = [c["status"] for c in components if c["name"] in api_names]
    if not statuses:
        return None
    unknown = [s for s in statuses if s not in COMPONENT_STATUSES]
    if unknown:
        return unknown[0]
    for status in _RANK:
        if status in statuses:
            return status
    return "operational"


def parse_summary(body: bytes, api_components: tuple[str, ...]) -> StatusPage:
    """Turn a summary.json body into a StatusPage; never raises."""
    if not body or not body.strip():
        return _unreadable("empty body from status page")
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        if body.lstrip()[:1] == b"<":
            return _unreadable("status page answered with HTML, not JSON")
        return _unreadable("status page answered with truncated or invalid JSON")
    if not isinstance(data, dict):
        return _unreadable("status page JSON is not an object")
    raw_components = data.get("components")
    if not isinstance(raw_components, list):
        return _unreadable("status page JSON has no components list")

    components = []
    for raw in raw_components:
        # Groups are containers; their children carry the statuses.
        if not isinstance(raw, dict) or raw.get("group") is True:
            continue
        name = _str(raw.get("name"))
        if name:
            components.append({"name": name, "status": _str(raw.get("status")) or "unknown"})

    api_names = set(api_components)
    raw_status = data.get("status")
    status: dict[str, Any] = raw_status if isinstance(raw_status, dict) else {}
    raw_incidents = data.get("incidents")
    incidents = [
        _incident(i)
        for i in (raw_incidents if isinstance(raw_incidents, list) else [])
        if isinstance(i, dict) and _str(i.get("status")) not in _DONE_INCIDENT
    ]
    raw_maint = data.get("scheduled_maintenances")
    maintenances = [
        _incident(m)
        for m in (raw_maint if isinstance(raw_maint, list) else [])
        if isinstance(m, dict) and _str(m.get("status")) in _IN_PROGRESS_MAINTENANCE
    ]
    return StatusPage(
        reachable=True,
        indicator=_str(status.get("indicator")),
        description=_str(status.get("description")),
        api_status=_api_status(components, api_names),
        components=components,
        incidents=incidents,
        maintenances=maintenances,
        api_incident=any(api_names & set(i.components) for i in incidents),
        api_maintenance=any(api_names & set(m.components) for m in maintenances),
    )


async def fetch_status(client: Any, config: Any, timeout_s: float) -> StatusPage:
    """GET the summary with `client` (an httpx.AsyncClient); failures become unreadable pages."""
    import httpx

    url = config.status_page_url + SUMMARY_PATH
    try:
        # A moved page (an old hostname, http -> https) is still the page: follow it.
        async with client.stream(
            "GET",
            url,
            timeout=timeout_s,
            headers={"accept": "application/json"},
            follow_redirects=True,
        ) as response:
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_BODY_BYTES:
                    return _unreadable("status page body is larger than 4 MiB")
            if not 200 <= response.status_code < 300:
                return _unreadable(f"status page answered HTTP {response.status_code}")
    except httpx.TimeoutException:
        return _unreadable(f"status page did not answer within {timeout_s:.1f}s")
    except httpx.HTTPError as exc:
        return _unreadable(f"status page unreachable: {type(exc).__name__}: {exc}")
    return parse_summary(bytes(body), config.api_components)
