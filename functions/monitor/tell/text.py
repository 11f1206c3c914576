"""Notifications: composed once per cycle, sent by SNS in AWS or printed locally.

The SMS is one GSM-7 part (160 characters or fewer): longer SMS split or fail
silently on some carriers. The subject is 100 characters or fewer, as SNS requires.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..decide.verdict import confirmations, next_step
from ..models import (
    ANSWER_PASSED,
    ANSWER_WRONG,
    SEVERITY,
    CanaryResult,
    CheckResult,
    Notification,
    Transition,
)
from .steps import own_step

SUBJECT_MAX = 100
SMS_MAX = 160
# The GSM 03.38 basic character set; anything else is replaced or dropped.
_GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_ASCII_FOR = {
    "[": "(",
    "]": ")",
    "{": "(",
    "}": ")",
    "~": "-",
    "|": "/",
    "^": "",
    "\\": "/",
    "€": "EUR",
    "–": "-",
    "—": "-",
    "’": "'",
    "“": '"',
    "”": '"',
    "…": "...",
    "→": "->",
}


def gsm7(text: str) -> str:
    out = []
    for ch in text:
        if ch in _GSM7:
            out.append(ch)
        else:
            out.append(_ASCII_FOR.get(ch, "?"))
    return "".join(out)


def lead_words(minutes: float | None) -> str:
    if minutes is None:
        return ""
    return f"{minutes:.0f} min" if minutes >= 1 else f"{minutes * 60:.0f} s"


@dataclass
class Extra:
    """What the alert state adds to a message beyond this cycle's result."""

    # The lead time's detail: minutes, and when known first_failure, incident,
    # created_at, started_at.
    lead: dict[str, Any] | None = None
    # The overall alert is held open because it flaps (said once, when it starts).
    flapping: bool = False
    # The closed alert's episode: since, recovered, requests, failed, worst.
    resolved: dict[str, Any] | None = None
    # The verdict an alert held open still stands for: the message carries its
    # severity, never the "ok" of the good cycle that would have closed it.
    held: str | None = None
    # The severity `held` was reported with (a fleet's minority vote is a warning).
    held_severity: str | None = None
    # The status page now confirms an alert already open, without a new verdict.
    confirmed: bool = False


def _clock(iso: str | None) -> str | None:
    """'14:07' for an ISO time, None when absent or unreadable."""
    if not iso:
        return None
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).strftime("%H:%M")
    except ValueError:
        return None


def lead_sentence(lead: dict[str, Any] | None) -> str:
    """'Seen 12 min before the status page posted an incident (posted 14:07, impact
    dated from 13:55).' or, without the incident's times, 'Seen 6 min before the
    status page.'"""
    if not lead or not lead.get("minutes"):
        return ""
    words = lead_words(lead["minutes"])
    posted = _clock(lead.get("created_at"))
    if not posted:
        return f"Seen {words} before the status page."
    started = _clock(lead.get("started_at"))
    dated = f", impact dated from {started}" if started else ""
    return f"Seen {words} before the status page posted an incident (posted {posted}{dated})."


def duration_words(seconds: float) -> str:
    """A duration that reads right at every scale, in its two largest units:
    '16 s', '4 min 5 s', '23 min', '1 h 5 min', '2 d 3 h'."""
    total = max(0, round(seconds))
    if total < 60:
        return f"{total} s"
    units = (("d", 86_400), ("h", 3_600), ("min", 60), ("s", 1))
    parts: list[str] = []
    for name, size in units:
        count, total = divmod(total, size)
        if count:
            parts.append(f"{count} {name}")
        if parts and len(parts) + (not count) >= 2:
            break
    return " ".join(parts)


def _span(start: datetime, end: datetime) -> str:
    """'14:02 to 14:25'; with seconds when both fall in one minute (a short blip);
    with the dates when it crosses midnight (UTC, as every stored time)."""
    if start.date() != end.date():
        return f"{start:%d %b %H:%M} to {end:%d %b %H:%M}"
    if f"{start:%H:%M}" == f"{end:%H:%M}":
        return f"{start:%H:%M:%S} to {end:%H:%M:%S}"
    return f"{start:%H:%M} to {end:%H:%M}"


