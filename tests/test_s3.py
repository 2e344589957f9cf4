"""awskit.s3 against moto's server: the seed workflow, every Bucket method, multipart
transfers with progress, paged listings, presigned URLs, errors, and input checks."""

from __future__ import annotations

import datetime as dt
import io
import os
import threading
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.compat import HTTPHeaders
from botocore.stub import Stubber

import awskit
from awskit.s3 import Bucket, BucketInfo, ObjectInfo, ObjectStream, PutResult
from awskit.s3.plans import check_seekable_size
from tests.canned import CannedReply, canned
from tests.conftest import SleepRecorder, make_session

MiB = 1024 * 1024
S3_NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


class Sent:
    """Every S3 request the client was about to send, by operation, from any thread."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._lock = threading.Lock()
        self.ops: list[str] = []
        client.meta.events.register("before-send.s3", self._record)

    def _record(self, event_name: str, **_: Any) -> None:
        with self._lock:
            self.ops.append(event_name.rsplit(".", 1)[-1])

    def count(self, op: str) -> int:
        return self.ops.count(op)

    def close(self) -> None:
        self._client.meta.events.unregister("before-send.s3", self._record)


@pytest.fixture
def sent(aws: awskit.Session) -> Iterator[Sent]:
    recorder = Sent(aws.s3.client)
    yield recorder
    recorder.close()


@pytest.fixture(scope="module")
def offline(moto_endpoint: Any) -> awskit.Session:
    """One session for calls that must fail before sending: no reset, one S3 client."""
    return make_session(moto_endpoint.url, awskit.RetryPolicy(sleep=SleepRecorder()))


@pytest.fixture
def bucket(aws: awskit.Session) -> Bucket:
    return aws.s3.create_bucket("awskit-test")


class Recorder:
    """A progress callback that keeps every (done, total) it is given."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, int]] = []
        self.threads: set[int] = set()

    def __call__(self, done: int, total: int) -> None:
        self.calls.append((done, total))
        self.threads.add(threading.get_ident())

    def check(self, size: int) -> None:
        assert self.calls, "progress was never called"
        assert self.calls[-1] == (size, size)
        assert {total for _, total in self.calls} == {size}
        dones = [done for done, _ in self.calls]
        assert dones == sorted(set(dones)), "progress went backwards or repeated"


# -- the seed workflow ---------------------------------------------------------------------------


def test_seed_workflow(aws: awskit.Session, tmp_path: Path) -> None:
    aws.s3.create_bucket("photos-2024")
    aws.s3.create_bucket("logs.example.com")

    # List every bucket's name.
    assert sorted(b.name for b in aws.s3.buckets()) == ["logs.example.com", "photos-2024"]

    # Upload a file (test.jpg) to an existing bucket with put_object.
    image = tmp_path / "test.jpg"
    image.write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(4096))
    bucket = aws.s3.bucket("photos-2024")
    result = bucket.put("test.jpg", image)
    assert isinstance(result, PutResult)
    assert result.key == "test.jpg"
    assert len(result.etag) == 32 and '"' not in result.etag

    assert bucket.get("test.jpg") == image.read_bytes()
    with bucket.open("test.jpg") as stream:
        assert stream.content_type == "image/jpeg"
        assert stream.etag == result.etag
        assert stream.size == image.stat().st_size
    # The same object, as boto3 sees it.
    raw = aws.s3.client.head_object(Bucket="photos-2024", Key="test.jpg")
    assert raw["ContentLength"] == image.stat().st_size


def test_buckets_reports_typed_infos(aws: awskit.Session) -> None:
    assert list(aws.s3.buckets()) == []
    made = aws.s3.create_bucket("first-bucket")
    assert made == aws.s3.bucket("first-bucket")
    (info,) = list(aws.s3.buckets())
    assert isinstance(info, BucketInfo)
    assert info.name == "first-bucket"
    assert isinstance(info.created_at, dt.datetime)
    assert info.created_at.tzinfo is not None


