"""Connecting: one [Session][awskit.Session] holds the boto3 session, shared clients and settings.

Clients are created once per service, under a lock (``boto3.Session.client`` is not
thread-safe), and then shared by every thread: botocore clients are thread-safe, boto3
resources are not, so awskit never hands resources across threads. Every client uses
botocore's ``standard`` retry mode, a connect and a read timeout (no call waits forever),
and a connection pool larger than ``max_concurrency`` and never below 64 (botocore's default
of 10 starves a 16-thread writer).

Facades make their calls through [Session.calls][awskit.Session.calls], the same client behind the
one retry rule of `awskit._retry`; ``facade.client`` stays the plain boto3 client.
"""

from __future__ import annotations

import functools
import math
import os
import threading
from typing import TYPE_CHECKING, Any, Literal, overload

from ._errors import InvalidInput, aws_errors, note_operation, register_secrets
from ._retry import RetryPolicy
from ._version import __version__

if TYPE_CHECKING:
    import boto3
    from botocore.config import Config
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_ebs import EBSClient
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient

    from .cloudwatch import CloudWatch
    from .dynamo import DynamoDB
    from .ebs import EBS
    from .s3 import S3
    from .sqs import SQS

__all__ = ["Session", "connect"]

#: Connections each client may keep for reuse. urllib3 opens them only as needed, so a
#: generous floor costs nothing, and a per-call ``concurrency=32`` (EBS) on a default
#: session still reuses its connections instead of opening and dropping them.
MIN_POOL = 64

#: botocore's own attempts per call in ``standard`` mode, the first one included
#: (``total_max_attempts``: botocore's ``max_attempts`` counts retries and adds one).
BOTOCORE_MAX_ATTEMPTS = 3

#: Seconds to wait for a connection, and for each read of an answer. 30 s covers SQS's
#: longest poll (20 s) and a 512 KiB EBS block on a slow link; a hung endpoint costs at most
#: (connect + read) x botocore's 3 attempts x the RetryPolicy's attempts.
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 30.0


def check_timeout(name: str, value: float) -> float:
    """A timeout in seconds: a positive finite number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidInput(name, "must be a number of seconds")
    if not math.isfinite(value) or value <= 0:
        raise InvalidInput(name, "must be a positive, finite number of seconds")
    return float(value)


def check_settings(
    max_concurrency: int, connect_timeout: float, read_timeout: float
) -> tuple[float, float]:
    """Check a session's settings before anything is made; the two timeouts as floats."""
    if isinstance(max_concurrency, bool) or max_concurrency < 1:
        raise InvalidInput("max_concurrency", "must be at least 1")
    return (
        check_timeout("connect_timeout", connect_timeout),
        check_timeout("read_timeout", read_timeout),
    )


def config_settings(
    max_concurrency: int, connect_timeout: float, read_timeout: float
) -> dict[str, Any]:
    """The botocore ``Config`` settings of every client (``awskit.aio`` uses them too)."""
    return {
        "retries": {"mode": "standard", "total_max_attempts": BOTOCORE_MAX_ATTEMPTS},
        "max_pool_connections": max(MIN_POOL, max_concurrency + 4),
        "connect_timeout": connect_timeout,
        "read_timeout": read_timeout,
        "user_agent_extra": f"awskit/{__version__}",
    }


class _Calls:
    """A client's operations, each run under the session's retry rule and translated.

    ``calls.get_item(...)`` is ``client.get_item(...)`` retried by
    [RetryPolicy.call][awskit.RetryPolicy.call]; anything that is not an operation
    (``meta``, ``get_paginator``, ``exceptions``) is the client's own.
    """

    def __init__(self, client: Any, retry: RetryPolicy) -> None:
        self._client = client
        self._retry = retry
        self._operations: dict[str, str] = dict(client.meta.method_to_api_mapping)

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)
        operation = self._operations.get(name)
        if operation is None:
            return method
        call = self._wrap(method, operation)
        call.__name__ = name
        setattr(self, name, call)
        return call

    def _wrap(self, method: Any, operation: str) -> Any:
        """``method`` under the retry rule (awskit.aio's calls await it instead)."""
        retry = self._retry

        def call(**kwargs: Any) -> Any:
            # A partial, not a lambda: one Python frame less on every call awskit makes.
            return retry.call(functools.partial(method, **kwargs), operation=operation)

        return call


