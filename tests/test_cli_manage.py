"""The command line as a newcomer and an internal tool use it (issue 15).

Create, use and delete a queue, a table and a bucket with the CLI alone; destructive
commands that cannot lose data (``sqs receive --delete`` with stdout on /dev/full or a
closed pipe, exports and downloads that fail part-way or are interrupted); help in shell
words for every command; AWS validation errors and HTML error pages as one line.
Commands run in process (typer's CliRunner, as tests/test_cli.py) or as real processes.
"""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from botocore.exceptions import ClientError
from typer.testing import CliRunner

import awskit
import awskit._errors
from awskit._local import LocalEndpoint
from awskit.cli import app
from awskit.cli._files import replace_atomically, stdin_text
from awskit.ebs import BLOCK_SIZE
from tests.test_cli import PYTHON, ROOT, Cli, cli, one_error_line, run

__all__ = ["cli"]  # the fixture of tests/test_cli.py, used here too


def endpoint_args(url: str) -> list[str]:
    return ["--endpoint-url", url]


# -- create -> use -> delete ----------------------------------------------------------------


def test_queue_round_trip(cli: Cli, aws: awskit.Session) -> None:
    made = cli.json("sqs", "create", "jobs", "--visibility", "45", "--delay", "0")
    assert made["name"] == "jobs" and made["visibility_timeout"] == 45
    assert made["fifo"] is False and made["url"].endswith("/jobs")
    assert cli("sqs", "send", "jobs", "hello").exit_code == 0
    got = cli.json("sqs", "receive", "jobs", "--delete")
    assert [m["body"] for m in got] == ["hello"]
    assert aws.sqs.get_queue("jobs").attributes.approximate_number_of_messages_not_visible == 0

    fifo = cli.json("sqs", "create", "orders.fifo", "--fifo")
    assert fifo["fifo"] is True
    assert "fifo" in one_error_line(cli("sqs", "create", "orders", "--fifo"), 2).lower()
    assert "delay" in one_error_line(cli("sqs", "create", "late", "--delay", "901"), 2)

    text = cli("sqs", "delete", "jobs")
    assert text.exit_code == 0 and text.stdout == "deleted queue jobs\n"
    assert cli.json("sqs", "delete", "orders.fifo") == {"queue": "orders.fifo", "deleted": True}
    assert cli.json("sqs", "queues") == []
    assert "NotFound" in one_error_line(cli("sqs", "delete", "jobs"), 1)


def test_table_round_trip(cli: Cli, aws: awskit.Session, tmp_path: Path) -> None:
    made = cli.json("dynamo", "create", "events", "--hash-key", "id:N", "--range-key", "kind:S")
    assert made["status"] == "ACTIVE"
    assert (made["hash_key"], made["range_key"]) == ("id:N", "kind:S")
    assert cli("dynamo", "put", "events", '{"id": 7, "kind": "click", "n": 1}').exit_code == 0
    assert cli.json("dynamo", "get", "events", "id=7", "kind=click")["n"] == 1

    described = cli.json("dynamo", "describe", "events")
    assert described["name"] == "events" and described["billing"] == "PAY_PER_REQUEST"
    assert described["item_count"] == 1
    shown = cli("dynamo", "describe", "events")
    assert shown.exit_code == 0 and "id:N" in shown.stdout and "kind:S" in shown.stdout

    # Off a terminal nobody can say yes: refused, and the table is still there.
    refused = one_error_line(cli("dynamo", "delete", "events"), 2)
    assert "--yes" in refused
    assert aws.dynamo.table("events").status == "ACTIVE"
    assert cli.json("dynamo", "delete", "events", "--yes") == {"table": "events", "deleted": True}
    assert "NotFound" in one_error_line(cli("dynamo", "describe", "events"), 1)
    assert "NotFound" in one_error_line(cli("dynamo", "delete", "events", "--yes"), 1)

    assert "hash_key" in one_error_line(cli("dynamo", "create", "t", "--hash-key", "id:X"), 2)
    assert "range_key" in one_error_line(
        cli("dynamo", "create", "t", "--hash-key", "id", "--range-key", "id:N"), 2
    )
    assert "--hash-key" in one_error_line(cli("dynamo", "create", "t"), 2)


