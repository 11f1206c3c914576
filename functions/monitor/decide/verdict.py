"""The verdict: the contract's table, first matching rule wins. Pure."""

from __future__ import annotations

from ..decide import errorwindow
from ..models import (
    CLIENT_OUTCOMES,
    INTERCEPTED,
    NETWORK_OUTCOMES,
    PLATFORM_OUTCOMES,
    RATE_LIMITED,
    SKIPPED,
    SLOW,
    WRONG_ANSWER,
    CanaryResult,
    Incident,
    StatusPage,
    Verdict,
)

_PAGE_BAD = frozenset({"degraded_performance", "partial_outage", "major_outage"})
_PAGE_DOWN = frozenset({"partial_outage", "major_outage"})
# A canary failure the status page can confirm: the platform, or the path to it.
_FAILED = PLATFORM_OUTCOMES | NETWORK_OUTCOMES

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
    # Worded so it stays true when no API request was made (no key): the summary
    # says what failed.
    "network_error": "The network path from here failed. Check DNS, proxy, "
    "firewall and TLS on this network before suspecting Anthropic.",
}


_PROXY = "a proxy, captive portal or firewall answered instead of the API"
_PROXY_STEP = (
    "Something between this network and the API answered in its place: "
    f"{_PROXY}. Check proxy settings, log in to the captive portal, or ask "
    "whoever runs the firewall; Anthropic is not the suspect."
)
_WRONG_ANSWER_STEP = (
    "The API answers, but not what was asked: the stream is well formed and the text "
    "is wrong (see expected and got). Check your own answers for the same symptom, and "
    "report it to Anthropic with the request id; retrying does not help."
)
_NOTHING_CHECKED_STEP = (
    "No API request was made (no API key available) and the status page could not be "
    "read from here. Check DNS, proxy and firewall for the status page, and set "
    "ANTHROPIC_API_KEY (or its SSM parameter) so the canaries can run."
)


def next_step(verdict: Verdict) -> str:
    """The advice for this verdict: its own when it carries one, else the table's."""
    return verdict.next_step or NEXT_STEP[verdict.verdict]


def _names(canaries: list[CanaryResult], outcomes: frozenset[str] | set[str]) -> str:
    return ", ".join(f"{c.model} {c.outcome}" for c in canaries if c.outcome in outcomes)


def confirmations(page: StatusPage, canaries: list[CanaryResult]) -> list[tuple[Incident, str]]:
    """(incident, model) for each failing canary an unresolved incident confirms by its
    `confirms` (the model itself, or "api"). An incident confirming nothing (claude.ai
    only) confirms nothing here."""
    if not page.reachable:
        return []
    failing = [c.model for c in canaries if c.outcome in _FAILED]
    found = []
    for model in failing:
        for incident in page.incidents:
            if model in incident.confirms or "api" in incident.confirms:
                found.append((incident, model))
                break
    return found


def confirmed_by(page: StatusPage, canaries: list[CanaryResult]) -> list[dict[str, str]]:
    """Which incident confirmed which model this cycle, for the stored record:
    [{"incident": id, "name": name, "model": model}]."""
    return [
        {"incident": incident.id, "name": incident.name, "model": model}
        for incident, model in confirmations(page, canaries)
    ]


def _confirmed_by(pairs: list[tuple[Incident, str]]) -> str:
    return "; ".join(f'"{i.name}" confirms {model}' for i, model in pairs)


