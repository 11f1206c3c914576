"""Inline SVG, written by hand: the report's charts as text, no plotting library.

Hand-written SVG keeps the report one small file that opens offline, with a <title>
on every bar for its figures, and adds no dependency to install (matplotlib would
bring numpy and a font cache for a few rectangles and lines). Every chart is
aggregated before it gets here: one element per bucket, never one per cycle.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from html import escape

from .report_data import DAY, NODATA, STATE_NAME, Frame, Row, Series, bucket_title
from .report_episodes import Episode

WIDTH = 1000  # viewBox units; the SVG scales to the page (A4 included)
LABEL_W, AVAIL_W = 190, 80
ROW_H, ROW_GAP = 16, 4
STATES = ("up", "warn", "unknown", "down", NODATA)

# One pattern per state, so colour is never the only cue (and it prints in grey).
DEFS = """<svg class="defs" width="0" height="0" aria-hidden="true" \
style="position:absolute"><defs>
<pattern id="p-up" width="6" height="6" patternUnits="userSpaceOnUse">\
<rect width="6" height="6" fill="#2e7d32"/></pattern>
<pattern id="p-warn" width="6" height="6" patternUnits="userSpaceOnUse" \
patternTransform="rotate(45)"><rect width="6" height="6" fill="#f2b01e"/>\
<rect width="2" height="6" fill="#8a5a00"/></pattern>
<pattern id="p-unknown" width="6" height="6" patternUnits="userSpaceOnUse">\
<rect width="6" height="6" fill="#9e9e9e"/><circle cx="3" cy="3" r="1.3" fill="#424242"/>\
</pattern>
<pattern id="p-down" width="6" height="6" patternUnits="userSpaceOnUse">\
<rect width="6" height="6" fill="#c62828"/><path d="M0 0L6 6M6 0L0 6" stroke="#fff" \
stroke-width="1"/></pattern>
<pattern id="p-nodata" width="6" height="6" patternUnits="userSpaceOnUse" \
patternTransform="rotate(-45)"><rect width="6" height="6" fill="#fff"/>\
<rect width="1" height="6" fill="#bdbdbd"/></pattern>
<pattern id="p-muted" width="8" height="8" patternUnits="userSpaceOnUse" \
patternTransform="rotate(45)"><rect width="8" height="8" fill="#d1c4e9"/>\
<rect width="3" height="8" fill="#7e57c2"/></pattern>
</defs></svg>"""


def _utc(ts: float, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return datetime.fromtimestamp(ts, UTC).strftime(fmt)


def _n(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def legend() -> str:
    items = []
    for i, state in enumerate(STATES):
        x = i * 150
        items.append(
            f'<rect x="{x}" y="2" width="22" height="12" fill="url(#p-{state})" '
            f'stroke="#616161" stroke-width="0.5"/><text x="{x + 28}" y="12">'
            f"{STATE_NAME[state]}</text>"
        )
    x = len(STATES) * 150
    items.append(
        f'<rect x="{x}" y="2" width="22" height="12" fill="url(#p-muted)"/>'
        f'<text x="{x + 28}" y="12">muted / quiet hours</text>'
    )
    return (
        f'<svg class="chart legend" viewBox="0 0 {WIDTH} 16" role="img" '
        f'aria-label="legend">{"".join(items)}</svg>'
    )


def _x(frame: Frame, at: float) -> float:
    span = WIDTH - LABEL_W - AVAIL_W
    return LABEL_W + span * max(0.0, min(1.0, (at - frame.start) / (frame.end - frame.start)))


def bars(rows: list[Row], frame: Frame, shaded: list[tuple[str, list[tuple[float, float]]]]) -> str:
    """One row per target, one bar per bucket; then the shaded rows (mutes, quiet hours)
    and the time axis."""
    step = (WIDTH - LABEL_W - AVAIL_W) / frame.count
    out: list[str] = []
    y = 0
    for row in rows:
        out.append(_bar_row(row, frame, step, y))
        y += ROW_H + ROW_GAP
    for name, spans in shaded:
        parts = [
            f'<rect class="shade" x="{_n(_x(frame, a))}" y="{y + 3}" '
            f'width="{_n(max(1.0, _x(frame, b) - _x(frame, a)))}" height="{ROW_H - 6}" '
            f'fill="url(#p-muted)"><title>{escape(name)}: {_utc(a)} to {_utc(b)} UTC'
            "</title></rect>"
            for a, b in spans
            if b > frame.start and a < frame.end
        ]
        out.append(
            f'<g class="shaded" data-name="{escape(name)}"><text x="0" y="{y + 12}">'
            f"{escape(name)}</text>"
            f'<line x1="{LABEL_W}" x2="{WIDTH - AVAIL_W}" y1="{y + ROW_H / 2}" '
            f'y2="{y + ROW_H / 2}" stroke="#e0e0e0"/>{"".join(parts)}</g>'
        )
        y += ROW_H + ROW_GAP
    out.append(_axis(frame, y))
    height = y + 18
    return (
        f'<svg class="chart bars" data-rows="{len(rows)}" data-buckets="{frame.count}" '
        f'viewBox="0 0 {WIDTH} {height}" role="img" aria-label="uptime bars">'
        f"{''.join(out)}</svg>"
    )


def _bar_row(row: Row, frame: Frame, step: float, y: int) -> str:
    parts = [f'<text x="0" y="{y + 12}">{escape(row.label)}</text>']
    width = _n(max(step - (1 if step > 3 else 0), 0.5))
    for i, b in enumerate(row.buckets):
        x = _n(LABEL_W + i * step)
        title = escape(bucket_title(b, frame, row.regions))
        parts.append(
            f'<rect class="bar s-{b.worst}" x="{x}" y="{y}" width="{width}" height="{ROW_H}" '
            f'fill="url(#p-{b.worst})"><title>{title}</title></rect>'
        )
        span_min = (min(b.end, frame.now) - b.start) / 60
        if b.cycles and span_min > 0 and b.nodata_min >= 1:
            # The share of the bucket no cycle covered, drawn as no data from the top.
            gap = ROW_H * min(1.0, b.nodata_min / span_min)
            parts.append(
                f'<rect class="gap" x="{x}" y="{y}" width="{width}" height="{_n(gap)}" '
                'fill="url(#p-nodata)" pointer-events="none"/>'
            )
    share = "n/a" if row.availability is None else f"{row.availability:.2f}%"
    parts.append(f'<text class="avail" x="{WIDTH}" y="{y + 12}" text-anchor="end">{share}</text>')
    return f'<g class="row" data-target="{escape(row.target)}">{"".join(parts)}</g>'


def _axis(frame: Frame, y: int) -> str:
    fmt = "%m-%d" if frame.size == DAY else "%H:%M" if frame.count <= 48 else "%m-%d %H:%M"
    fmt = "%Y-%m-%d" if frame.size > DAY else fmt  # bars of several days: years apart
    every = max(1, frame.count // 8)
    ticks = []
    for i in range(0, frame.count, every):
        x = _x(frame, frame.edges[i])
        ticks.append(
            f'<line x1="{_n(x)}" x2="{_n(x)}" y1="{y - 2}" y2="{y + 3}" stroke="#757575"/>'
            f'<text class="tick" x="{_n(x)}" y="{y + 14}">{_utc(frame.edges[i], fmt)}</text>'
        )
    return f'<g class="axis">{"".join(ticks)}</g>'


MARKS = (
    ("first_failure", "our first failure", "#c62828", "circle"),
    ("started_at", "incident started (page's date)", "#6a1b9a", "triangle"),
    ("created_at", "incident posted on the page", "#1565c0", "diamond"),
    ("alert", "our alert", "#e65100", "square"),
    ("recovered", "recovery", "#2e7d32", "circle-open"),
)


def _shape(kind: str, x: float, y: float, colour: str, extra: str = "", inner: str = "") -> str:
    """One marker of an episode, with its attributes `extra` and its <title> `inner`."""
    if kind.startswith("circle"):
        fill = f'fill="#fff" stroke="{colour}" stroke-width="2"' if kind == "circle-open" else ""
        tag, attrs = "circle", f'cx="{_n(x)}" cy="{y}" r="5" {fill or f"fill={colour!r}"}'
    elif kind == "square":
        tag, attrs = "rect", f'x="{_n(x - 4.5)}" y="{y - 4.5}" width="9" height="9" fill="{colour}"'
    else:
        d = 5.5 if kind == "triangle" else 6
        points = (
            f"M{_n(x)} {y - 6}L{_n(x + d)} {y + 4}L{_n(x - d)} {y + 4}Z"
            if kind == "triangle"
            else f"M{_n(x)} {y - 6}L{_n(x + d)} {y}L{_n(x)} {y + 6}L{_n(x - d)} {y}Z"
        )
        tag, attrs = "path", f'd="{points}" fill="{colour}"'
    return f"<{tag} {attrs}{extra}>{inner}</{tag}>"


def marks_legend() -> str:
    parts = []
    for i, (_, name, colour, kind) in enumerate(MARKS):
        x = 8 + i * 190
        parts.append(f'{_shape(kind, x, 9, colour)}<text x="{x + 12}" y="13">{name}</text>')
    return (
        f'<svg class="chart legend" viewBox="0 0 {WIDTH} 18" role="img" '
        f'aria-label="episode legend">{"".join(parts)}</svg>'
    )


def episode(ep: Episode, now: float) -> str:
    """One episode on its own time axis: the outage band, then each known moment."""
    w, h, pad = 560, 30, 14
    lo, hi = min(ep.times()), max([*ep.times(), ep.recovered or now])
    span = max(hi - lo, 60.0)

    def x(at: float) -> float:
        return pad + (w - 2 * pad) * (at - lo) / span

    end = ep.recovered or now
    parts = [
        f'<line x1="{pad}" x2="{w - pad}" y1="{h / 2}" y2="{h / 2}" stroke="#bdbdbd"/>',
        f'<rect class="band" x="{_n(x(ep.first_failure))}" y="{h / 2 - 4}" '
        f'width="{_n(max(2.0, x(end) - x(ep.first_failure)))}" height="8" fill="url(#p-down)" '
        f'opacity="0.6"><title>our outage: {_utc(ep.first_failure, "%H:%M:%S")} to '
        f"{_utc(end, '%H:%M:%S') if ep.recovered else 'ongoing'} UTC</title></rect>",
    ]
    for key, name, colour, kind in MARKS:
        at = getattr(ep, key)
        if at is not None:
            title = f"<title>{name}: {_utc(at, '%Y-%m-%d %H:%M:%S')} UTC</title>"
            parts.append(_shape(kind, x(at), h // 2, colour, f' class="mark m-{key}"', title))
    return (
        f'<svg class="chart episode" viewBox="0 0 {w} {h}" role="img" '
        f'aria-label="episode timeline">{"".join(parts)}</svg>'
    )


def latency(series: Series, frame: Frame, slow_ms: int) -> str:
    """p50 and p90 of TTFT and total latency per bucket, with the slow threshold, on a
    log scale: a 300 ms line stays readable below a 10 s threshold."""
    w, h, left, bottom = 480, 170, 52, 20
    values = [v for pair in series.ttft + series.total for v in pair if v is not None]
    low = math.floor(math.log10(max(1.0, min([*values, slow_ms]))))
    high = max(low + 1, math.ceil(math.log10(max([*values, slow_ms, 1.0]))))
    step = (w - left - 6) / max(1, frame.count)

    def y(ms: float) -> float:
        share = (math.log10(max(ms, 1.0)) - low) / (high - low)
        return 6 + (h - bottom - 6) * (1 - max(0.0, min(1.0, share)))

    def line(points: list[float | None], colour: str, dash: str) -> str:
        path = []
        for i, v in enumerate(points):
            if v is None:
                continue
            x, joined = left + (i + 0.5) * step, i > 0 and points[i - 1] is not None
            if joined:
                path.append(f"L{_n(x)} {_n(y(v))}")
            elif i + 1 < len(points) and points[i + 1] is not None:
                path.append(f"M{_n(x)} {_n(y(v))}")
            else:  # a lone point, its neighbours without data: a dash across its bucket
                path.append(f"M{_n(x - step * 0.3)} {_n(y(v))}h{_n(max(step * 0.6, 2.0))}")
        return (
            f'<path class="line" d="{"".join(path)}" fill="none" stroke="{colour}" '
            f'stroke-width="1.6" stroke-linecap="round" stroke-dasharray="{dash}"/>'
            if path
            else ""
        )

    parts = [
        f'<line x1="{left}" x2="{left}" y1="6" y2="{h - bottom}" stroke="#757575"/>',
        f'<line x1="{left}" x2="{w - 6}" y1="{h - bottom}" y2="{h - bottom}" stroke="#757575"/>',
        *(
            f'<line x1="{left - 3}" x2="{w - 6}" y1="{_n(y(10**e))}" y2="{_n(y(10**e))}" '
            f'stroke="#eeeeee"/><text class="tick" x="{left - 5}" y="{_n(y(10**e) + 3)}" '
            f'text-anchor="end">{_tick(10**e)}</text>'
            for e in range(low, high + 1)
        ),
        f'<line class="threshold" x1="{left}" x2="{w - 6}" y1="{_n(y(slow_ms))}" '
        f'y2="{_n(y(slow_ms))}" stroke="#c62828" stroke-dasharray="6 3"><title>'
        f"LATENCY_SLOW_MS: {slow_ms} ms</title></line>",
        f'<text class="tick" x="{w - 8}" y="{_n(y(slow_ms) + 11)}" text-anchor="end" '
        f'fill="#c62828">slow: {slow_ms / 1000:g} s</text>',
        line([p for p, _ in series.total], "#1565c0", "none"),
        line([q for _, q in series.total], "#1565c0", "4 3"),
        line([p for p, _ in series.ttft], "#6a1b9a", "none"),
        line([q for _, q in series.ttft], "#6a1b9a", "4 3"),
    ]
    for i, ((t50, t90), (l50, l90)) in enumerate(zip(series.ttft, series.total, strict=True)):
        if l50 is None and t50 is None:
            continue
        when = _utc(frame.edges[i], "%Y-%m-%d" if frame.size >= DAY else "%Y-%m-%d %H:%M")
        parts.append(
            f'<rect class="hover" x="{_n(left + i * step)}" y="6" width="{_n(step)}" '
            f'height="{h - bottom - 6}" fill="transparent"><title>{when} UTC: TTFT p50 '
            f"{_ms(t50)}, p90 {_ms(t90)}; total p50 {_ms(l50)}, p90 {_ms(l90)}</title></rect>"
        )
    return (
        f'<svg class="chart latency" data-model="{escape(series.model)}" '
        f'viewBox="0 0 {w} {h}" role="img" aria-label="latency of {escape(series.model)}">'
        f"{''.join(parts)}</svg>"
    )


def _tick(ms: int) -> str:
    return f"{ms} ms" if ms < 1000 else f"{ms // 1000} s"


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f} ms"


def latency_legend() -> str:
    items = [
        ("total p50", "#1565c0", "none"),
        ("total p90", "#1565c0", "4 3"),
        ("TTFT p50", "#6a1b9a", "none"),
        ("TTFT p90", "#6a1b9a", "4 3"),
        ("LATENCY_SLOW_MS", "#c62828", "6 3"),
    ]
    parts = [
        f'<line x1="{i * 160}" x2="{i * 160 + 30}" y1="8" y2="8" stroke="{c}" '
        f'stroke-width="2" stroke-dasharray="{d}"/><text x="{i * 160 + 36}" y="12">{n}</text>'
        for i, (n, c, d) in enumerate(items)
    ]
    return (
        f'<svg class="chart legend" viewBox="0 0 {WIDTH} 16" role="img" '
        f'aria-label="latency legend">{"".join(parts)}</svg>'
    )
