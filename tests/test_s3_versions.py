"""S3.delete_bucket(empty=True) on versioned, versioning-suspended and large buckets: every
object version and delete marker goes, then the bucket; a half-failed DeleteObjects leaves
the bucket in place and says which keys; a throttled or dropped one is retried.

Each body is written once, for ``awskit.Session`` and ``awskit.aio.Session`` alike (only
awaiting differs): the blocking API runs it here, tests/aio/test_aio_s3_versions.py on
asyncio. Against moto's server, which keeps versions and delete markers as S3 does.
"""

from __future__ import annotations

import asyncio
import inspect
import io
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders

import awskit
from tests.canned import _RawBody
from tests.conftest import SleepRecorder
from tests.faults import FaultProxy

S3_NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"
R = TypeVar("R")
Version = tuple[str, str | None]


async def maybe(value: Awaitable[R] | R) -> R:
    """``value``, awaited when the API is asyncio's."""
    if inspect.isawaitable(value):
        return await value  # type: ignore[no-any-return]
    return value


async def client_of(aws: Any) -> Any:
    client = aws.s3.client
    return await client() if inspect.ismethod(client) else client


async def bucket_names(aws: Any) -> set[str]:
    listing = aws.s3.buckets()
    if hasattr(listing, "__aiter__"):
        return {b.name async for b in listing}
    return {b.name for b in listing}


class Sent:
    """The S3 requests a client was about to send: operations in order, and the
    ``(key, version id)`` of each DeleteObjects request."""

    def __init__(self, client: Any) -> None:
        self.ops: list[str] = []
        self.deletes: list[list[Version]] = []
        client.meta.events.register("before-send.s3", self._record)

    def _record(self, event_name: str, request: Any, **_: Any) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        self.ops.append(operation)
        if operation == "DeleteObjects":
            self.deletes.append(deleted_in(request.body))


def deleted_in(body: Any) -> list[Version]:
    """The ``(key, version id)`` entries of a DeleteObjects request body."""
    root = ET.fromstring(body if isinstance(body, bytes) else b"")
    entries: list[Version] = []
    for obj in root.iter(f"{S3_NS}Object"):
        key = obj.find(f"{S3_NS}Key")
        version = obj.find(f"{S3_NS}VersionId")
        entries.append(
            (
                key.text or "" if key is not None else "",
                version.text if version is not None else None,
            )
        )
    return entries


async def versioning(aws: Any, name: str, status: str) -> None:
    client = await client_of(aws)
    await maybe(
        client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": status})
    )


async def listed(aws: Any, name: str) -> tuple[list[Version], list[Version]]:
    """The bucket's versions and delete markers, as ListObjectVersions has them."""
    page = await maybe((await client_of(aws)).list_object_versions(Bucket=name))
    versions = [(v["Key"], v["VersionId"]) for v in page.get("Versions", [])]
    markers = [(m["Key"], m["VersionId"]) for m in page.get("DeleteMarkers", [])]
    return versions, markers


async def versioned_bucket(aws: Any, name: str) -> tuple[list[Version], list[Version]]:
    """A versioned bucket: three versions of ``a``, ``b`` deleted (one old version under a
    delete marker), one version of an awkward key; returns what it holds."""
    bucket = await maybe(aws.s3.create_bucket(name))
    await versioning(aws, name, "Enabled")
    for body in (b"1", b"2", b"3"):
        await maybe(bucket.put("a", body))
    await maybe(bucket.put("b", b"old"))
    await maybe(bucket.delete("b"))  # without a version id: only a delete marker
    await maybe(bucket.put("c d+100%ü&<>", b"x"))
    versions, markers = await listed(aws, name)
    assert len(versions) == 5 and [k for k, _ in markers] == ["b"]
    return versions, markers


# -- the bodies ----------------------------------------------------------------------------


async def versioned_contract(aws: Any) -> None:
    versions, markers = await versioned_bucket(aws, "versioned")
    sent = Sent(await client_of(aws))
    assert await maybe(aws.s3.delete_bucket("versioned", empty=True)) == 6
    assert sent.ops == ["ListObjectVersions", "DeleteObjects", "DeleteBucket"]
    # Every entry by its version id: the delete marker too, and no new marker is made.
    assert sorted(sent.deletes[0]) == sorted(versions + markers)
    assert "versioned" not in await bucket_names(aws)


async def suspended_contract(aws: Any) -> None:
    bucket = await maybe(aws.s3.create_bucket("suspended"))
    await maybe(bucket.put("before", b"null version"))  # from before versioning
    await versioning(aws, "suspended", "Enabled")
    await maybe(bucket.put("a", b"1"))
    await maybe(bucket.put("a", b"2"))
    await versioning(aws, "suspended", "Suspended")
    await maybe(bucket.put("later", b"null version"))
    # No delete marker here: moto 5 fails (500) deleting one in a suspended bucket.
    versions, markers = await listed(aws, "suspended")
    assert ("before", "null") in versions and ("later", "null") in versions
    assert len(versions) == 4 and not markers
    sent = Sent(await client_of(aws))
    assert await maybe(aws.s3.delete_bucket("suspended", empty=True)) == 4
    # In a suspended bucket S3 deletes a version only by its id (``null`` included):
    # without one it removes the null version and adds a null delete marker instead.
    assert sorted(sent.deletes[0]) == sorted(versions)
    assert "suspended" not in await bucket_names(aws)


