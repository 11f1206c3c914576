"""Outage timelines for replays, one `World` per minute, shaped after real incidents.

Shared by the replay tests (short forms) and the replay benchmark (full forms). Each
builder returns the worlds and the facts a replay is judged against.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.replay import HEALTHY, World, incident


@dataclass(frozen=True)
class Timeline:
    name: str
    worlds: list[World]
    # The minute the trouble starts (None: no trouble to detect).
    starts: int | None = None
    # The minute the status page posts its incident (None: never).
    posted: int | None = None
    models: str = "claude-haiku-5-5"


def hard_outage(before: int = 3, length: int = 18, posted_after: int = 6) -> Timeline:
    """Every request 529s; the page posts an API incident `posted_after` min later."""
    start, posted = before, before + posted_after
    worlds = [HEALTHY] * before
    for minute in range(before, before + length):
        page = None
        if minute >= posted:
            page = incident("Elevated errors on the Claude API", posted, began=start)
        worlds.append(
            World(fail_every=1, api_status="major_outage" if page else "operational", incident=page)
        )
    worlds += [HEALTHY] * 6
    return Timeline("hard outage", worlds, starts=start, posted=posted)


def partial(every: int, length: int, before: int = 2, after: int = 5) -> Timeline:
    """Every `every`-th request fails (500), the page says nothing."""
    worlds = [HEALTHY] * before + [World(fail_every=every, fail_status=500)] * length
    worlds += [HEALTHY] * after
    return Timeline(f"partial outage, 1 request in {every}", worlds, starts=before)


def background(every: int, minutes: int) -> Timeline:
    """Steady background noise: every `every`-th request fails, for `minutes` cycles."""
    return Timeline(
        f"1 request in {every} failing for {minutes} cycles",
        [World(fail_every=every, fail_status=500)] * minutes,
    )


def blips(minutes: int = 120, gap: int = 20) -> Timeline:
    """One hard-failing minute every `gap` minutes."""
    worlds = [World(fail_every=1) if m % gap == gap - 1 else HEALTHY for m in range(minutes)]
    return Timeline("blips: one failing minute in 20", worlds)


def flapping(minutes: int = 20) -> Timeline:
    """Bad and good on alternate minutes, as the simulator's `flapping` timeline."""
    worlds = [World(fail_every=1) if m % 2 else HEALTHY for m in range(minutes)]
    return Timeline("flapping: every other minute failing", worlds)


def model_named_incident(before: int = 2, length: int = 20, posted_after: int = 12) -> Timeline:
    """Haiku 4.5 fails; an incident naming it, with no component and no impact, is
    posted later (as on 2026-04-19 for Opus 4.6)."""
    start, posted = before, before + posted_after
    worlds = [HEALTHY] * before
    for minute in range(before, before + length):
        page = None
        if minute >= posted:
            page = incident(
                "Elevated errors on Claude Haiku 4.5",
                posted,
                began=start,
                component=None,
                impact="none",
            )
        worlds.append(World(fail_every=1, incident=page))
    worlds += [HEALTHY] * 4
    return Timeline(
        "incident naming the model, no component",
        worlds,
        starts=start,
        posted=posted,
        models="claude-haiku-4-5",
    )


def claude_ai_only(minutes: int = 15) -> Timeline:
    page = incident(
        "Elevated errors on claude.ai", 0, began=0, component="claude.ai", impact="minor"
    )
    return Timeline("incident on claude.ai only", [World(incident=page)] * minutes)


def wrong_answers(rate: float, length: int, seed: int, before: int = 2, after: int = 5) -> Timeline:
    """A share `rate` of the answers is wrong at random (the stream is fine), the page
    says nothing; the draws are fixed by `seed`."""
    wrong = World(wrong_rate=rate, wrong_seed=seed)
    worlds = [World(wrong_seed=seed)] * before + [wrong] * length + [World(wrong_seed=seed)] * after
    return Timeline(f"{rate:.0%} of answers wrong, seed {seed}", worlds, starts=before)
