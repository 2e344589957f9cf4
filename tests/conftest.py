"""Shared fixtures: moto's server on loopback, fresh state per test, the fault proxy.

Tests talk real HTTP to a ``ThreadedMotoServer`` on a free port, so botocore really
serialises, signs and parses. ``aws`` is a connected ``awskit.Session`` against a reset
server; ``faulty_aws`` goes through :class:`tests.faults.FaultProxy` instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import boto3
import botocore.loaders
import botocore.session
import pytest
from hypothesis import settings

import awskit
from awskit._local import DUMMY_CREDENTIALS, LocalEndpoint

if TYPE_CHECKING:
    from tests.faults import FaultProxy

# No test may ever pick up a developer's real credentials or profile.
for _var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
    os.environ.pop(_var, None)
os.environ["AWS_ACCESS_KEY_ID"] = DUMMY_CREDENTIALS["aws_access_key_id"]
os.environ["AWS_SECRET_ACCESS_KEY"] = DUMMY_CREDENTIALS["aws_secret_access_key"]
os.environ["AWS_DEFAULT_REGION"] = "us-east-1"
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull

# Hypothesis' per-example deadline (200 ms) is a timing assertion: on a shared 2-core machine
# a slow example fails a correct test now and then. Properties are checked, time is not.
settings.register_profile("awskit", deadline=None)
settings.load_profile("awskit")


class SleepRecorder:
    """An injectable ``sleep`` that records the delays asked for and never waits."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[LocalEndpoint]:
    with LocalEndpoint() as endpoint:
        yield endpoint


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def fast_retry(sleeps: SleepRecorder) -> awskit.RetryPolicy:
    """The default policy, with sleeps recorded instead of slept."""
    return awskit.RetryPolicy(sleep=sleeps)


# One loader for every test session: each new botocore session would otherwise parse the
# service models (S3's is large) again, which dominated fixture set-up.
_LOADER = botocore.loaders.create_loader()


#: The seed's Web_Server_CPU_Utilization alarm as ``Alarm(**...)`` keyword arguments, for
#: tests to extend or override.
CPU_ALARM: dict[str, Any] = {
    "name": "Web_Server_CPU_Utilization",
    "comparison": "GreaterThanThreshold",
    "evaluation_periods": 1,
    "metric_name": "CPUUtilization",
    "namespace": "AWS/EC2",
    "period": 60,
    "statistic": "Average",
    "threshold": 70.0,
    "dimensions": {"InstanceId": "INSTANCE_ID"},
    "unit": "Seconds",
}


def make_session(url: str, retry: awskit.RetryPolicy, **kwargs: object) -> awskit.Session:
    core = botocore.session.get_session()
    core.register_component("data_loader", _LOADER)
    session = boto3.Session(botocore_session=core, region_name="us-east-1", **DUMMY_CREDENTIALS)
    return awskit.connect(session=session, endpoint_url=url, retry=retry, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def aws(moto_endpoint: LocalEndpoint, fast_retry: awskit.RetryPolicy) -> awskit.Session:
    """A session against a freshly reset moto server."""
    moto_endpoint.reset()
    return make_session(moto_endpoint.url, fast_retry)


@pytest.fixture
def fault_proxy(moto_endpoint: LocalEndpoint) -> Iterator[FaultProxy]:
    from tests.faults import FaultProxy

    moto_endpoint.reset()
    with FaultProxy(moto_endpoint.url) as proxy:
        yield proxy


@pytest.fixture
def faulty_aws(fault_proxy: FaultProxy, fast_retry: awskit.RetryPolicy) -> awskit.Session:
    """A session whose requests pass through the fault proxy (no faults until added)."""
    return make_session(fault_proxy.url, fast_retry)
