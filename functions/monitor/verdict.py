"""The verdict: the contract's table, first matching rule wins. Pure."""

from __future__ import annotations

from .models import (
    CLIENT_OUTCOMES,
    NETWORK_ERROR,
    PLATFORM_OUTCOMES,
    RATE_LIMITED,
    SKIPPED,
    SLOW,
    CanaryResult,
    StatusPage,
    Verdict,
)

_PAGE_BAD = frozenset({"degraded_performance", "partial_outage", "major_outage"})
_PAGE_DOWN = frozenset({"partial_outage", "major_outage"})

NEXT_STEP = {
    "operational": "Nothing to do. If your calls fail, look at your own code and network.",
    "degraded": "Expect slower or flakier answers; add retries and watch the status page.",
    "maintenance": "Planned maintenance: expect errors until it ends; defer non-urgent work.",
    "rate_limited": "Slow down: your organisation hit a rate limit. Honour retry-after, "
    "spread load, or ask for higher limits.",
    "outage": "Anthropic's platform is down and confirmed. Wait, and fail over to "
    "another region, provider or cached answer. Nothing to fix on your side.",
    "unconfirmed_outage": "The API fails for us but the status page does not say so yet. "
    "Treat it as a platform outage: retry with backoff and prepare to fail over.",
    "client_error": "The fault is on your side: check the API key, its permissions, "
    "the model name and your credit balance or spend limit.",
    "network_error": "The API could not be reached from here. Check DNS, proxy, "
    "firewall and TLS on this network before suspecting Anthropic.",
}


def _names(canaries: list[CanaryResult], outcomes: frozenset[str] | set[str]) -> str:
    return ", ".join(f"{c.model} {c.outcome}" for c in canaries if c.outcome in outcomes)


def decide(page: StatusPage, canaries: list[CanaryResult]) -> Verdict:
    ran = [c for c in canaries if c.outcome != SKIPPED]
    outcomes = {c.outcome for c in ran}
    api = page.api_status if page.reachable else None

    if outcomes & CLIENT_OUTCOMES:
        return Verdict("client_error", f"Client error: {_names(ran, CLIENT_OUTCOMES)}")
    if RATE_LIMITED in outcomes:
        return Verdict("rate_limited", f"Rate limited: {_names(ran, {RATE_LIMITED})}")
    if api == "under_maintenance" or page.api_maintenance:
        failing = _names(ran, PLATFORM_OUTCOMES | {NETWORK_ERROR})
        extra = f"; failures expected: {failing}" if failing else ""
        return Verdict("maintenance", f"API under maintenance on the status page{extra}")

    page_confirms = api in _PAGE_BAD or page.api_incident
    platform_failed = outcomes & (PLATFORM_OUTCOMES | {NETWORK_ERROR})
    if page_confirms and platform_failed:
        return Verdict(
            "outage",
            f"Outage confirmed by the status page ({api or 'incident'}): "
            f"{_names(ran, PLATFORM_OUTCOMES | {NETWORK_ERROR})}",
        )
    if not ran and api in _PAGE_DOWN:
        return Verdict("outage", f"Status page reports the API {api} (no canary ran)")

    if ran and outcomes == {NETWORK_ERROR}:
        return Verdict("network_error", f"No canary reached the API: {_names(ran, outcomes)}")
    if not ran and not page.reachable:
        return Verdict(
            "network_error",
            f"Nothing could be checked: no canary ran and the status page is "
            f"unreadable ({page.error})",
        )

    if outcomes & PLATFORM_OUTCOMES:
        why = "operational" if page.reachable else "unreadable"
        return Verdict(
            "unconfirmed_outage",
            f"Canary failing while the status page is {why}: {_names(ran, PLATFORM_OUTCOMES)}",
        )

    return _degraded_or_operational(page, ran, outcomes)


def _degraded_or_operational(
    page: StatusPage, ran: list[CanaryResult], outcomes: set[str]
) -> Verdict:
    reasons = []
    if SLOW in outcomes:
        reasons.append(f"slow canary: {_names(ran, {SLOW})}")
    if NETWORK_ERROR in outcomes:
        reasons.append(f"some canaries could not connect: {_names(ran, {NETWORK_ERROR})}")
    if not page.reachable:
        reasons.append(f"status page unreadable ({page.error})")
    elif page.api_status is None:
        reasons.append("no API_COMPONENTS component on the status page")
    elif page.api_status != "operational":
        reasons.append(f"status page reports the API {page.api_status}")
    if page.reachable and page.api_incident:
        names = "; ".join(i.name for i in page.incidents)
        reasons.append(f"open incident: {names}")
    if reasons:
        return Verdict("degraded", "Degraded: " + "; ".join(reasons))
    if ran:
        return Verdict("operational", "All canaries passed and the status page is operational")
    return Verdict("operational", "Status page reports the API operational (no canary ran)")
