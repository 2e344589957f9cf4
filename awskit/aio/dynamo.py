"""Amazon DynamoDB on asyncio: the [awskit.dynamo][awskit.dynamo] facade, awaited.

A [Table][awskit.aio.dynamo.Table] keeps a blocking [awskit.dynamo.Table][awskit.dynamo.Table]
as its core and uses only what that core decides without IO: keys, items and conditions
checked against the model and the key schema, requests built, answers decoded (the codec,
expressions and validation are the same code). The core learns the key schema from a
``DescribeTable`` awaited here, so it never sends a request itself. The client has the same
fast read path (botocore's events work on aiobotocore's clients). A parallel scan follows
the blocking one's `SegmentPlan` (``awskit.dynamo.scan``) with tasks instead of threads,
and a count its `Counting`.

What the blocking table answers as properties read from a fresh ``DescribeTable``
(``item_count``, ``creation_date_time``, ``status``) and its key schema are awaited
methods here (``await users.item_count()``), as a property cannot await.

```python
async with awskit.aio.connect() as aws:
    users = aws.dynamo.table("users", model=User)
    await users.put(User(username="janedoe", last_name="Doe", age=25))
    async for user in users.query(Key("username").eq("janedoe")):
        print(user.age)
```
"""

from __future__ import annotations

import asyncio
import functools
import weakref
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, cast, overload

from boto3.dynamodb.conditions import ConditionBase
from botocore.exceptions import ClientError

from .._errors import (
    AwskitError,
    ConditionFailed,
    InvalidInput,
    PartialFailure,
    aws_errors,
    logger,
    translate_any,
)
from .._paging import AsyncPaged, Page, token_pages_async
from .._retry import call_async, drain_async
from ..dynamo.batch import (
    BATCH_BYTES,
    _Write,
    check_concurrency,
    delete_write,
    next_batch,
    not_written,
    put_write,
    read_batch_get,
    unprocessed_writes,
    wanted_keys,
    writer_keys,
)
from ..dynamo.codec import check_ttl_field
from ..dynamo.expressions import start_key_of
from ..dynamo.scan import Counting, SegmentPlan, check_resume, check_segments, scan_workers
from ..dynamo.schema import (
    TABLE_WAIT,
    GlobalIndex,
    KeySchema,
    LocalIndex,
    Provisioned,
    create_table_request,
    described_created,
    described_item_count,
    described_status,
)
from ..dynamo.table import BATCH_GET_KEYS, IndexInfo, KeyId, _on_failure, read_page
from ..dynamo.table import Table as _Core
from ..dynamo.transact import (
    TransactAction,
    action_tables,
    get_call,
    raise_cancelled,
    read_get,
    write_call,
)
from ..dynamo.validate import check_index_name, no_such_index
from ._tasks import cancel_and_wait

if TYPE_CHECKING:
    from datetime import datetime

    from types_aiobotocore_dynamodb import DynamoDBClient

    from ._session import Session

__all__ = ["BatchWriter", "DynamoDB", "Table"]

log = logger("awskit.dynamo")

T = TypeVar("T")
M = TypeVar("M")


