"""The report's figures and drawing, from histories written through the real SQLite store.

Each test builds a history cycle by cycle (tests/report_support.py), reads it back
with the store's own `history`, and checks what the report draws from it: bars per
bucket, no data for gaps, episodes and lead times, latency, monthly rows, mutes.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from functions.monitor.cli.report import build, csv_text, render_html
from functions.monitor.config import load_config
from functions.monitor.keep.store import cycle_record
from tests.report_support import MODEL, cycle, minutes, outage, write_sqlite

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def report_of(tmp_path, results, since=timedelta(hours=24), now=NOW, **env):
    store = write_sqlite(str(tmp_path / "s.sqlite3"), results)
    start = (now - since).timestamp()
    history = store.history((now - since).strftime("%Y-%m-%dT%H:%M:%SZ"))
    report = build(history, start, now.timestamp())
    return report, render_html(report, load_config(env), now.timestamp())


def bars(html: str, target: str) -> list[tuple[str, str]]:
    """(state, hover title) of each bar of one target's row."""
    row = re.search(rf'<g class="row" data-target="{re.escape(target)}">(.*?)</g>', html)
    assert row, f"no row for {target}"
    return re.findall(r'<rect class="bar s-(\w+)"[^>]*><title>([^<]*)</title>', row.group(1))


def test_given_an_empty_store_when_reported_then_every_bucket_is_no_data(tmp_path):
    report, html = report_of(tmp_path, [])
    assert report.cycles == 0
    for target in ("status_page", "overall"):
        got = bars(html, target)
        assert len(got) == 24  # one bar per hour for a span under 3 days
        assert {state for state, _ in got} == {"nodata"}
        assert all(title.endswith("no data") for _, title in got)
    assert "No alert opened in this window" in html
    assert "No successful canary in this window" in html
    assert csv_text(report.monthly).splitlines() == [
        "month,target,availability_pct,downtime_min,cycles,episodes,median_lead_min"
    ]


def test_given_a_single_cycle_then_one_bar_is_up_and_the_cadence_is_not_measured(tmp_path):
    report, html = report_of(tmp_path, [cycle(NOW - timedelta(minutes=30))])
    states = [state for state, _ in bars(html, f"canary:{MODEL}")]
    assert states.count("up") == 1 and states.count("nodata") == 23
    assert states[-1] == "up"
    assert "not measured (fewer than two cycles)" in html
    assert len(report.latency) == 1


def test_given_the_monitor_was_down_then_the_gap_is_no_data_never_up(tmp_path):
    # Given cycles every minute from 24 h ago to 18 h ago, and the last 6 hours,
    # nothing in between (the monitor was down).
    early = minutes(NOW - 24 * HOUR, 6 * 60)
    late = minutes(NOW - 6 * HOUR, 6 * 60)
    report, html = report_of(tmp_path, [cycle(t) for t in early + late])
    got = bars(html, "overall")
    states = [state for state, _ in got]
    # Then the 12 hours without a cycle are no data, the rest up.
    assert states == ["up"] * 6 + ["nodata"] * 12 + ["up"] * 6
    assert "no data" in got[10][1] and "available" not in got[10][1]
    assert "100.00% available, 0 min down" in got[0][1]
    row = next(r for r in report.rows if r.target == "overall")
    assert row.availability == 100.0 and row.downtime_min == 0


def test_given_a_partly_covered_hour_then_its_uncovered_share_is_drawn_as_no_data(tmp_path):
    # Given one hour where only the last 15 minutes have cycles.
    start = NOW - 2 * HOUR + timedelta(minutes=45)
    _, html = report_of(tmp_path, [cycle(t) for t in minutes(start, 75)], since=3 * HOUR)
    gaps = re.findall(r'<rect class="gap"[^>]*height="([\d.]+)"', html)
    assert gaps, "the partly covered hour has no no-data overlay"
    assert float(gaps[0]) == 12.0  # 45 of 60 minutes of a 16-unit bar
    assert "45 min no data" in html


