"""The simulator's mutable state: the scenario in force, timelines, per-minute updates."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field, replace
from typing import Any

from .scenarios import API_COMPONENT, SCENARIOS, TIMELINES, WRONG_TEXT, Api, Page


@dataclass
class SimState:
    name: str = "healthy"
    step_seconds: float = 60.0
    delay_ms: int = 0
    slow_ms: int = 11_000  # above LATENCY_SLOW_MS (10 s), within the 25 s deadline
    components: int = 0
    started: float = field(default_factory=time.monotonic)
    messages: dict[str, int] = field(default_factory=dict)
    summary_requests: int = 0
    last_request: dict[str, Any] = field(default_factory=dict)
    # Set by /_sim/update: applied over whatever the scenario or timeline serves.
    overrides: dict[str, Any] = field(default_factory=dict)
    # Draws for `wrong_rate`, reseeded when an update brings a new `wrong_seed`.
    wrong_rng: random.Random = field(default_factory=lambda: random.Random(0))
    wrong_seeded: int | None = None

    def answer_text(self, api: Api) -> str:
        """The scenario's text, or a wrong one at the `wrong_rate` override's odds."""
        rate = self.overrides.get("wrong_rate")
        if rate and self.wrong_rng.random() < rate:
            return WRONG_TEXT
        return api.text

    def reseed(self, seed: int | None) -> None:
        """Reseeded only when the seed changes: a replay repeats it every minute."""
        if seed is not None and seed != self.wrong_seeded:
            self.wrong_rng, self.wrong_seeded = random.Random(seed), seed

    def current(self) -> tuple[Page, Api]:
        if self.name in TIMELINES:
            steps = TIMELINES[self.name]
            index = int((time.monotonic() - self.started) / self.step_seconds)
            page, api = SCENARIOS[steps[min(index, len(steps) - 1)]]
        else:
            page, api = SCENARIOS[self.name]
        return _override(page, api, self.overrides)


def _override(page: Page, api: Api, overrides: dict[str, Any]) -> tuple[Page, Api]:
    if "api_status" in overrides:
        page = replace(page, api_status=overrides["api_status"])
    if "incident" in overrides:
        incident = overrides["incident"]
        if incident is None:
            page = replace(page, incident=None)
        else:
            page = replace(
                page,
                incident=incident.get("impact") or "minor",
                incident_name=incident.get("name") or "Elevated errors",
                incident_component=incident.get("component"),
                incident_created_at=incident.get("created_at"),
                incident_started_at=incident.get("started_at"),
                incident_status=incident.get("status") or "investigating",
                incident_body=incident.get("body") or "We are investigating this issue.",
            )
    if "fail_every" in overrides:
        api = replace(
            api,
            fail_every=overrides["fail_every"],
            fail_status=overrides.get("fail_status", 500),
        )
    return page, api


def check_update(options: Any) -> dict[str, Any]:
    """Validate a /_sim/update body; raise ValueError with a one-line reason."""
    if not isinstance(options, dict):
        raise ValueError("update must be a JSON object")
    allowed = {"fail_every", "fail_status", "incident", "api_status", "wrong_rate", "wrong_seed"}
    unknown = set(options) - allowed
    if unknown:
        raise ValueError(f"unknown option(s) {sorted(unknown)}; known: {sorted(allowed)}")
    every = options.get("fail_every")
    if every is not None and (not isinstance(every, int) or every < 1):
        raise ValueError("fail_every must be a whole number >= 1 (or null)")
    if options.get("fail_status", 500) not in (500, 529):
        raise ValueError("fail_status must be 500 or 529")
    incident = options.get("incident")
    if incident is not None:
        if not isinstance(incident, dict) or not incident.get("name"):
            raise ValueError("incident must be an object with a name (or null)")
        component = incident.get("component")
        aliases = {"api": "api", API_COMPONENT.lower(): "api", "claude.ai": "claude.ai"}
        if component is not None and str(component).lower() not in aliases:
            raise ValueError('incident.component must be "api", "claude.ai" or null')
        if component is not None:
            options["incident"] = {**incident, "component": aliases[str(component).lower()]}
    rate = options.get("wrong_rate")
    if rate is not None and (not isinstance(rate, (int, float)) or not 0 <= rate <= 1):
        raise ValueError("wrong_rate must be a number from 0 to 1 (or null)")
    if not isinstance(options.get("wrong_seed", 0), int):
        raise ValueError("wrong_seed must be a whole number")
    status = options.get("api_status")
    if "api_status" in options and status is not None and not isinstance(status, str):
        raise ValueError("api_status must be a string (or null)")
    return options


def summary_json(page: Page, extra_components: int = 0) -> dict[str, Any]:
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    group_id = "grp0000000001"

    def component(cid: str, name: str, status: str, group: str | None = None) -> dict[str, Any]:
        return {
            "id": cid,
            "name": name,
            "status": status,
            "created_at": now,
            "updated_at": now,
            "position": 1,
            "description": None,
            "showcase": True,
            "start_date": None,
            "group_id": group,
            "page_id": "simpage",
            "group": False,
            "only_show_if_degraded": False,
        }

    api = component("api0000000001", API_COMPONENT, page.api_status, group_id)
    components = [
        {
            **component(group_id, "Claude", "operational"),
            "group": True,
            "components": ["api0000000001", "web0000000001"],
        },
        api,
        component("web0000000001", "claude.ai", "operational", group_id),
        component("con0000000001", "Claude Console (platform.claude.com)", "operational"),
    ]
    components += [
        component(f"x{i:012d}", f"Service {i}", "operational") for i in range(extra_components)
    ]
    incidents = []
    if page.incident:
        on = {"api": api, "claude.ai": components[2]}.get(page.incident_component or "")
        affected = (
            [
                {
                    "code": on["id"],
                    "name": on["name"],
                    "old_status": "operational",
                    "new_status": on["status"],
                }
            ]
            if on
            else []
        )
        created = page.incident_created_at or now
        incidents.append(
            {
                "id": "inc0000000001",
                "name": page.incident_name,
                "status": page.incident_status,
                "impact": page.incident,
                "shortlink": "https://stspg.io/sim0001",
                "created_at": created,
                "updated_at": now,
                "monitoring_at": None,
                "resolved_at": None,
                "started_at": page.incident_started_at or created,
                "page_id": "simpage",
                "incident_updates": [
                    {
                        "id": "upd1",
                        "status": page.incident_status,
                        "created_at": created,
                        "body": page.incident_body,
                        "affected_components": affected,
                    }
                ],
                "components": [on] if on else [],
            }
        )
    maintenances = []
    if page.maintenance:
        maintenances.append(
            {
                "id": "mnt0000000001",
                "name": "Scheduled API maintenance",
                "status": "in_progress",
                "impact": "maintenance",
                "shortlink": "https://stspg.io/simmnt1",
                "created_at": now,
                "scheduled_for": now,
                "scheduled_until": now,
                "incident_updates": [],
                "components": [api],
            }
        )
    worst = {
        "operational": "none",
        "degraded_performance": "minor",
        "under_maintenance": "maintenance",
    }.get(page.api_status, "major")
    description = "All Systems Operational" if worst == "none" else "Partial System Outage"
    if page.mode == "minimal":
        return {
            "page": None,
            "status": {"indicator": None, "description": None},
            "components": [
                {
                    "name": API_COMPONENT,
                    "status": "operational",
                    "group": None,
                    "description": None,
                },
                None,
            ],
        }
    return {
        "page": {
            "id": "simpage",
            "name": "Claude (simulated)",
            "url": "http://localhost",
            "time_zone": "Etc/UTC",
            "updated_at": now,
        },
        "components": components,
        "incidents": incidents,
        "scheduled_maintenances": maintenances,
        "status": {"indicator": worst, "description": description},
    }
