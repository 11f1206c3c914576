"""What the simulator prints when it starts, fitted to 80 columns."""

from __future__ import annotations

import textwrap

from .scenarios import DESCRIPTIONS, TIMELINES

WIDTH = 80


def banner(url: str, scenario: str, step_seconds: float) -> str:
    """Where it listens, what the scenario does, and the variables to point the monitor
    at it; the list of scenarios is in `simulate --help`, not here."""
    what = DESCRIPTIONS.get(scenario, scenario)
    if scenario in TIMELINES:
        what += f"; {len(TIMELINES[scenario])} steps of {step_seconds:g} s"
    return "\n".join(
        [
            *textwrap.wrap(f"Simulator on {url}, scenario {scenario}: {what}.", WIDTH),
            "Point the monitor at it (make check-sim does):",
            *env_lines(
                [f"STATUS_PAGE_URL={url}", f"ANTHROPIC_BASE_URL={url}", "ANTHROPIC_API_KEY=sim-key"]
            ),
            "Every scenario and timeline: make simulate ARGS=--help. Ctrl-C stops.",
        ]
    )


def env_lines(assignments: list[str], width: int = WIDTH) -> list[str]:
    """Shell variable assignments to copy, indented two, packed into lines of at most
    `width`, each line but the last ending in a backslash."""
    lines: list[str] = []
    line = " "
    for word in assignments:
        if line.strip() and len(line) + 1 + len(word) + 2 > width:
            lines.append(line + " \\")
            line = " "
        line += " " + word
    return [*lines, line]
