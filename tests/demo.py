"""`make demo`: watch the monitor meet an outage, from first failure to recovery.

The simulator plays a timeline: healthy, then 529s, then the status page confirms
with an incident, then recovery. The real check cycle runs against it every few
seconds, with its own throw-away SQLite store (never .monitor/state.sqlite3) and the
terminal as notifier. Ctrl-C stops it cleanly.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from functions.monitor.cli.history import render, summarise
from functions.monitor.config import load_config
from functions.monitor.wiring import build_cycle
from functions.simulator.scenarios import TIMELINES
from functions.simulator.server import Simulator


def main() -> int:
    try:
        return _demo()
    except KeyboardInterrupt:
        print("\ninterrupted: the demo stopped; nothing was left running", file=sys.stderr)
        return 130


def _demo() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="simulator port (0: any free)")
    parser.add_argument("--step", type=float, default=3.0, help="seconds per timeline step")
    args = parser.parse_args()
    steps = TIMELINES["outage_timeline"]
    try:
        sim = Simulator(port=args.port, scenario="healthy").start()
    except OSError as exc:
        print(
            f"error: cannot start the simulator on port {args.port} "
            f"({exc.strerror or exc}); set DEMO_PORT to a free one: make demo DEMO_PORT=8766",
            file=sys.stderr,
        )
        return 1
    with tempfile.TemporaryDirectory() as folder:
        env = {
            **os.environ,
            "STATUS_PAGE_URL": sim.url,
            "ANTHROPIC_BASE_URL": sim.url,
            "ANTHROPIC_API_KEY": "sim-key",
            "LOCAL_DB_PATH": os.path.join(folder, "demo.sqlite3"),
            "CANARY_RETRY_BASE_SECONDS": "0.05",
            "TABLE_NAME": "",
            "TOPIC_ARN": "",
        }
        config = load_config(env)
        cycle = build_cycle(config)
        width = shutil.get_terminal_size((80, 24)).columns
        intro = (
            f"Simulator on {sim.url}, timeline: {' -> '.join(steps)}. One step every "
            f"{args.step:g}s, a check every {args.step / 2:g}s; alerts need "
            f"{config.failure_threshold} bad cycles, recovery {config.recovery_threshold} "
            "good. Ctrl-C stops."
        )
        print(textwrap.fill(intro, width, break_on_hyphens=False) + "\n")
        sim.set("outage_timeline", step_seconds=args.step)
        started = time.monotonic()
        try:
            while time.monotonic() - started < args.step * (len(steps) + 0.5):
                result = cycle.run(config.api_key, datetime.now(UTC))
                canary = result.canaries[0]
                page = result.status_page.api_status or "unreadable"
                moved = ", ".join(f"{t.target} {t.from_}->{t.to}" for t in result.transitions)
                if result.lead_time_min is not None:
                    lead = f"seen {result.lead_time_min * 60:.0f}s before the status page"
                    moved = f"{moved} ({lead})" if moved else f"confirmed, {lead}"
                line = (
                    f"{result.checked_at[11:19]}  {result.verdict.verdict:<18} "
                    f"canary {canary.outcome:<10} page {page:<11}"
                    f"{('  changed: ' + moved) if moved else ''}"
                )
                print(textwrap.fill(line, width, subsequent_indent=" " * 10), flush=True)
                time.sleep(args.step / 2)
        finally:
            sim.stop()
        since = "1970-01-01T00:00:00Z"
        print("\n" + render(summarise(cycle.store.history(since), None), width))
    return 0


if __name__ == "__main__":
    sys.exit(main())