class DynamoDB:
    """Amazon DynamoDB on asyncio: ``aws.dynamo`` of an [awskit.aio.Session][awskit.aio.Session]."""

    def __init__(self, session: Session) -> None:
        self.session = session

    async def client(self) -> DynamoDBClient:
        """The shared, typed aiobotocore client (fast read path on)."""
        return await self.session.client("dynamodb")

    async def _calls(self) -> DynamoDBClient:
        return await self.session.calls("dynamodb")

    @overload
    def table(
        self,
        name: str,
        model: None = None,
        *,
        version_field: str | None = None,
        ttl_attribute: str | None = None,
    ) -> Table[dict[str, Any]]: ...
    @overload
    def table(
        self,
        name: str,
        model: type[M],
        *,
        version_field: str | None = None,
        ttl_attribute: str | None = None,
    ) -> Table[M]: ...
    def table(
        self,
        name: str,
        model: type[Any] | None = None,
        *,
        version_field: str | None = None,
        ttl_attribute: str | None = None,
    ) -> Table[Any]:
        """An existing table, lazily: nothing is sent until a method needs AWS."""
        if ttl_attribute is not None:
            check_ttl_field(model, ttl_attribute)
        return Table(self, name, model, version_field=version_field, ttl_attribute=ttl_attribute)

    @overload
    async def create_table(
        self,
        name: str,
        model: None = None,
        *,
        hash_key: str,
        range_key: str | None = None,
        billing: Literal["PAY_PER_REQUEST"] | Provisioned = "PAY_PER_REQUEST",
        indexes: Sequence[GlobalIndex | LocalIndex] = (),
        ttl_attribute: str | None = None,
        wait: bool = True,
        version_field: str | None = None,
        key_types: Mapping[str, Literal["S", "N", "B"]] | None = None,
    ) -> Table[dict[str, Any]]: ...
    @overload
    async def create_table(
        self,
        name: str,
        model: type[M],
        *,
        hash_key: str,
        range_key: str | None = None,
        billing: Literal["PAY_PER_REQUEST"] | Provisioned = "PAY_PER_REQUEST",
        indexes: Sequence[GlobalIndex | LocalIndex] = (),
        ttl_attribute: str | None = None,
        wait: bool = True,
        version_field: str | None = None,
        key_types: Mapping[str, Literal["S", "N", "B"]] | None = None,
    ) -> Table[M]: ...
    async def create_table(
        self,
        name: str,
        model: type[Any] | None = None,
        *,
        hash_key: str,
        range_key: str | None = None,
        billing: Literal["PAY_PER_REQUEST"] | Provisioned = "PAY_PER_REQUEST",
        indexes: Sequence[GlobalIndex | LocalIndex] = (),
        ttl_attribute: str | None = None,
        wait: bool = True,
        version_field: str | None = None,
        key_types: Mapping[str, Literal["S", "N", "B"]] | None = None,
    ) -> Table[Any]:
        """Create a table, as [DynamoDB.create_table][awskit.dynamo.DynamoDB.create_table].

        With ``wait`` (or a ``ttl_attribute``), waits until the table is ACTIVE as the
        blocking call does (``DescribeTable`` once a second, at most ten minutes; an
        [AwskitError][awskit.AwskitError] ``WaiterError`` after that).
        """
        request = create_table_request(
            name,
            model,
            hash_key=hash_key,
            range_key=range_key,
            billing=billing,
            indexes=indexes,
            key_types=key_types,
        )
        if ttl_attribute is not None:
            check_ttl_field(model, ttl_attribute)
        calls = await self._calls()
        table = Table(self, name, model, version_field=version_field, ttl_attribute=ttl_attribute)
        with aws_errors():
            await calls.create_table(**request)
            if wait or ttl_attribute is not None:
                waiter = (await self.client()).get_waiter("table_exists")
                await waiter.wait(TableName=name, WaiterConfig=TABLE_WAIT)
            if ttl_attribute is not None:
                await calls.update_time_to_live(
                    TableName=name,
                    TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl_attribute},
                )
        # The request has DescribeTable's shape: no describe needed for keys and indexes.
        table._core._learn(request)
        return table

    async def transact_write(
        self, actions: Sequence[TransactAction], *, token: str | None = None
    ) -> None:
        """Do up to 100 writes on any tables atomically (``TransactWriteItems``), as
        [DynamoDB.transact_write][awskit.dynamo.DynamoDB.transact_write]; every action
        names its (``awskit.aio``) table.

        Raises:
            TransactionCanceled: nothing was written; ``.reasons`` pairs each action with
                DynamoDB's reason.
        """
        await _transact_write(self, actions, None, token)

    def tables(self) -> AsyncPaged[Table[dict[str, Any]]]:
        """Every table of the account and region (``ListTables``, every page)."""

        async def list_tables(**request: Any) -> Any:
            return await (await self._calls()).list_tables(**request)

        fetch = token_pages_async(
            list_tables,
            "TableNames",
            request_token="ExclusiveStartTableName",
            response_token="LastEvaluatedTableName",
        )
        return AsyncPaged(fetch).map(lambda name: Table(self, name))


