"""The table people read after `check`."""

from __future__ import annotations

from .models import CheckResult
from .notify import lead_words
from .verdict import NEXT_STEP

_COLOUR = {"ok": "32", "warning": "33", "critical": "31", "unknown": "35"}


def _ms(value: int | None) -> str:
    return "-" if value is None else f"{value} ms"


def render_table(result: CheckResult, colour: bool = False, key_present: bool = True) -> str:
    verdict = result.verdict
    head = f"{verdict.verdict.upper()} ({verdict.severity})"
    if colour:
        head = f"\033[1;{_COLOUR[verdict.severity]}m{head}\033[0m"
    lines = [f"{head}  {result.checked_at}  {verdict.summary}", ""]

    page = result.status_page
    if page.reachable:
        lines.append(
            f"Status page: API {page.api_status or 'not listed'}; "
            f"page says {page.description or page.indicator or '?'}"
        )
    else:
        lines.append(f"Status page: unreadable ({page.error})")
    for incident in page.incidents + page.maintenances:
        link = f" {incident.shortlink}" if incident.shortlink else ""
        lines.append(f"  - {incident.name} [{incident.status}, {incident.impact}]{link}")

    rows = [("model", "outcome", "http", "ttft", "latency", "attempts", "request id")]
    for c in result.canaries:
        rows.append(
            (
                c.model,
                c.outcome,
                str(c.http_status or "-"),
                _ms(c.ttft_ms),
                _ms(c.latency_ms),
                str(c.attempts),
                c.request_id or "-",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines.append("")
    for row in rows:
        lines.append(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
    details = [
        f"  {c.model}: {c.detail}"
        for c in result.canaries
        if c.detail and c.outcome not in ("ok", "skipped")
    ]
    lines.extend(details)
    if result.lead_time_min is not None:
        lines.append(f"Seen {lead_words(result.lead_time_min)} before the status page.")
    for t in result.transitions:
        lines.append(f"Transition: {t.target} {t.from_} -> {t.to}")
    lines += ["", f"Next step: {NEXT_STEP[verdict.verdict]}"]
    if not key_present:
        lines.append(
            "No ANTHROPIC_API_KEY: canaries skipped, verdict rests on the status page. "
            "Set it to probe the API: export ANTHROPIC_API_KEY=sk-ant-..."
        )
    for error in result.errors:
        lines.append(f"Warning: {error}")
    return "\n".join(lines)
