"""``awskit demo``: the seed tour of every service, each step checked, on the embedded endpoint.

Each section runs the classic boto3 tour of one service through awskit's public API and
checks every result (read back, listed, compared byte for byte). A step that does not
check out, or a section that raises, is FAILED and the exit code is 1: the tour never
reports success it did not see.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import secrets
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from ._app import Options, app, command

T = TypeVar("T")

if TYPE_CHECKING:
    import awskit

__all__ = ["Section", "Step", "Tour", "demo"]


@dataclasses.dataclass
class Step:
    """One step of a section: what it did, and whether its result checked out."""

    name: str
    detail: str
    ok: bool


@dataclasses.dataclass
class Section:
    """One service's part of the tour."""

    name: str
    steps: list[Step] = dataclasses.field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None and bool(self.steps) and all(s.ok for s in self.steps)


class Tour:
    """Runs sections, records their steps, names the resources of this run."""

    def __init__(
        self,
        aws: awskit.Session,
        *,
        embedded: bool,
        workdir: Path,
        queue_delay: int | None = None,
    ) -> None:
        self.aws = aws
        self.embedded = embedded
        # The seed asks for DelaySeconds=5; on the embedded endpoint 0 keeps the tour quick.
        self.queue_delay = queue_delay if queue_delay is not None else 0 if embedded else 5
        self.workdir = workdir
        # A shared endpoint or a real account may already hold the seed's names.
        self.suffix = "" if embedded else f"-{secrets.token_hex(3)}"
        self.sections: list[Section] = []
        self.leftovers: list[str] = []
        self._current: Section | None = None

    def name(self, seed: str, sep: str = "-") -> str:
        return seed if self.embedded else f"awskit-demo{sep}{seed}{self.suffix}"

    def check(self, step: str, detail: str, ok: bool) -> bool:
        assert self._current is not None
        self._current.steps.append(Step(step, detail, bool(ok)))
        return bool(ok)

    @contextlib.contextmanager
    def removing(self, what: str, remove: Callable[[], T]) -> Iterator[Callable[[], T]]:
        """Yield a function that removes ``what`` (``remove()``) as a step of the tour; if
        the block ends without calling it (a step failed), it is called on the way out.
        What could not be removed is said at the end (``left_behind``); when a step had
        failed already, that step's error is the one the section reports."""
        called = False

        def now() -> T:
            nonlocal called
            called = True
            try:
                return remove()
            except Exception:
                self.leftovers.append(what)
                raise

        try:
            yield now
        except BaseException:
            if not called:
                with contextlib.suppress(Exception):
                    now()
            raise
        if not called:
            now()

    def run(self, name: str, body: Callable[[Tour], None]) -> Section:
        section = Section(name)
        self.sections.append(section)
        self._current = section
        started = time.perf_counter()
        try:
            body(self)
        except Exception as exc:  # a failing section is reported, never hidden
            section.error = f"{type(exc).__name__}: {' '.join(str(exc).split())}"
        finally:
            section.seconds = time.perf_counter() - started
            self._current = None
        return section


# -- the sections -----------------------------------------------------------------------------


def s3_section(tour: Tour, progress: Callable[[str, int], Any]) -> None:
    s3 = tour.aws.s3
    name = tour.name("my-bucket")
    bucket = s3.create_bucket(name)
    with tour.removing(f"S3 bucket {name}", lambda: s3.delete_bucket(name, empty=True)) as delete:
        # Listing asks S3: it fails unless the bucket exists, and a new bucket is empty.
        tour.check("create bucket", f"{name}, empty", list(bucket.objects()) == [])

        # A tiny JPEG-framed payload stands in for the seed's test.jpg.
        data = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + secrets.token_bytes(4096) + b"\xff\xd9"
        path = tour.workdir / "test.jpg"
        path.write_bytes(data)
        with progress("upload test.jpg", len(data)) as bar:
            bucket.upload_file(path, "test.jpg", progress=bar)
        back = bucket.get("test.jpg")
        tour.check("upload test.jpg", f"{len(data):,} bytes, read back identical", back == data)

        names = [b.name for b in s3.buckets()]
        tour.check("list buckets", ", ".join(names), name in names)
        deleted = delete()
        tour.check("delete bucket", f"{name} and the {deleted} object in it", deleted == 1)


