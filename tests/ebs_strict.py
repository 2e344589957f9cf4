"""A strict EBS direct-API test server: what AWS documents, enforced.

moto's EBS accepts wrong checksums, reports a 512-byte block size, never pages and
ignores ``ChangedBlocksCount``. :class:`StrictEBS` speaks the same rest-json wire format
botocore uses (``botocore/data/ebs/2019-11-02/service-2.json``) on 127.0.0.1 and refuses
what AWS refuses:

* PutSnapshotBlock: ``x-amz-Data-Length`` and the body exactly 524288 bytes,
  ``x-amz-Checksum-Algorithm: SHA256`` and ``x-amz-Checksum`` the base64 SHA256 of the
  body, an index inside the volume, a snapshot still pending;
* CompleteSnapshot: ``x-amz-ChangedBlocksCount`` equal to the distinct blocks put, and
  the LINEAR aggregate (SHA256 of the raw block digests in ascending index, as coldsnap
  sends it) with ``ChecksumAggregationMethod: LINEAR``;
* StartSnapshot: VolumeSize 1..65536 (not below the parent's), ``ParentSnapshotId`` of a
  completed snapshot and never with ``Encrypted``, Timeout 10..4320, ClientToken of at
  most 64 ASCII characters and idempotent: the same token with the same parameters
  returns the same snapshot with its current ``Status`` (``completed`` once it is), the
  same token with other parameters is ConflictException;
* reads only of completed snapshots; a child reads through to its parent's blocks;
  ListSnapshotBlocks / ListChangedBlocks with ``MaxResults`` 100..10000 and NextToken,
  ListChangedBlocks scanning index windows and so returning empty pages; block tokens
  checked on GetSnapshotBlock;
* throttling (RequestThrottledException) beyond ``concurrency_limit`` block requests in
  flight per snapshot.

It also answers EC2 DescribeSnapshots (query protocol, XML) so ``wait()`` can run.
Blocks are stored by content (SHA256), so a 1 GiB image of repeated blocks costs little
memory. Run standalone with ``python -m tests.ebs_strict`` (prints its URL; stops when
stdin closes), e.g. to keep its memory out of a client's RSS measurement.
"""

from __future__ import annotations

import base64
import collections
import hashlib
import json
import secrets
import sys
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.loopback import Handler, LoopbackServer

BLOCK_SIZE = 524288
BLOCKS_PER_GIB = 2048
OWNER = "123456789012"


