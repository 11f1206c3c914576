"""`report`: one self-contained HTML file with pictures of the stored history.

Uptime bars per target, our episodes beside the status page's incidents, latency per
model, monthly availability (also as CSV) and the settings in force. It reads the
store as `history` does (the local SQLite file, or DynamoDB with TABLE_NAME) and
needs no network to open. A command-line tool: the Lambda asset leaves it out.
"""

from __future__ import annotations

import csv
import io
import os
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from typing import Any

from ..config import Config
from ..keep.store import History, StoreError
from . import report_svg as svg
from .history import muted_spans, parse_window
from .report_data import (
    DAY,
    Frame,
    Row,
    Series,
    cadence_s,
    iso,
    latency,
    monthly,
    prepare,
    rows,
    span_label,
    target_points,
    when,
)
from .report_episodes import Episode, PageIncident, episodes, page_incidents

EXIT_USAGE = 64
MAX_EPISODES = 200  # the most recent ones; older ones are counted, not drawn
CSV_FIELDS = (
    "month",
    "target",
    "availability_pct",
    "downtime_min",
    "cycles",
    "episodes",
    "median_lead_min",
)


@dataclass
class Report:
    frame: Frame
    rows: list[Row]
    episodes: list[Episode]
    page_only: list[PageIncident]
    latency: list[Series]
    monthly: list[dict[str, Any]]
    mutes: list[dict[str, Any]]
    cycles: int
    models: list[str]


def build(history: History, since: float, now: float) -> Report:
    """Every figure of the report, aggregated from the stored records."""
    cycles = prepare(history.cycles)
    regions = len({str(c.get("region") or "local") for c in cycles}) or 1
    frame = Frame.make(since, now, cadence_s(cycles), regions)
    series = target_points(cycles)
    found = episodes(cycles, history.transitions)
    leads = [(e.first_failure, e.lead_min, e.models) for e in found if e.lead_min is not None]
    return Report(
        frame=frame,
        rows=rows(series, frame),
        episodes=found,
        page_only=page_incidents(cycles, found),
        latency=latency(cycles, frame),
        monthly=monthly(series, history.transitions, leads, frame),
        mutes=muted_spans(cycles),
        cycles=len(cycles),
        models=[t.removeprefix("canary:") for t in series if t.startswith("canary:")],
    )


def csv_text(monthly_rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for row in monthly_rows:
        writer.writerow({k: "" if row[k] is None else row[k] for k in CSV_FIELDS})
    return buffer.getvalue()


def _mute_spans(report: Report) -> list[tuple[float, float]]:
    """From the first cycle that found each mute to its end (or the last cycle that
    found it, plus one cadence, when it was lifted early); unreadable times are skipped."""
    spans = []
    for m in report.mutes:
        start, seen, until = when(m["from"]), when(m["to"]), when(m["until"])
        if start is not None and seen is not None and until is not None:
            spans.append((start, min(until, max(seen + report.frame.cadence, start))))
    return spans


def _quiet_spans(config: Config, frame: Frame) -> list[tuple[float, float]]:
    quiet = config.quiet_hours
    if quiet is None or frame.size > DAY:
        # Nightly spans on bars of several days are noise, and one rect a night for
        # years outgrows the file; the context table still names QUIET_HOURS.
        return []
    spans = []
    day = frame.start - frame.start % DAY - DAY
    while day < frame.end:
        start, end = day + quiet.start_min * 60, day + quiet.end_min * 60
        spans.append((start, end if end > start else end + DAY))
        day += DAY
    # Up to the time the report was made: later nights have not happened yet.
    return [(a, min(b, frame.now)) for a, b in spans if b > frame.start and a < frame.now]


CSS = """
body{font:13px/1.4 system-ui,sans-serif;color:#212121;margin:16px auto;max-width:1040px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:20px 0 6px;break-after:avoid}
svg.chart{display:block;width:100%;height:auto;font-size:11px}
svg.chart text{fill:#212121}svg.chart .tick{font-size:10px;fill:#616161}
section{break-inside:avoid-page}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #e0e0e0;
padding:3px 6px;text-align:left;vertical-align:middle}th{background:#f5f5f5}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:8px 16px}.grid h3{font-size:13px;margin:4px 0}
td svg.episode{width:100%;min-width:260px}.note{color:#616161}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
@page{size:A4;margin:12mm}
@media print{body{margin:0;max-width:none;font-size:10px}.grid{grid-template-columns:1fr 1fr}
tr,figure,.grid>div{break-inside:avoid}}
"""


def render_html(report: Report, config: Config, made_at: float) -> str:
    frame = report.frame
    unit = span_label(frame.size)
    shaded = [("Muted", _mute_spans(report))]
    quiet = _quiet_spans(config, frame)
    if quiet:
        shaded.append(("Quiet hours", quiet))
    head = (
        f"<h1>Claude API uptime report</h1><p>From {iso(frame.start)} to {iso(frame.now)}: "
        f"{report.cycles} cycles, one bar per {unit}. Made at {iso(made_at)}.</p>"
    )
    parts = [
        head,
        "<section id='uptime'><h2>1. Uptime</h2>",
        svg.legend(),
        svg.bars(report.rows, frame, shaded),
        "<p class='note'>Each bar takes the colour and pattern of the worst state in its "
        f"{unit}; its title gives the availability and the minutes down. Time no cycle "
        "covered is drawn as no data, never as up. Availability on the right.</p></section>",
        _episodes_section(report),
        _latency_section(report, config),
        _monthly_section(report),
        _context_section(report, config, made_at),
    ]
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>Claude API uptime report</title><style>{CSS}</style></head><body>"
        f"{svg.DEFS}{''.join(parts)}</body></html>\n"
    )