class _NoIO:
    """What the core of an asyncio table has for a blocking facade: it never sends a
    request. Only [Table.load][awskit.aio.dynamo.Table.load] of an item that fails the
    model, on a table not yet described, reaches it: the error then names no key."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        raise AwskitError(
            "the key schema of an awskit.aio table is read by an awaited call "
            "(await table.key_schema())",
            code="NotDescribed",
        )


class Table(Generic[T]):
    """A DynamoDB table whose items are ``T``, on asyncio.

    As [awskit.dynamo.Table][awskit.dynamo.Table]: keys go as keywords or one mapping.
    What the blocking table reads from AWS as a property (``key_schema``, ``item_count``,
    ``creation_date_time``, ``status``) is an awaited method here.
    """

    def __init__(
        self,
        dynamo: DynamoDB,
        name: str,
        model: type[T] | None = None,
        *,
        version_field: str | None = None,
        ttl_attribute: str | None = None,
    ) -> None:
        self._dynamo = dynamo
        # The blocking table as a pure core: its IO is never reached, as every method
        # below makes sure the key schema (and any index used) is known first.
        self._core: _Core[T] = _Core(cast(Any, _NoIO()), name, model, version_field=version_field)
        self._core.ttl_attribute = ttl_attribute
        self.name = name
        self.model = model

    def __repr__(self) -> str:
        model = self.model.__name__ if self.model is not None else None
        return f"Table({self.name!r}, model={model})"

    @property
    def version_field(self) -> str | None:
        """The optimistic-locking version attribute (``None``: off), as given to ``table``."""
        return self._core.version_field

    @version_field.setter
    def version_field(self, name: str | None) -> None:
        self._core.version_field = name

    @property
    def ttl_attribute(self) -> str | None:
        """The attribute DynamoDB's TTL reads, written as epoch seconds (see
        [Table.ttl_attribute][awskit.dynamo.Table.ttl_attribute])."""
        return self._core.ttl_attribute

    @ttl_attribute.setter
    def ttl_attribute(self, name: str | None) -> None:
        self._core.ttl_attribute = name

    async def client(self) -> DynamoDBClient:
        """The shared, typed aiobotocore client (fast read path on)."""
        return await self._dynamo.client()

    async def _calls(self) -> DynamoDBClient:
        return await self._dynamo._calls()

    async def describe(self) -> dict[str, Any]:
        """The ``Table`` part of a fresh ``DescribeTable`` response."""
        calls = await self._calls()
        table = dict((await calls.describe_table(TableName=self.name))["Table"])
        self._core._learn(table)
        return table

    async def _ready(self, index: str | None = None) -> _Core[T]:
        """The core, once it knows the key schema (and ``index``, when one is read)."""
        core = self._core
        if index is not None:
            check_index_name(self.name, index)
        known = core._indexes or {}
        if core._key_schema is None or not core._key_types or (index and index not in known):
            await self.describe()
            if index and index not in (core._indexes or {}):
                # Freshly described: the core would only describe again, blocking.
                raise no_such_index(self.name, index, core._indexes or {})
        return core

    async def key_schema(self) -> KeySchema:
        """Hash and range key names (read from ``DescribeTable`` once)."""
        return (await self._ready()).key_schema

    async def index(self, name: str) -> IndexInfo:
        """What DynamoDB says of the secondary index ``name`` (``DescribeTable``, once; again
        when the index is not known yet), as [Table.index][awskit.dynamo.Table.index].

        Raises:
            InvalidInput: the table has no index of that name.
        """
        return (await self._ready(name)).index(name)

    async def item_count(self) -> int:
        """Items in the table as AWS last counted them (refreshed about every six hours):
        [Table.item_count][awskit.dynamo.Table.item_count], awaited (a fresh
        ``DescribeTable``)."""
        return described_item_count(await self.describe())

    async def creation_date_time(self) -> datetime:
        """When the table was created (a fresh ``DescribeTable``)."""
        return described_created(await self.describe())

    async def status(self) -> str:
        """``CREATING``, ``ACTIVE``, ``UPDATING``, ``DELETING``, ... (a fresh
        ``DescribeTable``)."""
        return described_status(await self.describe())

    def load(self, av_item: Mapping[str, Any]) -> T:
        """Decode one item in AttributeValue form into ``T``, as
        [Table.load][awskit.dynamo.Table.load] (no request: the error names the item's key
        once the key schema is known, after any call that needed it).

        Raises:
            InvalidItem: the item does not fit the model (names the table and the key).
        """
        return self._core.load(av_item)

    async def _write(self, operation: Callable[..., Awaitable[Any]], request: Any) -> Any:
        try:
            return await operation(**request)
        except ConditionFailed as error:
            if isinstance(error.item, Mapping):
                error.item = self._core._load_or_plain(error.item)
            raise

    async def put(self, item: T, condition: ConditionBase | None = None) -> T:
        """Write ``item`` whole (``PutItem``), as [Table.put][awskit.dynamo.Table.put]."""
        core = await self._ready()
        request = core.put_request(item, condition)
        await self._write((await self._calls()).put_item, _on_failure(request))
        return core.written(item, request)

    async def get(
        self,
        key: Mapping[str, Any] | None = None,
        /,
        *,
        consistent: bool = False,
        **key_kwargs: Any,
    ) -> T | None:
        """The item with this key, or ``None`` (``GetItem``)."""
        core = await self._ready()
        av_key, _ = core._key(core._key_arg(key, key_kwargs))
        calls = await self._calls()
        response = await calls.get_item(TableName=self.name, Key=av_key, ConsistentRead=consistent)
        item = response.get("Item")
        return None if item is None else core.load(item)

    async def update(
        self,
        key: Any = None,
        /,
        set: Mapping[str, Any] | None = None,
        remove: Iterable[str] = (),
        add: Mapping[str, Any] | None = None,
        delete: Mapping[str, Any] | None = None,
        condition: ConditionBase | None = None,
        *,
        upsert: bool = False,
        **key_kwargs: Any,
    ) -> T:
        """Change some attributes of one existing item (see the blocking ``Table.update``)."""
        core = await self._ready()
        request = core.update_request(
            core._key_arg(key, key_kwargs),
            set=set,
            remove=remove,
            add=add,
            delete=delete,
            condition=condition,
            upsert=upsert,
        )
        calls = await self._calls()
        try:
            response = await self._write(
                calls.update_item, {**_on_failure(request), "ReturnValues": "ALL_NEW"}
            )
        except ConditionFailed as exc:
            error = core.update_failed(exc, request, upsert)
            if error is exc:
                raise
            raise error from exc
        return core.load(response["Attributes"])

    async def delete(
        self, key: Any = None, /, condition: ConditionBase | None = None, **key_kwargs: Any
    ) -> T | None:
        """Delete one item; returns the item that was there, or ``None``."""
        core = await self._ready()
        request = core.delete_request(core._key_arg(key, key_kwargs), condition)
        calls = await self._calls()
        response = await self._write(
            calls.delete_item, {**_on_failure(request), "ReturnValues": "ALL_OLD"}
        )
        return core.deleted(response)

    def _pages(
        self,
        plan: Callable[[_Core[T]], tuple[dict[str, Any], Any]],
        operation: str,
        index: str | None,
        limit: int | None,
        start_key: Mapping[str, Any] | None,
    ) -> AsyncPaged[Any]:
        state: dict[str, Any] = {}

        async def fetch(token: Any) -> Page[Any]:
            if not state:
                # Checked on first use, before the first read is sent.
                core = await self._ready(index)
                request, load = plan(core)
                state.update(request=request, load=load, names=core.page_keys(request))
            request = state["request"]
            if token is not None:
                request = {**request, "ExclusiveStartKey": token}
            response = await getattr(await self._calls(), operation)(**request)
            return read_page(response, state["names"], state["load"])

        return AsyncPaged(fetch, limit=limit, start_token=start_key_of(start_key))

    @overload
    def query(
        self,
        key_condition: ConditionBase,
        filter: ConditionBase | None = None,
        index: str | None = None,
        limit: int | None = None,
        reverse: bool = False,
        consistent: bool = False,
        projection: None = None,
        page_size: int | None = None,
        start_key: Mapping[str, Any] | None = None,
    ) -> AsyncPaged[T]: ...
    @overload
    def query(
        self,
        key_condition: ConditionBase,
        filter: ConditionBase | None = None,
        index: str | None = None,
        limit: int | None = None,
        reverse: bool = False,
        consistent: bool = False,
        *,
        projection: Iterable[str],
        page_size: int | None = None,
        start_key: Mapping[str, Any] | None = None,
    ) -> AsyncPaged[dict[str, Any]]: ...
    def query(
        self,
        key_condition: ConditionBase,
        filter: ConditionBase | None = None,
        index: str | None = None,
        limit: int | None = None,
        reverse: bool = False,
        consistent: bool = False,
        projection: Iterable[str] | None = None,
        page_size: int | None = None,
        start_key: Mapping[str, Any] | None = None,
    ) -> AsyncPaged[Any]:
        """Items whose key matches, across every page: ``async for`` (see ``Table.query``).

        The arguments are checked when iteration starts, before the first request.
        """
        return self._pages(
            lambda core: core.query_plan(
                key_condition, filter, index, limit, reverse, consistent, projection, page_size
            ),
            "query",
            index,
            limit,
            start_key,
        )

    @overload
    def scan(
        self,
        filter: ConditionBase | None = None,
        segments: int = 1,
        index: str | None = None,
        limit: int | None = None,
        consistent: bool = False,
        projection: None = None,
        page_size: int | None = None,
        start_key: Mapping[str, Any] | None = None,
    ) -> AsyncPaged[T]: ...
    @overload
    def scan(
        self,
        filter: ConditionBase | None = None,
        segments: int = 1,
        index: str | None = None,
        limit: int | None = None,
        consistent: bool = False,
        *,
        projection: Iterable[str],
        page_size: int | None = None,
        start_key: Mapping[str, Any] | None = None,
    ) -> AsyncPaged[dict[str, Any]]: ...
    def scan(
        self,
        filter: ConditionBase | None = None,
        segments: int = 1,
        index: str | None = None,
        limit: int | None = None,
        consistent: bool = False,
        projection: Iterable[str] | None = None,
        page_size: int | None = None,
        start_key: Mapping[str, Any] | None = None,
    ) -> AsyncPaged[Any]:
        """Every item (matching ``filter``), across every page: ``async for`` (see
        [Table.scan][awskit.dynamo.Table.scan]).

        ``segments > 1`` scans that many segments in parallel, as tasks, at most the
        session's ``max_concurrency`` at once, each reading whole segments page after page.
        Pages reach the loop in the order they arrive (items of one page in DynamoDB's
        order), so items come in no particular order; at most ``2 x tasks`` pages wait
        to be read, so a slow reader holds the tasks back instead of the table piling up
        in memory. When iteration stops (``limit`` reached, an error, the loop left with
        ``break`` and the iterator dropped), the tasks are cancelled. A parallel scan
        cannot be resumed with ``start_key``, and its ``next_token`` resumes nothing.

        Raises:
            InvalidInput: ``segments`` outside 1 to 1,000,000, or a ``start_key`` with
                ``segments > 1``, at once; other arguments when iteration starts,
                before the first request.

        Example:
            ```python
            async for user in users.scan(Attr("age").lt(27), segments=8):
                ...
            ```
        """
        check_segments(segments)
        check_resume(segments, start_key)

        def plan(core: _Core[T]) -> tuple[dict[str, Any], Any]:
            return core.scan_plan(filter, segments, index, limit, consistent, projection, page_size)

        if segments == 1:
            return self._pages(plan, "scan", index, limit, start_key)
        return self._parallel_scan(plan, segments, index, limit)

    def _parallel_scan(
        self,
        plan: Callable[[_Core[T]], tuple[dict[str, Any], Any]],
        segments: int,
        index: str | None,
        limit: int | None,
    ) -> AsyncPaged[Any]:
        scan = _SegmentTasks()

        async def fetch(token: Any) -> Page[Any]:
            if scan.plan is None:
                core = await self._ready(index)
                request, load = plan(core)
                workers = scan_workers(segments, self._dynamo.session.max_concurrency)
                scan.start(SegmentPlan(request, segments, workers), load, await self._calls())
            got = await scan.pages.get()
            if got is _DONE:
                return SegmentPlan.end()
            if isinstance(got, BaseException):
                scan.stop()
                with aws_errors():
                    raise got
            return SegmentPlan.page(got, scan.load)

        return _StoppingAsyncPaged(fetch, limit=limit, scan=scan)

    async def count(
        self,
        filter: ConditionBase | None = None,
        index: str | None = None,
        consistent: bool = False,
    ) -> int:
        """How many items there are (matching ``filter``), counted by a full ``Scan``
        (``Select=COUNT``, every page), as [Table.count][awskit.dynamo.Table.count].

        Raises:
            InvalidInput: an index the table does not have, ``consistent`` on a global
                index, or a wrong ``filter``, before the first ``Scan``.
        """
        core = self._core if index is None else await self._ready(index)
        counting = Counting(core.count_request(filter, index, consistent))
        calls = await self._calls()
        while not counting.done:
            counting.add(await calls.scan(**counting.request()))
        return counting.total

    async def delete_table(self, *, wait: bool = False) -> None:
        """Delete the table and every item in it; ``wait`` until it is gone (as
        [Table.delete_table][awskit.dynamo.Table.delete_table]).

        Raises:
            NotFound: there is no such table.
        """
        with aws_errors():
            await (await self._calls()).delete_table(TableName=self.name)
            if wait:
                waiter = (await self.client()).get_waiter("table_not_exists")
                await waiter.wait(TableName=self.name, WaiterConfig=TABLE_WAIT)

    async def batch_get(self, keys: Iterable[Any], *, consistent: bool = False) -> list[T]:
        """The items with these keys that exist, in the order of ``keys`` (``BatchGetItem``).

        Raises:
            PartialFailure: keys still unprocessed after every retry, as given.
        """
        core = await self._ready()
        names = core.key_schema.names
        wanted = wanted_keys(core, keys)
        ids = list(wanted)
        found: dict[KeyId, T] = {}
        client = await self._dynamo.client()
        session = self._dynamo.session
        limit = asyncio.Semaphore(session.max_concurrency)

        async def attempt(batch: list[KeyId]) -> list[KeyId]:
            request: dict[str, Any] = {"Keys": [wanted[i][0] for i in batch]}
            if consistent:
                request["ConsistentRead"] = True
            response = await client.batch_get_item(RequestItems={self.name: cast(Any, request)})
            items, left = read_batch_get(core, cast(Mapping[str, Any], response), names)
            found.update(items)
            return left

        async def run(batch: list[KeyId]) -> None:
            async with limit:
                await drain_async(session.retry, batch, attempt, what="keys", sleep=session.sleep)

        chunks = [ids[i : i + BATCH_GET_KEYS] for i in range(0, len(ids), BATCH_GET_KEYS)]
        outcomes = await asyncio.gather(*(run(c) for c in chunks), return_exceptions=True)
        failed: list[Any] = []
        last: PartialFailure | None = None
        for outcome in outcomes:
            if isinstance(outcome, PartialFailure):
                failed.extend(wanted[i][1] for i in outcome.failed)
                last = outcome
            elif isinstance(outcome, BaseException):
                raise translate_any(outcome, "BatchGetItem") from outcome
        if last is not None:
            raise PartialFailure(
                f"{len(failed)} keys of table {self.name!r} still unprocessed after "
                f"{session.retry.max_attempts} attempts",
                failed=failed,
                last_error=last.last_error,
                code="PartialFailure",
            )
        return [found[i] for i in ids if i in found]

    async def transact_write(
        self, actions: Sequence[TransactAction], *, token: str | None = None
    ) -> None:
        """Do up to 100 writes atomically (``TransactWriteItems``), as
        [Table.transact_write][awskit.dynamo.Table.transact_write]: actions without a
        ``table`` apply to this table.

        Raises:
            TransactionCanceled: nothing was written; ``.reasons`` pairs each action with
                why it was refused.
        """
        await _transact_write(self._dynamo, actions, self, token)

    async def transact_get(self, keys: Sequence[Any]) -> list[T | None]:
        """Read up to 100 items atomically (``TransactGetItems``), ``None`` where absent."""
        core = await self._ready()
        keys = list(keys)
        call = get_call(core, keys)
        client = await self._dynamo.client()

        async def send() -> Any:
            try:
                return await client.transact_get_items(**call)
            except ClientError as exc:
                raise_cancelled(exc, keys, [core] * len(keys))
                raise

        session = self._dynamo.session
        response = await call_async(
            session.retry, send, operation="TransactGetItems", sleep=session.sleep
        )
        return read_get(core, response)

    def batch_writer(
        self, overwrite_by_pkeys: Sequence[str] | None = None, *, max_concurrency: int | None = None
    ) -> BatchWriter[T]:
        """An async context manager that writes puts and deletes in batches of 25.

        ```python
        async with users.batch_writer() as batch:
            await batch.put(user)
        ```
        """
        return BatchWriter(self, overwrite_by_pkeys, max_concurrency)


_DONE = object()


class _SegmentTasks:
    """The tasks of one parallel scan and the bounded queue of pages they fill (never
    referencing the iterator, so dropping it lets them be cancelled)."""

    def __init__(self) -> None:
        self.plan: SegmentPlan | None = None
        self.load: Callable[[Mapping[str, Any]], Any] = dict
        self.pages: asyncio.Queue[Any] = asyncio.Queue()
        self.tasks: list[asyncio.Task[None]] = []
        self._running = 0

    def start(
        self, plan: SegmentPlan, load: Callable[[Mapping[str, Any]], Any], calls: Any
    ) -> None:
        self.plan, self.load = plan, load
        self.pages = asyncio.Queue(maxsize=plan.buffer)
        self._running = plan.workers
        self.tasks = [asyncio.create_task(self._work(plan, calls)) for _ in range(plan.workers)]

    async def _work(self, plan: SegmentPlan, calls: Any) -> None:
        try:
            while (segment := plan.next_segment()) is not None:
                token = None
                while True:
                    response = await calls.scan(**plan.page_request(segment, token))
                    token = plan.last_key(response)
                    await self.pages.put(plan.items(response))
                    if token is None:
                        break
        except Exception as exc:
            # Handed to the reader, which raises it: nothing fails silently in a task.
            await self.pages.put(exc)
        self._running -= 1
        if self._running == 0:
            await self.pages.put(_DONE)

    def stop(self) -> None:
        for task in self.tasks:
            if not task.done():
                task.cancel()


def _stop_tasks(tasks: list[asyncio.Task[None]]) -> None:
    """Cancel what is left of a dropped scan's tasks, from whichever thread collects it."""
    for task in tasks:
        if task.done():
            continue
        loop = task.get_loop()
        if not loop.is_closed():
            loop.call_soon_threadsafe(task.cancel)


