"""Connecting on asyncio: one `Session` holds the aiobotocore session and its clients.

Everything a client is made with (botocore's ``standard`` retries, timeouts, pool size) and
every call's retry rule are the blocking [awskit.Session][awskit.Session]'s own
(``config_settings``, `awskit._retry.Attempts`); only the waiting is awaited.
Clients are made on first use and closed when the session's ``async with`` ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, Literal, overload

from .._errors import AwskitError, InvalidInput, aws_errors, register_secrets
from .._retry import AsyncSleep, RetryPolicy, call_async
from .._session import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_READ_TIMEOUT,
    _Calls,
    check_settings,
    config_settings,
)

if TYPE_CHECKING:
    from aiobotocore.config import AioConfig
    from aiobotocore.session import AioSession
    from types_aiobotocore_cloudwatch import CloudWatchClient
    from types_aiobotocore_dynamodb import DynamoDBClient
    from types_aiobotocore_ebs import EBSClient
    from types_aiobotocore_ec2 import EC2Client
    from types_aiobotocore_s3 import S3Client
    from types_aiobotocore_sqs import SQSClient

    from .cloudwatch import CloudWatch
    from .dynamo import DynamoDB
    from .ebs import EBS
    from .s3 import S3
    from .sqs import SQS

__all__ = ["Session", "connect", "local"]


def _aiobotocore() -> Any:
    try:
        import aiobotocore.session
    except ImportError as exc:
        raise AwskitError(
            "awskit.aio runs on aiobotocore: pip install 'awskit[aio]'", code="MissingExtra"
        ) from exc
    return aiobotocore.session


class _AsyncCalls(_Calls):
    """A client's operations, each awaited under the session's retry rule and translated."""

    def __init__(self, client: Any, retry: RetryPolicy, sleep: AsyncSleep | None) -> None:
        super().__init__(client, retry)
        self._sleep = sleep

    def _wrap(self, method: Any, operation: str) -> Any:
        retry, sleep = self._retry, self._sleep

        async def call(**kwargs: Any) -> Any:
            return await call_async(
                retry, lambda: method(**kwargs), operation=operation, sleep=sleep
            )

        return call


class Session:
    """A connection to AWS on asyncio: an aiobotocore session, its clients, awskit's settings.

    Made by [awskit.aio.connect][awskit.aio.connect] or [awskit.aio.local][awskit.aio.local]
    and used as ``async with``; its clients close when the block ends (or on
    [close][awskit.aio.Session.close]). ``sqs`` and ``dynamo`` are the facades, as on
    [awskit.Session][awskit.Session].

    ``sleep`` is how the retry rule waits between attempts (``asyncio.sleep``); tests pass
    one that returns at once. The [RetryPolicy][awskit.RetryPolicy]'s own ``sleep`` blocks
    and is never used here.
    """

    def __init__(
        self,
        session: AioSession,
        *,
        region: str | None = None,
        endpoint_url: str | None = None,
        retry: RetryPolicy | None = None,
        max_concurrency: int = 16,
        config: AioConfig | None = None,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
        sleep: AsyncSleep | None = None,
    ) -> None:
        self.connect_timeout, self.read_timeout = check_settings(
            max_concurrency, connect_timeout, read_timeout
        )
        self.session = session
        self._region = region
        self.endpoint_url = endpoint_url
        self.retry = retry if retry is not None else RetryPolicy()
        self.max_concurrency = max_concurrency
        self.sleep = sleep
        self._config = config
        self._clients: dict[str, Any] = {}
        self._calls: dict[str, _AsyncCalls] = {}
        self._facades: dict[str, Any] = {}
        self._stack = contextlib.AsyncExitStack()
        self._lock = asyncio.Lock()
        self._closed = False

    @property
    def region(self) -> str | None:
        """The region requests go to."""
        return self._region or self.session.get_config_variable("region")

    def __repr__(self) -> str:
        # Never the credentials: only where requests go.
        return (
            f"awskit.aio.Session(region={self.region!r}, endpoint_url={self.endpoint_url!r}, "
            f"max_concurrency={self.max_concurrency}, connect_timeout={self.connect_timeout}, "
            f"read_timeout={self.read_timeout})"
        )

    async def __aenter__(self) -> Session:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close every client this session made (``async with`` does it for you)."""
        self._closed = True
        self._calls.clear()
        self._clients.clear()
        await self._stack.aclose()

    def botocore_config(self) -> AioConfig:
        """The aiobotocore ``AioConfig`` every client of this session is made with."""
        from aiobotocore.config import AioConfig

        base = AioConfig(
            **config_settings(self.max_concurrency, self.connect_timeout, self.read_timeout)
        )
        return base.merge(self._config) if self._config is not None else base

    @overload
    async def client(self, service_name: Literal["sqs"]) -> SQSClient: ...
    @overload
    async def client(self, service_name: Literal["dynamodb"]) -> DynamoDBClient: ...
    @overload
    async def client(self, service_name: Literal["cloudwatch"]) -> CloudWatchClient: ...
    @overload
    async def client(self, service_name: Literal["ebs"]) -> EBSClient: ...
    @overload
    async def client(self, service_name: Literal["ec2"]) -> EC2Client: ...
    @overload
    async def client(self, service_name: Literal["s3"]) -> S3Client: ...
    @overload
    async def client(self, service_name: str) -> Any: ...
    async def client(self, service_name: str) -> Any:
        """The shared aiobotocore client for ``service_name``, made on first use."""
        client = self._clients.get(service_name)
        if client is not None:
            return client
        async with self._lock:
            client = self._clients.get(service_name)
            if client is None:
                if self._closed:
                    raise AwskitError("this awskit.aio.Session is closed", code="Closed")
                with aws_errors():
                    client = await self._stack.enter_async_context(
                        self.session.create_client(
                            service_name,  # type: ignore[call-overload, unused-ignore]
                            region_name=self._region,
                            endpoint_url=self.endpoint_url,
                            config=self.botocore_config(),
                        )
                    )
                    await self._remember_secrets()
                if service_name == "dynamodb":
                    from ..dynamo import fastpath

                    fastpath.enable(client, asynchronous=True)
                self._clients[service_name] = client
            return client

    async def _remember_secrets(self) -> None:
        """Teach the scrubber this session's secret key and token (never logged, never shown)."""
        credentials = await self.session.get_credentials()
        if credentials is not None:
            frozen = await credentials.get_frozen_credentials()
            register_secrets((frozen.access_key, frozen.secret_key, frozen.token))

    @overload
    async def calls(self, service_name: Literal["sqs"]) -> SQSClient: ...
    @overload
    async def calls(self, service_name: Literal["dynamodb"]) -> DynamoDBClient: ...
    @overload
    async def calls(self, service_name: Literal["cloudwatch"]) -> CloudWatchClient: ...
    @overload
    async def calls(self, service_name: Literal["ebs"]) -> EBSClient: ...
    @overload
    async def calls(self, service_name: Literal["ec2"]) -> EC2Client: ...
    @overload
    async def calls(self, service_name: Literal["s3"]) -> S3Client: ...
    @overload
    async def calls(self, service_name: str) -> Any: ...
    async def calls(self, service_name: str) -> Any:
        """``client(service_name)`` with every operation awaited under the one retry rule."""
        calls = self._calls.get(service_name)
        if calls is None:
            calls = _AsyncCalls(await self.client(service_name), self.retry, self.sleep)
            self._calls[service_name] = calls
        return calls

    def _facade(self, name: str, module: str, cls: str) -> Any:
        facade = self._facades.get(name)
        if facade is None:
            import importlib

            facade = getattr(importlib.import_module(module), cls)(self)
            self._facades[name] = facade
        return facade

    @property
    def sqs(self) -> SQS:
        """Amazon SQS on asyncio ([awskit.aio.sqs.SQS][awskit.aio.sqs.SQS])."""
        return self._facade("sqs", "awskit.aio.sqs", "SQS")  # type: ignore[no-any-return]

    @property
    def s3(self) -> S3:
        """Amazon S3 on asyncio ([awskit.aio.s3.S3][awskit.aio.s3.S3])."""
        return self._facade("s3", "awskit.aio.s3", "S3")  # type: ignore[no-any-return]

    @property
    def cloudwatch(self) -> CloudWatch:
        """Amazon CloudWatch on asyncio
        ([awskit.aio.cloudwatch.CloudWatch][awskit.aio.cloudwatch.CloudWatch])."""
        return self._facade(  # type: ignore[no-any-return]
            "cloudwatch", "awskit.aio.cloudwatch", "CloudWatch"
        )

    @property
    def ebs(self) -> EBS:
        """The EBS direct APIs on asyncio ([awskit.aio.ebs.EBS][awskit.aio.ebs.EBS])."""
        return self._facade("ebs", "awskit.aio.ebs", "EBS")  # type: ignore[no-any-return]

    @property
    def dynamo(self) -> DynamoDB:
        """Amazon DynamoDB on asyncio ([awskit.aio.dynamo.DynamoDB][awskit.aio.dynamo.DynamoDB])."""
        return self._facade(  # type: ignore[no-any-return]
            "dynamo", "awskit.aio.dynamo", "DynamoDB"
        )


