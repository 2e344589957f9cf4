"""Fast writes: JSON request bodies awskit has already checked, serialised in one call.

botocore validates parameters and serialises a request by walking its service model,
value by value; for bulk writes (``BatchWriteItem``, ``PutItem``, ``SendMessageBatch``)
that walk costs as much as everything else together. awskit builds those parameters
itself, from values its codecs produced and checked, so it can serialise them as botocore
would in one ``json.dumps``: the JSON protocols serialise a structure's members in the
order given, strings, numbers and booleans as they are, and blobs (``bytes``) as base64,
which is what the ``default`` hook below does. Signing, endpoints, retries, events and
parsing stay botocore's.

How the body gets in, through botocore's documented events only:

1. awskit calls the client with its parameters and one more keyword, `MARK`,
   which the first ``provide-client-params`` handler removes (noting it in the request
   ``context``);
2. a ``before-parameter-build`` handler, called after every other one (botocore's
   Stubber and any handler of the client's included: they see, and may change, the real
   parameters), serialises the parameters, keeps the body in the request ``context``,
   and leaves botocore a minimal placeholder of the same operation and endpoint
   parameters (table names, queue URL) to validate and serialise; a parameter the
   operation does not have (added by a handler) leaves the call to botocore's validator;
3. a ``before-call`` handler puts the kept body into the request before it is signed.

The answer to ``SendMessageBatch`` (strings and booleans only) is read with
``json.loads`` on botocore's documented ``before-parse`` event, as the read path of
`awskit.dynamo.fastpath` reads items; errors and other statuses go to botocore.

Anything ``json.dumps`` cannot take (a type botocore would convert or refuse) leaves the
parameters untouched: botocore validates and serialises them as usual. Property tests
(``tests/test_dynamo_writepath.py``) check that every body equals botocore's own.
"""

from __future__ import annotations

import base64
import json
import weakref
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["MARK", "USED", "dumps", "enable", "marked"]

#: The keyword that asks for the fast path (never reaches botocore's validation).
MARK = "awskit_fast_body"
_BODY = "awskit_fast_body"
_WANTED = "awskit_fast_wanted"
#: Set in the request ``context`` of a call whose body the fast path wrote.
USED = "awskit_fast_used"

#: Per operation: the placeholder botocore validates and serialises instead of the real
#: parameters, keeping what endpoint rules read (table names, the queue URL).
_PLACEHOLDERS: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    "PutItem": lambda p: {"TableName": p["TableName"], "Item": {}},
    "BatchWriteItem": lambda p: {
        "RequestItems": {t: [{"DeleteRequest": {"Key": {}}}] for t in p["RequestItems"]}
    },
    # SQS's model sets no minimum on Entries: botocore validates an empty list at once.
    "SendMessageBatch": lambda p: {"QueueUrl": p["QueueUrl"], "Entries": []},
}
_SERVICES = {"PutItem": "dynamodb", "BatchWriteItem": "dynamodb", "SendMessageBatch": "sqs"}
_enabled: weakref.WeakSet[Any] = weakref.WeakSet()


def _blob(value: object) -> str:
    # botocore's JSON serialiser: a blob is the base64 of its bytes.
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(value).decode("utf-8")
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


#: ``json.dumps`` with botocore's (the default) output settings, made once. ``json.dumps``
#: with a ``default`` makes a ``JSONEncoder`` on every call, whose ``encode`` makes CPython's
#: C encoder (``json.encoder.c_make_encoder``) on every call too: on a warm put path those
#: steps cost as much as the encoding. No check for circular values, which awskit's codecs
#: never build (they refuse nesting deeper than DynamoDB's 32 levels): a cycle from
#: elsewhere is a ``RecursionError``, and `_take` leaves the call to botocore.
_ENCODER = json.JSONEncoder(default=_blob, check_circular=False)
_make_c_encoder = getattr(json.encoder, "c_make_encoder", None)
#: The C encoder with exactly the arguments ``JSONEncoder.encode`` would give it (``None``
#: where there is none: `_ENCODER` does the same, a little slower).
_C_ENCODE = (
    None
    if _make_c_encoder is None
    else _make_c_encoder(
        None,  # markers: no cycle check
        _ENCODER.default,
        json.encoder.encode_basestring_ascii,  # ensure_ascii, as botocore's json.dumps
        _ENCODER.indent,
        _ENCODER.key_separator,
        _ENCODER.item_separator,
        _ENCODER.sort_keys,
        _ENCODER.skipkeys,
        _ENCODER.allow_nan,
    )
)