class _StoppingAsyncPaged(AsyncPaged[T]):
    """An AsyncPaged that cancels the scan's tasks once it stops, or is dropped."""

    def __init__(
        self,
        fetch: Callable[[Any], Awaitable[Page[T]]],
        *,
        limit: int | None,
        scan: _SegmentTasks,
    ) -> None:
        super().__init__(fetch, limit=limit)
        self._scan = scan
        weakref.finalize(self, lambda: _stop_tasks(scan.tasks))

    async def __anext__(self) -> T:
        try:
            return await super().__anext__()
        except BaseException:
            self._scan.stop()
            raise

    async def aclose(self) -> None:
        """Cancel the scan's tasks (done for you when iteration ends or the iterator is
        dropped)."""
        self._scan.stop()


class _Flight:
    """One batch in flight: its writes, those not (yet) known written, the last error."""

    __slots__ = ("batch", "error", "left")

    def __init__(self, batch: list[_Write]) -> None:
        self.batch = batch
        self.left = batch
        self.error: BaseException | None = None


class BatchWriter(Generic[T]):
    """Buffered, concurrent, lossless batch writes on asyncio (see the blocking writer).

    The last write of a key wins; no two writes of one key are in flight at once; batches
    that DynamoDB leaves unprocessed are retried by the one rule; on exit (or
    [close][awskit.aio.dynamo.BatchWriter.close]), what is still not written is raised in
    [PartialFailure][awskit.PartialFailure] ``.failed``.

    ``max_concurrency`` is checked when the writer is made; ``overwrite_by_pkeys``, which
    must name the table's key, at the first write (the key schema is awaited then).
    """

    def __init__(
        self, table: Table[T], overwrite_by_pkeys: Sequence[str] | None, max_concurrency: int | None
    ) -> None:
        session = table._dynamo.session
        self._table = table
        self._overwrite = overwrite_by_pkeys
        self._keys: tuple[str, ...] | None = None
        if max_concurrency is None:
            self._max = session.max_concurrency
        else:
            self._max = check_concurrency(max_concurrency)
        self._buffer: dict[KeyId, _Write] = {}
        self._flying: set[KeyId] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(self._max)
        self._failed: list[_Write] = []
        self._last_error: BaseException | None = None
        self.written = 0

    async def _names(self) -> tuple[str, ...]:
        if self._keys is None:
            core = await self._table._ready()
            self._keys = writer_keys(core.key_schema, self._overwrite)
        return self._keys

    async def put(self, item: T | Mapping[str, Any]) -> None:
        """Queue ``item`` to be written whole (checked now: InvalidInput before any request)."""
        core = await self._table._ready()
        await self._add(put_write(core, item, await self._names()))

    async def delete(self, key: Mapping[str, Any] | None = None, /, **key_kwargs: Any) -> None:
        """Queue the deletion of the item with this key (a mapping, or keywords)."""
        core = await self._table._ready()
        await self._add(delete_write(core, key, key_kwargs, await self._names()))

    async def _add(self, write: _Write) -> None:
        self._buffer.pop(write.key, None)
        self._buffer[write.key] = write
        await self._pump(final=False)

    async def _pump(self, *, final: bool) -> None:
        while True:
            batch, closed = next_batch(self._buffer.values(), self._flying, BATCH_BYTES)
            if not batch or not (closed or final):
                return
            names = await self._names()
            await self._slots.acquire()
            for write in batch:
                del self._buffer[write.key]
                self._flying.add(write.key)
            flight = _Flight(batch)
            task = asyncio.create_task(self._send(flight, names))
            self._tasks.add(task)
            task.add_done_callback(functools.partial(self._landed, flight))

    async def _send(self, flight: _Flight, names: Sequence[str]) -> None:
        table = self._table
        session = table._dynamo.session

        async def attempt(writes: list[_Write]) -> list[_Write]:
            flight.left = writes
            client = await table._dynamo.client()
            response = await client.batch_write_item(
                RequestItems={table.name: cast(Any, [w.request for w in writes])}
            )
            return unprocessed_writes(cast(Mapping[str, Any], response), table.name, writes, names)

        try:
            await drain_async(
                session.retry, flight.batch, attempt, what="items", sleep=session.sleep
            )
            flight.left = []
        except PartialFailure as exc:
            flight.left, flight.error = list(exc.failed), exc.last_error or exc
        except Exception as exc:
            flight.error = translate_any(exc, "BatchWriteItem")

    def _landed(self, flight: _Flight, task: asyncio.Task[None]) -> None:
        """Account for a batch once its task is done, even one cancelled before it ran."""
        self._tasks.discard(task)
        for write in flight.batch:
            self._flying.discard(write.key)
        self.written += len(flight.batch) - len(flight.left)
        if flight.left:
            self._failed.extend(flight.left)
            if task.cancelled():
                # Cancelled by a cancelled close: what was in flight is not known written.
                self._last_error = asyncio.CancelledError("the batch was cancelled in flight")
            else:
                self._last_error = flight.error
        self._slots.release()

    async def flush(self) -> None:
        """Send everything buffered and wait until DynamoDB has taken it (or retries ran out).

        Raises:
            PartialFailure: writes not done after every retry (since the last report).
        """
        while self._buffer or self._tasks:
            await self._pump(final=True)
            if self._tasks:
                await asyncio.wait(set(self._tasks))
        failed, self._failed = self._failed, []
        last_error, self._last_error = self._last_error, None
        if failed:
            raise not_written(self._table.name, failed, last_error)

    async def close(self) -> None:
        """Flush, as [BatchWriter.close][awskit.dynamo.BatchWriter.close] (``async with``
        does it on exit). There are no threads to release; if ``close`` is cancelled, the
        batches still in flight are cancelled with it (what they held may or may not be
        written), so no task outlives the writer.

        Raises:
            PartialFailure: writes not done after every retry (since the last report).
        """
        try:
            await self.flush()
        finally:
            await cancel_and_wait(self._tasks)

    async def aclose(self) -> None:
        """The same as [close][awskit.aio.dynamo.BatchWriter.close], by asyncio's name
        (``contextlib.aclosing``)."""
        await self.close()

    async def __aenter__(self) -> BatchWriter[T]:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None or isinstance(exc, Exception):
            # Like boto3's writer, what was queued before an exception is still written.
            await self.close()
            return
        # Cancelled (or interrupted): nothing more is sent and the cancellation goes on, as
        # asyncio expects (no PartialFailure in its place); the batches in flight are
        # cancelled, and what was not written is raised by a later flush().
        self._failed.extend(self._buffer.values())
        self._buffer.clear()
        self._last_error = exc
        await cancel_and_wait(self._tasks)
        if self._failed:
            log.warning(
                "%s: %d writes not done (the batch writer was %s)",
                self._table.name,
                len(self._failed),
                "cancelled" if isinstance(exc, asyncio.CancelledError) else "interrupted",
            )


async def _transact_write(
    dynamo: DynamoDB,
    actions: Sequence[TransactAction],
    default: Table[Any] | None,
    token: str | None,
) -> None:
    actions = list(actions)
    cores: list[_Core[Any]] = []
    for i, table in enumerate(action_tables(actions, default)):
        if not isinstance(table, Table):
            raise InvalidInput(f"actions[{i}]", "table= must be an awskit.aio table here")
        cores.append(await table._ready())
    call = write_call(actions, cores, token)
    client = await dynamo.client()

    async def send() -> None:
        try:
            await client.transact_write_items(**call)
        except ClientError as exc:
            raise_cancelled(exc, actions, cores)
            raise

    session = dynamo.session
    await call_async(session.retry, send, operation="TransactWriteItems", sleep=session.sleep)
