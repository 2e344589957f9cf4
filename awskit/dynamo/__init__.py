"""Amazon DynamoDB, typed: tables of pydantic models over the low-level client.

``aws.dynamo`` is a [DynamoDB][awskit.dynamo.DynamoDB] facade. A [Table][awskit.dynamo.Table] reads
items straight into your model (``Table[User].get(...)`` is ``User | None``) or, without
one, into plain dicts with plain Python values. Values are stored exactly
(`awskit.dynamo.codec`), conditions are boto3's own ``Key``/``Attr``, and batch
writes never lose an item (`awskit.dynamo.batch`).

Example:
    ```python
    from awskit.dynamo import Attr, Key, Provisioned

    users = aws.dynamo.create_table("users", User, hash_key="username",
                                    range_key="last_name", billing=Provisioned(5, 5))
    users.put(User(username="janedoe", last_name="Doe", age=25))
    jane = users.get(username="janedoe", last_name="Doe")
    young = list(users.scan(Attr("age").lt(27)))
    ```
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from boto3.dynamodb.conditions import Attr, Key
from pydantic import BaseModel

from .._errors import aws_errors
from .._paging import Paged, token_pages
from .batch import BatchWriter
from .codec import check_ttl_field
from .schema import (
    TABLE_WAIT,
    GlobalIndex,
    KeySchema,
    LocalIndex,
    Provisioned,
    create_table_request,
)
from .table import InvalidItem, Table
from .transact import (
    CancellationReason,
    TransactAction,
    TransactCheck,
    TransactDelete,
    TransactionCanceled,
    TransactPut,
    TransactUpdate,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from .._session import Session

__all__ = [
    "Attr",
    "BatchWriter",
    "CancellationReason",
    "DynamoDB",
    "GlobalIndex",
    "InvalidItem",
    "Key",
    "KeySchema",
    "LocalIndex",
    "Provisioned",
    "Table",
    "TransactAction",
    "TransactCheck",
    "TransactDelete",
    "TransactPut",
    "TransactUpdate",
    "TransactionCanceled",
]

M = TypeVar("M", bound=BaseModel)


class DynamoDB:
    """Amazon DynamoDB facade: ``aws.dynamo``.

    Every table shares the session's one low-level client (thread-safe), with the fast
    read path of `awskit.dynamo.fastpath` enabled on it once.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self._fast: Any = None
        self._lock = threading.Lock()

    @property
    def client(self) -> DynamoDBClient:
        """The shared, typed boto3 client (escape hatch)."""
        client = self.session.client("dynamodb")
        if self._fast is not client:
            with self._lock:
                if self._fast is not client:
                    from . import fastpath

                    fastpath.enable(client)
                    self._fast = client
        return client

    @property
    def _calls(self) -> DynamoDBClient:
        """The client (fast path on) under the session's retry rule, errors translated."""
        self.client  # noqa: B018 -- enables the fast path on first use
        return self.session.calls("dynamodb")

    @overload
    def create_table(
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
    def create_table(
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
    def create_table(
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
        """Create a table (``CreateTable``) and, with ``wait``, wait until it is ACTIVE.

        Key attribute types (``S``, ``N``, ``B``) come from the model's field types (str,
        datetime, UUID -> S; int, float, Decimal -> N; bytes -> B), or from ``key_types``
        (default ``S`` without a model). ``billing`` is ``"PAY_PER_REQUEST"`` or
        [Provisioned][awskit.dynamo.Provisioned]; ``indexes`` holds up to 20
        [GlobalIndex][awskit.dynamo.GlobalIndex] and 5 [LocalIndex][awskit.dynamo.LocalIndex].
        ``ttl_attribute`` turns on expiry by that attribute, which needs an ACTIVE table, so it
        waits regardless of ``wait``. DynamoDB expires items only by a top-level Number of epoch
        seconds, so the table writes that attribute as
        one: a ``datetime`` field (aware) is stored as epoch seconds and read back as an
        aware UTC datetime; an int, float or Decimal field is taken as epoch seconds.

        Raises:
            AlreadyExists: a table of that name exists.
            InvalidInput: ``ttl_attribute`` names a field that cannot hold epoch seconds
                (``str``, ``date``, ...), or no field of a model that allows no extras.

        Example:
            ```python
            users = aws.dynamo.create_table("users", User, hash_key="username",
                                            range_key="last_name",
                                            billing=Provisioned(read=5, write=5))
            ```
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
        with aws_errors():
            self._calls.create_table(**request)
            if wait or ttl_attribute is not None:
                self.client.get_waiter("table_exists").wait(TableName=name, WaiterConfig=TABLE_WAIT)
            if ttl_attribute is not None:
                self._calls.update_time_to_live(
                    TableName=name,
                    TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl_attribute},
                )
        table: Table[Any] = Table(self, name, model, version_field=version_field)
        # The request has DescribeTable's shape: no describe needed for keys and indexes.
        table._learn(request)
        table.ttl_attribute = ttl_attribute
        return table

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
        """An existing table, lazily: nothing is sent until a method needs AWS.

        The key schema is read from ``DescribeTable`` once, on first need; a missing table
        is [NotFound][awskit.NotFound] then. Name the table's TTL attribute as
        ``ttl_attribute`` (as given to
        [create_table][awskit.dynamo.DynamoDB.create_table]) so that it is written as epoch
        seconds: awskit does not ask AWS (``DescribeTimeToLive``) which attribute it is.

        Raises:
            InvalidInput: ``ttl_attribute`` names a field that cannot hold epoch seconds.

        Example:
            ```python
            users = aws.dynamo.table("users", model=User)   # Table[User]
            plain = aws.dynamo.table("users")                # Table[dict[str, Any]]
            ```
        """
        if ttl_attribute is not None:
            check_ttl_field(model, ttl_attribute)
        table: Table[Any] = Table(self, name, model, version_field=version_field)
        table.ttl_attribute = ttl_attribute
        return table

    def tables(self) -> Iterator[Table[dict[str, Any]]]:
        """Every table of the account and region (``ListTables``, every page)."""
        fetch = token_pages(
            self._list_tables,
            "TableNames",
            request_token="ExclusiveStartTableName",
            response_token="LastEvaluatedTableName",
        )
        return Paged(fetch).map(lambda name: Table(self, name))

    def _list_tables(self, **request: Any) -> Mapping[str, Any]:
        return self._calls.list_tables(**request)

    def transact_write(
        self, actions: Sequence[TransactAction], *, token: str | None = None
    ) -> None:
        """Do up to 100 writes on any tables atomically (``TransactWriteItems``).

        Every action names its table (``TransactPut(item, table=users)``).

        Raises:
            TransactionCanceled: nothing was written; ``.reasons`` pairs each action with
                DynamoDB's reason.
        """
        from .transact import transact_write

        transact_write(self, actions, token=token)


# Last, once every exported name is bound: tracebacks and reprs show the public path
# (kept in one place at the end, so a merge never separates the import from the call).
from .._exports import publish  # noqa: E402

publish(globals())