def test_given_an_outage_then_bars_titles_and_the_episode_tell_it(tmp_path):
    # Given 20 good minutes, 22 bad ones (12 before the page confirmed), 8 good ones.
    report, html = report_of(tmp_path, outage(NOW - HOUR), since=2 * HOUR)
    minute_bars = bars(html, "overall")
    assert len(minute_bars) == 120  # one bar per minute under 3 hours
    assert [s for s, _ in minute_bars].count("down") == 22
    assert "0.00% available, 1 min down (down)" in minute_bars[80][1]
    # Then one episode: first failure, incident started and posted, alert, recovery.
    (ep,) = report.episodes
    assert ep.lead_min == 12.0 and ep.sentence() == "we knew 12 min before the page"
    assert ep.recovered - ep.first_failure == 22 * 60
    timeline = re.search(r'<svg class="chart episode".*?</svg>', html).group(0)
    for mark in ("first_failure", "started_at", "created_at", "alert", "recovered"):
        assert f'class="mark m-{mark}"' in timeline
    assert "incident posted on the page: " in timeline
    assert "we knew 12 min before the page" in html
    (month,) = [r for r in report.monthly if r["target"] == "overall"]
    assert month["episodes"] == 1 and month["median_lead_min"] == 12.0
    assert month["downtime_min"] == 22.0


def test_given_an_outage_the_page_never_confirmed_then_the_episode_says_so(tmp_path):
    start = NOW - HOUR
    results = []
    for i, t in enumerate(minutes(start, 30)):
        bad = 10 <= i < 15
        moves = []
        if i == 11:
            moves = [("overall", "operational", "unconfirmed_outage")]
        if i == 16:
            moves = [("overall", "unconfirmed_outage", "operational")]
        kw = {"verdict": "unconfirmed_outage", "outcome": "overloaded"} if bad else {}
        results.append(cycle(t, transitions=moves, **kw))
    report, html = report_of(tmp_path, results, since=2 * HOUR)
    (ep,) = report.episodes
    assert not ep.confirmed and ep.sentence() == "the page never confirmed it"
    assert ep.duration_min(NOW.timestamp()) == 5


def test_given_a_page_incident_our_canaries_never_felt_then_it_has_its_own_row(tmp_path):
    results = [
        cycle(t, incidents=["claude.ai login issues"] if 5 <= i < 15 else [])
        for i, t in enumerate(minutes(NOW - HOUR, 30))
    ]
    report, html = report_of(tmp_path, results, since=2 * HOUR)
    assert not report.episodes
    (inc,) = report.page_only
    assert inc.name == "claude.ai login issues" and inc.last_seen - inc.first_seen == 9 * 60
    assert html.count("class='page-only-row'") == 1
    assert "our canaries saw nothing" in html


def test_given_a_mute_across_midnight_then_one_shaded_span_covers_both_days(tmp_path):
    midnight = datetime(2026, 12, 6, tzinfo=UTC)
    until = midnight + timedelta(minutes=30)
    results = [
        cycle(
            t,
            muted_until=until if midnight - timedelta(minutes=30) <= t < until else None,
            mute_reason="key rotation",
        )
        for t in minutes(midnight - 2 * HOUR, 4 * 60)
    ]
    report, html = report_of(tmp_path, results, now=midnight + 2 * HOUR)
    (mute,) = report.mutes
    assert mute["from"] == "2026-12-05T23:30:00Z" and mute["until"] == "2026-12-06T00:30:00Z"
    shades = re.findall(r'<g class="shaded" data-name="Muted">.*?</g>', html, flags=re.S)[0]
    (span,) = re.findall(r'<rect class="shade" x="([\d.]+)"[^>]*width="([\d.]+)"', shades)
    assert "2026-12-05 23:30 to 2026-12-06 00:30 UTC" in shades
    x, width = float(span[0]), float(span[1])
    frame = report.frame
    share = (midnight.timestamp() - frame.start) / (frame.end - frame.start)
    midnight_x = 190 + (1000 - 190 - 80) * share
    assert x < midnight_x < x + width  # one span, on both sides of midnight
    assert "key rotation" in html


