"""`report` from the command line: its options, its errors, both stores, the asset.

The history is written through the real stores (SQLite, and DynamoDB played by moto
over HTTP); the report is made by the real command line in a subprocess.
"""

from __future__ import annotations

import csv
import os
import re
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from functions.monitor.decide.state import MonitorState
from functions.monitor.keep.dynamo import DynamoStore
from tests.conftest import run_cli
from tests.report_support import outage, write_sqlite


def local_env(tmp_path, **extra):
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TABLE_"))},
        "LOCAL_DB_PATH": str(tmp_path / "history.sqlite3"),
        **extra,
    }


@pytest.mark.parametrize(
    "since", ["bogus", "0d", "7 weeks", "-3d", "99999999999d", "9" * 5000 + "d"]
)
def test_given_a_bad_since_then_a_one_line_usage_error_and_exit_64(tmp_path, since):
    run = run_cli(
        "report", f"--since={since}", "--out", str(tmp_path / "r.html"), env=local_env(tmp_path)
    )
    assert run.code == 64
    assert len(run.stderr.strip().splitlines()) == 1 and "--since" in run.stderr
    assert "Traceback" not in run.stderr
    assert not (tmp_path / "r.html").exists()


def test_given_a_history_then_report_writes_the_html_and_the_csv(tmp_path):
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    write_sqlite(str(tmp_path / "history.sqlite3"), outage(now - timedelta(hours=1)))
    out, table = tmp_path / "out" / "r.html", tmp_path / "rows.csv"
    run = run_cli(
        "report", "--since", "1d", "--out", str(out), "--csv", str(table), env=local_env(tmp_path)
    )
    assert run.code == 0, run.stderr
    assert run.stdout.startswith(f"wrote {out} (") and "50 cycles" in run.stdout
    html = out.read_text()
    assert html.startswith("<!doctype html>") and "we knew 12 min before the page" in html
    assert "<script" not in html and "http://" not in html and "https://" not in html
    rows = list(csv.DictReader(table.open()))
    overall = next(r for r in rows if r["target"] == "overall")
    assert overall["downtime_min"] == "22.0" and overall["episodes"] == "1"
    assert overall["median_lead_min"] == "12.0"


@pytest.mark.parametrize("since", ["36500d", "3650d", "876000h"])
def test_given_a_since_of_years_then_the_file_stays_small_and_bars_are_aggregated(tmp_path, since):
    # Given: a history with quiet hours, and a window decades long (the axis, not the
    # data, would make one bar per day: 36,500 bars a row)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    write_sqlite(str(tmp_path / "history.sqlite3"), outage(now - timedelta(hours=1)))
    out = tmp_path / "r.html"
    env = local_env(tmp_path, QUIET_HOURS="22:00-07:00")
    run = run_cli("report", "--since", since, "--out", str(out), env=env)
    # Then: the report is made, within the 2 MB the issue allows, with a bounded axis
    assert run.code == 0, run.stderr
    html = out.read_text()
    assert len(html.encode()) <= 2 * 1024 * 1024, len(html) / 1024
    assert html.count('class="bar') <= 3 * 400
    assert "one bar per " in html and "50 cycles" in run.stdout
    # And: a bar of several days says which days in its hover title
    assert re.search(r"<title>\d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d UTC: ", html)


def test_given_an_unwritable_out_then_one_line_and_exit_1(tmp_path):
    (tmp_path / "a-file").write_text("")
    run = run_cli("report", "--out", str(tmp_path / "a-file" / "r.html"), env=local_env(tmp_path))
    assert run.code == 1
    assert run.stderr.startswith("error: cannot write") and len(run.stderr.splitlines()) == 1


def test_given_an_unreadable_store_then_one_line_and_exit_1(tmp_path):
    (tmp_path / "folder").mkdir()
    run = run_cli(
        "report",
        "--out",
        str(tmp_path / "r.html"),
        env=local_env(tmp_path, LOCAL_DB_PATH=str(tmp_path / "folder")),
    )
    assert run.code == 1 and run.stderr.startswith("error: cannot open LOCAL_DB_PATH")
    assert len(run.stderr.splitlines()) == 1


def _seed_dynamodb(aws, tmp_path) -> dict[str, str]:
    """An outage's cycles committed by the real DynamoDB store, 20 at a time; the
    environment that points the command line at that table through the fault proxy."""
    client = boto3.client("dynamodb", endpoint_url=aws.endpoint, region_name="us-east-1")
    store = DynamoStore(aws.table, client)
    results = outage(datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=1))
    for version, i in enumerate(range(0, len(results), 20)):
        chunk = results[i : i + 20]
        store.commit(chunk[-1], MonitorState(), version, {}, [])
        backlog = chunk[:-1]
        while backlog:  # written after the commit, in transactions of whole results
            backlog = backlog[store.write_backlog(backlog) :]
    return {
        **local_env(tmp_path),
        "TABLE_NAME": aws.table,
        "AWS_ENDPOINT_URL": aws.proxy.url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
    }


