"""A fleet's regions side by side: `check` for the last cycle, `history` over time.

Both read the views the home kept (CheckResult.regions, and the same list in each
cycle record); a single region has none, and these add nothing to the output.
"""

from __future__ import annotations

import textwrap
from typing import Any

# One character per cycle and region, by the region's own severity; "-" when the
# region did not report that minute.
_CHAR = {"ok": ".", "warning": "w", "critical": "X", "unknown": "?"}
SILENT_CHAR = "-"


def region_lines(regions: list[dict[str, Any]], width: int = 80) -> list[str]:
    """`check`'s table of the regions' views of this minute, the home first."""
    if not regions:
        return []
    rows: list[tuple[str, str, str, str]] = []
    for row in regions:
        name = str(row.get("region", "?")) + (" (home)" if row.get("home") else "")
        if not row.get("reported"):
            last = row.get("last_seen")
            since = f"since {str(last)[11:16]} UTC" if last else "yet"
            rows.append((name, "no report", "-", f"has not reported {since}"))
            continue
        canaries = row.get("canaries") if isinstance(row.get("canaries"), dict) else {}
        outcomes = ", ".join(f"{m} {o}" for m, o in (canaries or {}).items()) or "-"
        rows.append((name, str(row.get("verdict", "?")), outcomes, str(row.get("summary", ""))))
    name_w, verdict_w = (max(len(r[i]) for r in rows) for i in (0, 1))
    lines = ["", "Regions, each one's own view of this minute:"]
    for name, verdict, outcomes, summary in rows:
        head = f"  {name.ljust(name_w)}  {verdict.ljust(verdict_w)}  "
        lines += textwrap.wrap(outcomes, max(20, width - len(head)), initial_indent=head,
                               subsequent_indent=" " * len(head)) or [head.rstrip()]  # fmt: skip
        lines += textwrap.wrap(summary, width, initial_indent="    ", subsequent_indent="    ")
    return lines


def region_points(cycle: dict[str, Any], series: dict[str, list[tuple[str, bool | None]]]):
    """`region:<name>` timeline rows from a cycle record's views; an older or hostile
    record (no list, odd entries) adds nothing rather than failing."""
    entries = cycle.get("regions")
    if not isinstance(entries, list):
        return
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("region"), str):
            continue
        key = f"region:{entry['region'][:40]}"
        if not entry.get("reported"):
            series.setdefault(key, []).append((SILENT_CHAR, None))
            continue
        severity = entry.get("severity")
        good = entry.get("verdict") == "operational"
        series.setdefault(key, []).append((_CHAR.get(str(severity), "?"), good))