def test_buckets_follows_continuation_tokens(aws: awskit.Session) -> None:
    # moto returns every bucket on one page; AWS pages with ContinuationToken.
    seen: list[dict[str, list[str]]] = []

    def page(request: AWSPreparedRequest) -> CannedReply:
        query = parse_qs(urlsplit(request.url).query)
        seen.append(query)
        token = query.get("continuation-token", [None])[0]
        names, nxt = {None: (["a-one", "a-two"], "tok-1"), "tok-1": (["b-three"], None)}[token]
        body = "".join(
            f"<Bucket><Name>{n}</Name><CreationDate>2024-05-0{i + 1}T10:00:00.000Z"
            f"</CreationDate><BucketRegion>eu-west-{i + 1}</BucketRegion></Bucket>"
            for i, n in enumerate(names)
        )
        token_xml = f"<ContinuationToken>{nxt}</ContinuationToken>" if nxt else ""
        xml = (
            '<?xml version="1.0" encoding="UTF-8"?><ListAllMyBucketsResult '
            f'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Buckets>{body}</Buckets>'
            f"<Owner><ID>owner</ID></Owner>{token_xml}</ListAllMyBucketsResult>"
        )
        return 200, {"Content-Type": "application/xml"}, xml.encode()

    undo = canned(aws.s3.client, {"ListBuckets": page})
    try:
        infos = list(aws.s3.buckets())
    finally:
        undo()
    assert [b.name for b in infos] == ["a-one", "a-two", "b-three"]
    assert [b.region for b in infos] == ["eu-west-1", "eu-west-2", "eu-west-1"]
    assert infos[0].created_at == dt.datetime(2024, 5, 1, 10, tzinfo=dt.timezone.utc)
    assert len(seen) == 2
    assert "continuation-token" not in seen[0]
    assert seen[1]["continuation-token"] == ["tok-1"]
    assert seen[0]["max-buckets"] == ["10000"]


def test_create_bucket_in_a_region_and_already_owned(aws: awskit.Session, sent: Sent) -> None:
    aws.s3.create_bucket("eu-data", region="eu-west-1")
    location = aws.s3.client.get_bucket_location(Bucket="eu-data")
    assert location["LocationConstraint"] == "eu-west-1"
    with pytest.raises(awskit.AlreadyExists) as exc_info:
        aws.s3.create_bucket("eu-data", region="eu-west-1")
    assert exc_info.value.code == "BucketAlreadyOwnedByYou"
    assert exc_info.value.operation == "CreateBucket"

    # us-east-1 answers 200 to re-creating one's own bucket; awskit still says so.
    aws.s3.create_bucket("us-data")
    location = aws.s3.client.get_bucket_location(Bucket="us-data")
    assert location.get("LocationConstraint") in (None, "")
    before = sent.count("CreateBucket")
    with pytest.raises(awskit.AlreadyExists) as exc_info:
        aws.s3.create_bucket("us-data")
    assert exc_info.value.code == "BucketAlreadyOwnedByYou"
    assert sent.count("CreateBucket") == before  # nothing was re-created (ACL not reset)


# -- single objects -----------------------------------------------------------------------------


def test_put_accepts_bytes_text_paths_and_files(bucket: Bucket, tmp_path: Path) -> None:
    bucket.put("b.bin", b"\x00\x01")
    bucket.put("ba.bin", bytearray(b"\x02\x03"))
    bucket.put("mv.bin", memoryview(b"\x04\x05"))
    bucket.put("notes.txt", "héllo wörld")
    bucket.put("data.json", '{"a": 1}')
    path = tmp_path / "report.csv"
    path.write_bytes(b"a,b\n1,2\n")
    bucket.put("report.csv", path)
    handle = io.BytesIO(b"skip-this|keep-this")
    handle.seek(10)
    bucket.put("tail", handle)
    with path.open("rb") as f:
        bucket.put("from-file", f, content_type="text/csv", metadata={"Author": "Daniel"})

    assert bucket.get("b.bin") == b"\x00\x01"
    assert bucket.get("ba.bin") == b"\x02\x03"
    assert bucket.get("mv.bin") == b"\x04\x05"
    assert bucket.get("notes.txt").decode("utf-8") == "héllo wörld"
    assert bucket.get("report.csv") == b"a,b\n1,2\n"
    assert bucket.get("tail") == b"keep-this"
    with bucket.open("notes.txt") as s:
        assert s.content_type == "text/plain; charset=utf-8"
    with bucket.open("data.json") as s:
        assert s.content_type == "application/json; charset=utf-8"
    with bucket.open("from-file") as s:
        assert s.content_type == "text/csv"
        assert s.metadata == {"author": "Daniel"}  # S3 lower-cases metadata names
        assert s.read() == b"a,b\n1,2\n"


