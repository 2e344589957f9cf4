"""Public names live at their public path: awskit.InvalidInput, not awskit._errors.InvalidInput.

Tracebacks, reprs and pickles use ``__module__``; each public package sets it for what it
exports (awskit/_exports.py). Moving ``__module__`` must not break what reads it back:
pickle imports the class from there, and ``typing.get_type_hints`` (so pydantic, for a
dataclass inside a user's model) evaluates annotations in that module's namespace.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import inspect
import pickle
import subprocess
import sys
import traceback
import typing
from typing import Any

import pydantic
import pytest

import awskit

PUBLIC = ["awskit", "awskit.sqs", "awskit.dynamo", "awskit.cloudwatch", "awskit.ebs", "awskit.s3"]


def exported() -> list[tuple[str, str, Any]]:
    """(module, name, object) for every class and function awskit itself exports."""
    out = []
    for module in PUBLIC:
        mod = importlib.import_module(module)
        for name in mod.__all__:
            obj = getattr(mod, name)
            ours = str(getattr(obj, "__module__", "")).startswith("awskit")
            if (inspect.isclass(obj) or inspect.isfunction(obj)) and ours:
                out.append((module, name, obj))
    return out


@pytest.mark.parametrize(
    ("module", "name", "obj"), exported(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_exported_name_reports_its_public_module(module: str, name: str, obj: Any) -> None:
    assert obj.__module__ == module
    assert getattr(importlib.import_module(obj.__module__), obj.__qualname__) is obj
    assert pickle.loads(pickle.dumps(obj)) is obj


def test_the_list_reaches_every_kind_of_export() -> None:
    names = {f"{m}.{n}" for m, n, _ in exported()}
    for expected in [
        "awskit.InvalidInput",  # from awskit/_errors.py
        "awskit.RetryPolicy",  # awskit/_retry.py
        "awskit.Session",  # lazy, awskit/_session.py
        "awskit.connect",  # lazy function
        "awskit.sqs.Queue",  # awskit/sqs/queue.py, a plain submodule
        "awskit.cloudwatch.Alarm",  # a pydantic model
        "awskit.cloudwatch.AlarmState",  # an enum
        "awskit.s3.ObjectInfo",  # a dataclass
        "awskit.ebs.block_checksum",  # a function
    ]:
        assert expected in names
    # Re-exported from boto3: boto3's name, not ours.
    assert "awskit.dynamo.Key" not in names
    from awskit.dynamo import Key

    assert Key.__module__ == "boto3.dynamodb.conditions"


def test_traceback_and_repr_show_the_public_path() -> None:
    try:
        raise awskit.InvalidInput("queue_name", "must not be empty")
    except awskit.InvalidInput:
        last = traceback.format_exc().strip().splitlines()[-1]
    assert last.startswith("awskit.InvalidInput: ")
    assert repr(awskit.sqs.Queue) == "<class 'awskit.sqs.Queue'>"
    assert "_errors" not in repr(awskit.NotFound)


def test_lazy_names_are_published_together() -> None:
    # Session is loaded with connect; it must not keep the private path until it is
    # named on its own.
    code = "import awskit; awskit.connect; print(vars(awskit)['Session'].__module__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "awskit"


@pytest.mark.parametrize(
    "value",
    [
        awskit.NotFound("no such queue", code="QueueDoesNotExist", operation="GetQueueUrl"),
        awskit.sqs.SendResult(message_id="m-1", md5_of_body="abc"),
        awskit.s3.ObjectInfo(key="k", size=1, etag="e", last_modified=dt.datetime(2026, 1, 1)),
        awskit.cloudwatch.AlarmState.ALARM,
        awskit.cloudwatch.MetricDatum(name="Latency", value=12.5, unit="Milliseconds"),
    ],
    ids=lambda v: type(v).__name__,
)
def test_instances_pickle(value: Any) -> None:
    back = pickle.loads(pickle.dumps(value))
    assert type(back) is type(value)
    if isinstance(value, Exception):
        assert (back.args, back.code, back.operation) == (value.args, value.code, value.operation)
    else:
        assert back == value


def typed_classes() -> list[tuple[str, str, Any]]:
    return [
        (m, n, obj)
        for m, n, obj in exported()
        if dataclasses.is_dataclass(obj)
        or (inspect.isclass(obj) and issubclass(obj, pydantic.BaseModel))
    ]


@pytest.mark.parametrize(
    ("module", "name", "obj"), typed_classes(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_annotations_still_resolve(module: str, name: str, obj: Any) -> None:
    # Looked up in sys.modules[obj.__module__]: the public package does not import
    # datetime as ``dt`` or ``Literal``, the module that defined the class did.
    assert typing.get_type_hints(obj)


def test_awskit_types_inside_a_user_model() -> None:
    class Listing(pydantic.BaseModel):
        objects: list[awskit.s3.ObjectInfo]
        sent: awskit.sqs.SendResult | None = None
        datum: awskit.cloudwatch.MetricDatum | None = None

    raw = {
        "objects": [{"key": "a", "size": 1, "etag": "e", "last_modified": "2026-01-01T00:00:00"}],
        "sent": {"message_id": "m", "md5_of_body": "x"},
        "datum": {"name": "Latency", "value": 1.0},
    }
    listing = Listing.model_validate(raw)
    assert listing.objects[0].last_modified == dt.datetime(2026, 1, 1)
    assert Listing.model_validate_json(listing.model_dump_json()) == listing
    assert pydantic.TypeAdapter(list[awskit.s3.ObjectInfo]).validate_python(raw["objects"])
