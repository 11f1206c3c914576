"""The error window: per-cycle counts, their bounds, their tolerant loading.

The window no longer decides (decide/score.py does, tests/unit/test_score.py); it is
what the JSON shows and the span of the early close (its Wilson upper bound).
"""

import pytest

from functions.monitor.decide import errorwindow
from functions.monitor.decide.state import MonitorState
from functions.monitor.models import CanaryResult

MODEL = "claude-haiku-5-5"


def test_wilson_lower_bound_matches_known_values():
    assert errorwindow.wilson_lower(0, 50) == 0.0
    assert errorwindow.wilson_lower(0, 0) == 0.0
    assert errorwindow.wilson_lower(10, 100, z=1.96) == pytest.approx(0.0552, abs=1e-4)
    assert errorwindow.wilson_lower(50, 100, z=1.96) == pytest.approx(0.4038, abs=1e-4)


def test_wilson_upper_bound_matches_known_values():
    assert errorwindow.wilson_upper(0, 0) == 1.0
    # 0 of 60: about z^2 / (n + z^2) at z = 1.645
    assert errorwindow.wilson_upper(0, 60, z=1.645) == pytest.approx(0.0432, abs=1e-4)
    assert errorwindow.wilson_upper(10, 100, z=1.96) == pytest.approx(0.1744, abs=1e-4)


def test_given_more_cycles_than_the_window_then_only_the_last_are_kept():
    windows = {}
    for i in range(40):
        canary = CanaryResult(MODEL, "ok", requests=1 + i % 2, failed_requests=i % 2)
        windows = errorwindow.advance_windows(windows, [canary], 15)
    assert len(windows[MODEL]) == 15
    assert errorwindow.summary(windows[MODEL])["cycles"] == 15


def test_given_a_skipped_canary_then_its_window_is_kept_and_a_dropped_model_forgotten():
    windows = {MODEL: [[3, 1]], "old-model": [[1, 0]]}
    windows = errorwindow.advance_windows(windows, [CanaryResult(MODEL, "skipped")], 15)
    assert windows == {MODEL: [[3, 1]]}


def test_given_nonsense_counts_then_failed_never_exceeds_requests():
    canary = CanaryResult(MODEL, "ok", requests=2, failed_requests=9)
    assert errorwindow.advance_windows({}, [canary], 15) == {MODEL: [[2, 2, 0]]}


def test_state_with_windows_round_trips_and_old_state_without_them_loads():
    state = MonitorState(windows={MODEL: [[3, 1], [1, 0]]})
    assert MonitorState.from_json(state.to_json()).windows == state.windows
    assert MonitorState.from_json('{"targets": {}}').windows == {}


def test_given_malformed_stored_windows_then_advancing_starts_clean_without_raising():
    canary = CanaryResult(MODEL, "ok", requests=1, failed_requests=0)
    for stored in (None, {MODEL: None}, {MODEL: "x"}, {MODEL: [[1], ["a", 2], [2, 1]]}):
        windows = errorwindow.advance_windows(stored, [canary], 15)
        assert windows[MODEL][-1] == [1, 0, 0]
    assert errorwindow.advance_windows({MODEL: [[1], [2, 1]]}, [canary], 15) == {
        MODEL: [[2, 1], [1, 0, 0]]
    }