class Pipe:
    """A binary stream that can only be read, like a pipe or a socket file."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def read(self, size: int = -1) -> bytes:
        return self._data.read(size)

    def seekable(self) -> bool:
        return False


class TextPipe:
    """A text stream that cannot seek, not an io.TextIOBase."""

    def read(self, size: int = -1) -> str:
        return "text"

    def seekable(self) -> bool:
        return False


def test_put_from_a_stream_that_cannot_seek(bucket: Bucket) -> None:
    bucket.put("piped", Pipe(b"through a pipe"))  # type: ignore[arg-type]
    assert bucket.get("piped") == b"through a pipe"


class Huge(io.RawIOBase):
    """A seekable stream that says it holds 6 GiB and must never be read."""

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return 0

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return 6 * 1024**3 if whence == io.SEEK_END else offset

    def read(self, size: int | None = -1) -> bytes:
        raise AssertionError("read a stream too large for PutObject")


def test_put_refuses_a_seekable_file_over_5_gib_before_sending(
    bucket: Bucket, sent: Sent, tmp_path: Path
) -> None:
    # One PutObject takes at most 5 GiB; S3 would refuse more (EntityTooLarge) only
    # after the whole body had gone up.
    sparse = tmp_path / "sparse.bin"
    with sparse.open("wb") as f:
        f.truncate(awskit.s3.MAX_PUT_BYTES + 1)  # no data blocks are written
    sent.ops.clear()
    try:
        with sparse.open("rb") as f:
            for data in (Huge(), f):
                with pytest.raises(awskit.InvalidInput, match="5 GiB") as exc_info:
                    bucket.put("huge", data)  # type: ignore[arg-type]
                assert exc_info.value.field == "data"
            f.seek(1)  # what is left from the position counts: exactly 5 GiB fits
            assert check_seekable_size(f) == 1 and f.tell() == 1
    finally:
        sparse.unlink()
    assert sent.ops == []


def test_put_from_mid_file_survives_a_retry(faulty_aws: awskit.Session, fault_proxy: Any) -> None:
    # botocore rewinds a retried body to offset 0; what is stored must still be the tail.
    bucket = faulty_aws.s3.create_bucket("retried-put")
    handle = io.BytesIO(b"0123456789" + b"the part after the header")
    handle.seek(10)
    fault_proxy.add("5xx", service="s3", operation="PutObject", times=1)
    bucket.put("tail", handle)
    assert fault_proxy.injected["5xx"] == 1
    assert fault_proxy.requests.count(("s3", "PutObject")) == 2
    assert bucket.get("tail") == b"the part after the header"


def test_open_streams_as_a_binary_file(bucket: Bucket) -> None:
    payload = os.urandom(300_000)
    bucket.put("blob", payload)
    with bucket.open("blob") as stream:
        assert isinstance(stream, ObjectStream)
        assert stream.readable()
        assert stream.size == len(payload)
        head = stream.read(1000)
        buffer = bytearray(5000)
        n = stream.readinto(buffer)
        rest = stream.read()
    assert head + bytes(buffer[:n]) + rest == payload
    assert stream.closed
    with pytest.raises(ValueError):
        stream.read(1)

    bucket.put("lines.txt", "one\ntwo\nthree\n")
    with bucket.open("lines.txt") as raw, io.TextIOWrapper(raw, encoding="utf-8") as text:
        assert list(text) == ["one\n", "two\n", "three\n"]


def test_delete_then_not_found(bucket: Bucket, tmp_path: Path) -> None:
    bucket.put("gone.txt", "bye")
    assert bucket.exists("gone.txt")
    bucket.delete("gone.txt")
    assert not bucket.exists("gone.txt")
    with pytest.raises(awskit.NotFound) as exc_info:
        bucket.get("gone.txt")
    err = exc_info.value
    assert err.code == "NoSuchKey"
    assert err.operation == "GetObject"
    assert err.request_id
    assert err.__cause__ is not None
    with pytest.raises(awskit.NotFound):
        bucket.open("gone.txt")
    # HeadObject has no error body: botocore's code is the bare status "404".
    with pytest.raises(awskit.NotFound) as exc_info:
        bucket.download_file("gone.txt", tmp_path / "out")
    assert exc_info.value.code == "404"
    assert not (tmp_path / "out").exists()
    # Deleting what is not there succeeds, as in S3.
    bucket.delete("gone.txt")


def test_missing_bucket_is_not_found(aws: awskit.Session, tmp_path: Path) -> None:
    ghost = aws.s3.bucket("no-such-bucket")
    with pytest.raises(awskit.NotFound) as exc_info:
        ghost.get("k")
    assert exc_info.value.code == "NoSuchBucket"
    with pytest.raises(awskit.NotFound):
        ghost.put("k", b"v")
    with pytest.raises(awskit.NotFound):
        list(ghost.objects())
    with pytest.raises(awskit.NotFound):
        ghost.delete("k")
    assert not ghost.exists("k")
    source = tmp_path / "f"
    source.write_bytes(b"x")
    with pytest.raises(awskit.NotFound):
        ghost.upload_file(source, "k")


def test_delete_bucket_only_when_empty_unless_asked_to_empty_it(
    aws: awskit.Session, bucket: Bucket, sent: Sent
) -> None:
    for key in ("a", "b/c", "d e"):
        bucket.put(key, key.encode())
    with pytest.raises(awskit.AwskitError) as exc_info:
        aws.s3.delete_bucket(bucket.name)
    assert exc_info.value.code == "BucketNotEmpty"
    assert bucket.exists("a")  # nothing was deleted
    sent.ops.clear()
    assert aws.s3.delete_bucket(bucket.name, empty=True) == 3
    assert sent.ops == ["ListObjectVersions", "DeleteObjects", "DeleteBucket"]
    assert bucket.name not in {b.name for b in aws.s3.buckets()}
    with pytest.raises(awskit.NotFound) as missing:
        aws.s3.delete_bucket(bucket.name, empty=True)
    assert missing.value.code == "NoSuchBucket"


def test_delete_an_empty_bucket(aws: awskit.Session) -> None:
    aws.s3.create_bucket("awskit-empty")
    assert aws.s3.delete_bucket("awskit-empty") == 0
    assert "awskit-empty" not in {b.name for b in aws.s3.buckets()}


def test_exists_raises_what_is_not_a_404(bucket: Bucket) -> None:
    undo = canned(bucket.client, {"HeadObject": (403, {}, b"")})
    try:
        with pytest.raises(awskit.AwskitError) as exc_info:
            bucket.exists("secret")
    finally:
        undo()
    assert not isinstance(exc_info.value, awskit.NotFound)
    assert exc_info.value.code == "403"


# -- transfers ----------------------------------------------------------------------------------


def test_multipart_upload_and_download_with_progress(
    aws: awskit.Session, bucket: Bucket, sent: Sent, tmp_path: Path
) -> None:
    size = 24 * MiB
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(size))

    up = Recorder()
    bucket.upload_file(source, "big.bin", progress=up)
    up.check(size)
    assert len(up.calls) > 3
    ops = Counter(sent.ops)
    assert ops["CreateMultipartUpload"] == 1
    assert ops["UploadPart"] == 3  # 8 MiB parts
    assert ops["CompleteMultipartUpload"] == 1
    assert ops["PutObject"] == 0
    (info,) = list(bucket.objects())
    assert info.size == size
    assert info.etag.endswith("-3")  # the ETag of a 3-part upload

    down = Recorder()
    target = tmp_path / "copy.bin"
    bucket.download_file("big.bin", target, progress=down)
    down.check(size)
    assert target.read_bytes() == source.read_bytes()
    assert Counter(sent.ops)["GetObject"] == 3  # ranged GETs of 8 MiB

    # Without progress, and a small file: a single PutObject / GetObject.
    small = tmp_path / "small.txt"
    small.write_text("small")
    bucket.upload_file(small, "small.txt")
    bucket.download_file("small.txt", tmp_path / "small-copy.txt")
    assert (tmp_path / "small-copy.txt").read_text() == "small"
    with bucket.open("small.txt") as s:
        assert s.content_type == "text/plain"
    bucket.upload_file(small, "tagged", content_type="text/x-note", metadata={"Origin": "bench"})
    with bucket.open("tagged") as s:
        assert (s.content_type, s.metadata, s.readall()) == (
            "text/x-note",
            {"origin": "bench"},
            b"small",
        )


def test_empty_file_progress_reports_zero_of_zero(bucket: Bucket, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    up = Recorder()
    bucket.upload_file(empty, "empty", progress=up)
    assert up.calls == [(0, 0)]
    down = Recorder()
    bucket.download_file("empty", tmp_path / "empty-copy", progress=down)
    assert down.calls == [(0, 0)]
    assert (tmp_path / "empty-copy").read_bytes() == b""


def test_retried_parts_are_not_counted_twice(
    faulty_aws: awskit.Session, fault_proxy: Any, tmp_path: Path
) -> None:
    bucket = faulty_aws.s3.create_bucket("retried")
    size = 17 * MiB
    source = tmp_path / "parts.bin"
    source.write_bytes(os.urandom(size))
    fault_proxy.add("5xx", service="s3", operation="UploadPart", times=2)
    up = Recorder()
    bucket.upload_file(source, "parts.bin", progress=up)
    assert fault_proxy.injected["5xx"] == 2
    # botocore resent two parts from their start; progress never went back or past.
    up.check(size)
    assert fault_proxy.requests.count(("s3", "UploadPart")) == 5
    target = tmp_path / "parts-copy.bin"
    bucket.download_file("parts.bin", target)
    assert target.read_bytes() == source.read_bytes()


class _Truncated(io.BytesIO):
    def stream(self, amt: int = 1 << 16, decode_content: bool = True) -> Iterator[bytes]:
        while chunk := self.read(amt):
            yield chunk


def test_download_retried_after_a_broken_stream_keeps_progress_monotonic(
    bucket: Bucket, tmp_path: Path
) -> None:
    payload = os.urandom(MiB)
    bucket.put("flaky", payload)
    broken: list[int] = []

    def break_first_get(request: AWSPreparedRequest, **_: Any) -> AWSResponse | None:
        # The first GetObject promises the whole object and delivers a quarter of it, as
        # a connection reset mid-body would; s3transfer rewinds its progress and retries.
        if broken:
            return None
        broken.append(1)
        headers = HTTPHeaders()
        headers["Content-Length"] = str(len(payload))
        headers["Content-Type"] = "binary/octet-stream"
        return AWSResponse(request.url, 200, headers, _Truncated(payload[: MiB // 4]))

    events: Any = bucket.client.meta.events
    events.register("before-send.s3.GetObject", break_first_get)
    progress = Recorder()
    try:
        bucket.download_file("flaky", tmp_path / "flaky", progress=progress)
    finally:
        events.unregister("before-send.s3.GetObject", break_first_get)
    assert broken == [1]
    assert (tmp_path / "flaky").read_bytes() == payload
    assert progress.calls[0][0] <= MiB // 4  # the lost quarter was reported once...
    progress.check(MiB)  # ...and never subtracted, repeated or overshot


# -- listings and bulk deletes ---------------------------------------------------------------


def test_objects_over_pages_then_delete_many(bucket: Bucket, sent: Sent) -> None:
    keys = [f"k/{i:05d}" for i in range(1100)]
    # 1,100 PutObjects over HTTP cost ~15 s on a shared machine; the listing under test
    # still goes over HTTP, so the keys are stored straight into moto's (in-process) state.
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda k: bucket.put(k, k), keys[:20]))
    store = moto_s3_backend()
    for key in keys[20:]:
        store.put_object(bucket.name, key, key.encode())
    bucket.put("other/x", b"x")

    start = sent.count("ListObjectsV2")
    listed = list(bucket.objects(prefix="k/"))
    assert sent.count("ListObjectsV2") - start == 2  # 1,000 keys a page
    assert all(isinstance(o, ObjectInfo) for o in listed)
    assert [o.key for o in listed] == keys
    assert {o.size for o in listed} == {7}
    assert {o.storage_class for o in listed} == {"STANDARD"}
    assert all(o.last_modified.tzinfo is not None and len(o.etag) == 32 for o in listed)

    assert [o.key for o in bucket.objects(prefix="k/", start_after="k/01097")] == [
        "k/01098",
        "k/01099",
    ]
    start = sent.count("ListObjectsV2")
    assert [o.key for o in bucket.objects(limit=3)] == keys[:3]
    assert sent.count("ListObjectsV2") - start == 1
    assert len(list(bucket.objects())) == 1101

    start = sent.count("DeleteObjects")
    assert bucket.delete_many(iter(keys + keys[:5])) == 1100  # duplicates deleted once
    assert sent.count("DeleteObjects") - start == 2
    assert [o.key for o in bucket.objects()] == ["other/x"]
    assert bucket.delete_many([]) == 0


def moto_s3_backend() -> Any:
    """moto's S3 state, shared with the ThreadedMotoServer running in this process."""
    from moto.s3.models import s3_backends

    return s3_backends["123456789012"]["aws"]  # moto's default account, "aws" partition