def sqs_section(tour: Tour) -> None:
    from awskit.sqs import Message, OutgoingMessage

    sqs = tour.aws.sqs
    name = tour.name("test")
    delay = tour.queue_delay
    queue = sqs.create_queue(name, delay_seconds=delay)
    tour.check(
        "create queue",
        f"{name} (DelaySeconds={queue.attributes.delay_seconds})",
        queue.attributes.delay_seconds == delay,
    )
    try:
        same = sqs.get_queue(name)
        tour.check("get queue by name", same.url, same.url == queue.url)

        urls = [q.url for q in sqs.queues()]
        # ListQueues is eventually consistent on AWS: a new queue can take a moment to show.
        waited = time.monotonic()
        while queue.url not in urls and not tour.embedded and time.monotonic() - waited < 30:
            time.sleep(2)
            urls = [q.url for q in sqs.queues()]
        tour.check("list queues", f"{len(urls)} queue(s), ours among them", queue.url in urls)

        from_arn = queue.arn.split(":")[-1]
        tour.check("name from ARN", f"{queue.arn} -> {from_arn}", from_arn == name)

        sent = queue.send("world")
        tour.check(
            "send message", f"'world', message id {sent.message_id[:8]}...", bool(sent.message_id)
        )

        sent = queue.send("boto3", attributes={"Author": "Daniel"})
        tour.check(
            "send with attribute",
            f"'boto3' with Author=Daniel, message id {sent.message_id[:8]}...",
            bool(sent.message_id),
        )

        batch = queue.send_many(
            ["world", OutgoingMessage("boto3", attributes={"Author": "Daniel"})]
        )
        tour.check(
            "send batch, inspect failed",
            f"{len(batch.sent)} sent, {len(batch.failed)} failed",
            len(batch.sent) == 2 and not batch.failed,
        )

        messages: list[Message[str]] = []
        deadline = time.monotonic() + delay + 25
        while len(messages) < 4 and time.monotonic() < deadline:
            messages += queue.receive(
                max_messages=10, wait_seconds=min(20, delay + 5), attribute_names=["Author"]
            )
        greetings = []
        for msg in messages:
            author = msg.attributes.get("Author")
            greetings.append(f"Hello, {msg.body}!" + (f" ({author!s})" if author else ""))
        expected = ["Hello, boto3! (Daniel)"] * 2 + ["Hello, world!"] * 2
        ok = sorted(greetings) == expected
        for greeting in greetings:
            tour.check("receive with attributes", greeting, ok)
        if not greetings:
            tour.check("receive with attributes", "no message arrived", False)

        for msg in messages:
            msg.delete()
        left = queue.receive(max_messages=10, wait_seconds=0)
        tour.check(
            "delete each message",
            f"{len(messages)} deleted, {len(left)} left",
            len(messages) == 4 and not left,
        )
    finally:
        if not tour.embedded:
            queue.delete()