class _Reject(Exception):
    def __init__(self, status: int, code: str, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.reason = status, code, message, reason


def _validation(message: str, reason: str = "INVALID_PARAMETER_VALUE") -> _Reject:
    return _Reject(400, "ValidationException", message, reason)


@dataclass
class _Snapshot:
    snapshot_id: str
    volume_size: int
    parent: _Snapshot | None
    description: str | None
    tags: list[dict[str, str]]
    encrypted: bool
    kms_key_arn: str | None
    client_token: str | None
    request: dict[str, Any]
    started: float = field(default_factory=time.time)
    state: str = "pending"
    state_message: str = ""
    completed_at: float | None = None
    written: dict[int, bytes] = field(default_factory=dict)
    puts_refused: int = 0

    def effective(self) -> dict[int, bytes]:
        """Index -> digest as a reader sees it: the parent's blocks under this one's."""
        blocks = self.parent.effective() if self.parent is not None else {}
        blocks.update(self.written)
        return blocks

    def lineage(self) -> list[_Snapshot]:
        chain: list[_Snapshot] = []
        node: _Snapshot | None = self
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain


class StrictEBS(LoopbackServer):
    """The strict EBS (and EC2 DescribeSnapshots) server; ``url`` once started.

    ``page_limit`` caps every page below the MaxResults asked (AWS may return fewer);
    ``concurrency_limit`` throttles block requests beyond that many in flight per
    snapshot; ``latency`` delays every block request (so requests overlap);
    ``completion_delay`` keeps a completed snapshot ``pending`` in EC2 that long;
    ``not_found_puts`` answers that many first puts of each new snapshot with
    ResourceNotFoundException (eventual consistency right after StartSnapshot);
    ``replay_start`` answers a reused client token with the first StartSnapshot reply
    word for word (``Status: pending``, whatever the snapshot's state now), the other
    reading of AWS's "the result of the original request is returned".
    """

    def __init__(
        self,
        *,
        page_limit: int | None = None,
        concurrency_limit: int | None = None,
        latency: float = 0.0,
        completion_delay: float = 0.0,
        not_found_puts: int = 0,
        replay_start: bool = False,
    ) -> None:
        super().__init__()
        self.page_limit = page_limit
        self.concurrency_limit = concurrency_limit
        self.latency = latency
        self.completion_delay = completion_delay
        self.not_found_puts = not_found_puts
        self.replay_start = replay_start
        self.snapshots: dict[str, _Snapshot] = {}
        self.requests: collections.Counter[str] = collections.Counter()
        self.rejected: list[tuple[str, str, str]] = []
        self.puts: collections.Counter[str] = collections.Counter()
        self.progress: list[int] = []
        self.max_in_flight = 0
        self._store: dict[bytes, bytes] = {}
        self._tokens: dict[str, tuple[str, int]] = {}
        self._in_flight: collections.Counter[str] = collections.Counter()

    # -- serving

    def serve(self, handler: Handler) -> None:
        length = int(handler.headers.get("Content-Length", "0") or 0)
        body = handler.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in handler.headers.items()}
        status, reply_headers, payload = self.handle(handler.command, handler.path, headers, body)
        handler.send_response(status)
        for key, value in reply_headers.items():
            handler.send_header(key, value)
        handler.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    # -- test helpers

    def block_data(self, snapshot_id: str, index: int) -> bytes | None:
        digest = self.snapshots[snapshot_id].effective().get(index)
        return None if digest is None else self._store[digest]

    def set_state(self, snapshot_id: str, state: str, message: str = "") -> None:
        with self._lock:
            snap = self.snapshots[snapshot_id]
            snap.state, snap.state_message = state, message

    def _state(self, snap: _Snapshot) -> str:
        if (
            snap.state == "completing"
            and snap.completed_at is not None
            and time.time() >= snap.completed_at
        ):
            snap.state = "completed"
        return snap.state

    # -- dispatch

    def handle(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(target)
        path = [unquote(p) for p in parts.path.split("/") if p]
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        operation = "Unknown"
        try:
            if not headers.get("authorization", "").startswith("AWS4-HMAC-SHA256"):
                raise _Reject(403, "AccessDeniedException", "missing SigV4 signature")
            if method == "POST" and not path:
                operation = "DescribeSnapshots"
                return self._describe_snapshots(body)
            if method == "POST" and path == ["snapshots"]:
                operation = "StartSnapshot"
                return self._start(json.loads(body or b"{}"))
            if method == "POST" and len(path) == 3 and path[:2] == ["snapshots", "completion"]:
                operation = "CompleteSnapshot"
                return self._complete(path[2], headers)
            if len(path) == 4 and path[0] == "snapshots" and path[2] == "blocks":
                operation = "PutSnapshotBlock" if method == "PUT" else "GetSnapshotBlock"
                return self._block_request(method, path[1], path[3], headers, query, body)
            if method == "GET" and len(path) == 3 and path[0] == "snapshots":
                if path[2] == "blocks":
                    operation = "ListSnapshotBlocks"
                    return self._list_blocks(path[1], query)
                if path[2] == "changedblocks":
                    operation = "ListChangedBlocks"
                    return self._list_changed(path[1], query)
            raise _Reject(404, "UnknownOperationException", f"{method} {parts.path}")
        except _Reject as exc:
            with self._lock:
                self.rejected.append((operation, exc.code, exc.message))
            if operation == "DescribeSnapshots":
                return _ec2_error(exc)
            payload: dict[str, Any] = {"message": exc.message}
            if exc.reason:
                payload["Reason"] = exc.reason
            return (
                exc.status,
                {"x-amzn-ErrorType": exc.code, "Content-Type": "application/json"},
                json.dumps(payload).encode(),
            )
        finally:
            with self._lock:
                self.requests[operation] += 1

    # -- operations

    def _find(self, snapshot_id: str) -> _Snapshot:
        snap = self.snapshots.get(snapshot_id)
        if snap is None:
            raise _Reject(
                404, "ResourceNotFoundException", f"{snapshot_id} not found", "SNAPSHOT_NOT_FOUND"
            )
        return snap

    def _readable(self, snapshot_id: str) -> _Snapshot:
        snap = self._find(snapshot_id)
        if self._state(snap) != "completed":
            raise _validation(
                f"snapshot {snapshot_id} is {snap.state}: only completed snapshots can be read",
                "INVALID_SNAPSHOT_ID",
            )
        return snap

    def _start(self, request: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        size = request.get("VolumeSize")
        if not isinstance(size, int) or not 1 <= size <= 65536:
            raise _validation(f"VolumeSize {size!r} must be 1..65536", "INVALID_VOLUME_SIZE")
        parent_id = request.get("ParentSnapshotId")
        if parent_id is not None and request.get("Encrypted") is not None:
            raise _validation("ParentSnapshotId and Encrypted cannot be specified together")
        timeout = request.get("Timeout")
        if timeout is not None and not 10 <= timeout <= 4320:
            raise _validation("Timeout must be 10..4320 minutes")
        if request.get("KmsKeyArn") is not None and not request.get("Encrypted"):
            raise _validation("KmsKeyArn needs Encrypted", "INVALID_CUSTOMER_KEY")
        token = request.get("ClientToken")
        if token is not None and (
            not isinstance(token, str) or not 1 <= len(token) <= 64 or not token.isascii()
        ):
            raise _validation("ClientToken must be 1..64 ASCII characters")
        with self._lock:
            if token is not None:
                for snap in self.snapshots.values():
                    if snap.client_token == token:
                        if snap.request != request:
                            raise _Reject(
                                409, "ConflictException", "ClientToken reused with other values"
                            )
                        status = "pending" if self.replay_start else self._status(snap)
                        return 201, {"Content-Type": "application/json"}, _start_body(snap, status)
            parent = None
            if parent_id is not None:
                parent = self.snapshots.get(parent_id)
                if parent is None or self._state(parent) != "completed":
                    raise _validation(
                        f"parent {parent_id} is not a completed snapshot", "INVALID_SNAPSHOT_ID"
                    )
                if size < parent.volume_size:
                    raise _validation("VolumeSize is smaller than the parent's")
            snap = _Snapshot(
                snapshot_id="snap-" + secrets.token_hex(9)[:17],
                volume_size=size,
                parent=parent,
                description=request.get("Description"),
                tags=list(request.get("Tags") or []),
                encrypted=bool(request.get("Encrypted")) or bool(parent and parent.encrypted),
                kms_key_arn=request.get("KmsKeyArn"),
                client_token=token,
                request=request,
            )
            snap.puts_refused = self.not_found_puts
            self.snapshots[snap.snapshot_id] = snap
        return 201, {"Content-Type": "application/json"}, _start_body(snap, "pending")

    def _status(self, snap: _Snapshot) -> str:
        """The ``Status`` AWS shows: pending until EC2 has processed a completion."""
        state = self._state(snap)
        return "pending" if state == "completing" else state

    def _block_request(
        self,
        method: str,
        snapshot_id: str,
        raw_index: str,
        headers: dict[str, str],
        query: dict[str, str],
        body: bytes,
    ) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            limit = self.concurrency_limit
            if limit is not None and self._in_flight[snapshot_id] >= limit:
                raise _Reject(
                    400,
                    "RequestThrottledException",
                    "too many concurrent requests for this snapshot",
                    "RESOURCE_LEVEL_THROTTLE",
                )
            self._in_flight[snapshot_id] += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight[snapshot_id])
        try:
            if self.latency:
                time.sleep(self.latency)
            if method == "PUT":
                return self._put(snapshot_id, raw_index, headers, body)
            if method == "GET":
                return self._get(snapshot_id, raw_index, query)
            raise _Reject(405, "UnknownOperationException", method)
        finally:
            with self._lock:
                self._in_flight[snapshot_id] -= 1

    def _index(self, raw: str, snap: _Snapshot) -> int:
        try:
            index = int(raw)
        except ValueError:
            raise _validation(f"block index {raw!r}", "INVALID_BLOCK") from None
        if not 0 <= index < snap.volume_size * BLOCKS_PER_GIB:
            raise _validation(f"block index {index} outside the volume", "INVALID_BLOCK")
        return index

    def _put(
        self, snapshot_id: str, raw_index: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            snap = self._find(snapshot_id)
            if snap.puts_refused > 0:
                snap.puts_refused -= 1
                raise _Reject(
                    404,
                    "ResourceNotFoundException",
                    "snapshot not yet visible",
                    "SNAPSHOT_NOT_FOUND",
                )
        if snap.state != "pending":
            raise _validation(f"snapshot {snapshot_id} is {snap.state}", "INVALID_SNAPSHOT_ID")
        index = self._index(raw_index, snap)
        if headers.get("x-amz-data-length") != str(BLOCK_SIZE) or len(body) != BLOCK_SIZE:
            raise _validation(
                f"DataLength {headers.get('x-amz-data-length')!r} with {len(body)} bytes: "
                f"blocks are {BLOCK_SIZE} bytes",
                "INVALID_BLOCK",
            )
        if headers.get("x-amz-checksum-algorithm") != "SHA256":
            raise _validation("ChecksumAlgorithm must be SHA256")
        digest = hashlib.sha256(body).digest()
        checksum = base64.b64encode(digest).decode()
        if headers.get("x-amz-checksum") != checksum:
            raise _validation("the checksum does not match the block data", "INVALID_BLOCK")
        progress = headers.get("x-amz-progress")
        if progress is not None and not 0 <= int(progress) <= 100:
            raise _validation("Progress must be 0..100")
        with self._lock:
            self._store.setdefault(digest, body)
            snap.written[index] = digest
            self.puts[snapshot_id] += 1
            if progress is not None:
                self.progress.append(int(progress))
        return 201, {"x-amz-Checksum": checksum, "x-amz-Checksum-Algorithm": "SHA256"}, b""

    def _complete(
        self, snapshot_id: str, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            snap = self._find(snapshot_id)
            if snap.state != "pending":
                raise _validation(f"snapshot {snapshot_id} is {snap.state}", "INVALID_SNAPSHOT_ID")
            count = headers.get("x-amz-changedblockscount")
            if count != str(len(snap.written)):
                raise _validation(
                    f"ChangedBlocksCount {count!r} but {len(snap.written)} blocks were written"
                )
            checksum = headers.get("x-amz-checksum")
            if snap.written or checksum is not None:
                if headers.get("x-amz-checksum-algorithm") != "SHA256":
                    raise _validation("ChecksumAlgorithm must be SHA256")
                if headers.get("x-amz-checksum-aggregation-method") != "LINEAR":
                    raise _validation("ChecksumAggregationMethod must be LINEAR")
                outer = hashlib.sha256()
                for index in sorted(snap.written):
                    outer.update(snap.written[index])
                if checksum != base64.b64encode(outer.digest()).decode():
                    raise _validation("the aggregated checksum does not match the blocks written")
            if self.completion_delay > 0:
                snap.state = "completing"
                snap.completed_at = time.time() + self.completion_delay
                status = "pending"
            else:
                snap.state = status = "completed"
        return 202, {"Content-Type": "application/json"}, json.dumps({"Status": status}).encode()

    def _token(self, snapshot_id: str, index: int) -> str:
        token = base64.b64encode(secrets.token_bytes(24)).decode()
        self._tokens[token] = (snapshot_id, index)
        return token

    def _page(self, query: dict[str, str]) -> int:
        raw = query.get("maxResults")
        wanted = 10000 if raw is None else int(raw)
        if not 100 <= wanted <= 10000:
            raise _validation(f"MaxResults {wanted} must be 100..10000")
        return wanted if self.page_limit is None else min(wanted, self.page_limit)

    @staticmethod
    def _start_index(query: dict[str, str], kind: str, snapshot_id: str) -> int:
        token = query.get("pageToken")
        if token is None:
            return int(query.get("startingBlockIndex", 0))
        try:
            got_kind, got_snapshot, index = base64.b64decode(token).decode().split(":")
            if (got_kind, got_snapshot) != (kind, snapshot_id):
                raise ValueError(token)
            return int(index)
        except ValueError:
            raise _validation("invalid NextToken", "INVALID_PAGE_TOKEN") from None

    @staticmethod
    def _next_token(kind: str, snapshot_id: str, index: int) -> str:
        return base64.b64encode(f"{kind}:{snapshot_id}:{index}".encode()).decode()

    def _list_blocks(
        self, snapshot_id: str, query: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            snap = self._readable(snapshot_id)
            page = self._page(query)
            start = self._start_index(query, "blocks", snapshot_id)
            indexes = sorted(i for i in snap.effective() if i >= start)
            chosen = indexes[:page]
            result: dict[str, Any] = {
                "Blocks": [
                    {"BlockIndex": i, "BlockToken": self._token(snapshot_id, i)} for i in chosen
                ],
                "ExpiryTime": time.time() + 3600,
                "VolumeSize": snap.volume_size,
                "BlockSize": BLOCK_SIZE,
            }
            if len(indexes) > page:
                result["NextToken"] = self._next_token("blocks", snapshot_id, chosen[-1] + 1)
        return 200, {"Content-Type": "application/json"}, json.dumps(result).encode()

    def _list_changed(
        self, second_id: str, query: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            second = self._readable(second_id)
            first_id = query.get("firstSnapshotId")
            first = self._readable(first_id) if first_id else None
            if first is not None:
                chain = second.lineage()
                if first not in chain:
                    raise _validation(
                        f"{first_id} is not an ancestor of {second_id}", "UNRELATED_SNAPSHOTS"
                    )
                changed: set[int] = set()
                for snap in chain[: chain.index(first)]:
                    changed |= set(snap.written)
            else:
                changed = set(second.effective())
            page = self._page(query)
            start = self._start_index(query, "changed", second_id)
            # AWS scans a window of indexes per page, so pages over unchanged ranges
            # come back empty with a NextToken.
            end = min(start + page, second.volume_size * BLOCKS_PER_GIB)
            first_blocks = first.effective() if first is not None else {}
            second_blocks = second.effective()
            items = []
            for i in sorted(c for c in changed if start <= c < end):
                item: dict[str, Any] = {"BlockIndex": i}
                if i in first_blocks and first_id:
                    item["FirstBlockToken"] = self._token(first_id, i)
                if i in second_blocks:
                    item["SecondBlockToken"] = self._token(second_id, i)
                items.append(item)
            result: dict[str, Any] = {
                "ChangedBlocks": items,
                "ExpiryTime": time.time() + 3600,
                "VolumeSize": second.volume_size,
                "BlockSize": BLOCK_SIZE,
            }
            if any(c >= end for c in changed):
                result["NextToken"] = self._next_token("changed", second_id, end)
        return 200, {"Content-Type": "application/json"}, json.dumps(result).encode()

    def _get(
        self, snapshot_id: str, raw_index: str, query: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            snap = self._readable(snapshot_id)
            index = self._index(raw_index, snap)
            if self._tokens.get(query.get("blockToken", "")) != (snapshot_id, index):
                raise _validation("the block token does not match", "INVALID_BLOCK_TOKEN")
            digest = next((s.written[index] for s in snap.lineage() if index in s.written), None)
            if digest is None:
                raise _validation(f"block {index} has no data", "INVALID_BLOCK")
            data = self._store[digest]
        return (
            200,
            {
                "Content-Type": "application/octet-stream",
                "x-amz-Data-Length": str(BLOCK_SIZE),
                "x-amz-Checksum": base64.b64encode(digest).decode(),
                "x-amz-Checksum-Algorithm": "SHA256",
            },
            data,
        )

    def _describe_snapshots(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
        form = {k: v[-1] for k, v in parse_qs(body.decode()).items()}
        if form.get("Action") != "DescribeSnapshots":
            raise _Reject(400, "InvalidAction", f"{form.get('Action')} is not supported here")
        wanted = [v for k, v in sorted(form.items()) if k.startswith("SnapshotId.")]
        items = []
        with self._lock:
            for snapshot_id in wanted:
                snap = self.snapshots.get(snapshot_id)
                if snap is None:
                    raise _Reject(
                        400,
                        "InvalidSnapshot.NotFound",
                        f"The snapshot '{snapshot_id}' does not exist.",
                    )
                shown = self._status(snap)
                items.append(
                    "<item>"
                    f"<snapshotId>{snap.snapshot_id}</snapshotId>"
                    f"<volumeSize>{snap.volume_size}</volumeSize>"
                    f"<status>{shown}</status>"
                    f"<statusMessage>{snap.state_message}</statusMessage>"
                    f"<progress>{'100%' if shown == 'completed' else '0%'}</progress>"
                    f"<ownerId>{OWNER}</ownerId>"
                    f"<encrypted>{str(snap.encrypted).lower()}</encrypted>"
                    "</item>"
                )
        xml = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<DescribeSnapshotsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
            f"<requestId>{uuid.uuid4()}</requestId>"
            f"<snapshotSet>{''.join(items)}</snapshotSet>"
            "</DescribeSnapshotsResponse>"
        )
        return 200, {"Content-Type": "text/xml"}, xml.encode()


def _start_body(snap: _Snapshot, status: str) -> bytes:
    result: dict[str, Any] = {
        "SnapshotId": snap.snapshot_id,
        "OwnerId": OWNER,
        "Status": status,
        "StartTime": snap.started,
        "VolumeSize": snap.volume_size,
        "BlockSize": BLOCK_SIZE,
        "Tags": snap.tags,
    }
    if snap.description is not None:
        result["Description"] = snap.description
    if snap.parent is not None:
        result["ParentSnapshotId"] = snap.parent.snapshot_id
    if snap.kms_key_arn is not None:
        result["KmsKeyArn"] = snap.kms_key_arn
    return json.dumps(result).encode()


def _ec2_error(exc: _Reject) -> tuple[int, dict[str, str], bytes]:
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error>'
        f"<Code>{exc.code}</Code><Message>{exc.message}</Message>"
        f"</Error></Errors><RequestID>{uuid.uuid4()}</RequestID></Response>"
    )
    return exc.status, {"Content-Type": "text/xml"}, xml.encode()


def main() -> None:
    """Serve until stdin closes; the first line printed is the URL."""
    with StrictEBS() as server:
        print(server.url, flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
