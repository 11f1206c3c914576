"""`mute`: planned work on the integration (a key rotation, a gateway move).

Writes the mute into the alert state through the configured store (SQLite locally,
DynamoDB with TABLE_NAME), conditional on the state's version; a cycle that
committed in between makes it re-read and try once more. The check cycle does the
rest (quiet.py): notifications are muted until the end, then told in one digest.
"""

from __future__ import annotations

import json
import sys
import textwrap
from datetime import UTC, datetime

from ..config import Config
from ..decide.quiet import QuietState, parse_duration
from ..keep.store import StateConflict, StoreError

EXIT_USAGE = 64
ATTEMPTS = 2


def run_mute(
    config: Config,
    duration: str | None,
    reason: str,
    off: bool,
    *,
    as_json: bool = False,
    now: datetime | None = None,
) -> int:
    """Set (or, with `off`, end) a mute. 0 done, 1 the store failed, 64 usage."""
    now = now or datetime.now(UTC)
    try:
        if off == bool(duration):
            raise ValueError("give --for DURATION (with --reason) or --off")
        length = None if off else parse_duration(duration or "")
        if length is not None:
            QuietState().mute(now, length, reason)  # validates the reason
    except ValueError as exc:
        print(f"mute: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    from ..wiring import build_store

    store = build_store(config)
    for _ in range(ATTEMPTS):
        try:
            stored = store.load()
            quiet = QuietState.from_dict(stored.state.quiet)
            quiet.expire(now)
            if length is None:
                changed = [m.to_dict() for m in quiet.unmute(now)]
            else:
                changed = [quiet.mute(now, length, reason).to_dict()]
            stored.state.quiet = (
                quiet.to_dict() if (quiet.mutes or quiet.held or quiet.newer) else None
            )
            store.write_state(stored.state, stored.version)
        except StateConflict:
            continue
        except StoreError as exc:
            print(f"mute: the state could not be written: {exc}", file=sys.stderr)
            return 1
        _report(changed, off, as_json)
        return 0
    print("mute: the alert state kept changing underneath; try again", file=sys.stderr)
    return 1


def _report(changed: list[dict[str, str]], off: bool, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"muted": not off, "mutes": changed}))
    elif off:
        print("unmuted" if changed else "nothing was muted")
    else:
        mute = changed[0]
        print(
            textwrap.fill(
                f"muted until {mute['until_iso']}: {mute['reason']} "
                "(what happens meanwhile is told in one digest when it ends)",
                80,
                break_long_words=False,
            )
        )
