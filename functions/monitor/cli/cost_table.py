"""`cost`: the monthly estimate as a table (or JSON), line by line with its sources."""

from __future__ import annotations

import json
import sys
from typing import Any

from .cost import (
    CANARY_INPUT_TOKENS,
    DEFAULT_DURATION_MS,
    DEFAULT_MEMORY_MB,
    OPTIONAL,
    SPARSE_METRICS,
    estimate,
)


def render(report: dict[str, Any], width: int = 80) -> str:
    """The bill, one line per item, fitted to `width` columns (names wrap on words)."""
    import textwrap

    a = report["assumptions"]
    lines = textwrap.wrap(
        f"Monthly cost estimate: list prices of {report['prices_date']}, "
        f"{a['runs_per_month_per_region']:,.0f} runs per region, "
        f"models {', '.join(a['models'])}.",
        width,
    )
    regions = list(dict.fromkeys(i["region"] for i in report["items"]))
    for region in regions:
        lines += ["", f"{region}:"]
        for item in report["items"]:
            if item["region"] == region:
                lines += _line(item["name"], item["quantity"], item["unit"], item["usd"], width)
    lines += [
        "",
        _figure("Total, list price", report["total_usd"], width),
        _figure("Total with the always-free tier", report["total_with_free_tier_usd"], width),
        _figure("A CloudWatch Synthetics canary, same cadence", report["synthetics_usd"], width),
        "",
    ]
    notes = []
    for opt in report.get("optional", []):
        state = "included" if opt["included"] else "not included"
        how = "-c dashboard=true" if opt["name"] == OPTIONAL[0] else "-c topicKey=true"
        notes.append(
            f"Optional, {state}: {opt['name']}, ${opt['usd']:.2f} a month per region "
            f"({opt['free_tier_note']}); deploy with {how}."
        )
    notes += [
        f"Canary requests per run: {a['canary_requests_per_run']:g} (up to {a['canary_burst']} "
        f"while a model's window holds a failure, in {a['canary_failure_share']:.0%} of "
        "cycles; see --failure-share).",
        *[
            f"Answer check skipped for {m}: {why.removeprefix('skipped: ')}."
            for m, why in a.get("answer_check_skipped", {}).items()
        ],
        f"Sparse metrics ({', '.join(SPARSE_METRICS)}) are published only while they say "
        "something and cost about nothing in a healthy month. SMS is priced per country "
        "and not included.",
    ]
    for note in notes:
        lines += textwrap.wrap(note, width, subsequent_indent="  ")
    return "\n".join(lines)


def _line(name: str, quantity: float, unit: str, usd: float, width: int) -> list[str]:
    import textwrap

    figures = f"{quantity:>12,.2f} {unit:<13} ${usd:>7.4f}"
    room = width - len(figures) - 3
    if room >= 20:
        wrapped = textwrap.wrap(name, room) or [""]
        head = [f"  {part}" for part in wrapped[:-1]]
        return [*head, f"  {wrapped[-1]:<{room}} {figures}"]
    return [*textwrap.wrap(name, width - 2, initial_indent="  "), f"    {figures.strip()}"]


def _figure(label: str, usd: float, width: int) -> str:
    money = f"${usd:,.2f}"
    pad = max(1, min(width, 64) - len(label) - len(money) - 2)
    return f"  {label}{' ' * pad}{money}"


def run_cost(args: Any) -> int:
    import shutil

    try:
        report = estimate(
            schedule=args.schedule,
            models=tuple(m.strip() for m in args.models.split(",") if m.strip()),
            regions=tuple(r.strip() for r in args.regions.split(",") if r.strip()),
            alarms=args.alarms,
            custom_metrics=args.metrics,
            memory_mb=args.memory_mb or DEFAULT_MEMORY_MB,
            duration_ms=args.duration_ms or DEFAULT_DURATION_MS,
            dashboard=args.dashboard,
            input_tokens=args.input_tokens or CANARY_INPUT_TOKENS,
            topic_key=args.topic_key,
            failure_share=args.failure_share,
            burst=args.burst,
            webhooks=getattr(args, "webhooks", 0) or 0,
            chat_channels=getattr(args, "chat_channels", 0) or 0,
            bedrock_models=getattr(args, "bedrock_models", None),
            answer_check_every=getattr(args, "answer_check_every", 1),
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 64  # a bad option value is a usage error
    if args.json:
        print(json.dumps(report))
    else:
        print(render(report, width=shutil.get_terminal_size((80, 24)).columns))
    return 0
