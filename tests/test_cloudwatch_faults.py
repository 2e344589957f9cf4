"""awskit.cloudwatch through the fault proxy: throttling that outlives botocore, 5xx and
dropped connections in front of moto, and nothing lost."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import awskit
from awskit.cloudwatch import Alarm, MetricDatum, MetricQuery

if TYPE_CHECKING:
    from tests.faults import FaultProxy


def test_put_metrics_outlives_throttling(
    faulty_aws: awskit.Session, fault_proxy: FaultProxy, sleeps: Any
) -> None:
    # botocore makes 3 attempts: the 4th throttle reaches awskit's own retry.
    fault_proxy.add("throttle", service="cloudwatch", operation="PutMetricData", times=4)
    when = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=3)
    data = [
        MetricDatum(name="Hits", value=float(i), dimensions={"Node": f"n{i}"}, timestamp=when)
        for i in range(1500)
    ]
    faulty_aws.cloudwatch.put_metrics("MyApp", data)
    assert fault_proxy.injected["throttle"] == 4
    assert len(sleeps.calls) == 1
    puts = [op for service, op in fault_proxy.requests if op == "PutMetricData"]
    assert len(puts) == 2 + 4  # two batches, four of their attempts throttled
    series = faulty_aws.cloudwatch.metric_data(
        [
            MetricQuery(
                id="n", namespace="MyApp", metric_name="Hits", stat="SampleCount", period=3600
            )
        ],
        when - dt.timedelta(minutes=10),
        when + dt.timedelta(minutes=10),
    )
    assert sum(series["n"].values) == 1500


def test_alarms_survive_5xx_throttles_and_drops(
    faulty_aws: awskit.Session, fault_proxy: FaultProxy
) -> None:
    cw = faulty_aws.cloudwatch
    fault_proxy.add("throttle", service="cloudwatch", probability=0.2)
    fault_proxy.add("5xx", service="cloudwatch", probability=0.1)
    fault_proxy.add("drop", service="cloudwatch", operation="DescribeAlarms", times=1)
    names = [f"svc-{i:02d}" for i in range(30)]
    cw.put_alarms(
        Alarm(
            name=name,
            comparison="LessThanThreshold",
            evaluation_periods=5,
            datapoints_to_alarm=3,
            metric_name="Healthy",
            namespace="MyApp",
            period=10,
            statistic="Minimum",
            threshold=1,
            dimensions={"Service": name},
        )
        for name in names
    )
    assert sorted(a.name for a in cw.alarms(prefix="svc-")) == names
    assert sorted(cw.delete_alarms(names)) == names
    fault_proxy.clear()
    assert list(cw.alarms()) == []
    assert fault_proxy.injected["drop"] == 1
    assert fault_proxy.injected["throttle"] + fault_proxy.injected["5xx"] > 0