def connect(
    *,
    profile: str | None = None,
    region: str | None = None,
    endpoint_url: str | None = None,
    retry: RetryPolicy | None = None,
    max_concurrency: int = 16,
    session: AioSession | None = None,
    config: AioConfig | None = None,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    read_timeout: float = DEFAULT_READ_TIMEOUT,
    sleep: AsyncSleep | None = None,
) -> Session:
    """Connect to AWS on asyncio as [awskit.connect][awskit.connect] does; ``async with`` it.

    The same options and environment (``AWS_PROFILE``, ``AWS_REGION``, ``AWS_ENDPOINT_URL``)
    as the blocking ``connect``; ``session`` is an aiobotocore ``AioSession`` of your own.
    No request is sent until a facade needs one; the clients close when the block ends.

    ```python
    async with awskit.aio.connect(region="us-east-1", read_timeout=10.0) as aws:
        queue = await aws.sqs.get_queue("jobs")
    ```
    """
    module = _aiobotocore()
    if session is not None and profile is not None:
        raise InvalidInput("profile", "give either profile= or session=, not both")
    region = region or os.environ.get("AWS_REGION") or None
    if session is None:
        from botocore.exceptions import ProfileNotFound

        try:
            session = module.AioSession(profile=profile)
            session.get_scoped_config()  # an unknown profile fails here, not on first use
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
        sleep=sleep,
    )


