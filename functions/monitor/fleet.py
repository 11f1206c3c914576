"""A fleet's part of the cycle (README "Several regions"): a region shares its view of
the minute; the home gathers the others' views, within its deadline, and votes.

A region that is not the home probes, writes one conditional item to the home's
table (keep/regions.py) and stops there: it plans, commits and publishes nothing.
The home reads the minute's items right after its own probes and, for those not
there yet, again after POLL_S, doubling up to POLL_MAX_S, until REGION_WAIT_SECONDS
have passed or only the time for its own commit and publish is left. A region that
is late, or whose write failed, is named as not reporting; it never holds the home
past its deadline.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Protocol

from .config import Config
from .decide.vote import RegionView, minute_of, quorum_of, rows, vote
from .keep.regions import RegionStore
from .keep.store import StoreError
from .models import CheckResult

log = logging.getLogger("claude_status.fleet")
# The first re-read comes soon (the regions run at the same minute and finish their
# probes about when the home does), later ones back off: a late region costs a few
# reads, not one every tick.
POLL_S = 0.05
POLL_MAX_S = 0.5


class Clock(Protocol):
    def allows(self, seconds: float) -> bool: ...


def share(store: RegionStore, result: CheckResult, budget: Clock, call_s: float) -> bool:
    """Record this region's view in the home's store, once; True when it is there
    (written now or by an earlier delivery of the same minute)."""
    view = RegionView.of(result)
    if not budget.allows(call_s):
        result.errors.append("no time left in the deadline to record this region's result")
        return False
    try:
        written = store.put_region(view)
    except StoreError as exc:
        log.error("regional write failed", extra={"error": str(exc), "cycle": result.cycle_id})
        result.errors.append(f"this region's result was not recorded for the home: {exc}")
        return False
    if not written:
        result.errors.append(
            f"{view.region} already recorded {view.minute}: duplicate delivery, nothing written"
        )
    return True


def gather(
    store: RegionStore,
    minute: str,
    others: tuple[str, ...],
    budget: Clock,
    *,
    keep_s: float,
    call_s: float,
    wait_s: float,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[dict[str, RegionView], str | None]:
    """The other regions' views of `minute` (those there in time) and the read's
    error, if any. `keep_s` is the time kept for the home's own commit and publish."""
    until = time.monotonic() + wait_s
    views: dict[str, RegionView] = {}
    poll = POLL_S
    while True:
        missing = tuple(r for r in others if r not in views)
        if not missing or not budget.allows(keep_s + call_s):
            return views, None
        try:
            views.update(store.read_regions(minute, missing))
        except StoreError as exc:
            return views, str(exc)
        pause = min(poll, until - time.monotonic())
        poll = min(poll * 2, POLL_MAX_S)
        if all(r in views for r in others) or pause <= 0:
            return views, None
        if not budget.allows(keep_s + call_s + pause):
            return views, None
        sleep(pause)


def decide(
    config: Config,
    store: RegionStore,
    result: CheckResult,
    seen: dict[str, str],
    budget: Clock,
    *,
    keep_s: float,
    call_s: float,
) -> None:
    """The home's vote: replace the result's verdict by the fleet's, and set each
    region's view on the result (`regions`), the home's own first."""
    home, regions = config.home_region or config.region, config.fleet_regions
    own = RegionView.of(result)
    others = tuple(r for r in regions if r != home)
    views, error = gather(
        store,
        minute_of(result.cycle_id),
        others,
        budget,
        keep_s=keep_s,
        call_s=call_s,
        wait_s=config.region_wait_s,
    )
    if error:
        result.errors.append(f"the other regions' results could not be read: {error}")
    views[home] = own
    fleet = vote(result.verdict, home, views, regions, quorum_of(config))
    result.verdict = fleet.verdict
    result.regions = rows(fleet.views, regions, home, seen)
