"""CloudWatch: 2500 data points through ``put_metrics`` against a boto3 loop of 20 per call.

Many scripts still send ``put_metric_data`` 20 data at a time (the limit until 2020; it is
1000 metrics and 1 MB now). Two data sets of 2500 points, each sent three ways to moto's
server, both directly on loopback and through the test fault proxy adding 15 ms to every
request (a region-local round trip):

* *samples*: 2500 latency samples of 5 routes in one minute (values repeat, as latencies
  in milliseconds do): awskit folds them into Values/Counts, one request;
* *distinct*: 2500 metrics with different dimensions: awskit sends 3 requests of <= 1000.

The peer is the naive loop (``MetricData`` of 20, 125 calls). Each run is checked: moto
must hold all 2500 values afterwards.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections.abc import Callable
from typing import Any

import awskit
from awskit._local import LocalEndpoint
from awskit.cloudwatch import MetricDatum, MetricQuery
from bench._common import dummy_session

POINTS = 2500
LATENCY = 0.015


def _samples(when: dt.datetime) -> list[dict[str, Any]]:
    return [
        {
            "MetricName": "Latency",
            "Dimensions": [{"Name": "Route", "Value": f"/r{i % 5}"}],
            "Value": float(5 + (i * 7919) % 120),
            "Unit": "Milliseconds",
            "Timestamp": when,
        }
        for i in range(POINTS)
    ]


def _distinct(when: dt.datetime) -> list[dict[str, Any]]:
    return [
        {
            "MetricName": "Latency",
            "Dimensions": [{"Name": "Host", "Value": f"h{i:04d}"}],
            "Value": float(i % 250),
            "Unit": "Milliseconds",
            "Timestamp": when,
        }
        for i in range(POINTS)
    ]


def naive(url: str, data: list[dict[str, Any]]) -> int:
    client = dummy_session().client("cloudwatch", endpoint_url=url)
    calls = 0
    for start in range(0, len(data), 20):
        client.put_metric_data(Namespace="Bench", MetricData=data[start : start + 20])  # type: ignore[arg-type]
        calls += 1
    return calls


def with_awskit(url: str, data: list[dict[str, Any]]) -> int:
    aws = awskit.connect(session=dummy_session(), endpoint_url=url)
    calls = 0

    def count(**_: Any) -> None:
        nonlocal calls
        calls += 1

    aws.cloudwatch.client.meta.events.register("before-send.cloudwatch.PutMetricData", count)
    aws.cloudwatch.put_metrics(
        "Bench",
        [
            MetricDatum(
                name=d["MetricName"],
                value=d["Value"],
                unit=d["Unit"],
                dimensions={x["Name"]: x["Value"] for x in d["Dimensions"]},
                timestamp=d["Timestamp"],
            )
            for d in data
        ],
    )
    return calls


def _stored(url: str, when: dt.datetime) -> float:
    aws = awskit.connect(session=dummy_session(), endpoint_url=url)
    query = MetricQuery(
        id="n", namespace="Bench", metric_name="Latency", stat="SampleCount", period=3600
    )
    series = aws.cloudwatch.metric_data(
        [query], when - dt.timedelta(minutes=5), when + dt.timedelta(minutes=5)
    )
    return sum(series["n"].values)


def _measure(
    endpoint: LocalEndpoint,
    url: str,
    make: Callable[[dt.datetime], list[dict[str, Any]]],
    runs: int,
) -> dict[str, tuple[float, int]]:
    out: dict[str, tuple[float, int]] = {}
    contenders: list[tuple[str, Callable[[str, list[dict[str, Any]]], int]]] = [
        ("naive", naive),
        ("awskit", with_awskit),
    ]
    for label, contender in contenders:
        times = []
        calls = 0
        for _ in range(runs):
            endpoint.reset()
            when = dt.datetime.now(dt.timezone.utc).replace(second=0, microsecond=0)
            data = make(when)
            start = time.perf_counter()
            calls = contender(url, data)
            times.append(time.perf_counter() - start)
            stored = _stored(endpoint.url, when)
            assert stored == POINTS, f"{label}: moto holds {stored} of {POINTS} values"
        out[label] = (statistics.median(times), calls)
    return out


def run(quick: bool = False) -> list[dict[str, object]]:
    from tests.faults import FaultProxy

    runs = 1 if quick else 3
    rows: list[dict[str, object]] = []
    with LocalEndpoint() as endpoint, FaultProxy(endpoint.url) as proxy:
        proxy.set_latency(LATENCY)
        for link, url in (("loopback", endpoint.url), ("+15 ms per request", proxy.url)):
            for label, make in (("samples of 5 routes", _samples), ("distinct metrics", _distinct)):
                result = _measure(endpoint, url, make, runs)
                (peer_s, peer_calls), (ours_s, our_calls) = result["naive"], result["awskit"]
                rows.append(
                    {
                        "operation": f"put {POINTS} data points ({label}), {link}",
                        "peer": "boto3 put_metric_data loop, 20 per call",
                        "peer_s": peer_s,
                        "awskit_s": ours_s,
                        "note": f"{peer_calls} requests vs {our_calls}; all {POINTS} stored",
                    }
                )
    for row in rows:
        peer_s, ours_s = float(str(row["peer_s"])), float(str(row["awskit_s"]))
        print(
            f"{row['operation']:<64} peer {peer_s * 1000:8.1f} ms  awskit {ours_s * 1000:8.1f} ms"
            f"  ratio {ours_s / peer_s:.3f}  {row['note']}"
        )
    return rows


if __name__ == "__main__":
    run()
