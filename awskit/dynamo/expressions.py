"""Expressions for one DynamoDB request: conditions, update actions, projections.

Conditions are boto3's own ``Key``/``Attr`` objects, rendered by boto3's public
``ConditionExpressionBuilder``; that builder yields plain Python values for the ``:v``
placeholders, which are then encoded with awskit's codec (so floats, sets and models
behave as everywhere else in awskit). Update actions and projections name every path
segment with a ``#n`` placeholder: reserved words (``name``, ``status``, ``size`` ...)
and dotted paths like ``address.state`` need no care from the caller.

Everything here is pure: no client, no request.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import ConditionBase, ConditionExpressionBuilder
from boto3.exceptions import (
    DynamoDBNeedsConditionError,
    DynamoDBNeedsKeyConditionError,
    DynamoDBOperationNotSupportedError,
)

from .._errors import InvalidInput
from .codec import to_attribute_value

__all__ = ["Expressions", "parse_path", "read_request", "start_key_of"]

# A path segment is a name optionally followed by list indexes: ``tags[0][1]``.
_SEGMENT = re.compile(r"^([^\[\]]+)((?:\[\d+\])*)$")


def parse_path(path: str, *, field: str = "path") -> list[tuple[str, str]]:
    """Split ``"address.lines[0]"`` into ``[("address", ""), ("lines", "[0]")]``.

    A dot always separates map keys, as in boto3's ``Attr("address.state")``.
    """
    if not isinstance(path, str) or not path:
        raise InvalidInput(field, f"attribute path must be a non-empty string, not {path!r}")
    segments: list[tuple[str, str]] = []
    for part in path.split("."):
        match = _SEGMENT.match(part)
        if match is None:
            raise InvalidInput(field, f"malformed attribute path {path!r}")
        segments.append((match.group(1), match.group(2)))
    return segments


class Expressions:
    """Placeholder names and values shared by every expression of one request.

    Conditions must be added before update actions and projections: boto3's builder
    numbers its ``#n``/``:v`` placeholders from zero, and awskit's own continue after it.
    """

    def __init__(self) -> None:
        self._builder = ConditionExpressionBuilder()
        self.names: dict[str, str] = {}
        self.values: dict[str, dict[str, Any]] = {}
        self._by_name: dict[str, str] = {}
        self._own = False

    def condition(self, condition: object, *, field: str, key: bool = False) -> str:
        """Render a ``Key``/``Attr`` condition; ``key=True`` for a query's key condition."""
        if self._own:
            raise RuntimeError("conditions must be rendered before update actions")
        if not isinstance(condition, ConditionBase):
            kind = "Key(...)" if key else "Attr(...)"
            raise InvalidInput(
                field, f"expected a boto3 condition such as {kind}.eq(...), not {condition!r}"
            )
        try:
            built = self._builder.build_expression(condition, is_key_condition=key)
        except (
            DynamoDBNeedsConditionError,
            DynamoDBNeedsKeyConditionError,
            DynamoDBOperationNotSupportedError,
        ) as exc:
            raise InvalidInput(field, str(exc)) from exc
        self.names.update(built.attribute_name_placeholders)
        for placeholder, value in built.attribute_value_placeholders.items():
            self.values[placeholder] = to_attribute_value(value, field=field)
        return str(built.condition_expression)

    def path(self, path: str, *, field: str) -> str:
        """``"address.state"`` -> ``"#n3.#n4"``, one placeholder per distinct name."""
        self._own = True
        rendered = []
        for name, indexes in parse_path(path, field=field):
            placeholder = self._by_name.get(name)
            if placeholder is None:
                placeholder = f"#n{len(self.names)}"
                self.names[placeholder] = name
                self._by_name[name] = placeholder
            rendered.append(placeholder + indexes)
        return ".".join(rendered)

    def value(self, value: Any, *, field: str) -> str:
        """Encode ``value`` and return its ``:v`` placeholder."""
        self._own = True
        placeholder = f":v{len(self.values)}"
        self.values[placeholder] = to_attribute_value(value, field=field)
        return placeholder

    def update(
        self,
        *,
        set: Mapping[str, Any] | None = None,
        remove: Iterable[str] = (),
        add: Mapping[str, Any] | None = None,
        delete: Mapping[str, Any] | None = None,
        increment: str | None = None,
    ) -> str:
        """An UpdateExpression: ``SET #n0 = :v0 REMOVE #n1 ADD #n2 :v1 DELETE #n3 :v2``.

        ``None`` in ``set`` removes the attribute (awskit never stores ``None``).
        ``increment`` names a number attribute to add one to (the version field).
        """
        sets: list[str] = []
        removes: list[str] = []
        adds: list[str] = []
        deletes: list[str] = []
        seen: dict[str, str] = {}

        def claim(path: str, field: str) -> str:
            if not isinstance(path, str):
                raise InvalidInput(field, f"attribute path must be a string, not {path!r}")
            if path in seen:
                raise InvalidInput(field, f"{path!r} is also in {seen[path]}=")
            seen[path] = field
            return self.path(path, field=field)

        for path, value in (set or {}).items():
            if value is None:
                removes.append(claim(path, "set"))
            else:
                sets.append(f"{claim(path, 'set')} = {self.value(value, field=f'set.{path}')}")
        if isinstance(remove, str):
            raise InvalidInput("remove", "expected a list of attribute paths, not one string")
        removes.extend(claim(path, "remove") for path in remove)
        for path, value in (add or {}).items():
            # ADD takes any number: int, float and Decimal alike.
            if not isinstance(value, (int, float, Decimal, builtins.set, frozenset)) or isinstance(
                value, bool
            ):
                raise InvalidInput(f"add.{path}", "ADD takes a number or a non-empty set")
            adds.append(f"{claim(path, 'add')} {self.value(value, field=f'add.{path}')}")
        for path, value in (delete or {}).items():
            if not isinstance(value, (builtins.set, frozenset)):
                raise InvalidInput(f"delete.{path}", "DELETE takes a non-empty set of elements")
            deletes.append(f"{claim(path, 'delete')} {self.value(value, field=f'delete.{path}')}")
        if increment is not None:
            name = claim(increment, "version_field")
            one = self.value(1, field="version_field")
            zero = self.value(0, field="version_field")
            sets.append(f"{name} = if_not_exists({name}, {zero}) + {one}")
        clauses = [
            f"{verb} {', '.join(parts)}"
            for verb, parts in (
                ("SET", sets),
                ("REMOVE", removes),
                ("ADD", adds),
                ("DELETE", deletes),
            )
            if parts
        ]
        if not clauses:
            raise InvalidInput("set", "nothing to update: give set=, remove=, add= or delete=")
        return " ".join(clauses)

    def projection(self, paths: Iterable[str]) -> str:
        """A ProjectionExpression over ``paths``."""
        if isinstance(paths, str):
            paths = [paths]
        rendered = [self.path(path, field="projection") for path in paths]
        if not rendered:
            raise InvalidInput("projection", "name at least one attribute")
        return ", ".join(rendered)

    def request(self) -> dict[str, Any]:
        """The ``ExpressionAttributeNames``/``Values`` entries of the request (if any)."""
        request: dict[str, Any] = {}
        if self.names:
            request["ExpressionAttributeNames"] = self.names
        if self.values:
            request["ExpressionAttributeValues"] = self.values
        return request


