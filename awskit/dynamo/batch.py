"""Batch writes that never lose an item (``BatchWriteItem`` 25 at a time, concurrently),
and batch reads (``BatchGetItem`` 100 keys at a time).

boto3's ``Table.batch_writer()`` sends one batch at a time, drops a batch when the call
raises, and fails a whole batch with "Provided list of item keys contains duplicates"
when one key is written twice. This writer:

* keeps the last write per primary key (``overwrite_by_pkeys``, or the table's own key
  schema by default), so no request ever carries a key twice;
* sends batches concurrently on a thread pool, as many at once as the shared controller
  ([Controller][awskit._flow.Controller]) finds best: from the session's
  ``max_concurrency`` up to the connection pool, backing off when DynamoDB throttles or
  leaves items unprocessed (``max_concurrency=N`` pins it); never two writes of one key
  at the same time, so the last write of a key is the one that stays;
* retries ``UnprocessedItems`` (and throttling that outlived botocore) with the session's
  [RetryPolicy][awskit.RetryPolicy], each batch on its own backoff;
* keeps every write accounted for until DynamoDB has taken it: on exit, writes still not
  done after every retry are raised in [PartialFailure][awskit.PartialFailure] ``.failed``, as
  they were given to [BatchWriter.put][awskit.dynamo.BatchWriter.put] /
  [BatchWriter.delete][awskit.dynamo.BatchWriter.delete].
"""

from __future__ import annotations

import threading
import time
from collections.abc import Container, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from .._errors import InvalidInput, PartialFailure, aws_errors, logger, translate_any
from .._fastwrite import marked
from .._flow import Aimd, Controller
from .._retry import classify
from .codec import item_size, key_of
from .table import BATCH_GET_KEYS, KeyId, key_id

if TYPE_CHECKING:
    from .schema import KeySchema
    from .table import Table

__all__ = [
    "BATCH_BYTES",
    "BATCH_ITEMS",
    "BatchWriter",
    "batch_get",
    "check_concurrency",
    "wanted_keys",
    "writer_keys",
]

log = logger("awskit.dynamo")

T = TypeVar("T")

#: BatchWriteItem takes at most 25 put or delete requests ...
BATCH_ITEMS = 25
#: ... and at most 16 MB in one request.
BATCH_BYTES = 16 * 1024 * 1024


class _Write:
    """One put or delete: its request, key identity, size, and what the caller gave."""

    __slots__ = ("key", "original", "request", "size")

    def __init__(self, key: KeyId, request: dict[str, Any], size: int, original: Any) -> None:
        self.key = key
        self.request = request
        self.size = size
        self.original = original


