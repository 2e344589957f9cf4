"""Fast DynamoDB reads (item payloads decoded with ``json.loads`` instead of botocore's
parser) and writes (``PutItem`` and ``BatchWriteItem`` bodies serialised in one
``json.dumps``, see `awskit._fastwrite`).

botocore parses a response by walking its service model shape by shape; for DynamoDB reads
that walk is most of the client-side cost (a 100-item Query page of ~30-attribute items:
~21 ms in ``client.query`` against ~1.5 ms for ``json.loads`` of the same 61 KB body).
Items on the wire are already in the exact structure botocore returns, except binary values,
which arrive base64-encoded; so the items can skip the walk.

`enable` registers a handler on botocore's documented ``before-parse`` event. For a
200 response to Query, Scan, GetItem or BatchGetItem it takes the item payload out of the
body, hands botocore the small remainder to parse as usual (Count, LastEvaluatedKey,
ConsumedCapacity, UnprocessedKeys, ...), and returns the items through
``customized_response_dict``, which botocore merges into the parsed response. Errors and
any other status go to botocore untouched. The CRC32 check (``x-amz-crc32``) is unaffected:
botocore's retry checker computes it on the HTTP response's own content, never on the
``response_dict`` body replaced here.

botocore's ``standard`` retry mode (awskit's) retries a response whose CRC32 is wrong but,
once its attempts are spent, returns that corrupted response as if nothing happened (only
``legacy`` mode raises). `enable` therefore also checks the final response of every
DynamoDB call on botocore's documented ``after-call`` event and raises
[awskit.ChecksumMismatch][awskit.ChecksumMismatch] instead of handing back data that failed its
checksum.
"""

from __future__ import annotations

import base64
import json
import re
import zlib
from typing import Any

from .. import _fastwrite
from .._errors import ChecksumMismatch

__all__ = ["enable"]

#: The member of each read operation's output that holds items.
_ITEM_MEMBERS = {"Query": "Items", "Scan": "Items", "GetItem": "Item", "BatchGetItem": "Responses"}
_UNIQUE_ID = "awskit-dynamo-fastpath"
# A "B" or "BS" member name; inside a JSON string every quote is escaped, so a body without
# this pattern holds no binary value and needs no walk.
_BINARY_TAG = re.compile(rb'"BS?"\s*:')


def _decode_binary(av: dict[str, Any]) -> None:
    for tag, value in av.items():
        # The same call botocore's JSON parser makes for a blob.
        if tag == "B":
            av[tag] = base64.b64decode(bytes(value, "utf-8"))
        elif tag == "BS":
            av[tag] = [base64.b64decode(bytes(x, "utf-8")) for x in value]
        elif tag == "L":
            for x in value:
                _decode_binary(x)
        elif tag == "M":
            for x in value.values():
                _decode_binary(x)


def _decode_items(items: list[dict[str, Any]]) -> None:
    for item in items:
        for av in item.values():
            _decode_binary(av)


def _well_formed(member: str, payload: Any) -> bool:
    if member == "Items":
        return isinstance(payload, list) and all(isinstance(i, dict) for i in payload)
    if member == "Item":
        return isinstance(payload, dict)
    return isinstance(payload, dict) and all(
        isinstance(items, list) and all(isinstance(i, dict) for i in items)
        for items in payload.values()
    )


def _before_parse(
    operation_model: Any,
    response_dict: dict[str, Any],
    customized_response_dict: dict[str, Any],
    **_: Any,
) -> None:
    if response_dict.get("status_code") != 200:
        return
    member = _ITEM_MEMBERS.get(operation_model.name)
    body = response_dict.get("body")
    if member is None or not isinstance(body, bytes):
        return
    try:
        parsed = json.loads(body)
    except ValueError:
        return  # botocore reports a body it cannot parse in its own words
    if not isinstance(parsed, dict) or member not in parsed:
        return
    payload = parsed[member]
    if not _well_formed(member, payload):
        return
    if _BINARY_TAG.search(body):
        try:
            if member == "Item":
                _decode_items([payload])
            elif member == "Items":
                _decode_items(payload)
            else:
                for items in payload.values():
                    _decode_items(items)
        except (AttributeError, TypeError, ValueError):
            return  # not DynamoDB's shape (binascii.Error is a ValueError): botocore's call
    del parsed[member]
    response_dict["body"] = json.dumps(parsed).encode()
    customized_response_dict[member] = payload


def crc32_mismatch(expected: str | None, body: bytes, operation: str) -> ChecksumMismatch | None:
    """The error for a body that disagrees with its ``x-amz-crc32`` header, or ``None``."""
    if expected is None:
        return None
    actual = zlib.crc32(body) & 0xFFFFFFFF
    if int(expected) == actual:
        return None
    return ChecksumMismatch(
        f"the DynamoDB {operation} response failed its CRC32 check on every attempt "
        f"(x-amz-crc32 {expected}, body {actual})",
        code="CRC32Mismatch",
        operation=operation,
    )


def _check_crc32(http_response: Any, model: Any, **_: Any) -> None:
    expected = http_response.headers.get("x-amz-crc32")
    if expected is not None:
        error = crc32_mismatch(expected, http_response.content, model.name)
        if error is not None:
            raise error


async def _check_crc32_async(http_response: Any, model: Any, **_: Any) -> None:
    # aiobotocore's response reads its body when awaited; the check is the same.
    expected = http_response.headers.get("x-amz-crc32")
    if expected is not None:
        error = crc32_mismatch(expected, await http_response.content, model.name)
        if error is not None:
            raise error


def enable(client: Any, *, asynchronous: bool = False) -> None:
    """Decode Query, Scan, GetItem and BatchGetItem items of ``client`` without botocore's parser.

    The response is exactly what botocore would return (binary values as bytes), only
    faster; error responses are left to botocore. ``asynchronous`` for an aiobotocore
    client (``awskit.aio``), whose response body is awaited. A response whose ``x-amz-crc32`` still
    disagrees with its body after botocore's retries raises
    [awskit.ChecksumMismatch][awskit.ChecksumMismatch] (every DynamoDB operation of ``client``).
    Idempotent: enabling a client twice registers each handler once.

    Example:
        >>> import boto3
        >>> client = boto3.client("dynamodb", region_name="us-east-1")
        >>> enable(client)
        >>> enable(client)  # no second handler
    """
    events = client.meta.events
    for operation in _ITEM_MEMBERS:
        events.register(
            f"before-parse.dynamodb.{operation}",
            _before_parse,
            unique_id=f"{_UNIQUE_ID}-{operation}",
        )
    check = _check_crc32_async if asynchronous else _check_crc32
    events.register("after-call.dynamodb", check, unique_id=f"{_UNIQUE_ID}-crc32")
    if not asynchronous:
        # The write side: PutItem and BatchWriteItem bodies awskit built and checked are
        # serialised in one json.dumps (awskit._fastwrite), not by botocore's walk.
        _fastwrite.enable(client)