def resolved_sentence(episode: dict[str, Any] | None) -> str:
    """'Lasted 23 min (14:02 to 14:25); 31 of 120 requests failed (26%); worst: outage.'"""
    if not episode:
        return ""
    try:
        start = datetime.fromisoformat(episode["since"].replace("Z", "+00:00"))
        end = datetime.fromisoformat(episode["recovered"].replace("Z", "+00:00"))
    except (KeyError, ValueError, AttributeError):
        return ""
    seconds = max(0.0, (end - start).total_seconds())
    parts = [f"Lasted {duration_words(seconds)} ({_span(start, end)})"]
    requests, failed = episode.get("requests", 0), episode.get("failed", 0)
    if requests:
        parts.append(f"{failed} of {requests} requests failed ({failed / requests:.0%})")
    parts.append(f"worst: {episode.get('worst', '?')}")
    return "; ".join(parts) + "."


def fit_text(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def ascii_line(text: str) -> str:
    text = " ".join(text.split())
    return "".join(ch if 32 <= ord(ch) < 127 else "?" for ch in text)


def _headline(
    transitions: list[Transition],
    result: CheckResult,
    flapping: bool = False,
    confirmed: bool = False,
    held: str | None = None,
) -> tuple[str, str]:
    """(status word, short what-changed) for subject and SMS. `held`: the open alert's
    verdict, which a reminder tells rather than this cycle's."""
    overall = [t for t in transitions if t.target == "overall"]
    verdict = held or result.verdict.verdict
    if overall and overall[-1].to == "operational":
        return "RESOLVED", "Claude API operational again"
    if confirmed and not overall:
        return "CONFIRMED", f"status page now confirms Claude API {verdict}"
    if flapping:
        return "FLAPPING", "Claude API flapping; the alert stays open until stable"
    bedrock = [t for t in transitions if t.target.startswith("bedrock:")]
    if bedrock and not overall:  # BEDROCK_ALERTS: the failover path changed
        last = bedrock[-1]
        model = last.target.split(":", 1)[1]
        if last.to == "ok":
            return "RESOLVED", f"Amazon Bedrock answers again for {model}"
        return "WARNING", f"Amazon Bedrock {last.to} for {model}: failover would not work"
    regional = [t for t in transitions if t.target.startswith("region:")]
    if regional and not overall:  # a fleet's region fell silent or reports again
        return _silence_headline(regional, result)
    if overall and result.regions and result.verdict.severity_as:
        # a fleet's minority vote: the headline names the regions whose path fails
        return "WARNING", result.verdict.summary.split(";")[0]
    if not transitions:
        return "REMINDER", f"Claude API still {verdict}"
    word = {"critical": "CRITICAL", "warning": "WARNING", "unknown": "UNKNOWN"}.get(
        result.verdict.severity, "OK"
    )
    return word, f"Claude API {verdict}"


def alert_key(transitions: list[Transition]) -> str:
    """The alert a notification is about: the overall verdict's, unless only Bedrock
    paths moved (BEDROCK_ALERTS), then the last one's (`bedrock:<model>`), or only a
    fleet's regions (falling silent, reporting again), then the last one's
    (`region:<name>`): each opens and closes on its own, so each has its own key."""
    if not transitions or any(t.target == "overall" for t in transitions):
        return "overall"
    own = [t for t in transitions if t.target.startswith(("bedrock:", "region:"))]
    return own[-1].target if own else "overall"


def _silence_headline(moved: list[Transition], result: CheckResult) -> tuple[str, str]:
    from ..decide.vote import SILENT, silent_line

    rows = {r.get("region"): r for r in result.regions}
    silent = [t.target.split(":", 1)[1] for t in moved if t.to == SILENT]
    if silent:
        lines = [silent_line(r, (rows.get(r) or {}).get("last_seen")) for r in silent]
        return "WARNING", "; ".join(lines) + " (the monitor, not Claude)"
    back = [t.target.split(":", 1)[1] for t in moved]
    return "RESOLVED", f"{', '.join(back)} reports again"


# The next step while an alert stays open over a good cycle (flapping, or a reminder or
# digest of the open alert): "Nothing to do" would read as the all-clear.
STILL_OPEN_STEP = (
    "The API answers right now, but the alert stays open until it has been stable: "
    "keep your fallbacks ready; a RESOLVED follows when it closes."
)
STILL_OPEN_SMS = "Alert stays open: keep fallbacks ready"


def step_for(result: CheckResult, still_open: bool, alert: str = "overall") -> str:
    """The verdict's next step, unless an alert this message is about stays open while
    the verdict is operational: the overall alert (held open), or one of its own."""
    own = own_step(alert) if still_open else None
    if own:
        return own
    if still_open and result.verdict.verdict == "operational":
        return STILL_OPEN_STEP
    return next_step(result.verdict)


def compose(
    notification_id: str,
    transitions: list[Transition],
    result: CheckResult,
    lead_time_min: float | None,
    reminder: bool = False,
    *,
    extra: Extra | None = None,
) -> Notification:
    extra = extra or Extra()
    word, headline = _headline(
        transitions, result, extra.flapping, extra.confirmed, extra.held if reminder else None
    )
    region = f" [{result.region}]" if result.region and result.region != "local" else ""
    failing = [c for c in result.canaries if c.outcome not in ("ok", "skipped")]
    detail = ", ".join(
        f"{c.model} {c.outcome}" + (f" {c.http_status}" if c.http_status else "") for c in failing
    )
    lead_info = extra.lead or ({"minutes": lead_time_min} if lead_time_min else None)
    lead = lead_sentence(lead_info)
    resolved = resolved_sentence(extra.resolved) if word == "RESOLVED" else ""

    subject = fit_text(
        ascii_line(f"{word}: {headline}{region}" + (f" - {detail}" if detail else "")), SUBJECT_MAX
    )
    page = result.status_page
    page_state = f"page: API {page.api_status}" if page.reachable else "page unreadable"
    alert = alert_key(transitions)
    still_open = extra.flapping or (reminder and extra.held not in (None, "operational"))
    still_open = still_open or (alert != "overall" and word == "WARNING")
    full_step = step_for(result, still_open and word != "RESOLVED", alert)
    step = STILL_OPEN_SMS if full_step == STILL_OPEN_STEP else full_step.split(".")[0]
    sms_parts = [f"{word}: {headline}{region}", detail, resolved.rstrip("."), page_state]
    sms_parts += [lead.rstrip("."), step]
    sms = fit_text(gsm7(". ".join(p for p in sms_parts if p) + "."), SMS_MAX)
    notes = [n for n in (lead, resolved, _flap_note(extra.flapping)) if n]
    notes += _confirmed_lines(result)
    severity = result.verdict.severity
    if extra.held:
        severity = extra.held_severity or SEVERITY[extra.held]
    if alert != "overall":
        # Only a failover path (BEDROCK_ALERTS) or a fleet's region moved: its own
        # alert, a warning while it fails (is silent) and ok when it is back, whatever
        # the API's verdict. The API's "ok" would read as a recovery to pagers, phone
        # filters and quiet hours; its "critical" belongs to the API's own alert.
        severity = "warning" if word == "WARNING" else "ok"
    return Notification(
        id=notification_id,
        subject=subject,
        sms=sms,
        email=_email(transitions, result, notes, reminder, full_step),
        severity=severity,
        verdict=extra.held or result.verdict.verdict,
        alert=alert,
    )


def compose_digest(
    text: str,
    severity: str,
    verdict: str | None,
    count: int,
    result: CheckResult,
    alert: str = "overall",
) -> Notification:
    """The one message that tells what quiet hours or a mute held (quiet.release_digest),
    with the verdict now. Its id is the cycle's, so a re-send keeps it. `alert`: the
    open alert it is about (plan._alert_now), a Bedrock path's while only that is open."""
    verdict = verdict if verdict in SEVERITY else result.verdict.verdict
    severity = severity if severity in ("ok", "warning", "critical", "unknown") else "warning"
    plural = "s" if count != 1 else ""
    headline = f"DIGEST: {count} held Claude API notification{plural}; now {verdict}"
    region = f" [{result.region}]" if result.region and result.region != "local" else ""
    subject = fit_text(ascii_line(headline + region), SUBJECT_MAX)
    still = (
        f"\nThe alert stays open: {verdict} ({severity})."
        if alert == "overall" and verdict != result.verdict.verdict and severity != "ok"
        else ""
    )
    if alert != "overall" and severity != "ok":
        what = alert.split(":", 1)[1]
        kind = "Amazon Bedrock" if alert.startswith("bedrock:") else "monitor region"
        still += f"\nThe {kind} alert for {what} stays open ({severity})."
    email = (
        f"{text}\n\nNow: {result.verdict.verdict} ({result.verdict.severity}) at "
        f"{result.checked_at}\n  {result.verdict.summary}{still}\n\n"
        f"Next step: {step_for(result, bool(still), alert)}"
    )
    return Notification(
        id=f"n-{result.checked_at}-digest",
        subject=subject,
        sms=fit_text(gsm7(subject + "."), SMS_MAX),
        email=email,
        severity=severity,
        verdict=verdict or result.verdict.verdict,
        alert=alert,
    )


def _flap_note(flapping: bool) -> str:
    if not flapping:
        return ""
    return (
        "The verdict keeps flapping between bad and good: the alert stays open, as one "
        "event, and closes after a stable stretch of good cycles."
    )


def _confirmed_lines(result: CheckResult) -> list[str]:
    return [
        f'Incident "{incident.name}" confirms {model}'
        + (f" ({incident.shortlink})" if incident.shortlink else "")
        for incident, model in confirmations(result.status_page, result.canaries)
    ]


def _email(
    transitions: list[Transition],
    result: CheckResult,
    notes: list[str],
    reminder: bool,
    step: str | None = None,
) -> str:
    verdict = result.verdict
    lines = ["What changed:"]
    lines += [f"  {t.target}: {t.from_} -> {t.to}" for t in transitions] or [
        "  nothing new; this is a reminder that the alert is still open" if reminder else "  -"
    ]
    lines += [
        "",
        f"Verdict: {verdict.verdict} ({verdict.severity}) at {result.checked_at}",
        f"  {verdict.summary}",
    ]
    lines += [f"  {note}" for note in notes]
    lines += ["", "Canaries:"]
    for c in result.canaries:
        window = (
            # The error window counts platform errors only: a network error's 0 of 3
            # must not read as "nothing failed".
            f", window: platform errors in {c.window['failed']} of {c.window['requests']} requests"
            if c.window and c.window.get("requests")
            else ""
        )
        lines.append(
            f"  {c.model}: {c.outcome}, HTTP {c.http_status or '-'}, "
            f"request id {c.request_id or '-'}, latency "
            f"{'-' if c.latency_ms is None else str(c.latency_ms) + ' ms'}, "
            f"attempts {c.attempts}{window}"
        )
        said = answer_line(c)
        if said:
            lines.append(f"    {said}")
    if result.bedrock:
        lines += ["", "Amazon Bedrock (failover path):"]
        lines += [
            f"  {b.model}: {b.outcome}, HTTP {b.http_status or '-'}, "
            f"request id {b.request_id or '-'}, latency "
            f"{'-' if b.latency_ms is None else str(b.latency_ms) + ' ms'}"
            for b in result.bedrock
        ]
    page = result.status_page
    lines += ["", "Status page:"]
    if page.reachable:
        lines.append(f"  API component: {page.api_status}; page: {page.description}")
    else:
        lines.append(f"  unreadable: {page.error}")
    for incident in page.incidents + page.maintenances:
        lines.append(
            f"  - {incident.name} [{incident.status}, {incident.impact}] "
            f"{incident.shortlink or ''}".rstrip()
        )
    lines += ["", f"Next step: {step or next_step(verdict)}"]
    if result.region and result.region != "local":
        lines.append(f"Region: {result.region}")
    return "\n".join(lines)


def answer_line(canary: CanaryResult) -> str | None:
    """One line on a canary's answer check for people (check's text, the email), or
    None when there is nothing to say (passed, or not checked this cycle)."""
    check = canary.answer_check
    if not check or check == ANSWER_PASSED:
        return None
    if check == ANSWER_WRONG:
        return (
            f"answer check: {canary.answers_wrong} of {canary.answers_checked} answers wrong: "
            f"expected {canary.answer_expected!r}, got {canary.answer_got!r}"
        )
    return f"answer check {check}"