def cloudwatch_section(tour: Tour) -> None:
    from awskit.cloudwatch import Alarm, AlarmState

    cw = tour.aws.cloudwatch
    name = tour.name("Web_Server_CPU_Utilization", sep="_")
    cw.put_alarm(
        Alarm(
            name=name,
            comparison="GreaterThanThreshold",
            evaluation_periods=1,
            metric_name="CPUUtilization",
            namespace="AWS/EC2",
            period=60,
            statistic="Average",
            threshold=70.0,
            actions_enabled=False,
            description="Alarm when server CPU exceeds 70%",
            dimensions={"InstanceId": "INSTANCE_ID"},
            unit="Seconds",
        )
    )
    alarm = cw.alarm(name)
    tour.check(
        "put alarm",
        f"{name} (CPUUtilization > 70)",
        alarm is not None and alarm.threshold == 70.0 and alarm.metric_name == "CPUUtilization",
    )
    if alarm is not None and alarm.state is not AlarmState.INSUFFICIENT_DATA:
        # AWS starts a new alarm in INSUFFICIENT_DATA; moto starts it in OK. Say so, and
        # put it where AWS would, so the next step lists what the seed lists.
        cw.set_alarm_state(name, AlarmState.INSUFFICIENT_DATA, reason="as AWS starts alarms")
        now = cw.alarm(name)
        tour.check(
            "set state INSUFFICIENT_DATA",
            f"the endpoint started it in {alarm.state.value if alarm.state else 'no state'}",
            now is not None and now.state is AlarmState.INSUFFICIENT_DATA,
        )
    names = [a.name for a in cw.alarms(state=AlarmState.INSUFFICIENT_DATA)]
    tour.check("list INSUFFICIENT_DATA alarms", ", ".join(names) or "none", name in names)
    cw.delete_alarms([name])
    tour.check("delete alarm", f"{name} is gone", cw.alarm(name) is None)


def dynamo_section(tour: Tour) -> None:
    from pydantic import BaseModel

    from awskit.dynamo import Attr, Key, Provisioned

    class Address(BaseModel):
        road: str
        city: str
        state: str
        zipcode: int
        country: str

    class User(BaseModel):
        username: str
        first_name: str
        last_name: str
        account_type: str
        age: int | None = None
        address: Address | None = None

    def address(road: str, city: str, state: str, zipcode: int) -> Address:
        return Address(road=road, city=city, state=state, zipcode=zipcode, country="USA")

    dynamo = tour.aws.dynamo
    name = tour.name("users")
    users = dynamo.create_table(
        name,
        User,
        hash_key="username",
        range_key="last_name",
        billing=Provisioned(read=5, write=5),
    )
    try:
        count = users.item_count
        tour.check("create table", f"{name}: key (username, last_name), {count} items", count == 0)

        jane = User(
            username="janedoe",
            first_name="Jane",
            last_name="Doe",
            age=25,
            account_type="standard_user",
        )
        users.put(jane)
        got = users.get(username="janedoe", last_name="Doe")
        tour.check("put item", "janedoe, age 25", got == jane)
        tour.check(
            "get item",
            f"{got.first_name} {got.last_name}, age {got.age}" if got else "none",
            got == jane,
        )

        updated = users.update({"username": "janedoe", "last_name": "Doe"}, set={"age": 26})
        tour.check("update item", f"age -> {updated.age}", updated.age == 26)

        old = users.delete({"username": "janedoe", "last_name": "Doe"})
        gone = users.get(username="janedoe", last_name="Doe")
        tour.check(
            "delete item",
            "janedoe deleted",
            old is not None and old.age == 26 and gone is None,
        )

        seed = [
            User(username="johndoe", first_name="John", last_name="Doe", age=25,
                 account_type="standard_user",
                 address=address("1 Jefferson Street", "Los Angeles", "CA", 90001)),
            User(username="janedoering", first_name="Jane", last_name="Doering", age=40,
                 account_type="super_user",
                 address=address("2 Washington Avenue", "Seattle", "WA", 98109)),
            User(username="bobsmith", first_name="Bob", last_name="Smith", age=18,
                 account_type="standard_user",
                 address=address("3 Madison Lane", "Louisville", "KY", 40213)),
            User(username="alicedoe", first_name="Alice", last_name="Doe", age=27,
                 account_type="super_user",
                 address=address("1 Jefferson Street", "Los Angeles", "CA", 90001)),
        ]  # fmt: skip
        anonymous = [
            User(username=f"user{i}", first_name="unknown", last_name="unknown",
                 account_type="anonymous")
            for i in range(50)
        ]  # fmt: skip
        with users.batch_writer() as batch:
            for user in seed + anonymous:
                batch.put(user)
        total = sum(1 for _ in users.scan())
        tour.check("batch write", f"{len(seed)} users + {len(anonymous)} anonymous", total == 54)

        with users.batch_writer(overwrite_by_pkeys=["username", "last_name"]) as batch:
            batch.put(jane)
            batch.put(jane.model_copy(update={"age": 27}))
            batch.delete({"username": "user0", "last_name": "unknown"})
        last = users.get(username="janedoe", last_name="Doe")
        tour.check(
            "batch overwrite_by_pkeys",
            "janedoe put twice (age 27 wins), user0 deleted",
            last is not None
            and last.age == 27
            and users.get(username="user0", last_name="unknown") is None,
        )

        johns = list(users.query(Key("username").eq("johndoe")))
        tour.check(
            "query username = johndoe",
            ", ".join(f"{u.first_name} {u.last_name}" for u in johns),
            [u.username for u in johns] == ["johndoe"],
        )

        def scan(step: str, condition: Any, expected: set[str]) -> None:
            found = {u.username for u in users.scan(condition)}
            tour.check(step, ", ".join(sorted(found)) or "none", found == expected)

        scan("scan age < 27", Attr("age").lt(27), {"johndoe", "bobsmith"})
        scan(
            "scan begins_with J & super_user",
            Attr("first_name").begins_with("J") & Attr("account_type").eq("super_user"),
            {"janedoering"},
        )
        scan("scan address.state = CA", Attr("address.state").eq("CA"), {"johndoe", "alicedoe"})
    finally:
        users.delete_table(wait=True)
    tables = [t.name for t in dynamo.tables()]
    tour.check("delete table", f"{name} deleted", name not in tables)


