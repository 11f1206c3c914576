"""The signal decisions through the real cycle: simulator over HTTP, SQLite store.

Given/When/Then on what a local cron user would see: the window survives the store,
a lost key does not close an alert the canaries opened, an unreadable page alone
sends nothing.
"""

import asyncio
from datetime import UTC, datetime, timedelta

from functions.monitor.config import load_config
from functions.monitor.keep.sqlite import SqliteStore
from functions.monitor.probe import probe
from functions.monitor.wiring import build_cycle
from tests.conftest import sim_env

T0 = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)


def _cycles(sim, config, cycle, plan, start=0):
    """plan: (scenario, key present) per minute from T0 + start; returns the results."""
    results = []
    for minute, (scenario, with_key) in enumerate(plan, start=start):
        sim.set(scenario)
        key = config.api_key if with_key else None
        result = asyncio.run(probe(config, key, T0 + timedelta(minutes=minute)))
        cycle.record(result)
        results.append(result)
    return results


def test_given_529s_then_the_key_is_lost_then_no_resolved_is_sent(sim, tmp_path):
    config = load_config(sim_env(sim, tmp_path))
    cycle = build_cycle(config)
    plan = [("overloaded", True)] * 2 + [("healthy", False)] * 3
    results = _cycles(sim, config, cycle, plan)
    sent = [n.subject for r in results for n in r.notifications]
    assert len(sent) == 1 and sent[0].startswith("CRITICAL")
    assert "canaries unknown" in results[-1].verdict.summary
    # The windows and the held alert survived the SQLite round trip.
    state = SqliteStore(config.local_db_path).load().state
    assert state.targets["overall"].alerting and state.canary_alert
    assert list(state.windows) == list(config.canary_models)
    # The key comes back and the canaries pass: RESOLVED, with the figures.
    results = _cycles(sim, config, cycle, [("healthy", True)] * 2, start=5)
    resolved = [n for r in results for n in r.notifications]
    assert len(resolved) == 1 and resolved[0].subject.startswith("RESOLVED")
    assert "Lasted 5 min (16:00 to 16:05)" in resolved[0].email
    assert "worst: unconfirmed_outage" in resolved[0].email


def test_given_an_unreadable_page_and_passing_canaries_then_nothing_is_sent(sim, tmp_path):
    config = load_config(sim_env(sim, tmp_path))
    results = _cycles(sim, config, build_cycle(config), [("page_500", True)] * 3)
    assert {r.verdict.verdict for r in results} == {"operational"}
    assert not [n for r in results for n in r.notifications]
    moved = [t.to for r in results for t in r.transitions if t.target == "status_page"]
    assert moved == ["unreadable"]
    assert results[-1].canaries[0].window is not None