def decide(
    page: StatusPage, canaries: list[CanaryResult], error_rate_warn: float | None = None
) -> Verdict:
    """The verdict for one cycle. With `error_rate_warn`, a canary's `window` (set once
    the error-rate window has advanced) can make an otherwise operational or degraded
    verdict `degraded`."""
    ran = [c for c in canaries if c.outcome != SKIPPED]
    outcomes = {c.outcome for c in ran}
    api = page.api_status if page.reachable else None

    if outcomes & CLIENT_OUTCOMES:
        return Verdict("client_error", f"Client error: {_names(ran, CLIENT_OUTCOMES)}")
    if RATE_LIMITED in outcomes:
        return Verdict("rate_limited", f"Rate limited: {_names(ran, {RATE_LIMITED})}")
    if api == "under_maintenance" or page.api_maintenance:
        failing = _names(ran, _FAILED)
        extra = f"; failures expected: {failing}" if failing else ""
        return Verdict("maintenance", f"API under maintenance on the status page{extra}")

    outage = _outage(page, ran, outcomes)
    if outage:
        return outage
    if not ran and api in _PAGE_DOWN:
        return Verdict("outage", f"Status page reports the API {api} (no canary ran)")

    if ran and outcomes <= NETWORK_OUTCOMES:
        return _network(ran, outcomes)
    if not ran and not page.reachable:
        return Verdict(
            "network_error",
            f"Nothing could be checked: no API request was made (no canary ran) and the "
            f"status page is unreadable ({page.error})",
            _NOTHING_CHECKED_STEP,
        )

    if outcomes & PLATFORM_OUTCOMES:
        why = "operational" if page.reachable else "unreadable"
        only_wrong = outcomes & PLATFORM_OUTCOMES == {WRONG_ANSWER}
        return Verdict(
            "unconfirmed_outage",
            f"Canary failing while the status page is {why}: {_names(ran, PLATFORM_OUTCOMES)}",
            _WRONG_ANSWER_STEP if only_wrong else None,
        )

    return _degraded_or_operational(page, ran, outcomes, error_rate_warn)


def _outage(page: StatusPage, ran: list[CanaryResult], outcomes: set[str]) -> Verdict | None:
    if not outcomes & _FAILED:
        return None
    failing = _names(ran, _FAILED)
    api = page.api_status if page.reachable else None
    if api in _PAGE_BAD or (page.reachable and page.api_incident):
        return Verdict(
            "outage", f"Outage confirmed by the status page ({api or 'incident'}): {failing}"
        )
    pairs = confirmations(page, ran)
    if pairs:
        by = _confirmed_by(pairs)
        return Verdict("outage", f"Outage confirmed by the status page ({by}): {failing}")
    return None


def _network(ran: list[CanaryResult], outcomes: set[str]) -> Verdict:
    if INTERCEPTED in outcomes:
        return Verdict(
            "network_error",
            f"No canary reached the API, {_PROXY}: {_names(ran, outcomes)}",
            _PROXY_STEP,
        )
    return Verdict("network_error", f"No canary reached the API: {_names(ran, outcomes)}")


def _degraded_or_operational(
    page: StatusPage, ran: list[CanaryResult], outcomes: set[str], warn: float | None
) -> Verdict:
    reasons = []
    if SLOW in outcomes:
        reasons.append(f"slow canary: {_names(ran, {SLOW})}")
    if warn is not None:
        reasons += [
            errorwindow.reason(c.model, c.window)
            for c in ran
            if c.window and errorwindow.above(c.window, warn)
        ]
    if outcomes & NETWORK_OUTCOMES:
        reasons.append(f"some canaries could not connect: {_names(ran, NETWORK_OUTCOMES)}")
        if INTERCEPTED in outcomes:
            reasons.append(_PROXY)
    if page.reachable:
        reasons += _page_reasons(page, ran)
    if reasons:
        step = _PROXY_STEP if INTERCEPTED in outcomes else None
        return Verdict("degraded", "Degraded: " + "; ".join(reasons), step)
    if not page.reachable:
        # Every canary passed: an unreadable page alone wakes nobody.
        return Verdict(
            "operational",
            f"All canaries passed; the status page could not be read ({page.error})",
        )
    if ran:
        return Verdict("operational", "All canaries passed and the status page is operational")
    return Verdict("operational", "Status page reports the API operational (no canary ran)")


def _page_reasons(page: StatusPage, ran: list[CanaryResult]) -> list[str]:
    reasons = []
    if page.api_status is None:
        reasons.append("no API_COMPONENTS component on the status page")
    elif page.api_status != "operational":
        reasons.append(f"status page reports the API {page.api_status}")
    # An incident on the API component, or one whose text names a monitored model or
    # the API (its `confirms`), whether or not that model's canary ran this cycle;
    # incidents about other products (claude.ai, the Console) are reported, never read.
    open_ = [i for i in page.incidents if i.confirms]
    if open_:
        reasons.append("open incident: " + "; ".join(i.name for i in open_))
    return reasons