def _utc(ts: float | None) -> str:
    return "-" if ts is None else datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M")


def _episodes_section(report: Report) -> str:
    shown = report.episodes[-MAX_EPISODES:]
    older = len(report.episodes) - len(shown)
    out = ["<section id='episodes'><h2>2. Them beside us</h2>"]
    if not report.episodes and not report.page_only:
        out.append("<p>No alert opened in this window, and the page listed no incident.</p>")
        return "".join(out) + "</section>"
    out.append(svg.marks_legend())
    out.append(
        "<table class='episodes'><tr><th>Began (UTC)</th><th>Timeline</th><th>Duration</th>"
        "<th>Worst</th><th>Lead time</th></tr>"
    )
    now = report.frame.now
    for ep in shown:
        began = _utc(ep.first_failure) + (" (alert open before the window)" * ep.before_window)
        duration = f"{ep.duration_min(now):.0f} min" + ("" if ep.recovered else ", ongoing")
        incident = f"<br><span class='note'>{escape(ep.incident)}</span>" if ep.incident else ""
        out.append(
            f"<tr class='episode-row'><td>{began}</td><td>{svg.episode(ep, now)}</td>"
            f"<td class='num'>{duration}</td><td>{escape(ep.worst)}</td>"
            f"<td>{escape(ep.sentence())}{incident}</td></tr>"
        )
    for inc in report.page_only:
        out.append(
            f"<tr class='page-only-row'><td>{_utc(inc.first_seen)}</td><td>page incident "
            f"<q>{escape(inc.name)}</q>, listed until {_utc(inc.last_seen)}</td>"
            "<td></td><td></td><td>the page reported it; our canaries saw nothing</td></tr>"
        )
    out.append("</table>")
    if older:
        out.append(f"<p class='note'>{older} older episodes are counted but not drawn.</p>")
    return "".join(out) + "</section>"


def _latency_section(report: Report, config: Config) -> str:
    unit = span_label(report.frame.size)
    out = [f"<section id='latency'><h2>3. Latency per model (p50 and p90 per {unit})</h2>"]
    if not report.latency:
        return "".join(out) + "<p>No successful canary in this window.</p></section>"
    out.append(svg.latency_legend())
    out.append("<div class='grid'>")
    for series in report.latency:
        out.append(
            f"<div><h3>{escape(series.model)}</h3>"
            f"{svg.latency(series, report.frame, config.latency_slow_ms)}</div>"
        )
    return "".join(out) + "</div></section>"


