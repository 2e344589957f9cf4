"""Batch writes that never lose an item (``BatchWriteItem`` 25 at a time, concurrently),
and batch reads (``BatchGetItem`` 100 keys at a time).

boto3's ``Table.batch_writer()`` sends one batch at a time, drops a batch when the call
raises, and fails a whole batch with "Provided list of item keys contains duplicates"
when one key is written twice. This writer:

* keeps the last write per primary key (``overwrite_by_pkeys``, or the table's own key
  schema by default), so no request ever carries a key twice;
* sends up to ``max_concurrency`` batches at once on a thread pool, but never two writes
  of one key at the same time, so the last write of a key is the one that stays;
* retries ``UnprocessedItems`` (and throttling that outlived botocore) with the session's
  [RetryPolicy][awskit.RetryPolicy], each batch on its own backoff;
* keeps every write accounted for until DynamoDB has taken it: on exit, writes still not
  done after every retry are raised in [PartialFailure][awskit.PartialFailure] ``.failed``, as
  they were given to [BatchWriter.put][awskit.dynamo.BatchWriter.put] /
  [BatchWriter.delete][awskit.dynamo.BatchWriter.delete].
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from .._errors import InvalidInput, PartialFailure, aws_errors, translate_any
from .codec import item_size, key_of
from .table import BATCH_GET_KEYS, KeyId, key_id

if TYPE_CHECKING:
    from .table import Table

__all__ = ["BATCH_BYTES", "BATCH_ITEMS", "BatchWriter", "batch_get"]

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

    Flushes every 25 writes (or 16 MB), with up to the session's ``max_concurrency``
    batches in flight. Conditions and the version field do not apply: ``BatchWriteItem``
    takes none.

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
        schema = table.key_schema
        if overwrite_by_pkeys is not None and (
            isinstance(overwrite_by_pkeys, str) or set(overwrite_by_pkeys) != set(schema.names)
        ):
            raise InvalidInput(
                "overwrite_by_pkeys",
                f"name the table's key attributes {list(schema.names)}, not {overwrite_by_pkeys!r}",
            )
        session = table._dynamo.session
        self._table = table
        self._names = schema.names
        self._retry = session.retry
        self._max = max_concurrency or session.max_concurrency
        if self._max < 1:
            raise InvalidInput("max_concurrency", "must be at least 1")
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
        av_item = self._table._item(item)
        size = item_size(av_item)
        write = _Write(
            key_id(key_of(av_item, *self._key_names()), self._names),
            {"PutRequest": {"Item": av_item}},
            size,
            item,
        )
        self._add(write)

    def delete(self, key: Mapping[str, Any] | None = None, /, **key_kwargs: Any) -> None:
        """Queue the deletion of the item with this key (a mapping, or keywords).

        Raises:
            InvalidInput: the key does not fit the table (checked now, not at flush).
        """
        av_key, _ = self._table._key(self._table._key_arg(key, key_kwargs))
        self._add(_Write(key_id(av_key, self._names), {"DeleteRequest": {"Key": av_key}}, 0, key))

    def _key_names(self) -> tuple[str, str | None]:
        schema = self._table.key_schema
        return schema.hash_key, schema.range_key

    def _add(self, write: _Write) -> None:
        with self._cond:
            # Last write wins: the earlier one of this key (not yet sent) is replaced.
            self._buffer.pop(write.key, None)
            self._buffer[write.key] = write
            self._pump(final=False)

    def _ready(self) -> tuple[list[_Write], bool]:
        """The next batch to send, and whether it is closed (25 writes or 16 MB)."""
        batch: list[_Write] = []
        size = 0
        for write in self._buffer.values():
            if write.key in self._flying:
                continue
            if batch and size + write.size > self._batch_bytes:
                return batch, True
            batch.append(write)
            size += write.size
            if len(batch) == BATCH_ITEMS:
                return batch, True
        return batch, False

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
            if self._in_flight >= self._max:
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
            response = table.client.batch_write_item(
                RequestItems={table.name: cast(Any, [w.request for w in writes])}
            )
            left = response.get("UnprocessedItems", {}).get(table.name, ())
            if not left:
                return []
            by_key = {w.key: w for w in writes}
            return [by_key[key_id(_request_key(r, self._names), self._names)] for r in left]

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
            raise PartialFailure(
                f"{len(failed)} writes to table {self._table.name!r} not done after every retry",
                failed=[w.original for w in failed],
                last_error=last_error,
                code="PartialFailure",
            )

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
        self.close()


def batch_get(table: Table[T], keys: Iterable[Any], *, consistent: bool = False) -> list[T]:
    """[Table.batch_get][awskit.dynamo.Table.batch_get]: de-duplicated keys, 100 a request,
    concurrent, drained."""
    session = table._dynamo.session
    names = table.key_schema.names
    wanted: dict[KeyId, tuple[dict[str, Any], Any]] = {}
    for i, key in enumerate(keys):
        av_key, _ = table._key(key, field=f"keys[{i}]")
        wanted.setdefault(key_id(av_key, names), (av_key, key))
    ids = list(wanted)
    found: dict[KeyId, T] = {}
    lock = threading.Lock()

    def attempt(batch: list[KeyId]) -> list[KeyId]:
        request: dict[str, Any] = {"Keys": [wanted[i][0] for i in batch]}
        if consistent:
            request["ConsistentRead"] = True
        response = table.client.batch_get_item(RequestItems={table.name: cast(Any, request)})
        items = [table.load(item) for item in response.get("Responses", {}).get(table.name, ())]
        raw = response.get("Responses", {}).get(table.name, ())
        with lock:
            for av_item, item in zip(raw, items, strict=True):
                found[key_id(av_item, names)] = item
        unprocessed: Mapping[str, Any] = response.get("UnprocessedKeys") or {}
        left = unprocessed.get(table.name, {}).get("Keys", ())
        return [key_id(k, names) for k in left]

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
            workers = min(len(chunks), session.max_concurrency)
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


def _request_key(request: Mapping[str, Any], names: Sequence[str]) -> dict[str, Any]:
    if "PutRequest" in request:
        item = request["PutRequest"]["Item"]
        return {name: item[name] for name in names}
    return dict(request["DeleteRequest"]["Key"])