class Session:
    """A connection to AWS: a boto3 session, its shared clients and awskit's settings.

    Create one with [awskit.connect][awskit.connect] (or [awskit.local][awskit.local]). The service
    facades ``sqs``, ``dynamo``, ``cloudwatch``, ``ebs`` and ``s3`` are created on first use and
    cached; ``session`` is the boto3 session underneath, for anything awskit does not cover.
    """

    def __init__(
        self,
        session: boto3.Session,
        *,
        region: str | None = None,
        endpoint_url: str | None = None,
        retry: RetryPolicy | None = None,
        max_concurrency: int = 16,
        config: Config | None = None,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
    ) -> None:
        self.connect_timeout, self.read_timeout = check_settings(
            max_concurrency, connect_timeout, read_timeout
        )
        self.session = session
        self._region = region
        self.endpoint_url = endpoint_url
        self.retry = retry if retry is not None else RetryPolicy()
        self.max_concurrency = max_concurrency
        self._config = config
        self._clients: dict[str, Any] = {}
        self._calls: dict[str, Any] = {}
        self._facades: dict[str, Any] = {}
        self._lock = threading.RLock()

    @property
    def region(self) -> str | None:
        """The region requests go to."""
        return self._region or self.session.region_name

    def __repr__(self) -> str:
        # Never the credentials: only where requests go.
        return (
            f"awskit.Session(region={self.region!r}, endpoint_url={self.endpoint_url!r}, "
            f"profile={self.session.profile_name!r}, max_concurrency={self.max_concurrency}, "
            f"connect_timeout={self.connect_timeout}, read_timeout={self.read_timeout})"
        )

    def botocore_config(self) -> Config:
        """The botocore ``Config`` every client of this session is made with."""
        from botocore.config import Config

        base = Config(
            **config_settings(self.max_concurrency, self.connect_timeout, self.read_timeout)
        )
        return base.merge(self._config) if self._config is not None else base

    @overload
    def client(self, service_name: Literal["sqs"]) -> SQSClient: ...
    @overload
    def client(self, service_name: Literal["dynamodb"]) -> DynamoDBClient: ...
    @overload
    def client(self, service_name: Literal["cloudwatch"]) -> CloudWatchClient: ...
    @overload
    def client(self, service_name: Literal["ebs"]) -> EBSClient: ...
    @overload
    def client(self, service_name: Literal["ec2"]) -> EC2Client: ...
    @overload
    def client(self, service_name: Literal["s3"]) -> S3Client: ...
    @overload
    def client(self, service_name: str) -> Any: ...
    def client(self, service_name: str) -> Any:
        """The shared botocore client for ``service_name``, created on first use."""
        client = self._clients.get(service_name)
        if client is not None:
            return client
        with self._lock:
            client = self._clients.get(service_name)
            if client is None:
                with aws_errors():
                    client = self.session.client(
                        service_name,  # type: ignore[call-overload]
                        region_name=self._region,
                        endpoint_url=self.endpoint_url,
                        config=self.botocore_config(),
                    )
                client.meta.events.register("before-call", note_operation)
                self._remember_secrets()
                self._clients[service_name] = client
            return client

    def _remember_secrets(self) -> None:
        """Teach the scrubber this session's secret key and token (never logged, never shown)."""
        credentials = self.session.get_credentials()
        if credentials is not None:
            frozen = credentials.get_frozen_credentials()
            register_secrets((frozen.access_key, frozen.secret_key, frozen.token))

    @overload
    def calls(self, service_name: Literal["sqs"]) -> SQSClient: ...
    @overload
    def calls(self, service_name: Literal["dynamodb"]) -> DynamoDBClient: ...
    @overload
    def calls(self, service_name: Literal["cloudwatch"]) -> CloudWatchClient: ...
    @overload
    def calls(self, service_name: Literal["ebs"]) -> EBSClient: ...
    @overload
    def calls(self, service_name: Literal["ec2"]) -> EC2Client: ...
    @overload
    def calls(self, service_name: Literal["s3"]) -> S3Client: ...
    @overload
    def calls(self, service_name: str) -> Any: ...
    def calls(self, service_name: str) -> Any:
        """``client(service_name)`` with every operation under the one retry rule, translated.

        What facades call; a failure leaves as an [AwskitError][awskit.AwskitError] once
        botocore's attempts and the session's [RetryPolicy][awskit.RetryPolicy] are spent.
        """
        calls = self._calls.get(service_name)
        if calls is None:
            calls = _Calls(self.client(service_name), self.retry)
            self._calls[service_name] = calls
        return calls

    def _facade(self, name: str, module: str, cls: str) -> Any:
        facade = self._facades.get(name)
        if facade is None:
            import importlib

            with self._lock:
                facade = self._facades.get(name)
                if facade is None:
                    facade = getattr(importlib.import_module(module), cls)(self)
                    self._facades[name] = facade
        return facade

    @property
    def sqs(self) -> SQS:
        """Amazon SQS: queues and messages ([awskit.sqs.SQS][awskit.sqs.SQS])."""
        return self._facade("sqs", "awskit.sqs", "SQS")  # type: ignore[no-any-return]

    @property
    def dynamo(self) -> DynamoDB:
        """Amazon DynamoDB: typed tables ([awskit.dynamo.DynamoDB][awskit.dynamo.DynamoDB])."""
        return self._facade("dynamo", "awskit.dynamo", "DynamoDB")  # type: ignore[no-any-return]

    @property
    def cloudwatch(self) -> CloudWatch:
        """Amazon CloudWatch: alarms and metrics
        ([awskit.cloudwatch.CloudWatch][awskit.cloudwatch.CloudWatch])."""
        return self._facade(  # type: ignore[no-any-return]
            "cloudwatch", "awskit.cloudwatch", "CloudWatch"
        )

    @property
    def ebs(self) -> EBS:
        """EBS direct APIs: snapshot upload and download ([awskit.ebs.EBS][awskit.ebs.EBS])."""
        return self._facade("ebs", "awskit.ebs", "EBS")  # type: ignore[no-any-return]

    @property
    def s3(self) -> S3:
        """Amazon S3: buckets and objects ([awskit.s3.S3][awskit.s3.S3])."""
        return self._facade("s3", "awskit.s3", "S3")  # type: ignore[no-any-return]


