"""The report, written by the real command line, opened in a real browser.

Headless Chromium (Debian's `chromium` package), driven by Playwright through
`executable_path` (Playwright's own browser download is not used). Every request
other than the file itself is refused and counted: the report must need none.
Without Chromium the test is skipped locally, and fails under CI=true.
"""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import ROOT, run_cli
from tests.report_support import cycle, minutes, outage, write_sqlite

HOW = "install it: apt-get install -y chromium; pip install -r requirements-dev.txt"
A4_CONTENT_PX = 703  # 210 mm less two 12 mm margins, at 96 px per inch


def _browser_or_skip() -> tuple[object, str]:
    chromium = shutil.which("chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    if chromium and sync_playwright:
        return sync_playwright, chromium
    missing = "chromium" if not chromium else "playwright"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{missing} is missing and CI=true: {HOW}")
    pytest.skip(f"{missing} is missing; {HOW}")


@pytest.fixture
def report_file(tmp_path):
    """A two-hour history: an outage with a lead time, a page-only incident, a mute,
    three models, written by `report` from the SQLite store."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    models = ("claude-haiku-5-5", "claude-sonnet-5-5", "claude-opus-5-5")
    results = outage(now - timedelta(minutes=110), models=models)
    later = minutes(now - timedelta(minutes=55), 50)
    results += [
        cycle(
            t,
            models=models,
            incidents=["claude.ai login issues"] if i < 10 else [],
            muted_until=now - timedelta(minutes=25) if 15 <= i < 30 else None,
            mute_reason="key rotation",
            latency_ms=900 + 40 * (i % 7),
        )
        for i, t in enumerate(later)
    ]
    db = tmp_path / "history.sqlite3"
    write_sqlite(str(db), results)
    out = tmp_path / "report.html"
    env = {**os.environ, "LOCAL_DB_PATH": str(db), "TABLE_NAME": "", "QUIET_HOURS": "22-07"}
    run = run_cli("report", "--since", "2h", "--out", str(out), env=env)
    assert run.code == 0, run.stderr
    return out


def test_given_a_report_when_opened_in_chromium_then_every_chart_draws_offline(report_file):
    sync_playwright, chromium = _browser_or_skip()
    errors, requests = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))

        def refuse(route):
            if not route.request.url.startswith("file://"):
                requests.append(route.request.url)
                return route.abort()
            return route.continue_()

        page.route("**/*", refuse)
        page.goto(report_file.as_uri())
        # Then no console error and no request beyond the file itself.
        assert errors == [] and requests == []
        # Every chart has a size.
        sizes = page.eval_on_selector_all(
            "svg.chart",
            "els => els.map(e => [e.getBoundingClientRect().width, "
            "e.getBoundingClientRect().height])",
        )
        assert len(sizes) >= 6 and all(w > 0 and h > 0 for w, h in sizes)
        # The bars: one per minute (2 h) and target: page, verdict, three canaries.
        bars = page.locator("svg.bars")
        assert bars.get_attribute("data-rows") == "5"
        assert page.locator("svg.bars g.row").count() == 5
        buckets = int(bars.get_attribute("data-buckets"))
        assert buckets in (120, 121)  # 121 when the report is made within a minute
        assert page.locator("svg.bars rect.bar").count() == 5 * buckets
        # The hover titles hold the figures.
        titles = page.eval_on_selector_all(
            'svg.bars g.row[data-target="overall"] rect.bar.s-down title',
            "els => els.map(e => e.textContent)",
        )
        assert len(titles) == 22 and all("0.00% available, 1 min down" in t for t in titles)
        # One episode with its lead time, one incident our canaries never felt.
        assert page.locator("tr.episode-row").count() == 1
        assert "we knew 12 min before the page" in page.locator("tr.episode-row").inner_text()
        assert page.locator("tr.page-only-row").count() == 1
        assert page.locator("svg.latency").count() == 3
        hover = page.locator("svg.latency rect.hover title").first.text_content()
        assert "TTFT p50 300 ms, p90 300 ms; total p50 900 ms, p90 900 ms" in hover
        assert page.locator("g.shaded[data-name='Muted'] rect.shade").count() == 1
        shot = ROOT / "build" / "report-browser.png"
        shot.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(shot), full_page=True)
        # Printed on A4: nothing wider than the page's content width.
        page.emulate_media(media="print")
        page.set_viewport_size({"width": A4_CONTENT_PX, "height": 1000})
        widest = page.evaluate(
            "Math.max(document.documentElement.scrollWidth, ...[...document.querySelectorAll"
            "('svg.chart, table')].map(e => e.getBoundingClientRect().right))"
        )
        assert widest <= A4_CONTENT_PX
        assert len(page.pdf(format="A4")) > 10_000
        browser.close()
    assert shot.stat().st_size > 10_000