def start_key_of(start_key: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """``ExclusiveStartKey`` from a LastEvaluatedKey (or the same key with plain values)."""
    if start_key is None:
        return None
    if not isinstance(start_key, Mapping):
        raise InvalidInput("start_key", "expected the LastEvaluatedKey of an earlier page")
    # A raw LastEvaluatedKey holds AttributeValues (dicts); key values never are dicts.
    return {
        name: value if isinstance(value, Mapping) else to_attribute_value(value)
        for name, value in start_key.items()
    }


def read_request(
    table_name: str,
    *,
    filter: ConditionBase | None,
    index: str | None,
    consistent: bool,
    projection: Iterable[str] | None,
    page_size: int | None,
    limit: int | None,
    key_condition: ConditionBase | None = None,
) -> dict[str, Any]:
    """The request of a Query or Scan (validated), without sending it."""
    if page_size is not None and (not isinstance(page_size, int) or page_size < 1):
        raise InvalidInput("page_size", "must be a positive number of items")
    if limit is not None and (not isinstance(limit, int) or limit < 0):
        raise InvalidInput("limit", "must be a number of items, 0 or more")
    ex = Expressions()
    request: dict[str, Any] = {"TableName": table_name}
    if key_condition is not None:
        request["KeyConditionExpression"] = ex.condition(
            key_condition, field="key_condition", key=True
        )
    if filter is not None:
        request["FilterExpression"] = ex.condition(filter, field="filter")
    if projection is not None:
        request["ProjectionExpression"] = ex.projection(projection)
    request.update(ex.request())
    if index is not None:
        request["IndexName"] = index
    if consistent:
        request["ConsistentRead"] = True
    if page_size is not None:
        request["Limit"] = page_size
    elif limit and filter is None:
        # Without a filter every evaluated item is returned: ask for no more than wanted.
        request["Limit"] = limit
    return request