def connect(
    *,
    profile: str | None = None,
    region: str | None = None,
    endpoint_url: str | None = None,
    retry: RetryPolicy | None = None,
    max_concurrency: int = 16,
    session: boto3.Session | None = None,
    config: Config | None = None,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    read_timeout: float = DEFAULT_READ_TIMEOUT,
) -> Session:
    """Connect to AWS with the default credential chain, or the session you bring.

    ``profile`` defaults to ``AWS_PROFILE``; ``region`` to ``AWS_REGION``, then
    ``AWS_DEFAULT_REGION``, then the profile's region; ``endpoint_url`` to
    ``AWS_ENDPOINT_URL`` (botocore also honours service-specific ``AWS_ENDPOINT_URL_SQS``
    and friends when none is given). No request is sent until a facade needs one.

    Every request is bounded: ``connect_timeout`` seconds to connect and ``read_timeout``
    seconds for each read of the answer. A call that still has no answer after botocore's
    attempts and the ``retry`` policy's raises [Timeout][awskit.Timeout].

    ```python
    aws = awskit.connect(profile="produser", region="us-east-1", read_timeout=10.0)
    queue = aws.sqs.get_queue("jobs")
    ```
    """
    import boto3

    if session is not None and profile is not None:
        raise InvalidInput("profile", "give either profile= or session=, not both")
    region = region or os.environ.get("AWS_REGION") or None
    if session is None:
        from botocore.exceptions import ProfileNotFound

        try:
            session = boto3.Session(profile_name=profile, region_name=region)
        except ProfileNotFound as exc:
            raise InvalidInput("profile", f"no profile named {profile!r} is configured") from exc
    return Session(
        session,
        region=region,
        endpoint_url=endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None,
        retry=retry,
        max_concurrency=max_concurrency,
        config=config,
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
    )