def test_given_quiet_hours_then_they_are_shaded_every_day(tmp_path):
    report, html = report_of(
        tmp_path, [cycle(NOW - HOUR)], since=timedelta(days=3), QUIET_HOURS="22-07"
    )
    quiet = re.findall(r'<g class="shaded" data-name="Quiet hours">(.*?)</g>', html)[0]
    assert quiet.count('class="shade"') == 4  # 3 days of window, touching 4 nights
    assert "22:00-07:00 UTC" in html


def test_given_a_fleet_of_three_regions_then_each_has_its_row(tmp_path):
    regions = ("us-east-1", "eu-west-1", "ap-southeast-2")
    results = []
    for i, t in enumerate(minutes(NOW - 2 * HOUR, 120)):
        for r, region in enumerate(regions):
            bad = region == "eu-west-1" and 60 <= i < 90
            kw = {"verdict": "network_error", "outcome": "network_error"} if bad else {}
            # One table, one key per cycle: each region's cycle a second apart.
            results.append(cycle(t + timedelta(seconds=r), region=region, **kw))
    report, html = report_of(tmp_path, results, since=6 * HOUR)
    assert [r.target for r in report.rows if r.target.startswith("region:")] == [
        "region:ap-southeast-2",
        "region:eu-west-1",
        "region:us-east-1",
    ]
    assert {s for s, _ in bars(html, "region:us-east-1")} == {"up", "nodata"}
    assert "unknown" in {s for s, _ in bars(html, "region:eu-west-1")}
    east = next(r for r in report.rows if r.target == "region:eu-west-1")
    assert east.downtime_min == 30.0  # a region's minutes are its own
    overall = next(r for r in report.rows if r.target == "overall")
    assert overall.downtime_min == 10.0  # 30 bad cycles out of three regions' views
    assert report.frame.cadence == 60.0


def test_given_one_region_then_no_region_row(tmp_path):
    report, html = report_of(tmp_path, [cycle(t) for t in minutes(NOW - HOUR, 10)])
    assert not [r for r in report.rows if r.target.startswith("region:")]
    assert 'data-target="region:' not in html


def test_given_twenty_models_and_bedrock_then_every_target_has_a_row_and_a_chart(tmp_path):
    models = [f"claude-model-{i:02d}" for i in range(20)]
    results = [
        cycle(t, models=models, bedrock=[(models[0], "ok")], latency_ms=1000 + i)
        for i, t in enumerate(minutes(NOW - 5 * HOUR, 300))
    ]
    report, html = report_of(tmp_path, results)
    targets = [r.target for r in report.rows]
    assert targets[:2] == ["status_page", "overall"]
    assert [t for t in targets if t.startswith("canary:")] == [f"canary:{m}" for m in models]
    assert f"bedrock:{models[0]}" in targets
    assert html.count('<svg class="chart latency"') == 20
    assert html.count('class="bar s-') == 23 * 24


def test_latency_titles_hold_p50_and_p90_and_the_threshold_is_drawn(tmp_path):
    results = [
        cycle(t, ttft_ms=100 + i % 10 * 10, latency_ms=1000 + i % 10 * 100)
        for i, t in enumerate(minutes(NOW - 2 * HOUR, 120))
    ]
    report, html = report_of(tmp_path, results, LATENCY_SLOW_MS="1500")
    (series,) = report.latency
    assert series.total[-2] == (1500.0, 1900.0) and series.ttft[-2] == (150.0, 190.0)
    assert "TTFT p50 150 ms, p90 190 ms; total p50 1500 ms, p90 1900 ms" in html
    assert "LATENCY_SLOW_MS: 1500 ms" in html


