"""A fleet's parts on their own: the regional items in SQLite, the home's bounded wait,
the Region dimension, and the regions side by side in `check` and `history`."""

from __future__ import annotations

import json
import time

from functions.monitor.cli.history import summarise
from functions.monitor.cli.regions import region_lines
from functions.monitor.decide.vote import RegionView
from functions.monitor.fleet import gather
from functions.monitor.keep.regions import SqliteRegions
from functions.monitor.keep.store import History
from functions.monitor.tell.metrics import EmfMetrics
from tests.unit.test_metrics import result

MINUTE = "2026-12-06T14:02"


def view(region, verdict="operational", minute=MINUTE):
    return RegionView(region, minute, verdict, f"{region} says {verdict}", minute + ":04Z")


class Clock:
    """The cycle's budget with `left` seconds to go."""

    def __init__(self, left: float) -> None:
        self.until = time.monotonic() + left

    def allows(self, seconds: float) -> bool:
        return self.until - time.monotonic() >= seconds


def test_given_a_view_written_twice_then_it_is_stored_once_and_read_back(tmp_path):
    store = SqliteRegions(str(tmp_path / "s.sqlite3"))
    assert store.put_region(view("eu-west-1", "network_error")) is True
    assert store.put_region(view("eu-west-1", "operational")) is False  # duplicate: kept
    found = store.read_regions(MINUTE, ("eu-west-1", "ap-southeast-2"))
    assert found == {"eu-west-1": view("eu-west-1", "network_error")}
    assert store.read_regions("2026-12-06T14:03", ("eu-west-1",)) == {}


def test_given_every_region_there_then_the_home_reads_once_and_does_not_wait(tmp_path):
    store = SqliteRegions(str(tmp_path / "s.sqlite3"))
    for region in ("eu-west-1", "ap-southeast-2"):
        store.put_region(view(region))
    slept: list[float] = []
    views, error = gather(
        store, MINUTE, ("eu-west-1", "ap-southeast-2"), Clock(10), keep_s=1, call_s=0.1,
        wait_s=5, sleep=slept.append,
    )  # fmt: skip
    assert set(views) == {"eu-west-1", "ap-southeast-2"} and error is None and slept == []


def test_given_a_region_that_never_writes_then_the_wait_ends_at_its_bound(tmp_path):
    store = SqliteRegions(str(tmp_path / "s.sqlite3"))
    store.put_region(view("eu-west-1"))
    slept: list[float] = []
    views, _ = gather(
        store, MINUTE, ("eu-west-1", "ap-southeast-2"), Clock(30), keep_s=1, call_s=0.1,
        wait_s=0.6, sleep=lambda s: (slept.append(s), time.sleep(s)),
    )  # fmt: skip
    assert set(views) == {"eu-west-1"}
    assert 0 < sum(slept) <= 0.6 + 1e-6


def test_given_no_time_left_beyond_the_commit_then_the_home_does_not_wait(tmp_path):
    store = SqliteRegions(str(tmp_path / "s.sqlite3"))
    slept: list[float] = []
    views, _ = gather(
        store, MINUTE, ("eu-west-1",), Clock(1.0), keep_s=1.5, call_s=0.1, wait_s=5,
        sleep=slept.append,
    )  # fmt: skip
    assert views == {} and slept == []


def test_given_a_fleet_then_every_emf_document_carries_the_region_dimension(capsys):
    EmfMetrics("ClaudeStatusTest", region="eu-west-1").emit(result())
    docs = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]
    for doc in docs:
        [dims] = doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"]
        assert "Region" in dims and doc["Region"] == "eu-west-1"


def test_given_one_region_then_no_region_dimension(capsys):
    EmfMetrics("ClaudeStatusTest").emit(result())
    docs = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert all("Region" not in doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0] for doc in docs)


ROWS = [
    {**view("us-east-1").to_dict(), "home": True, "reported": True, "last_seen": MINUTE},
    {**view("eu-west-1", "network_error").to_dict(), "home": False, "reported": True},
    {"region": "ap-southeast-2", "home": False, "reported": False, "last_seen": "2026-12-06T13:58"},
]


def test_given_three_regions_then_check_shows_each_view_side_by_side():
    lines = region_lines(ROWS, width=80)
    text = "\n".join(lines)
    assert "us-east-1 (home)" in text and "eu-west-1 says network_error" in text
    assert "has not reported since 13:58 UTC" in text
    assert all(len(line) <= 80 for line in lines)
    assert region_lines([], 80) == []


def test_given_cycle_records_with_regions_then_history_has_a_row_per_region():
    record = {"checked_at": MINUTE + ":00Z", "verdict": "operational", "severity": "ok",
              "api_status": "operational", "canaries": [], "regions": ROWS}  # fmt: skip
    summary = summarise(History([record, record], []), "2026-12-06T00:00:00Z")
    assert summary["timeline"]["region:us-east-1"] == ".."
    assert summary["timeline"]["region:eu-west-1"] == "??"
    assert summary["timeline"]["region:ap-southeast-2"] == "--"
    assert summary["availability"]["region:eu-west-1"] == 0.0
    assert summary["availability"]["region:ap-southeast-2"] is None