class BatchWriter(Generic[T]):
    """Buffered, concurrent, lossless batch writes to one table; use it as a context manager.

    Flushes every 25 writes (or 16 MB); as many batches in flight as the shared
    controller finds best, from the session's ``max_concurrency`` up to the connection
    pool (``max_concurrency=N`` pins it at ``N``). Conditions and the version field do
    not apply: ``BatchWriteItem`` takes none.

    Raises (on exit, or from [flush][awskit.dynamo.BatchWriter.flush]):
        PartialFailure: ``.failed`` lists exactly the items (puts) and keys (deletes) not
            written after every retry; ``.last_error`` is the last error seen.

    Example:
        ```python
        with users.batch_writer(overwrite_by_pkeys=["username", "last_name"]) as batch:
            batch.put(User(username="johndoe", last_name="Doe", age=25))
            batch.delete({"username": "janedoe", "last_name": "Doe"})
        ```
    """

    def __init__(
        self,
        table: Table[T],
        *,
        overwrite_by_pkeys: Sequence[str] | None = None,
        max_concurrency: int | None = None,
        batch_bytes: int = BATCH_BYTES,
    ) -> None:
        session = table._dynamo.session
        self._table = table
        self._names = writer_keys(table.key_schema, overwrite_by_pkeys)
        self._retry = session.retry
        self._flow = flow_for(table, max_concurrency)
        self._max = self._flow.maximum
        self._batch_bytes = batch_bytes
        self._buffer: dict[KeyId, _Write] = {}
        self._flying: set[KeyId] = set()
        self._in_flight = 0
        self._cond = threading.Condition()
        self._pool: ThreadPoolExecutor | None = None
        self._failed: list[_Write] = []
        self._last_error: BaseException | None = None
        self.written = 0

    # -- producer side -------------------------------------------------------------------

    def put(self, item: T | Mapping[str, Any]) -> None:
        """Queue ``item`` to be written whole (it replaces an earlier write of its key).

        Raises:
            InvalidInput: the item cannot be written (a key missing, empty, too long or of
                the wrong type; a value DynamoDB cannot store; over 400 KB). It is refused
                here, so it never fails the batch it would have joined.
        """
        self._add(put_write(self._table, item, self._names))

    def delete(self, key: Mapping[str, Any] | None = None, /, **key_kwargs: Any) -> None:
        """Queue the deletion of the item with this key (a mapping, or keywords).

        Raises:
            InvalidInput: the key does not fit the table (checked now, not at flush).
        """
        self._add(delete_write(self._table, key, key_kwargs, self._names))

    def _add(self, write: _Write) -> None:
        with self._cond:
            # Last write wins: the earlier one of this key (not yet sent) is replaced.
            self._buffer.pop(write.key, None)
            self._buffer[write.key] = write
            self._pump(final=False)

    def _ready(self) -> tuple[list[_Write], bool]:
        """The next batch to send, and whether it is closed (25 writes or 16 MB)."""
        return next_batch(self._buffer.values(), self._flying, self._batch_bytes)

    def _pump(self, *, final: bool) -> None:
        """Send every closed batch (every batch when ``final``); called with the lock held."""
        while True:
            batch, closed = self._ready()
            if not batch:
                if final and self._buffer:
                    # What is left waits for an earlier write of its key to land.
                    self._cond.wait()
                    continue
                return
            if not (closed or final):
                return
            if self._in_flight >= self._flow.limit:
                self._cond.wait()
                continue
            for write in batch:
                del self._buffer[write.key]
                self._flying.add(write.key)
            self._in_flight += 1
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self._max, thread_name_prefix="awskit-batch-write")
            self._pool.submit(self._send, batch)

    # -- worker side ---------------------------------------------------------------------

    def _send(self, batch: list[_Write]) -> None:
        table = self._table
        current = batch
        failed: list[_Write] = []
        error: BaseException | None = None

        def attempt(writes: list[_Write]) -> list[_Write]:
            nonlocal current
            current = writes
            started = time.monotonic()
            try:
                response = table.client.batch_write_item(
                    **marked({"RequestItems": {table.name: [w.request for w in writes]}})
                )
            except Exception as exc:
                if classify(exc) == "throttle":
                    self._signal(None)
                raise
            left = unprocessed_writes(response, table.name, writes, self._names)
            # Unprocessed items are how DynamoDB throttles a batch.
            self._signal(None if left else time.monotonic() - started)
            return left

        try:
            self._retry.drain(batch, attempt, what="items")
        except PartialFailure as exc:
            failed, error = list(exc.failed), exc.last_error or exc
        except Exception as exc:
            failed, error = current, translate_any(exc, "BatchWriteItem")
        except BaseException as exc:
            # Kept for the caller, never lost on a pool thread.
            failed, error = current, exc
        finally:
            with self._cond:
                for write in batch:
                    self._flying.discard(write.key)
                self._in_flight -= 1
                self.written += len(batch) - len(failed)
                if failed:
                    self._failed.extend(failed)
                    self._last_error = error
                self._cond.notify_all()

    def _signal(self, latency: float | None) -> None:
        """Tell the controller how a request went: ``None`` for throttled."""
        with self._cond:
            if latency is None:
                self._flow.throttled()
            elif self._flow.succeeded(latency):
                self._cond.notify_all()

    # -- flushing ------------------------------------------------------------------------

    def flush(self) -> None:
        """Send everything buffered and wait until DynamoDB has taken it (or retries ran out).

        Raises:
            PartialFailure: writes not done after every retry (since the last report).
        """
        with self._cond:
            self._pump(final=True)
            while self._in_flight:
                self._cond.wait()
            failed, self._failed = self._failed, []
            last_error, self._last_error = self._last_error, None
        if failed:
            raise not_written(self._table.name, failed, last_error)

    def close(self) -> None:
        """Flush, then release the writer's threads."""
        try:
            self.flush()
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = None

    def __enter__(self) -> BatchWriter[T]:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Like boto3's writer, what was queued before an exception is still written.
        if exc is None or isinstance(exc, Exception):
            self.close()
            return
        # Ctrl-C goes on up, as batch_sender's does: what could not be written is logged,
        # never raised in its place (an `except KeyboardInterrupt` must still see it).
        try:
            self.close()
        except PartialFailure as failure:
            log.error("%s (after an interrupt)", failure)


