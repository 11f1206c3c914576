"""Reads an Atlassian Statuspage v2 summary (`/api/v2/summary.json`).

`parse_summary` is pure and total: any bytes give a `StatusPage`, never an
exception. What cannot be read becomes `reachable=False` with a one-line error, and
values outside Statuspage's enumerations are kept as they are, never mapped to
"operational".

Which failures an unresolved incident confirms (`Incident.confirms`):
- an incident on an API component (API_COMPONENTS) confirms "api", plus any
  monitored model its name or latest update names;
- otherwise its name and latest update are read: a monitored model named there
  ("Claude Haiku 4.5", "Haiku 4.5", "haiku-4-5", "Opus 4 and 4.1", dated ids,
  "Opus 4.x", "all Haiku models") is confirmed; a family named with no version
  ("Elevated errors on Opus") confirms every monitored model of that family, and
  "Claude 5.5 models" every monitored 5.5 model; words meaning the whole API
  ("the API", "Claude API", "api.anthropic.com", "all models", "multiple models",
  "across Claude models") confirm "api";
- but an incident that names only other products (claude.ai, Claude Code, Cowork,
  the Console, Claude for Government) and not the API confirms nothing; nor does
  one attached only to non-API components unless its text names the API itself.
Versions match exactly: "Opus 4" is Opus 4 (or 4.0), never 4.1 or 4.6, and
"Haiku 4.5" never Haiku 5.5. `StatusPage.api_incident` keeps its narrow meaning:
an unresolved incident on an API component.

The request follows redirects only on the same host (and http -> https upgrades of
it): a page that sends us elsewhere is unreadable, never trusted.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..models import COMPONENT_STATUSES, Incident, StatusPage
from .bounded import ACCEPT_ENCODING, BodyTooLarge, BodyUnreadable, read_bounded

SUMMARY_PATH = "/api/v2/summary.json"
MAX_BODY_BYTES = 4 * 1024 * 1024
MAX_REDIRECTS = 5
_DONE_INCIDENT = frozenset({"resolved", "postmortem", "completed"})
_IN_PROGRESS_MAINTENANCE = frozenset({"in_progress", "verifying"})
# Worst first: used to pick one status when several components match API_COMPONENTS.
_RANK = ["major_outage", "partial_outage", "degraded_performance", "under_maintenance"]


def _unreadable(reason: str) -> StatusPage:
    return StatusPage(reachable=False, error=" ".join(reason.split())[:200])


# The page's text reaches a terminal, the store and people's messages: whatever
# answers in the page's place may put terminal escapes, a bidi override or a wall of
# text in it. Control and format characters become spaces; a field is capped.
MAX_FIELD = 300
MAX_BODY = 2000


def _str(value: Any, limit: int = MAX_FIELD, newlines: bool = False) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value)[:limit]
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or (newlines and ch == "\n") else " " for ch in text)


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
    return _str(latest.get("body"), MAX_BODY, newlines=True)


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
        started_at=_str(raw.get("started_at")),
    )


# A model id: claude-<family>-<major>[-<minor>][-<date>] or the older
# claude-<major>[-<minor>]-<family>[-<date>].
_ID_NEW = re.compile(r"^claude-([a-z]+)-(\d{1,2})(?:-(\d{1,2}))?(?:-\d{8})?(?:-.*)?$")
_ID_OLD = re.compile(r"^claude-(\d{1,2})(?:-(\d{1,2}))?-([a-z]+)(?:-\d{8})?(?:-.*)?$")
# A version ends at a non-digit: "4.1." at a sentence end is 4.1, "4.6" is never "4".
# "4.x" names every 4.* model.
_VERSION = r"\d{1,2}(?:[.\-](?:\d{1,2}|x\b))?(?!\d|\.\d)"
_ANY = -1
_SEP = r"\s*(?:,|/|&|\band\b|\bor\b)\s*(?:claude[\s-]+)?(?:{family}[\s-]*)?"
_API_WIDE = re.compile(
    r"\b(?:the|claude|anthropic|messages)\s+api\b(?!\s*keys?\b)"
    r"|api\.anthropic\.com"
    r"|\bapi\s+(?:requests|errors|calls|traffic|users|customers)\b"
    r"|\b(?:all|multiple|several|many|most)\s+(?:of\s+our\s+|claude\s+)?models\b"
    r"|\b(?:across|on\s+all)\s+(?:the\s+|of\s+our\s+|claude\s+)?(?:claude\s+)?models\b",
    re.I,
)
# "The API is not affected": said of the API, but not about its failure.
_API_NEGATED = re.compile(
    r"\b(?:the\s+|claude\s+|anthropic\s+)?api\b[^.;\n]{0,40}?\b(?:not|un)\s*affected\b"
    r"|\b(?:the\s+|claude\s+|anthropic\s+)?api\s+(?:is|are|remains?)\s+(?:fully\s+)?"
    r"(?:operational|working\s+normally|available)\b",
    re.I,
)
_OTHER_PRODUCTS = re.compile(
    r"claude\.ai|\bclaude\s+code\b|\bcowork\b|\bconsole\b|platform\.claude\.com"
    r"|\bclaude\s+(?:desktop|mobile|ios|android)\b|\bclaude\s+apps?\b"
    r"|\bclaude\s+for\s+(?:government|gov)\b",
    re.I,
)


def model_key(model: str) -> tuple[str, int, int] | None:
    """(family, major, minor) of a Claude model id; minor 0 when absent; None if unknown."""
    model = model.strip().lower()
    match = _ID_NEW.match(model)
    if match:
        family, major, minor = match.group(1), match.group(2), match.group(3)
    else:
        match = _ID_OLD.match(model)
        if not match:
            return None
        major, minor, family = match.group(1), match.group(2), match.group(3)
    return family, int(major), int(minor or 0)


def _mentions(text: str, families: set[str]) -> set[tuple[str, int, int]]:
    """Every (family, major, minor) the text names, e.g. "Opus 4 and 4.1" -> two;
    _ANY stands for a wildcard ("Opus 4.x": any minor; "Opus models": any version)."""
    found: set[tuple[str, int, int]] = set()
    lowered = text.lower()
    for family in families:
        fam = re.escape(family)
        versions = _VERSION + "(?:" + _SEP.format(family=fam) + _VERSION + ")*"
        # "Haiku 4.5", "claude-haiku-4-5", "Opus 4 and Opus 4.1", "Sonnet 4, 4.5"
        for match in re.finditer(rf"\b{fam}[\s-]*({versions})", lowered):
            found |= {(family, *v) for v in _versions(match.group(1))}
        # The older order: "Claude 3.5 Haiku", "claude-3-5-haiku"
        older = rf"\bclaude[\s-]+({_VERSION})[\s-]+{fam}\b"
        for match in re.finditer(older, lowered):
            found |= {(family, *v) for v in _versions(match.group(1))}
        # The whole family: "all Opus models", "Haiku models", or the family named
        # with no version at all ("Elevated errors on Opus").
        bare = re.sub(older, " ", lowered)
        if re.search(rf"\b{fam}\b(?![\s-]*\d)", bare):
            found.add((family, _ANY, _ANY))
    # A version of every family: "Claude 5.5 models", "Claude 4.x models".
    for match in re.finditer(rf"\bclaude[\s-]+({_VERSION})\s+models\b", lowered):
        found |= {(family, *v) for family in families for v in _versions(match.group(1))}
    return found


def _named(key: tuple[str, int, int] | None, mentions: set[tuple[str, int, int]]) -> bool:
    if key is None:
        return False
    family, major, minor = key
    return any(
        f == family and (mj == _ANY or (mj == major and mn in (_ANY, minor)))
        for f, mj, mn in mentions
    )


def _versions(text: str) -> list[tuple[int, int]]:
    out = []
    for match in re.finditer(r"(\d{1,2})(?:[.\-](\d{1,2}|x\b)(?!\d|\.\d))?", text):
        minor = match.group(2) or "0"
        out.append((int(match.group(1)), _ANY if minor == "x" else int(minor)))
    return out


def confirms(
    name: str,
    latest_update: str | None,
    components: list[str],
    api_names: set[str],
    models: tuple[str, ...],
) -> list[str]:
    """What an unresolved incident confirms: "api" and/or monitored model ids."""
    text = _API_NEGATED.sub(" ", f"{name}\n{latest_update or ''}")
    keys = {m: model_key(m) for m in models}
    families = {k[0] for k in keys.values() if k}
    named = _mentions(text, families) if families else set()
    lowered = text.lower()
    models_named = [m for m, k in keys.items() if _named(k, named) or (m and m.lower() in lowered)]
    if api_names & set(components):
        return ["api", *models_named]
    api_wide = bool(_API_WIDE.search(text))
    explicit_api = bool(re.search(r"\bapi\b(?!\s*keys?\b)", text, re.I))
    if components and not explicit_api:
        return []  # attached only to other components, and the text is not about the API
    if _OTHER_PRODUCTS.search(text) and not explicit_api:
        return []  # names claude.ai, Claude Code, Cowork or the Console, not the API
    return (["api"] if api_wide else []) + models_named


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


def parse_summary(
    body: bytes, api_components: tuple[str, ...], models: tuple[str, ...] = ()
) -> StatusPage:
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
    for incident in incidents:
        incident.confirms = confirms(
            incident.name, incident.latest_update, incident.components, api_names, tuple(models)
        )
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


def _allowed_redirect(current: Any, target: Any) -> bool:
    """Same host (and port), or an http -> https upgrade of the same host."""
    if (target.host or "").lower() != (current.host or "").lower():
        return False
    if target.scheme == current.scheme:
        return target.port == current.port
    return current.scheme == "http" and target.scheme == "https"


async def fetch_status(client: Any, config: Any, timeout_s: float) -> StatusPage:
    """GET the summary with `client` (an httpx.AsyncClient); failures become unreadable pages."""
    import httpx

    url = httpx.URL(config.status_page_url + SUMMARY_PATH)
    try:
        for _ in range(MAX_REDIRECTS + 1):
            async with client.stream(
                "GET",
                url,
                timeout=timeout_s,
                headers={"accept": "application/json", "accept-encoding": ACCEPT_ENCODING},
                follow_redirects=False,
            ) as response:
                if response.is_redirect:
                    # A moved page (http -> https, a new path) is still the page; another
                    # host is not ours to trust.
                    target = url.join(response.headers.get("location", ""))
                    if not _allowed_redirect(url, target):
                        return _unreadable(
                            f"status page redirected to another host ({target.host or '?'}); "
                            "not followed"
                        )
                    url = target
                    continue
                if not 200 <= response.status_code < 300:
                    return _unreadable(f"status page answered HTTP {response.status_code}")
                body = await read_bounded(response, MAX_BODY_BYTES)
                break
        else:
            return _unreadable(f"status page redirected more than {MAX_REDIRECTS} times")
    except BodyTooLarge:
        return _unreadable("status page body is larger than 4 MiB")
    except BodyUnreadable as exc:
        return _unreadable(f"status page body unreadable: {exc}")
    except httpx.TimeoutException:
        return _unreadable(f"status page did not answer within {timeout_s:.1f}s")
    except httpx.HTTPError as exc:
        host = httpx.URL(config.status_page_url).host
        return _unreadable(f"status page unreachable ({host}): {type(exc).__name__}: {exc}")
    return parse_summary(body, config.api_components, tuple(config.canary_models))