def _delete_objects_reply(
    errors_for: Callable[[list[str]], dict[str, str]], batches: list[list[str]]
) -> Callable[[AWSPreparedRequest], CannedReply]:
    def reply(request: AWSPreparedRequest) -> CannedReply:
        body = request.body if isinstance(request.body, bytes) else b""
        root = ET.fromstring(body)
        keys = [el.text or "" for el in root.iter(f"{S3_NS}Key")] or [
            el.text or "" for el in root.iter("Key")
        ]
        batches.append(keys)
        errors = "".join(
            f"<Error><Key>{k}</Key><Code>{c}</Code><Message>m</Message></Error>"
            for k, c in errors_for(keys).items()
        )
        xml = (
            f'<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">{errors}</DeleteResult>'
        )
        return 200, {"Content-Type": "application/xml"}, xml.encode()

    return reply


def test_delete_many_retries_and_reports_exactly_the_failed_keys(
    bucket: Bucket, sleeps: SleepRecorder
) -> None:
    keys = [f"d{i:04d}" for i in range(1001)]
    batches: list[list[str]] = []
    calls = Counter[str]()

    def errors_for(batch: list[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for k in batch:
            calls[k] += 1
            if k in ("d0003", "d1000"):
                out[k] = "AccessDenied"  # never retried
            elif k == "d0007" and calls[k] == 1:
                out[k] = "InternalError"  # retried once, then deleted
            elif k == "d0500" and calls[k] < 3:
                out[k] = "SlowDown"
        return out

    undo = canned(bucket.client, {"DeleteObjects": _delete_objects_reply(errors_for, batches)})
    try:
        with pytest.raises(awskit.PartialFailure) as exc_info:
            bucket.delete_many(keys)
    finally:
        undo()
    err = exc_info.value
    assert err.failed == ["d0003", "d1000"]
    assert "AccessDenied (2)" in str(err)
    assert [len(b) for b in batches[:1]] == [1000]
    assert batches[1:] == [["d0007", "d0500"], ["d0500"], ["d1000"]]
    assert calls["d0003"] == 1
    assert len(sleeps.calls) == 2


def test_delete_many_gives_up_on_keys_that_stay_retryable(
    moto_endpoint: Any, sleeps: SleepRecorder
) -> None:
    session = make_session(
        moto_endpoint.url, awskit.RetryPolicy(max_attempts=3, sleep=sleeps, jitter=False)
    )
    bucket = session.s3.bucket("any-bucket")
    batches: list[list[str]] = []
    undo = canned(
        bucket.client,
        {
            "DeleteObjects": _delete_objects_reply(
                lambda ks: {k: "SlowDown" for k in ks if k == "b"}, batches
            )
        },
    )
    try:
        with pytest.raises(awskit.PartialFailure) as exc_info:
            bucket.delete_many(["a", "b", "c"])
    finally:
        undo()
    assert exc_info.value.failed == ["b"]
    assert batches == [["a", "b", "c"], ["b"], ["b"]]
    assert len(sleeps.calls) == 2


# -- presigned URLs -----------------------------------------------------------------------------


def test_presigned_urls_work_with_plain_urllib(bucket: Bucket) -> None:
    bucket.put("docs/read me.txt", "presigned ü")
    url = bucket.presigned_url("docs/read me.txt", expires_in=300)
    query = parse_qs(urlsplit(url).query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-Expires"] == ["300"]
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.read() == "presigned ü".encode()

    put_url = bucket.presigned_url("uploaded.bin", method="put_object")
    # urllib would label the body a form; a presigned PUT takes whatever is sent.
    request = urllib.request.Request(
        put_url, data=b"via urllib", method="PUT", headers={"Content-Type": "text/plain"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
    assert bucket.get("uploaded.bin") == b"via urllib"

    missing = bucket.presigned_url("nothing-here")
    with pytest.raises(urllib.error.HTTPError) as exc_info:
        urllib.request.urlopen(missing, timeout=30)
    assert exc_info.value.code == 404
    exc_info.value.close()


@pytest.fixture
def real_aws(fast_retry: awskit.RetryPolicy) -> Iterator[tuple[awskit.Session, Stubber]]:
    """A session on AWS's own endpoints (dummy credentials) whose shared S3 client is
    stubbed: the region lookups are answered, and any other request fails the test."""
    aws = make_session(None, fast_retry)  # type: ignore[arg-type]
    assert aws.endpoint_url is None
    with Stubber(aws.s3.client) as stub:
        yield aws, stub
        stub.assert_no_pending_responses()


def _scope(url: str) -> str:
    credential = parse_qs(urlsplit(url).query)["X-Amz-Credential"][0]
    return credential.split("/", 2)[2]  # date stripped: REGION/s3/aws4_request


PRESIGN_SHAPES = [
    # bucket name, region, the URL up to its query. Virtual-hosted style where the name is
    # DNS-compatible without dots; path style for dots (TLS wildcard) and legacy names.
    ("my-bucket", "us-east-1", "https://my-bucket.s3.us-east-1.amazonaws.com/a/b%20c.txt"),
    ("my-bucket", "eu-west-1", "https://my-bucket.s3.eu-west-1.amazonaws.com/a/b%20c.txt"),
    ("my-bucket", "ap-east-1", "https://my-bucket.s3.ap-east-1.amazonaws.com/a/b%20c.txt"),
    ("my.bucket", "us-east-1", "https://s3.us-east-1.amazonaws.com/my.bucket/a/b%20c.txt"),
    ("my.bucket", "eu-west-1", "https://s3.eu-west-1.amazonaws.com/my.bucket/a/b%20c.txt"),
    ("my.bucket", "ap-east-1", "https://s3.ap-east-1.amazonaws.com/my.bucket/a/b%20c.txt"),
    ("Old_Bucket", "us-east-1", "https://s3.us-east-1.amazonaws.com/Old_Bucket/a/b%20c.txt"),
]


@pytest.mark.parametrize(("name", "region", "prefix"), PRESIGN_SHAPES)
def test_presigned_url_uses_the_regional_endpoint_of_the_buckets_region(
    real_aws: tuple[awskit.Session, Stubber], name: str, region: str, prefix: str
) -> None:
    # Issue 20: URLs were https://bucket.s3.amazonaws.com/... (the legacy global endpoint)
    # and signed for the session's region (us-east-1 here) wherever the bucket was.
    aws, stub = real_aws
    stub.add_response("head_bucket", {"BucketRegion": region}, {"Bucket": name})
    for method in ("get_object", "put_object"):
        url = aws.s3.bucket(name).presigned_url("a/b c.txt", expires_in=60, method=method)
        assert url.split("?")[0] == prefix
        assert _scope(url) == f"{region}/s3/aws4_request"
        query = parse_qs(urlsplit(url).query)
        assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
        assert query["X-Amz-SignedHeaders"] == ["host"]


def test_presigned_url_finds_the_region_once_per_bucket(
    real_aws: tuple[awskit.Session, Stubber],
) -> None:
    aws, stub = real_aws
    # A bucket elsewhere: HeadBucket answers 301 with the region in a header.
    stub.add_client_error(
        "head_bucket",
        "301",
        http_status_code=301,
        response_meta={"HTTPHeaders": {"x-amz-bucket-region": "ap-east-1"}},
    )
    # Without the header (an old proxy, a policy): GetBucketLocation, null for us-east-1
    # and "EU" for the buckets made in eu-west-1 under that name.
    stub.add_client_error("head_bucket", "403", http_status_code=403)
    stub.add_response("get_bucket_location", {})
    stub.add_client_error("head_bucket", "403", http_status_code=403)
    stub.add_response("get_bucket_location", {"LocationConstraint": "EU"})
    far, old, eu = aws.s3.bucket("far-bucket"), aws.s3.bucket("old-bucket"), aws.s3.bucket("eu-b")
    for _ in range(2):  # the second round sends nothing: the stubber would refuse it
        assert _scope(far.presigned_url("k")) == "ap-east-1/s3/aws4_request"
        assert _scope(old.presigned_url("k")) == "us-east-1/s3/aws4_request"
        assert _scope(eu.presigned_url("k")).startswith("eu-west-1/")
    assert far.presigned_url("k").startswith("https://far-bucket.s3.ap-east-1.amazonaws.com/k?")


def test_presigned_url_of_a_bucket_s3_says_nothing_about(
    real_aws: tuple[awskit.Session, Stubber],
) -> None:
    aws, stub = real_aws
    for _ in range(2):  # not cached: the bucket may exist next time
        stub.add_client_error("head_bucket", "404", http_status_code=404)
        stub.add_client_error("get_bucket_location", "NoSuchBucket", http_status_code=404)
        url = aws.s3.bucket("not-yet").presigned_url("k", method="put_object")
        assert url.startswith("https://not-yet.s3.us-east-1.amazonaws.com/k?")
        assert _scope(url) == "us-east-1/s3/aws4_request"


def test_presigned_url_through_moto_keeps_the_endpoint_and_the_buckets_region(
    aws: awskit.Session,
) -> None:
    bucket = aws.s3.create_bucket("eu-bucket", region="eu-west-1")
    bucket.put("hello.txt", "from eu-west-1")
    url = bucket.presigned_url("hello.txt", expires_in=120)
    assert url.startswith(f"{aws.endpoint_url}/eu-bucket/hello.txt?")
    assert _scope(url) == "eu-west-1/s3/aws4_request"
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.read() == b"from eu-west-1"
    here = aws.s3.create_bucket("here-bucket")
    assert _scope(here.presigned_url("k")) == "us-east-1/s3/aws4_request"


# -- input checked before any request -----------------------------------------------------------


def b(aws: awskit.Session) -> Bucket:
    return aws.s3.bucket("b-1")


BAD_CALLS: list[tuple[str, str, Callable[[awskit.Session, Path], object]]] = [
    ("short name", "name", lambda aws, _: aws.s3.create_bucket("ab")),
    ("delete short name", "name", lambda aws, _: aws.s3.delete_bucket("ab")),
    ("long name", "name", lambda aws, _: aws.s3.create_bucket("a" * 64)),
    ("uppercase", "name", lambda aws, _: aws.s3.create_bucket("MyBucket")),
    ("underscore", "name", lambda aws, _: aws.s3.create_bucket("my_bucket")),
    ("dot dot", "name", lambda aws, _: aws.s3.create_bucket("my..bucket")),
    ("ip", "name", lambda aws, _: aws.s3.create_bucket("192.168.5.4")),
    ("xn--", "name", lambda aws, _: aws.s3.create_bucket("xn--bucket")),
    ("-s3alias", "name", lambda aws, _: aws.s3.create_bucket("bucket-s3alias")),
    ("ends with dash", "name", lambda aws, _: aws.s3.create_bucket("bucket-")),
    ("region", "region", lambda aws, _: aws.s3.create_bucket("fine-name", region="")),
    ("legacy too short", "name", lambda aws, _: aws.s3.bucket("ab")),
    ("legacy bad char", "name", lambda aws, _: aws.s3.bucket("has space")),
    ("not a str", "name", lambda aws, _: aws.s3.bucket(42)),  # type: ignore[arg-type]
    ("empty key", "key", lambda aws, _: b(aws).put("", b"x")),
    ("long key", "key", lambda aws, _: b(aws).get("k" * 1025)),
    ("long utf-8 key", "key", lambda aws, _: b(aws).get("é" * 513)),
    ("surrogate key", "key", lambda aws, _: b(aws).exists("\udc80")),
    ("bytes key", "key", lambda aws, _: b(aws).delete(b"k")),  # type: ignore[arg-type]
    ("open key", "key", lambda aws, _: b(aws).open("")),
    ("long prefix", "prefix", lambda aws, _: b(aws).objects(prefix="p" * 1025)),
    ("start_after", "start_after", lambda aws, _: b(aws).objects(start_after="")),
    ("limit", "limit", lambda aws, _: b(aws).objects(limit=-1)),
    ("data type", "data", lambda aws, _: b(aws).put("k", 42)),  # type: ignore[arg-type]
    ("text file", "data", lambda aws, _: b(aws).put("k", io.StringIO("t"))),  # type: ignore[arg-type]
    ("text pipe", "data", lambda aws, _: b(aws).put("k", TextPipe())),  # type: ignore[arg-type]
    ("missing path", "data", lambda aws, p: b(aws).put("k", p / "nope")),
    ("metadata name", "metadata", lambda aws, _: b(aws).put("k", b"", metadata={"a b": "c"})),
    ("metadata value", "metadata", lambda aws, _: b(aws).put("k", b"", metadata={"a": "é"})),
    ("metadata size", "metadata", lambda aws, _: b(aws).put("k", b"", metadata={"a": "v" * 2048})),
    ("content type", "content_type", lambda aws, _: b(aws).put("k", b"", "")),
    ("upload missing", "path", lambda aws, p: b(aws).upload_file(p / "nope", "k")),
    ("upload dir", "path", lambda aws, p: b(aws).upload_file(p, "k")),
    ("upload key", "key", lambda aws, p: b(aws).upload_file(p, "k" * 1025)),
    ("download to dir", "path", lambda aws, p: b(aws).download_file("k", p)),
    ("download no dir", "path", lambda aws, p: b(aws).download_file("k", p / "a" / "b")),
    ("expires 0", "expires_in", lambda aws, _: b(aws).presigned_url("k", expires_in=0)),
    ("expires 8 days", "expires_in", lambda aws, _: b(aws).presigned_url("k", 691200)),
    ("expires float", "expires_in", lambda aws, _: b(aws).presigned_url("k", 1.5)),  # type: ignore[arg-type]
    ("presign method", "method", lambda aws, _: b(aws).presigned_url("k", method="list_objects")),
    ("delete_many str", "keys", lambda aws, _: b(aws).delete_many("abc")),
    ("delete_many bad key", "keys", lambda aws, _: b(aws).delete_many(["ok", "x" * 1025])),
]  # fmt: skip


@pytest.mark.parametrize(
    ("field", "call"), [c[1:] for c in BAD_CALLS], ids=[c[0] for c in BAD_CALLS]
)
def test_invalid_input_sends_nothing(
    offline: awskit.Session, tmp_path: Path, field: str, call: Callable[..., object]
) -> None:
    sent = Sent(offline.s3.client)
    try:
        with pytest.raises(awskit.InvalidInput) as exc_info:
            call(offline, tmp_path)
    finally:
        sent.close()
    assert exc_info.value.field == field
    assert isinstance(exc_info.value, ValueError)
    assert sent.ops == []


def test_legacy_bucket_names_are_addressable(aws: awskit.Session) -> None:
    # Buckets made in us-east-1 before 2018 may have capitals and underscores.
    assert aws.s3.bucket("Old_Bucket").name == "Old_Bucket"
    assert repr(aws.s3.bucket("old-bucket")) == "Bucket('old-bucket')"
    assert len({aws.s3.bucket("same-name"), aws.s3.bucket("same-name")}) == 1