def test_bucket_round_trip(cli: Cli, aws: awskit.Session, tmp_path: Path) -> None:
    assert cli.json("s3", "mb", "s3://my-bucket") == {"bucket": "my-bucket", "created": True}
    assert "AlreadyExists" in one_error_line(cli("s3", "mb", "s3://my-bucket"), 1)
    assert "bucket" in one_error_line(cli("s3", "mb", "s3://my-bucket/key"), 2)
    source = tmp_path / "a.txt"
    source.write_bytes(b"data")
    assert cli("s3", "cp", str(source), "s3://my-bucket/a.txt").exit_code == 0
    assert cli("s3", "cp", str(source), "s3://my-bucket/b.txt").exit_code == 0

    signed = cli("s3", "presign", "s3://my-bucket/a.txt", "--expires", "60")
    assert signed.exit_code == 0
    [url] = signed.stdout.splitlines()
    assert url.startswith(cli.url) and "X-Amz-Expires=60" in url
    import urllib.request

    with urllib.request.urlopen(url) as answer:  # no credentials: the URL is enough
        assert answer.read() == b"data"
    assert "expires_in" in one_error_line(
        cli("s3", "presign", "s3://my-bucket/a.txt", "--expires", "604801"), 2
    )
    assert "s3://bucket/key" in one_error_line(cli("s3", "presign", "s3://my-bucket/"), 2)

    assert cli.json("s3", "rm", "s3://my-bucket/b.txt")["deleted"] is True
    assert [o.key for o in aws.s3.bucket("my-bucket").objects()] == ["a.txt"]

    # Not empty: without --force S3 refuses; with it, a confirmation is needed.
    assert "not empty" in one_error_line(cli("s3", "rb", "s3://my-bucket"), 1)
    assert "--yes" in one_error_line(cli("s3", "rb", "s3://my-bucket", "--force"), 2)
    assert [o.key for o in aws.s3.bucket("my-bucket").objects()] == ["a.txt"]
    gone = cli.json("s3", "rb", "s3://my-bucket", "--force", "--yes")
    assert gone == {"bucket": "my-bucket", "deleted": True, "objects_deleted": 1}
    assert cli.json("s3", "ls") == []

    # An empty bucket needs neither --force nor --yes.
    assert cli("s3", "mb", "empty-bucket").exit_code == 0
    assert cli("s3", "rb", "s3://empty-bucket").stdout == "removed bucket s3://empty-bucket\n"


def test_rb_force_asks_before_wiping_only_old_versions(cli: Cli, aws: awskit.Session) -> None:
    # No current object, but an old version and a delete marker: --force still deletes
    # data, so it still needs --yes off a terminal.
    bucket = aws.s3.create_bucket("versioned")
    aws.s3.client.put_bucket_versioning(
        Bucket="versioned", VersioningConfiguration={"Status": "Enabled"}
    )
    bucket.put("k", b"old")
    bucket.delete("k")
    assert list(bucket.objects()) == []
    assert "--yes" in one_error_line(cli("s3", "rb", "s3://versioned", "--force"), 2)
    listed = aws.s3.client.list_object_versions(Bucket="versioned")
    assert len(listed.get("Versions", [])) == 1 and len(listed.get("DeleteMarkers", [])) == 1
    gone = cli.json("s3", "rb", "s3://versioned", "--force", "--yes")
    assert gone == {"bucket": "versioned", "deleted": True, "objects_deleted": 2}
    assert cli.json("s3", "ls") == []