def test_monthly_rows_split_at_the_month_and_the_csv_holds_the_same(tmp_path):
    month_end = datetime(2026, 12, 1, tzinfo=UTC)
    results = [cycle(t) for t in minutes(month_end - HOUR, 60)]
    results += [
        cycle(t, verdict="degraded", api="degraded_performance") for t in minutes(month_end, 60)
    ]
    report, _ = report_of(tmp_path, results, since=timedelta(days=4), now=month_end + 2 * HOUR)
    rows = {(r["month"], r["target"]): r for r in report.monthly}
    assert rows[("2026-11", "overall")]["availability_pct"] == 100.0
    assert rows[("2026-12", "overall")]["downtime_min"] == 60.0
    assert rows[("2026-12", "status_page")]["availability_pct"] == 0.0
    lines = csv_text(report.monthly).splitlines()
    assert len(lines) == 1 + len(report.monthly)
    assert "2026-12,overall,0.0,60.0,60,0," in lines


def test_a_month_of_minutes_stays_aggregated_and_small():
    # Given 43,200 one-minute cycles (records as the store keeps them), one model.
    start = NOW - timedelta(days=30)
    history_cycles = [
        cycle_record(
            cycle(t, verdict="outage", outcome="overloaded") if i % 1000 == 0 else cycle(t)
        )
        for i, t in enumerate(minutes(start, 43_200))
    ]
    from functions.monitor.keep.store import History

    report = build(History(history_cycles, []), start.timestamp(), NOW.timestamp())
    html = render_html(report, load_config({}), NOW.timestamp())
    # Then one bar per day and target, never one element per cycle, and under 2 MB.
    assert report.frame.count == 31 and html.count('class="bar s-') == 31 * 3
    assert html.count("<rect") < 1_000
    assert len(html.encode()) < 2_000_000
    row = next(r for r in report.rows if r.target == "overall")
    assert row.downtime_min == 44.0  # 44 bad cycles of one minute each


def test_given_hostile_or_older_records_then_the_report_still_draws():
    # Given records a newer or older version (or a tampered table) might hold.
    from functions.monitor.keep.store import History

    good = cycle_record(cycle(NOW - HOUR))
    odd = [
        {**good, "checked_at": "not a time"},
        {**good, "checked_at": "2026-12-06T11:10:00Z", "canaries": 7, "incidents": 3},
        {**good, "checked_at": "2026-12-06T11:11:00Z", "canaries": ["x", {"model": 1}]},
        {**good, "checked_at": "2026-12-06T11:12:00Z", "lead": {"minutes": "soon", "models": 5}},
        {**good, "checked_at": "2026-12-06T11:13:00Z", "muted_until": "whenever", "region": 4},
        {"checked_at": "2026-12-06T11:14:00Z"},
    ]
    transitions = [
        {"checked_at": "garbage", "target": "overall", "from": "operational", "to": "outage"},
        {"checked_at": "2026-12-06T11:12:00Z", "target": None, "from": 1, "to": None},
    ]
    report = build(
        History([good, *odd], transitions), (NOW - 2 * HOUR).timestamp(), NOW.timestamp()
    )
    html = render_html(report, load_config({}), NOW.timestamp())
    # Then the readable cycles count, the rest adds nothing, and nothing raises.
    assert report.cycles == 6  # "not a time" is dropped
    assert '<svg class="chart bars"' in html and html.rstrip().endswith("</html>")


def test_given_the_page_knew_first_then_the_episode_says_so(tmp_path):
    # Given the page reporting a partial outage a minute before our canary fails.
    results = []
    for i, t in enumerate(minutes(NOW - HOUR, 20)):
        moves, kw = [], {}
        if 5 <= i < 12:
            kw = {"verdict": "degraded", "api": "partial_outage"}
        if 6 <= i < 12:
            kw = {"verdict": "outage", "api": "partial_outage", "outcome": "overloaded"}
        if i == 6:
            moves = [("overall", "operational", "degraded")]
        if i == 13:
            moves = [("overall", "outage", "operational")]
        results.append(cycle(t, transitions=moves, **kw))
    report, html = report_of(tmp_path, results, since=2 * HOUR)
    (ep,) = report.episodes
    assert ep.page_first and ep.lead_min is None
    assert ep.sentence() == "the page knew first" and "the page knew first" in html