def wanted_keys(table: Table[Any], keys: Iterable[Any]) -> dict[KeyId, tuple[dict[str, Any], Any]]:
    """BatchGetItem's keys, each checked (``keys[i]`` names a wrong one) and kept once, in
    the order given: key id -> (the key as DynamoDB takes it, the key as given)."""
    names = table.key_schema.names
    wanted: dict[KeyId, tuple[dict[str, Any], Any]] = {}
    for i, key in enumerate(keys):
        av_key, _ = table._key(key, field=f"keys[{i}]")
        wanted.setdefault(key_id(av_key, names), (av_key, key))
    return wanted


def batch_get(table: Table[T], keys: Iterable[Any], *, consistent: bool = False) -> list[T]:
    """[Table.batch_get][awskit.dynamo.Table.batch_get]: de-duplicated keys, 100 a request,
    concurrent, drained."""
    session = table._dynamo.session
    names = table.key_schema.names
    wanted = wanted_keys(table, keys)
    ids = list(wanted)
    found: dict[KeyId, T] = {}
    lock = threading.Lock()
    maximum, options = flow_settings(table, None)
    flow = Controller(maximum, **options)

    def call(request: dict[str, Any]) -> Any:
        with flow:
            started = flow.clock()
            try:
                response = table.client.batch_get_item(
                    RequestItems={table.name: cast(Any, request)}
                )
            except Exception as exc:
                if classify(exc) == "throttle":
                    flow.throttled()
                raise
            # Unprocessed keys are how DynamoDB throttles a batch.
            if (response.get("UnprocessedKeys") or {}).get(table.name):
                flow.throttled()
            else:
                flow.succeeded(flow.clock() - started)
            return response

    def attempt(batch: list[KeyId]) -> list[KeyId]:
        request: dict[str, Any] = {"Keys": [wanted[i][0] for i in batch]}
        if consistent:
            request["ConsistentRead"] = True
        response = call(request)
        items, left = read_batch_get(table, cast(Mapping[str, Any], response), names)
        with lock:
            found.update(items)
        return left

    failed: list[Any] = []
    errors: list[PartialFailure] = []

    def run(batch: list[KeyId]) -> None:
        try:
            session.retry.drain(batch, attempt, what="keys")
        except PartialFailure as exc:
            with lock:
                failed.extend(wanted[i][1] for i in exc.failed)
                errors.append(exc)

    chunks = [ids[i : i + BATCH_GET_KEYS] for i in range(0, len(ids), BATCH_GET_KEYS)]
    with aws_errors():
        if len(chunks) <= 1:
            for chunk in chunks:
                run(chunk)
        else:
            workers = min(len(chunks), flow.maximum)
            with ThreadPoolExecutor(workers, thread_name_prefix="awskit-batch-get") as pool:
                for future in [pool.submit(run, chunk) for chunk in chunks]:
                    future.result()
    if failed:
        raise PartialFailure(
            f"{len(failed)} keys of table {table.name!r} still unprocessed after "
            f"{session.retry.max_attempts} attempts",
            failed=failed,
            last_error=errors[-1].last_error,
            code="PartialFailure",
        )
    return [found[i] for i in ids if i in found]


def not_written(
    table: str, failed: Sequence[_Write], last_error: BaseException | None
) -> PartialFailure:
    """The error listing, as given, the writes not done after every retry."""
    return PartialFailure(
        f"{len(failed)} writes to table {table!r} not done after every retry",
        failed=[w.original for w in failed],
        last_error=last_error,
        code="PartialFailure",
    )