def test_a_newcomer_goes_from_local_to_nothing_with_the_cli_alone(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [PYTHON, "-m", "awskit", "local", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert process.stdout is not None and process.stderr is not None
        env = dict(
            line.strip().removeprefix("export ").split("=", 1)
            for line in (process.stdout.readline() for _ in range(4))
        )
        hint = [process.stderr.readline().strip() for _ in range(4)]
        commands = [line.split() for line in hint if line.startswith("awskit ")]
        # The hint's first commands work on the fresh endpoint, as printed.
        assert commands == [["awskit", "sqs", "create", "jobs"], ["awskit", "sqs", "send",
                            "jobs", "hello"]]  # fmt: skip
        for command in commands:
            done = run(*command[1:], **env)
            assert done.returncode == 0, done.stderr

        steps = [
            ("sqs", "receive", "jobs", "--delete"),
            ("sqs", "delete", "jobs"),
            ("dynamo", "create", "users", "--hash-key", "username:S"),
            ("dynamo", "put", "users", '{"username": "jane"}'),
            ("dynamo", "get", "users", "username=jane"),
            ("dynamo", "delete", "users", "--yes"),
            ("s3", "mb", "s3://my-bucket"),
            ("s3", "rb", "s3://my-bucket"),
        ]
        for step in steps:
            done = run(*step, **env)
            assert done.returncode == 0, (step, done.stderr)
        for listing in (("sqs", "queues"), ("s3", "ls")):
            assert json.loads(run(*listing, "--json", **env).stdout) == []
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)
    assert process.returncode == 0  # Ctrl-C is how it is meant to stop: exit 0


# -- receive --delete: printed and flushed, then deleted --------------------------------------


@pytest.fixture
def three_messages(aws: awskit.Session) -> Any:
    # Visibility 0: a message received and not deleted is at once receivable again.
    queue = aws.sqs.create_queue("jobs", visibility_timeout=0)
    queue.send_many(["one", "two", "three"])
    return queue


def bodies_left(queue: Any) -> list[str]:
    return sorted(m.raw_body for m in queue.receive(max_messages=10))


@pytest.mark.parametrize("output", [["--json"], []], ids=["json", "table"])
def test_receive_delete_onto_a_full_disk_deletes_nothing(
    three_messages: Any, moto_endpoint: LocalEndpoint, output: list[str]
) -> None:
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [PYTHON, "-m", "awskit", "sqs", "receive", "jobs", "--delete", *output,
             *endpoint_args(moto_endpoint.url)],
            stdout=full, stderr=subprocess.PIPE, text=True, cwd=ROOT, timeout=120, check=False,
        )  # fmt: skip
    assert done.returncode == 1
    [line] = done.stderr.splitlines()
    assert "No space left on device" in line and "none of the 3 received was deleted" in line
    assert bodies_left(three_messages) == ["one", "three", "two"]