@contextlib.asynccontextmanager
async def local(
    *,
    port: int = 0,
    region: str = "us-east-1",
    retry: RetryPolicy | None = None,
    max_concurrency: int = 16,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    read_timeout: float = DEFAULT_READ_TIMEOUT,
    sleep: AsyncSleep | None = None,
) -> AsyncIterator[Session]:
    """Run the embedded AWS endpoint (moto, as [awskit.local][awskit.local]) for async code.

    The server runs on its own threads on 127.0.0.1 and is started and stopped off the
    event loop; nothing leaves the machine.

    ```python
    async with awskit.aio.local() as aws:
        queue = await aws.sqs.create_queue("test")
    ```
    """
    from .._local import DUMMY_CREDENTIALS, LocalEndpoint

    module = _aiobotocore()
    endpoint = LocalEndpoint(port)
    await asyncio.to_thread(endpoint.start)
    try:
        session = module.AioSession()
        session.set_credentials(
            DUMMY_CREDENTIALS["aws_access_key_id"], DUMMY_CREDENTIALS["aws_secret_access_key"]
        )
        async with Session(
            session,
            region=region,
            endpoint_url=endpoint.url,
            retry=retry,
            max_concurrency=max_concurrency,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            sleep=sleep,
        ) as aws:
            yield aws
    finally:
        await asyncio.to_thread(endpoint.stop)