def put_write(table: Table[Any], item: Any, names: Sequence[str]) -> _Write:
    """The checked put of ``item``, keyed by ``names`` (``overwrite_by_pkeys`` or the key)."""
    av_item = table._item(item)
    schema = table.key_schema
    return _Write(
        key_id(key_of(av_item, schema.hash_key, schema.range_key), names),
        {"PutRequest": {"Item": av_item}},
        item_size(av_item),
        item,
    )


def delete_write(
    table: Table[Any], key: Any, key_kwargs: Mapping[str, Any], names: Sequence[str]
) -> _Write:
    """The checked delete of the item with ``key`` (or ``key_kwargs``)."""
    av_key, _ = table._key(table._key_arg(key, key_kwargs))
    return _Write(key_id(av_key, names), {"DeleteRequest": {"Key": av_key}}, 0, key)


def read_batch_get(
    table: Table[T], response: Mapping[str, Any], names: Sequence[str]
) -> tuple[dict[KeyId, T], list[KeyId]]:
    """The items of a ``BatchGetItem`` answer by key, and the keys it left unprocessed."""
    raw = response.get("Responses", {}).get(table.name, ())
    items = {key_id(av_item, names): table.load(av_item) for av_item in raw}
    unprocessed: Mapping[str, Any] = response.get("UnprocessedKeys") or {}
    left = unprocessed.get(table.name, {}).get("Keys", ())
    return items, [key_id(k, names) for k in left]


def next_batch(
    buffer: Iterable[_Write], flying: Container[KeyId], max_bytes: int
) -> tuple[list[_Write], bool]:
    """The next batch of buffered writes to send (none of a key in flight), and whether it
    is closed (25 writes or ``max_bytes``)."""
    batch: list[_Write] = []
    size = 0
    for write in buffer:
        if write.key in flying:
            continue
        if batch and size + write.size > max_bytes:
            return batch, True
        batch.append(write)
        size += write.size
        if len(batch) == BATCH_ITEMS:
            return batch, True
    return batch, False


def unprocessed_writes(
    response: Mapping[str, Any], table: str, writes: Sequence[_Write], names: Sequence[str]
) -> list[_Write]:
    """The writes a ``BatchWriteItem`` answer left in ``UnprocessedItems``."""
    left = response.get("UnprocessedItems", {}).get(table, ())
    if not left:
        return []
    by_key = {w.key: w for w in writes}
    return [by_key[key_id(_request_key(r, names), names)] for r in left]


def writer_keys(schema: KeySchema, overwrite_by_pkeys: object) -> tuple[str, ...]:
    """The attributes a writer tells writes apart by: the table's key, which
    ``overwrite_by_pkeys`` (when given) must name."""
    if overwrite_by_pkeys is not None and (
        isinstance(overwrite_by_pkeys, str)
        or not isinstance(overwrite_by_pkeys, Iterable)
        or set(overwrite_by_pkeys) != set(schema.names)
    ):
        raise InvalidInput(
            "overwrite_by_pkeys",
            f"name the table's key attributes {list(schema.names)}, not {overwrite_by_pkeys!r}",
        )
    return schema.names


def check_concurrency(concurrency: object) -> int:
    """A pinned ``max_concurrency``, checked: a whole number, at least 1."""
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise InvalidInput("max_concurrency", "must be at least 1")
    return concurrency


def flow_settings(table: Table[Any], concurrency: int | None) -> tuple[int, dict[str, Any]]:
    """The limits of one bulk operation's controller: pinned at ``concurrency``, else
    adaptive from the session's ``max_concurrency`` up to the client's connection pool."""
    if concurrency is not None:
        return check_concurrency(concurrency), {"pinned": True}
    session = table._dynamo.session
    config: Any = table.client.meta.config
    pool = max(session.max_concurrency, int(config.max_pool_connections or 1))
    return pool, {"initial": session.max_concurrency}


def flow_for(table: Table[Any], concurrency: int | None) -> Aimd:
    """The controller (no slots) of one bulk operation; see `flow_settings`."""
    maximum, options = flow_settings(table, concurrency)
    return Aimd(maximum, **options)


def _request_key(request: Mapping[str, Any], names: Sequence[str]) -> dict[str, Any]:
    if "PutRequest" in request:
        item = request["PutRequest"]["Item"]
        return {name: item[name] for name in names}
    return dict(request["DeleteRequest"]["Key"])