def ebs_section(tour: Tour, progress: Callable[[str, int], Any]) -> None:
    from awskit.ebs import BLOCK_SIZE

    ebs = tour.aws.ebs
    # Three blocks of data around a hole, the last one partial: 1.6 MiB in all.
    image = (
        secrets.token_bytes(BLOCK_SIZE)
        + bytes(BLOCK_SIZE)
        + secrets.token_bytes(BLOCK_SIZE)
        + secrets.token_bytes(BLOCK_SIZE // 4)
    )
    source = tour.workdir / "disk.img"
    source.write_bytes(image)
    tour.check(
        "generate image",
        f"disk.img, {len(image):,} bytes: 3 data blocks, 1 zero",
        source.stat().st_size == len(image),
    )

    with progress("upload disk.img", len(image)) as bar:
        snap = ebs.upload(source, description="awskit demo", progress=bar, wait=True)
    tour.check(
        "upload",
        f"{snap.snapshot_id}: {snap.blocks_written} blocks, {snap.volume_size} GiB volume",
        snap.blocks_written == 3,
    )

    what = f"EBS snapshot {snap.snapshot_id}"
    with tour.removing(what, lambda: ebs.delete_snapshot(snap.snapshot_id)) as delete:
        # AWS lists blocks in index order; moto does not, hence sorted().
        indexes = sorted(b.index for b in ebs.blocks(snap.snapshot_id))
        tour.check("list blocks", f"indexes {indexes} (1 is the zero block)", indexes == [0, 2, 3])

        target = tour.workdir / "out.img"
        with progress("download", 3 * BLOCK_SIZE) as bar:
            result = ebs.download(snap.snapshot_id, target, progress=bar, size=len(image))
        tour.check(
            "download",
            f"out.img: {result.blocks} blocks, {target.stat().st_size:,} bytes",
            result.blocks == 3,
        )

        same = target.read_bytes() == image
        digest = hashlib.sha256(image).hexdigest()[:16]
        tour.check("verify", f"byte-identical (sha256 {digest}...)", same)
        delete()  # raises unless EC2 took the DeleteSnapshot
        tour.check("delete snapshot", f"{snap.snapshot_id} (EC2 DeleteSnapshot)", True)


# -- the command ------------------------------------------------------------------------------


@contextlib.contextmanager
def _connection(opts: Options, real: bool) -> Iterator[tuple[awskit.Session, str, bool]]:
    import awskit

    if opts.endpoint_url or real:
        aws = opts.session()
        yield aws, aws.endpoint_url or f"AWS ({aws.region})", False
        return
    with awskit.local(region=opts.region or "us-east-1") as aws:
        yield aws, f"embedded (moto) at {aws.endpoint_url}", True


@command(app, "demo")
def demo(
    opts: Options,
    real: Annotated[
        bool,
        typer.Option(
            "--real",
            help="Run against real AWS with your credentials (creates resources, then "
            "deletes them).",
        ),
    ] = False,
    queue_delay: Annotated[
        int | None,
        typer.Option(
            "--queue-delay",
            help="DelaySeconds of the tour's queue (default: 0 embedded, else the seed's 5).",
            min=0,
            max=900,
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run the seed tour of S3, SQS, CloudWatch, DynamoDB and EBS, checking every step.

    Runs on the embedded endpoint unless --endpoint-url or --real is given. Exit code 0
    only if every step checked out.

    Example: awskit demo
    """
    from rich.table import Table
    from rich.text import Text

    with (
        tempfile.TemporaryDirectory(prefix="awskit-demo-") as tmp,
        _connection(opts, real) as (aws, where, embedded),
    ):
        tour = Tour(aws, embedded=embedded, workdir=Path(tmp), queue_delay=queue_delay)
        if not opts.json:
            opts.out.print(f"[bold]awskit demo[/bold] on {where}\n")

        def progress(description: str, total: int) -> Any:
            return opts.progress(description, total)

        plan: list[tuple[str, Callable[[Tour], None]]] = [
            ("S3", lambda t: s3_section(t, progress)),
            ("SQS", sqs_section),
            ("CloudWatch", cloudwatch_section),
            ("DynamoDB", dynamo_section),
            ("EBS", lambda t: ebs_section(t, progress)),
        ]
        for name, body in plan:
            section = tour.run(name, body)
            if opts.json:
                continue
            # One width for every section (at most 100 columns) so the tables line up.
            width = min(opts.out.width, 100)
            table = Table(title=f"{name}", title_justify="left", width=width)
            table.add_column("Step", width=31, overflow="fold")
            table.add_column("What happened", overflow="fold", ratio=1)
            table.add_column("Check", width=6, no_wrap=True)
            for step in section.steps:
                table.add_row(Text(step.name), Text(step.detail), _mark(step.ok))
            if section.error is not None:
                table.add_row("error", Text(section.error), _mark(False))
            opts.out.print(table)
            opts.out.print()

    ok = all(s.ok for s in tour.sections)
    if opts.json:
        opts.emit(
            {
                "endpoint": where,
                "ok": ok,
                "left_behind": tour.leftovers,
                "sections": [
                    {
                        "name": s.name,
                        "ok": s.ok,
                        "error": s.error,
                        "steps": [dataclasses.asdict(step) for step in s.steps],
                    }
                    for s in tour.sections
                ],
            }
        )
    else:
        summary = Table(title="Summary", title_justify="left")
        summary.add_column("Section", no_wrap=True)
        summary.add_column("Steps checked", justify="right")
        summary.add_column("Time", justify="right")
        summary.add_column("Result", no_wrap=True)
        for s in tour.sections:
            passed = sum(step.ok for step in s.steps)
            summary.add_row(
                s.name,
                f"{passed}/{len(s.steps)}",
                f"{s.seconds:.1f} s",
                Text("PASSED", style="green") if s.ok else Text("FAILED", style="bold red"),
            )
        opts.out.print(summary)
        verdict = "every step checked out" if ok else "some steps FAILED"
        opts.out.print(f"\n{'PASSED' if ok else 'FAILED'}: {verdict}.", markup=False)
        if tour.leftovers:
            opts.out.print(f"Left behind: {'; '.join(tour.leftovers)}.", markup=False)
    if not ok:
        raise typer.Exit(1)


def _mark(ok: bool) -> Any:
    from rich.text import Text

    return Text("ok", style="green") if ok else Text("FAILED", style="bold red")
