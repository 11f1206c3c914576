"""Alarms on the monitor's metrics, and the (opt-in) dashboard.

Who gets what. The function itself notifies on every change of the verdict, once
per event. Alarms that would say the same again (`CanaryFailing-*`,
`StatusPageApiDown`) keep their state for the console, the dashboard and alarm
history but publish nothing, unless `-c alarmActions=all`. Alarms act on the
topic when they say what the function cannot: the monitor itself is broken
(`Heartbeat`, `FunctionErrors`, `FailedChecksQueued`, `ApiKeyUnavailable`) or
something it does not notify on (`HeadroomLow-*`, `LatencyHigh-*`).

Metric names and dimensions match what functions/monitor/tell/metrics.py publishes
through Powertools (which adds the `service` dimension to every metric). In a fleet
(several regions) every metric also carries `Region`, and a region other than the
home has one alarm, its heartbeat: it notifies nothing else, the home says the rest.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from .context import schedule_minutes
from .settings import SERVICE, Settings

MINUTE = Duration.minutes(1)


class Observability(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        settings: Settings,
        function: lambda_.IFunction,
        dlq: sqs.IQueue,
        topic: sns.ITopic,
        *,
        region: str = "",
    ) -> None:
        super().__init__(scope, construct_id)
        self.settings = settings
        # A fleet's metrics carry the Region dimension (tell/metrics.py EmfMetrics).
        self.region = region if settings.fleet else ""
        # Minutes between cycles (1 for an irregular cron: periods stay as they are).
        self.interval = schedule_minutes(settings.schedule) or 1
        self.action = cw_actions.SnsAction(topic)
        self.alarms: list[cw.Alarm] = []
        self.acting: list[cw.Alarm] = []  # the alarms that publish to the topic

        # One period of the whole window, up to CloudWatch's one-day period; longer
        # windows span several periods, all of them empty before it alarms.
        window = settings.heartbeat_minutes
        period = min(window, 1440)
        self.heartbeat = self._alarm(
            "Heartbeat",
            self.metric("Heartbeat", "SampleCount", period=Duration.minutes(period)),
            threshold=1,
            comparison=cw.ComparisonOperator.LESS_THAN_THRESHOLD,
            periods=min(-(-window // period), 7),
            missing=cw.TreatMissingData.BREACHING,
            what=f"No check cycle reported in {_span(window)}: the monitor itself has stopped",
        )
        if not settings.is_home(region):
            return  # each added region adds its heartbeat and nothing else
        self._alarm(
            "ApiKeyUnavailable",
            self.metric("ApiKeyUnavailable", "Maximum", period=self.sampled(5)),
            threshold=1,
            comparison=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            periods=1,
            what=f"The function could not read the API key from SSM "
            f"({settings.api_key_parameter}): canaries are not running",
        )
        for model in settings.models:
            self._alarm(
                f"CanaryFailing-{model}",
                self.metric("CanaryFailed", "Maximum", model, period=self.sampled(1)),
                threshold=1,
                comparison=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                periods=5,
                datapoints=3,
                what=f"The {model} canary failed in 3 of the last "
                f"{_span(5 * int(self.sampled(1).to_minutes()))}",
                mirrors_verdict=True,
            )
            self._alarm(
                f"LatencyHigh-{model}",
                self.metric("CanaryLatency", "p90", model, period=self.sampled(5)),
                threshold=settings.latency_slow_ms,
                comparison=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
                periods=3,
                datapoints=2,
                what=f"p90 latency of the {model} canary is above {settings.latency_slow_ms} ms",
            )
            self._alarm(
                f"HeadroomLow-{model}",
                self.metric("RateLimitHeadroom", "Minimum", model, period=self.sampled(1)),
                threshold=settings.headroom_alarm_below,
                comparison=cw.ComparisonOperator.LESS_THAN_THRESHOLD,
                periods=2,
                what=f"Under {settings.headroom_alarm_below:.0%} of a rate limit left for {model}",
            )
        self._alarm(
            "StatusPageApiDown",
            self.metric("StatusPageApiDown", "Maximum", period=self.sampled(1)),
            threshold=1,
            comparison=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            periods=2,
            what="status.claude.com reports the API component not operational",
            mirrors_verdict=True,
        )
        self._alarm(
            "FunctionErrors",
            function.metric_errors(period=Duration.minutes(5), statistic="Sum"),
            threshold=1,
            comparison=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            periods=1,
            what="The monitor function raised errors",
        )
        self._alarm(
            "FailedChecksQueued",
            dlq.metric_approximate_number_of_messages_visible(
                period=Duration.minutes(5), statistic="Maximum"
            ),
            threshold=1,
            comparison=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            periods=1,
            ok_action=False,
            what="Failed check invocations are waiting in the dead-letter queue",
        )
        if settings.dashboard:
            self.dashboard = self._dashboard()

    def sampled(self, minutes: int) -> Duration:
        """A period for a metric the function publishes once per cycle: at least one
        cycle long, so an alarm that needs N datapoints of M periods can get them on a
        slower schedule (rate(5 minutes) puts one value in five 1-minute periods)."""
        return Duration.minutes(min(max(minutes, self.interval), 1440))

    def metric(
        self, name: str, statistic: str, model: str | None = None, period: Duration = MINUTE
    ) -> cw.Metric:
        dimensions = {"service": SERVICE}
        if self.region:
            dimensions["Region"] = self.region
        if model:
            dimensions["model"] = model
        return cw.Metric(
            namespace=self.settings.namespace,
            metric_name=name,
            dimensions_map=dimensions,
            statistic=statistic,
            period=period,
        )

    def _alarm(
        self,
        name: str,
        metric: cw.IMetric,
        *,
        threshold: float,
        comparison: cw.ComparisonOperator,
        periods: int,
        what: str,
        datapoints: int | None = None,
        missing: cw.TreatMissingData = cw.TreatMissingData.NOT_BREACHING,
        ok_action: bool = True,
        mirrors_verdict: bool = False,
    ) -> cw.Alarm:
        alarm = cw.Alarm(
            self,
            name,
            metric=metric,
            threshold=threshold,
            comparison_operator=comparison,
            evaluation_periods=periods,
            datapoints_to_alarm=datapoints or periods,
            treat_missing_data=missing,
            alarm_description=what,
        )
        self.alarms.append(alarm)
        if mirrors_verdict and self.settings.alarm_actions != "all":
            # The function's own notification already says this, once per event.
            return alarm
        self.acting.append(alarm)
        alarm.add_alarm_action(self.action)
        if ok_action:
            alarm.add_ok_action(self.action)
        return alarm

    def _dashboard(self) -> cw.Dashboard:
        models = self.settings.models
        severity = cw.MathExpression(
            expression="FILL(s, 0)",
            label="severity (0 ok, 1 warning, 2 critical, 3 unknown)",
            using_metrics={"s": self.metric("Severity", "Maximum")},
            period=MINUTE,
        )
        board = cw.Dashboard(self, "Dashboard", default_interval=Duration.hours(24))
        board.add_widgets(
            cw.GraphWidget(
                title="Canary success rate (%)",
                width=12,
                left=[
                    cw.MathExpression(
                        expression=f"100 * (1 - FILL(f{i}, 0) / h)",
                        label=m,
                        period=MINUTE,
                        using_metrics={
                            f"f{i}": self.metric("CanaryFailed", "Sum", m),
                            "h": self.metric("Heartbeat", "SampleCount"),
                        },
                    )
                    for i, m in enumerate(models)
                ],
                left_y_axis=cw.YAxisProps(min=0, max=100),
            ),
            cw.GraphWidget(
                title="Canary latency p90 and TTFT p50 (ms)",
                width=12,
                left=[self.metric("CanaryLatency", "p90", m) for m in models]
                + [self.metric("CanaryTTFT", "p50", m) for m in models],
            ),
            cw.GraphWidget(
                title="Verdict severity",
                width=12,
                left=[severity],
                left_y_axis=cw.YAxisProps(min=0, max=3),
            ),
            cw.GraphWidget(
                title="Detection lead time over the status page (min)",
                width=12,
                left=[self.metric("DetectionLeadTime", "Maximum", period=Duration.hours(1))],
            ),
            cw.AlarmStatusWidget(title="Alarms", alarms=self.alarms, width=24),
        )
        return board


def _span(minutes: int) -> str:
    if minutes % 1440 == 0:
        return f"{minutes // 1440} day{'s' if minutes > 1440 else ''}"
    if minutes % 60 == 0:
        return f"{minutes // 60} hour{'s' if minutes > 60 else ''}"
    return f"{minutes} minutes"