def test_given_table_name_then_report_reads_dynamodb(tmp_path, aws):
    env = _seed_dynamodb(aws, tmp_path)
    out, table = tmp_path / "r.html", tmp_path / "rows.csv"
    # When the report is made with TABLE_NAME set.
    run = run_cli("report", "--since", "2h", "--out", str(out), "--csv", str(table), env=env)
    # Then it holds the same figures as from SQLite, and nothing went to a local file.
    assert run.code == 0, run.stderr
    assert "50 cycles" in run.stdout and "we knew 12 min before the page" in out.read_text()
    overall = next(r for r in csv.DictReader(table.open()) if r["target"] == "overall")
    assert overall["downtime_min"] == "22.0"
    assert not (tmp_path / "history.sqlite3").exists()
    assert "DynamoDB table monitor-results" in out.read_text()


def test_given_query_pages_slower_than_a_cycles_timeout_then_report_and_history_wait(tmp_path, aws):
    # Given DynamoDB answering each request in 3 s, past the cycle's 2 s read timeout
    # (a month of pages over a slow link): the command line only reads, with no deadline.
    env = _seed_dynamodb(aws, tmp_path)
    aws.proxy.faults["dynamodb"] = "slow"
    run = run_cli("report", "--since", "2h", "--out", str(tmp_path / "r.html"), env=env)
    assert run.code == 0, run.stderr
    assert "50 cycles" in run.stdout
    history = run_cli("history", "--since", "2h", "--json", env=env)
    assert history.code == 0, history.stderr
    assert history.json["cycles"] == 50


def test_given_dynamodb_refuses_then_report_says_so_in_one_line(tmp_path, aws):
    env = _seed_dynamodb(aws, tmp_path)
    aws.proxy.faults["dynamodb"] = "down"
    run = run_cli("report", "--out", str(tmp_path / "r.html"), env=env)
    assert run.code == 1 and run.stderr.startswith("error: DynamoDB Query failed")
    assert len(run.stderr.splitlines()) == 1
    assert not (tmp_path / "r.html").exists()


def test_the_lambda_asset_leaves_the_report_out_and_the_handler_never_needs_it(tmp_path):
    import shutil

    from infra.bundle import _not_shipped
    from tests.conftest import ROOT

    # Given functions/ copied as the asset copies it.
    shutil.copytree(ROOT / "functions", tmp_path / "functions", ignore=_not_shipped)
    assert not list((tmp_path / "functions").rglob("report*.py"))
    assert (tmp_path / "functions" / "monitor" / "handler.py").exists()
    # Then the handler and every module it imports on its first invocation load there.
    code = (
        "import sys, functions.monitor.handler, functions.monitor.wiring, "
        "functions.monitor.cycle, functions.monitor.config;"
        "assert not [m for m in sys.modules if 'report' in m], sys.modules"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
    )
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("command", ["report", "history"])
def test_given_a_stored_record_that_is_not_json_then_the_others_are_still_shown(tmp_path, command):
    # Given: a history whose one record was cut short or garbled, and one not an object
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    db = tmp_path / "history.sqlite3"
    write_sqlite(str(db), outage(now - timedelta(hours=1)))
    with sqlite3.connect(db) as conn:
        [first, second] = [r for (r,) in conn.execute("SELECT checked_at FROM cycles LIMIT 2")]
        conn.execute(
            'UPDATE cycles SET record = \'{"checked_at": "20\' WHERE checked_at = ?', (first,)
        )
        conn.execute("UPDATE cycles SET record = '[]' WHERE checked_at = ?", (second,))
    args = ["--out", str(tmp_path / "r.html")] if command == "report" else []
    # When: the command reads it
    run = run_cli(command, "--since", "1d", *args, env=local_env(tmp_path))
    # Then: the 48 readable cycles, not one line of error
    assert run.code == 0, run.stderr
    assert "48 cycles" in run.stdout


@pytest.mark.parametrize("command", ["report", "history"])
def test_given_garbled_dynamodb_items_then_the_readable_history_is_still_shown(
    tmp_path, aws, command
):
    # Given: the outage in DynamoDB, plus a cycle item without its record and a
    # transition item without its values (a broken or foreign writer)
    env = _seed_dynamodb(aws, tmp_path)
    client = boto3.client("dynamodb", endpoint_url=aws.endpoint, region_name="us-east-1")
    at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    client.put_item(TableName=aws.table, Item={"pk": {"S": "CYCLE"}, "sk": {"S": at}})
    garbled = {"pk": {"S": "TRANSITION"}, "sk": {"S": f"{at}#overall"}, "target": {"N": "1"}}
    client.put_item(TableName=aws.table, Item=garbled)
    args = ["--out", str(tmp_path / "r.html")] if command == "report" else []
    # When: the command reads the table
    run = run_cli(command, "--since", "2h", *args, env=env)
    # Then: the 50 readable cycles, not one line of error
    assert run.code == 0, run.stderr
    assert "50 cycles" in run.stdout