def _monthly_section(report: Report) -> str:
    out = [
        "<section id='monthly'><h2>4. Monthly availability</h2>",
        "<table class='monthly'><tr><th>Month</th><th>Target</th><th>Availability</th>"
        "<th>Downtime (min)</th><th>Cycles</th><th>Episodes</th><th>Median lead (min)</th></tr>",
    ]
    labels = {row.target: row.label for row in report.rows}
    for r in report.monthly:
        lead = "-" if r["median_lead_min"] is None else f"{r['median_lead_min']:g}"
        episodes_ = "-" if r["episodes"] is None else r["episodes"]
        out.append(
            f"<tr><td>{r['month']}</td><td>{escape(labels.get(r['target'], r['target']))}</td>"
            f"<td class='num'>{r['availability_pct']:.3f}%</td>"
            f"<td class='num'>{r['downtime_min']:g}</td><td class='num'>{r['cycles']}</td>"
            f"<td class='num'>{episodes_}</td><td class='num'>{lead}</td></tr>"
        )
    if not report.monthly:
        out.append("<tr><td colspan='7'>No cycles stored in this window.</td></tr>")
    return "".join(out) + "</table></section>"


def _context_section(report: Report, config: Config, made_at: float) -> str:
    frame = report.frame
    cadence = f"{frame.cadence:g} s (the median interval between cycles)"
    quiet = config.quiet_hours.label() if config.quiet_hours else "none"
    settings = [
        ("Models in the records", ", ".join(report.models) or "none"),
        ("Models configured here (CANARY_MODELS)", ", ".join(config.canary_models)),
        ("Cadence", cadence if report.cycles > 1 else "not measured (fewer than two cycles)"),
        (
            "FAILURE_THRESHOLD / RECOVERY_THRESHOLD",
            f"{config.failure_threshold} / {config.recovery_threshold} cycles",
        ),
        ("LATENCY_SLOW_MS", f"{config.latency_slow_ms} ms"),
        (
            "ERROR_RATE_WARN over ERROR_WINDOW_CYCLES",
            f"{config.error_rate_warn:g} over {config.error_window_cycles} cycles",
        ),
        ("QUIET_HOURS", quiet),
        (
            "Store",
            f"DynamoDB table {config.table_name}"
            if config.table_name
            else f"SQLite file {config.local_db_path}",
        ),
        ("Report made", iso(made_at)),
    ]
    out = ["<section id='context'><h2>5. Context</h2><table class='settings'>"]
    out += [f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in settings]
    out.append("</table><p>The thresholds are those configured where the report was made.</p>")
    if report.mutes:
        out.append("<table class='mutes'><tr><th>Muted from</th><th>Until</th><th>Reason</th></tr>")
        out += [
            f"<tr><td>{escape(m['from'])}</td><td>{escape(m['until'])}</td>"
            f"<td>{escape(m['reason'] or '-')}</td></tr>"
            for m in report.mutes
        ]
        out.append("</table>")
    else:
        out.append("<p>No mute in this window.</p>")
    return "".join(out) + "</section>"


def run_report(
    config: Config, since: str, out: str, csv_path: str | None, now: float | None = None
) -> int:
    from ..wiring import build_store

    try:
        window = parse_window(since)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE  # a bad option value is a usage error
    made_at = time.time() if now is None else now
    start = made_at - window.total_seconds()
    try:
        history = build_store(config, reader=True).history(iso(start))
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    report = build(history, start, made_at)
    try:
        _write(out, render_html(report, config, made_at))
        if csv_path:
            _write(csv_path, csv_text(report.monthly))
    except OSError as exc:
        print(f"error: cannot write {exc.filename!r}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    size_kb = os.path.getsize(out) / 1024
    print(f"wrote {out} ({size_kb:.0f} KB, {report.cycles} cycles, {len(report.rows)} targets)")
    return 0


def _write(path: str, text: str) -> None:
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