def dumps(params: Mapping[str, Any]) -> bytes:
    """``params`` as botocore's JSON serialiser writes them (``TypeError`` if it cannot)."""
    if _C_ENCODE is not None:
        return "".join(_C_ENCODE(params, 0)).encode("utf-8")
    return _ENCODER.encode(params).encode("utf-8")


def marked(params: dict[str, Any]) -> dict[str, Any]:
    """``params`` with the fast-path mark, for a client `enable` was called on."""
    params[MARK] = True
    return params


def _wanted(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    # First of all handlers: no other handler (botocore's Stubber checking expected
    # parameters, say) ever sees the mark.
    if params.pop(MARK, None) is not None:
        context[_WANTED] = True


def _take(params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
    if not context.pop(_WANTED, False):
        return
    placeholder = _PLACEHOLDERS.get(model.name)
    if placeholder is None:
        return
    if not model.input_shape.members.keys() >= params.keys():
        return  # a handler added a parameter the operation lacks: botocore's validator says so
    try:
        body = dumps(params)
        stand_in = placeholder(params)
    except (TypeError, ValueError, KeyError, RecursionError):
        return  # botocore converts, or refuses, in its own words
    context[_BODY] = body
    params.clear()
    params.update(stand_in)


def _put(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    body = context.pop(_BODY, None)
    if body is not None:
        params["body"] = body
        context[USED] = True


def _well_formed(entries: object) -> bool:
    if not isinstance(entries, list):
        return False
    for entry in entries:
        if not isinstance(entry, dict):
            return False
        for key, value in entry.items():
            if type(value) is not str and (key != "SenderFault" or type(value) is not bool):
                return False
    return True


def _parse_batch_result(
    response_dict: dict[str, Any], customized_response_dict: dict[str, Any], **_: Any
) -> None:
    # SendMessageBatch answers hold only strings and booleans, which botocore's JSON
    # parser hands back as they are: json.loads gives the same lists, without the walk.
    if response_dict.get("status_code") != 200:
        return
    body = response_dict.get("body")
    if not isinstance(body, bytes):
        return
    try:
        parsed = json.loads(body)
    except ValueError:
        return
    if not isinstance(parsed, dict):
        return
    taken = {k: parsed.pop(k) for k in ("Successful", "Failed") if k in parsed}
    for entries in taken.values():
        if not _well_formed(entries):
            return
    response_dict["body"] = json.dumps(parsed).encode() if parsed else b"{}"
    customized_response_dict.update(taken)


def enable(client: Any) -> None:
    """Let awskit's marked calls of ``client`` skip botocore's validation and serialiser.

    Only calls carrying `MARK` (see `marked`) are affected; every other call
    of the client is botocore's as before. Idempotent.
    """
    if client in _enabled:
        return
    service = client.meta.service_model.service_id.hyphenize()
    events = client.meta.events
    for operation, owner in _SERVICES.items():
        if owner != service:
            continue
        events.register_first(
            f"provide-client-params.{service}.{operation}",
            _wanted,
            unique_id=f"awskit-fastwrite-wanted-{operation}",
        )
        events.register(
            f"before-call.{service}.{operation}",
            _put,
            unique_id=f"awskit-fastwrite-put-{operation}",
        )
    # Last of all: botocore calls the handlers of a more specific event name first, so on
    # "before-parameter-build.<service>.<Operation>" a handler registered on
    # "before-parameter-build.<service>" (or on the bare name) would run after this one and
    # change a stand-in, silently lost. On the bare name, registered last, every other
    # handler has run.
    events.register_last("before-parameter-build", _take, unique_id="awskit-fastwrite-take")
    if service == "sqs":
        events.register(
            "before-parse.sqs.SendMessageBatch",
            _parse_batch_result,
            unique_id="awskit-fastwrite-parse-SendMessageBatch",
        )
    _enabled.add(client)