def test_receive_delete_into_a_closed_pipe_deletes_nothing(
    three_messages: Any, moto_endpoint: LocalEndpoint
) -> None:
    process = subprocess.Popen(
        [PYTHON, "-m", "awskit", "sqs", "receive", "jobs", "--delete",
         *endpoint_args(moto_endpoint.url)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # the reader is gone before anything is written
    with process.stderr:
        err = process.stderr.read()
    assert process.wait(timeout=120) == 141
    assert "Broken pipe" in err and "none of the 3 received was deleted" in err
    assert "Traceback" not in err
    assert bodies_left(three_messages) == ["one", "three", "two"]


def test_receive_delete_names_what_it_could_not_delete(
    aws: awskit.Session, fault_proxy: Any
) -> None:
    queue = aws.sqs.create_queue("jobs", visibility_timeout=0)
    queue.send_many(["one", "two"])
    fault_proxy.add("5xx", service="sqs", operation="DeleteMessageBatch")
    done = Cli(fault_proxy.url)("sqs", "receive", "jobs", "--delete", "--json")
    assert done.exit_code == 1
    printed = json.loads(done.stdout)  # what was received is printed all the same
    assert sorted(m["body"] for m in printed) == ["one", "two"]
    line = one_error_line(done, 1)
    assert "2 message(s) printed but not deleted" in line
    for message in printed:
        assert message["message_id"] in line
    assert bodies_left(queue) == ["one", "two"]


def test_receive_delete_deletes_after_printing(cli: Cli, three_messages: Any) -> None:
    done = cli("sqs", "receive", "jobs", "--delete")
    assert done.exit_code == 0
    for body in ("one", "two", "three"):
        assert body in done.stdout
    assert "deleted 3 message(s) from jobs" in done.stderr
    assert bodies_left(three_messages) == []


# -- files written whole -------------------------------------------------------------------


def test_a_failing_export_leaves_the_old_file_byte_for_byte(
    aws: awskit.Session, fault_proxy: Any, tmp_path: Path
) -> None:
    table = aws.dynamo.create_table("events", hash_key="id", key_types={"id": "N"})
    with table.batch_writer() as batch:
        for i in range(20):
            batch.put({"id": i})
    target = tmp_path / "events.jsonl"
    old = b'{"id": "the previous, good export"}\n' * 50
    target.write_bytes(old)
    target.chmod(0o600)
    fault_proxy.add("5xx", service="dynamodb", operation="Scan")
    failed = Cli(fault_proxy.url)("dynamo", "export", "events", str(target))
    assert "Scan" in one_error_line(failed, 1)
    assert target.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["events.jsonl"]  # no temporary left

    fault_proxy.clear()
    assert Cli(fault_proxy.url)("dynamo", "export", "events", str(target)).exit_code == 0
    assert sorted(json.loads(line)["id"] for line in target.read_text().splitlines()) == list(
        range(20)
    )
    assert stat.S_IMODE(target.stat().st_mode) == 0o600  # the old file's permissions


def test_a_failing_download_leaves_the_old_file(
    aws: awskit.Session, fault_proxy: Any, tmp_path: Path
) -> None:
    aws.s3.create_bucket("my-bucket").put("a.bin", b"new" * 1000)
    target = tmp_path / "a.bin"
    target.write_bytes(b"old")
    target.chmod(0o640)
    fault_proxy.add("5xx", service="s3", operation="GetObject")
    failed = Cli(fault_proxy.url)("s3", "cp", "s3://my-bucket/a.bin", str(target))
    one_error_line(failed, 1)
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.bin"]

    fault_proxy.clear()
    assert Cli(fault_proxy.url)("s3", "cp", "s3://my-bucket/a.bin", str(target)).exit_code == 0
    assert target.read_bytes() == b"new" * 1000
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_ctrl_c_during_an_export_leaves_the_old_file(
    aws: awskit.Session, fault_proxy: Any, tmp_path: Path
) -> None:
    aws.dynamo.create_table("events", hash_key="id", key_types={"id": "N"})
    target = tmp_path / "events.jsonl"
    target.write_bytes(b"previous\n")
    # Every request waits 3 s at the proxy: Ctrl-C comes while the Scan is in flight.
    fault_proxy.set_latency(3)
    process = subprocess.Popen(
        [PYTHON, "-m", "awskit", "dynamo", "export", "events", str(target),
         *endpoint_args(fault_proxy.url)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    try:
        wait_for(lambda: ("dynamodb", "Scan") in fault_proxy.requests, process)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    finally:
        fault_proxy.set_latency(0)
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130
    assert err.strip() == "awskit: error: interrupted"
    assert target.read_bytes() == b"previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["events.jsonl"]


def wait_for(condition: Any, process: subprocess.Popen[str]) -> None:
    import time

    while not condition():
        assert process.poll() is None, "the command ended before the condition held"
        time.sleep(0.05)


def test_replace_atomically_keeps_the_old_file_on_any_failure(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_bytes(b"old contents")
    target.chmod(0o604)
    with pytest.raises(KeyboardInterrupt), replace_atomically(target) as temp:
        temp.write_bytes(b"half")
        raise KeyboardInterrupt
    assert target.read_bytes() == b"old contents"
    assert os.listdir(tmp_path) == ["out.txt"]

    with replace_atomically(target) as temp:
        assert temp.parent == tmp_path and target.read_bytes() == b"old contents"
        temp.write_bytes(b"new contents")
    assert target.read_bytes() == b"new contents"
    assert stat.S_IMODE(target.stat().st_mode) == 0o604
    assert os.listdir(tmp_path) == ["out.txt"]

    fresh = tmp_path / "fresh.txt"
    with replace_atomically(fresh) as temp:
        temp.write_text("x")
    # What open() gives a new file, not mkstemp's 0600.
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~current_umask()

    with pytest.raises(awskit.InvalidInput, match="directory"), replace_atomically(tmp_path):
        pass
    with (
        pytest.raises(awskit.InvalidInput, match="does not exist"),
        replace_atomically(tmp_path / "no" / "such.txt"),
    ):
        pass


def current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@pytest.mark.parametrize(
    ("given", "body"),
    [("hello\n", "hello"), ("hello", "hello"), ("two\n\n", "two\n"), ("dos\r\n", "dos"), ("", "")],
)
def test_a_body_from_stdin_loses_one_trailing_newline(
    given: str, body: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(given))
    assert stdin_text() == body


def test_send_from_stdin_as_echo_gives_it(cli: Cli, aws: awskit.Session) -> None:
    queue = aws.sqs.create_queue("jobs")
    assert cli("sqs", "send", "jobs", "-", input="hello\n").exit_code == 0
    assert [m.raw_body for m in queue.receive()] == ["hello"]


# -- output that reads cleanly -----------------------------------------------------------------


def test_ebs_blocks_are_listed_by_index(cli: Cli, aws: awskit.Session) -> None:
    writer = aws.ebs.start_snapshot(volume_size=1)
    for index in (8, 3, 5, 0, 4, 1, 2):
        writer.put_block(index, bytes([index + 1]) * BLOCK_SIZE)
    sid = writer.complete().snapshot_id
    assert cli.json("ebs", "blocks", sid)["blocks"] == [0, 1, 2, 3, 4, 5, 8]
    assert cli("ebs", "blocks", sid).stdout == f"{sid}: 7 block(s) of 512 KiB: 0-5, 8\n"


def test_an_html_error_page_is_one_line_of_text(cli: Cli) -> None:
    # moto answers ListSnapshotBlocks for an unknown snapshot with its HTML 500 page.
    line = one_error_line(cli("ebs", "blocks", "snap-0123456789abcdef0"), 1)
    assert "<" not in line and ">" not in line
    assert "HTTP 500 Internal Server Error" in line and "ListSnapshotBlocks" in line


def test_a_validation_error_is_exit_2(cli: Cli, aws: awskit.Session) -> None:
    aws.dynamo.create_table("users", hash_key="username")
    # awskit checks the key condition against the key schema before AWS would refuse it.
    line = one_error_line(cli("dynamo", "query", "users", "age = 3"), 2)
    assert "age" in line and "not a key" in line


def test_a_validation_error_from_aws_is_exit_2() -> None:
    from awskit.cli._app import describe_error

    refused = ClientError(
        {"Error": {"Code": "ValidationException", "Message": "One or more parameter values "
                   "were invalid"}, "ResponseMetadata": {"HTTPStatusCode": 400}},
        "Query",
    )  # fmt: skip
    line, code = describe_error(awskit._errors.translate(refused))
    assert code == 2 and "ValidationException" in line


def test_an_error_line_never_shows_a_secret(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from awskit.cli._app import fail

    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    exit_ = fail(f"signed with AKIAIOSFODNN7EXAMPLE and {secret}", 1)
    assert exit_.exit_code == 1
    line = capsys.readouterr().err
    assert line.startswith("awskit: error: signed with ")
    assert "AKIAIOSFODNN7EXAMPLE" not in line and secret not in line


def every_command() -> Iterator[list[str]]:
    root = typer.main.get_command(app)
    yield []

    def walk(command: Any, path: list[str]) -> Iterator[list[str]]:
        for name, sub in getattr(command, "commands", {}).items():
            yield [*path, name]
            yield from walk(sub, [*path, name])

    yield from walk(root, [])


PYTHON_WORDS = re.compile(r"<\w[^>]*>|\{\w+\}|\w\[\w+\]|\b(?:bool|str|int|float|NoneType)\b")


@pytest.mark.parametrize("path", list(every_command()), ids=lambda p: " ".join(p) or "awskit")
def test_help_speaks_shell_not_python(path: list[str]) -> None:
    result = CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1"}).invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    shown = result.stdout
    assert not PYTHON_WORDS.findall(shown), shown
    # Flags are plain flags: no value word after --json, --quiet or --help.
    for flag in ("--json", "--quiet", "--help"):
        assert re.search(rf"{flag}\s+(?:-\w\s+)?[A-Z][A-Z_]+\b", shown) is None, shown
    if path == ["local"]:
        # It serves the embedded endpoint: no AWS connection to choose.
        for option in ("--endpoint-url", "--profile", "--region"):
            assert option not in shown
    elif len(path) == 2 or path == ["demo"]:
        assert "--endpoint-url" in shown and "--region" in shown


def test_json_is_a_plain_flag(cli: Cli, aws: awskit.Session) -> None:
    # "--json true" was once how the help read; true is now the QUEUE, not the flag's value.
    done = cli("sqs", "queues", "--json")
    assert done.exit_code == 0 and json.loads(done.stdout) == []
    assert "true" in one_error_line(cli("sqs", "queues", "--json", "true"), 2)


def test_progress_bar_of_a_download_on_a_terminal(
    aws: awskit.Session, moto_endpoint: LocalEndpoint, tmp_path: Path
) -> None:
    import pty

    aws.s3.create_bucket("my-bucket").put("big.bin", os.urandom(2_000_000))
    target = tmp_path / "big.bin"
    target.write_bytes(b"old")
    main, secondary = pty.openpty()
    process = subprocess.Popen(
        [PYTHON, "-m", "awskit", "s3", "cp", "s3://my-bucket/big.bin", str(target),
         *endpoint_args(moto_endpoint.url)],
        stdout=secondary, stderr=secondary, stdin=subprocess.DEVNULL, cwd=ROOT,
        env={**os.environ, "COLUMNS": "100", "NO_COLOR": "1", "TERM": "xterm"},
    )  # fmt: skip
    os.close(secondary)
    chunks = []
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # EIO: the process closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main)
    assert process.wait(timeout=60) == 0
    shown = b"".join(chunks).decode(errors="replace")
    assert "download big.bin" in shown and "2.0/2.0 MB" in shown
    assert target.stat().st_size == 2_000_000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.bin"]


def answer_on_a_terminal(args: list[str], reply: bytes) -> tuple[int, str]:
    """Run ``awskit ARGS`` with a terminal on stdin and stderr; type ``reply`` at its prompt."""
    import pty

    main, secondary = pty.openpty()
    process = subprocess.Popen(
        [PYTHON, "-m", "awskit", *args], stdin=secondary, stdout=secondary, stderr=secondary,
        cwd=ROOT, env={**os.environ, "COLUMNS": "100", "NO_COLOR": "1", "TERM": "xterm"},
    )  # fmt: skip
    os.close(secondary)
    shown = b""
    while b"[y/N]" not in shown:
        chunk = os.read(main, 4096)
        assert chunk, shown
        shown += chunk
    os.write(main, reply)
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:  # EIO: the process closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    os.close(main)
    return process.wait(timeout=60), shown.decode(errors="replace")


def test_delete_asks_at_a_terminal(aws: awskit.Session, moto_endpoint: LocalEndpoint) -> None:
    aws.dynamo.create_table("users", hash_key="username")
    args = ["dynamo", "delete", "users", *endpoint_args(moto_endpoint.url)]
    code, shown = answer_on_a_terminal(args, b"n\n")
    assert code == 1 and "Delete table users and its items (about 0)?" in shown
    assert "nothing was deleted" in shown
    assert aws.dynamo.table("users").status == "ACTIVE"
    code, shown = answer_on_a_terminal(args, b"y\n")
    assert code == 0 and "deleted table users" in shown
    with pytest.raises(awskit.NotFound):
        aws.dynamo.table("users").describe()

    aws.s3.create_bucket("my-bucket").put("k", b"v")
    code, shown = answer_on_a_terminal(
        ["s3", "rb", "s3://my-bucket", "--force", *endpoint_args(moto_endpoint.url)], b"y\n"
    )
    assert code == 0 and "removed bucket s3://my-bucket and 1 object(s)" in shown