async def paged_contract(aws: Any) -> None:
    await maybe(aws.s3.create_bucket("many-versions"))
    await versioning(aws, "many-versions", "Enabled")
    # 1,205 entries over HTTP would take many seconds: they go straight into moto's state.
    from tests.test_s3 import moto_s3_backend

    store = moto_s3_backend()
    for i in range(600):
        for body in (b"old", b"new"):
            store.put_object("many-versions", f"k/{i:04d}", body)
    for i in range(5):
        store.delete_object("many-versions", f"k/{i:04d}")
    sent = Sent(await client_of(aws))
    assert await maybe(aws.s3.delete_bucket("many-versions", empty=True)) == 1205
    assert sent.ops == [
        "ListObjectVersions",
        "DeleteObjects",
        "ListObjectVersions",
        "DeleteObjects",
        "DeleteBucket",
    ]
    # A page of 1,000 but the version the next page starts after, deleted with that page
    # (moto, like a cautious reading of S3, ends a listing that starts after a version
    # already gone); each entry once, by its version id.
    assert [len(d) for d in sent.deletes] == [999, 206]
    assert len({entry for d in sent.deletes for entry in d}) == 1205
    assert all(version for d in sent.deletes for _, version in d)
    assert "many-versions" not in await bucket_names(aws)


def answer_deletes(
    client: Any, errors_for: Callable[[list[Version]], dict[Version, str]]
) -> list[list[Version]]:
    """Answer the client's DeleteObjects, without deleting anything, with an error for
    each entry ``errors_for`` names (with its key and version id, as S3 reports them);
    returns the entries of each request. The client parses the answer as S3's."""
    batches: list[list[Version]] = []

    def reply(request: Any, **_: Any) -> Any:
        entries = deleted_in(request.body)
        batches.append(entries)
        errors = "".join(
            f"<Error><Key>{key}</Key><VersionId>{version}</VersionId><Code>{code}</Code>"
            f"<Message>m</Message></Error>"
            for (key, version), code in errors_for(entries).items()
        )
        body = f'<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">{errors}</DeleteResult>'.encode()
        headers = HTTPHeaders()
        headers["Content-Length"] = str(len(body))
        headers["Content-Type"] = "application/xml"
        if type(client).__module__.startswith("aiobotocore"):
            from aiobotocore.awsrequest import AioAWSResponse

            class Body(io.BytesIO):
                async def read(self, size: int | None = -1) -> bytes:  # type: ignore[override]
                    return super().read(size)

            return AioAWSResponse(request.url, 200, headers, Body(body))
        return AWSResponse(request.url, 200, headers, _RawBody(body))

    client.meta.events.register("before-send.s3.DeleteObjects", reply)
    return batches


async def half_failed_contract(aws: Any) -> None:
    versions, markers = await versioned_bucket(aws, "half-failed")
    oldest_a = [v for v in versions if v[0] == "a"][-1]
    calls = Counter[Version]()

    def errors_for(entries: list[Version]) -> dict[Version, str]:
        out: dict[Version, str] = {}
        for entry in entries:
            calls[entry] += 1
            if entry == oldest_a:
                out[entry] = "AccessDenied"  # never retried
            elif entry == markers[0] and calls[entry] == 1:
                out[entry] = "InternalError"  # retried alone, then deleted
        return out

    client = await client_of(aws)
    batches = answer_deletes(client, errors_for)
    sent = Sent(client)
    try:
        await maybe(aws.s3.delete_bucket("half-failed", empty=True))
    except awskit.PartialFailure as exc:
        error = exc
    else:
        raise AssertionError("a refused version was not reported")
    assert error.failed == ["a"]
    assert "1 of 6 object versions and delete markers not deleted from half-failed" in str(error)
    assert "AccessDenied (1)" in str(error) and error.operation == "DeleteObjects"
    assert sorted(batches[0]) == sorted(versions + markers)
    assert batches[1:] == [markers]  # the retry sends the marker again, by its version id
    assert calls[oldest_a] == 1
    assert "DeleteBucket" not in sent.ops  # the bucket is left in place
    assert "half-failed" in await bucket_names(aws)


async def retried_contract(aws: Any, proxy: FaultProxy, kind: str) -> None:
    name = f"{kind.replace('_', '-')}-bucket"
    await versioned_bucket(aws, name)
    proxy.add(kind, service="s3", operation="DeleteObjects", times=1)
    # After "drop_after" S3 did delete them: deleting a version that is gone succeeds.
    assert await maybe(aws.s3.delete_bucket(name, empty=True)) == 6
    assert proxy.injected[kind] == 1
    assert proxy.requests.count(("s3", "DeleteObjects")) == 2
    assert name not in await bucket_names(aws)


# -- the blocking API ----------------------------------------------------------------------


def run(body: Callable[[Any], Awaitable[None]], aws: Any) -> None:
    asyncio.run(body(aws))


def test_a_versioned_bucket_is_emptied_of_old_versions_and_delete_markers(
    aws: awskit.Session,
) -> None:
    run(versioned_contract, aws)


def test_a_versioning_suspended_bucket_is_emptied(aws: awskit.Session) -> None:
    run(suspended_contract, aws)


def test_versions_are_listed_page_by_page_and_deleted_1000_a_request(
    aws: awskit.Session,
) -> None:
    run(paged_contract, aws)


def test_a_half_failed_delete_keeps_the_bucket_and_names_the_keys(
    aws: awskit.Session, sleeps: SleepRecorder
) -> None:
    run(half_failed_contract, aws)
    assert len(sleeps.calls) == 1


@pytest.mark.parametrize("kind", ["throttle", "drop_after"])
def test_a_throttled_or_dropped_delete_is_sent_again(
    faulty_aws: awskit.Session, fault_proxy: FaultProxy, kind: str
) -> None:
    run(lambda aws: retried_contract(aws, fault_proxy, kind), faulty_aws)
