"""The ``awskit`` command against moto's server: every command, --json, errors, subprocesses.

Commands run through typer's CliRunner with ``--endpoint-url`` pointing at the session's
moto server; typer's runner keeps stdout and stderr apart (``result.stdout``,
``result.stderr``), so --json output is parsed from stdout alone. The demo, ``awskit
local`` and one failure run as real subprocesses.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

import awskit
from awskit._local import LocalEndpoint
from awskit.cli import app
from awskit.ebs import BLOCK_SIZE
from tests.conftest import CPU_ALARM

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


class Cli:
    """Runs ``awskit ARGS --endpoint-url URL`` in process."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.runner = CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1"})

    def __call__(self, *args: str, input: str | None = None, endpoint: bool = True) -> Result:
        argv = [*args, "--endpoint-url", self.url] if endpoint else list(args)
        return self.runner.invoke(app, argv, input=input)

    def json(self, *args: str, input: str | None = None) -> Any:
        result = self(*args, "--json", input=input)
        assert result.exit_code == 0, (result.stdout, result.stderr)
        return json.loads(result.stdout)


@pytest.fixture
def cli(aws: awskit.Session, moto_endpoint: LocalEndpoint) -> Cli:
    return Cli(moto_endpoint.url)


def one_error_line(result: Result, code: int) -> str:
    assert result.exit_code == code, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    assert lines[0].startswith("awskit: error: ")
    return lines[0]


# -- the app ------------------------------------------------------------------------------------


def test_help_lists_every_group_and_global_option() -> None:
    result = CliRunner(env={"COLUMNS": "200"}).invoke(app, ["--help"])
    assert result.exit_code == 0
    for name in ("demo", "local", "sqs", "dynamo", "cloudwatch", "ebs", "s3"):
        assert name in result.stdout
    for option in ("--endpoint-url", "--profile", "--region", "--json", "--quiet", "--debug"):
        assert option in result.stdout


def test_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout == f"awskit {awskit.__version__}\n"


def test_group_without_command_shows_its_help() -> None:
    result = CliRunner(env={"COLUMNS": "200"}).invoke(app, ["sqs"])
    assert result.exit_code == 2
    for name in ("send", "receive", "purge", "queues"):
        assert name in result.stdout


# -- SQS ----------------------------------------------------------------------------------------


def test_sqs_send_queues_receive_purge(cli: Cli, aws: awskit.Session) -> None:
    queue = aws.sqs.create_queue("jobs")
    sent = cli.json("sqs", "send", "jobs", "hello", "-a", "Author=Daniel", "-a", "Priority:=3")
    assert sent["message_id"]
    text = cli("sqs", "send", "jobs", "-", input="from stdin")
    assert text.exit_code == 0 and text.stdout.startswith("sent ")

    listed = cli.json("sqs", "queues")
    assert [(q["name"], q["messages"]) for q in listed] == [("jobs", 2)]
    # Global options work before the command too.
    before = cli.runner.invoke(app, ["--json", "--endpoint-url", cli.url, "sqs", "queues"])
    assert json.loads(before.stdout) == listed

    got = cli.json("sqs", "receive", queue.url, "--max", "10", "--delete")
    by_body = {m["body"]: m for m in got}
    assert set(by_body) == {"hello", "from stdin"}
    assert by_body["hello"]["attributes"] == {"Author": "Daniel", "Priority": 3}
    assert cli.json("sqs", "receive", "jobs") == []

    queue.send("[bold]left over")  # data, not rich markup
    table = cli("sqs", "receive", "jobs")
    assert table.exit_code == 0 and "[bold]left over" in table.stdout
    assert cli("sqs", "purge", "jobs", "--quiet").stdout == ""
    assert cli.json("sqs", "receive", "jobs") == []


def test_sqs_missing_queue_is_one_line_and_exit_1(cli: Cli) -> None:
    line = one_error_line(cli("sqs", "send", "nosuch", "x"), 1)
    assert "NotFound" in line


# -- DynamoDB -----------------------------------------------------------------------------------


def test_dynamo_put_get_query_scan(cli: Cli, aws: awskit.Session) -> None:
    aws.dynamo.create_table("users", hash_key="username", range_key="last_name")
    item = {"username": "janedoe", "last_name": "Doe", "age": 25, "score": 0.1,
            "big": 12345678901234567890, "address": {"state": "CA"}}  # fmt: skip
    assert cli("dynamo", "put", "users", json.dumps(item)).exit_code == 0
    cli("dynamo", "put", "users", "-", input=json.dumps({**item, "username": "bob", "age": 30}))

    got = cli.json("dynamo", "get", "users", "username=janedoe", "last_name=Doe")
    assert got == item  # numbers exact: 0.1 and a 20-digit int survive
    assert (
        cli.json("dynamo", "get", "users", '{"username": "bob", "last_name": "Doe"}')["age"] == 30
    )

    found = cli.json("dynamo", "query", "users", "username = janedoe", "-f", "age < 27")
    assert [i["username"] for i in found] == ["janedoe"]
    assert cli.json("dynamo", "query", "users", "username = bob", "-f", "age < 27") == []

    scanned = cli.json("dynamo", "scan", "users", "address.state = CA and age >= 26")
    assert [i["username"] for i in scanned] == ["bob"]
    assert len(cli.json("dynamo", "scan", "users", "--segments", "2")) == 2

    shown = cli("dynamo", "scan", "users")
    assert shown.exit_code == 0 and "janedoe" in shown.stdout and "2 item(s)" in shown.stdout

    missing = cli("dynamo", "get", "users", "username=nobody", "last_name=x")
    assert "no item in users" in one_error_line(missing, 1)


def test_dynamo_import_export_json_lines(cli: Cli, aws: awskit.Session, tmp_path: Path) -> None:
    aws.dynamo.create_table("events", hash_key="id", key_types={"id": "N"})
    items = [{"id": i, "kind": "click", "tags": ["a", "b"], "value": i / 10} for i in range(60)]
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(i) + "\n" for i in items) + "\n")
    assert cli.json("dynamo", "import", "events", str(source)) == {
        "table": "events",
        "imported": 60,
    }
    assert cli.json("dynamo", "get", "events", "id=7")["value"] == 0.7

    target = tmp_path / "out.jsonl"
    summary = cli.json("dynamo", "export", "events", str(target))
    assert summary["exported"] == 60
    exported = [json.loads(line) for line in target.read_text().splitlines()]
    assert sorted(exported, key=lambda i: i["id"]) == items

    piped = cli("dynamo", "export", "events", "-", "--json")
    assert piped.exit_code == 0
    assert len([json.loads(line) for line in piped.stdout.splitlines()]) == 60

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1000}\nnot json\n')
    assert "line 2" in one_error_line(cli("dynamo", "import", "events", str(bad)), 2)
    assert cli.json("dynamo", "get", "events", '{"id": 0}')["id"] == 0
    assert "1000" not in json.dumps(cli.json("dynamo", "scan", "events", "id = 1000"))


def test_dynamo_bad_condition_is_exit_2(cli: Cli, aws: awskit.Session) -> None:
    aws.dynamo.create_table("users", hash_key="username")
    line = one_error_line(cli("dynamo", "scan", "users", "age <"), 2)
    assert "filter" in line
    line = one_error_line(cli("dynamo", "query", "users", "username != x"), 2)
    assert "condition" in line


# -- CloudWatch ---------------------------------------------------------------------------------


CPU = CPU_ALARM["name"]

PUT_METRIC_ALARM = {
    "AlarmName": "disk-full",
    "ComparisonOperator": "GreaterThanOrEqualToThreshold",
    "EvaluationPeriods": 2,
    "MetricName": "DiskUsed",
    "Namespace": "MyApp",
    "Period": 300,
    "Statistic": "Maximum",
    "Threshold": 90,
    "Dimensions": [{"Name": "Host", "Value": "db1"}],
}


def test_cloudwatch_put_list_delete(cli: Cli, aws: awskit.Session, tmp_path: Path) -> None:
    ours = tmp_path / "alarm.json"
    ours.write_text(json.dumps(CPU_ALARM))
    theirs = tmp_path / "aws.json"
    theirs.write_text(json.dumps([PUT_METRIC_ALARM]))
    assert cli.json("cloudwatch", "put-alarm", str(ours)) == {"put": [CPU]}
    assert cli("cloudwatch", "put-alarm", str(theirs)).exit_code == 0

    disk = aws.cloudwatch.alarm("disk-full")
    assert disk is not None and disk.threshold == 90 and disk.dimensions == {"Host": "db1"}

    listed = cli.json("cloudwatch", "alarms")
    assert sorted(a["name"] for a in listed) == ["Web_Server_CPU_Utilization", "disk-full"]
    cpu = next(a for a in listed if a["name"] == CPU)
    assert cpu["metric"] == "AWS/EC2/CPUUtilization" and cpu["threshold"] == 70.0
    assert [a["name"] for a in cli.json("cloudwatch", "alarms", "--prefix", "disk")] == [
        "disk-full"
    ]
    table = cli("cloudwatch", "alarms")
    assert "Web_Server_CPU_Utilization" in table.stdout

    deleted = cli.json("cloudwatch", "delete-alarms", "disk-full")
    assert deleted == {"deleted": ["disk-full"], "not_found": []}
    missing = cli("cloudwatch", "delete-alarms", CPU, "nosuch")
    assert "nosuch" in one_error_line(missing, 1)
    assert aws.cloudwatch.alarm(CPU) is None


def test_cloudwatch_bad_alarm_and_missing_file(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**CPU_ALARM, "statistic": "Averag"}))
    assert "statistic" in one_error_line(cli("cloudwatch", "put-alarm", str(bad)), 2)
    notjson = tmp_path / "notjson.json"
    notjson.write_text("{")
    assert "not JSON" in one_error_line(cli("cloudwatch", "put-alarm", str(notjson)), 2)
    gone = one_error_line(cli("cloudwatch", "put-alarm", str(tmp_path / "nope.json")), 1)
    assert "nope.json" in gone
    assert "state" in one_error_line(cli("cloudwatch", "alarms", "--state", "HOT"), 2)


# -- EBS ----------------------------------------------------------------------------------------


def test_ebs_upload_blocks_download_wait_diff(cli: Cli, tmp_path: Path) -> None:
    image = os.urandom(BLOCK_SIZE) + bytes(BLOCK_SIZE) + os.urandom(1000)
    source = tmp_path / "disk.img"
    source.write_bytes(image)
    snap = cli.json("ebs", "upload", str(source), "--tag", "team=infra", "--wait")
    assert snap["blocks_written"] == 2 and snap["volume_size"] == 1
    sid = snap["snapshot_id"]

    listed = cli.json("ebs", "blocks", sid)
    assert sorted(listed["blocks"]) == [0, 2]
    assert "2 block(s)" in cli("ebs", "blocks", sid).stdout

    out = tmp_path / "out.img"
    got = cli.json("ebs", "download", sid, str(out), "--size", str(len(image)))
    assert got["blocks"] == 2
    assert out.read_bytes() == image

    assert cli.json("ebs", "wait", sid, "--timeout", "30") == {
        "snapshot_id": sid,
        "status": "completed",
    }
    diff = cli("ebs", "diff", sid, sid)
    # moto has no ListChangedBlocks: the failure is one line, never a traceback.
    if diff.exit_code != 0:
        one_error_line(diff, 1)
    else:
        assert "block(s) differ" in diff.stdout


def test_ebs_diff_against_a_strict_server() -> None:
    from tests.conftest import make_session
    from tests.ebs_strict import StrictEBS

    with StrictEBS() as server:
        aws = make_session(server.url, awskit.RetryPolicy(sleep=lambda s: None))
        parent = aws.ebs.upload(io.BytesIO(b"a" * BLOCK_SIZE * 2))
        writer = aws.ebs.start_snapshot(parent_snapshot_id=parent.snapshot_id)
        writer.put_block(1, b"b" * BLOCK_SIZE)
        writer.put_block(3, b"c" * BLOCK_SIZE)
        child = writer.complete()
        cli = Cli(server.url)
        diff = cli.json("ebs", "diff", parent.snapshot_id, child.snapshot_id)
        assert diff["changed"] == [
            {"index": 1, "in_first": True, "in_second": True},
            {"index": 3, "in_first": False, "in_second": True},
        ]


def test_ebs_bad_arguments(cli: Cli, tmp_path: Path) -> None:
    assert "source" in one_error_line(cli("ebs", "upload", str(tmp_path / "none.img")), 2)
    assert "snapshot" in one_error_line(cli("ebs", "blocks", "not-a-snapshot"), 2)
    assert "--timeout" in one_error_line(cli("ebs", "wait", "snap-1", "--timeout", "soon"), 2)


# -- S3 -----------------------------------------------------------------------------------------


def test_s3_cp_both_ways_and_ls(cli: Cli, aws: awskit.Session, tmp_path: Path) -> None:
    aws.s3.create_bucket("my-bucket")
    aws.s3.create_bucket("other-bucket")
    data = os.urandom(300_000)
    source = tmp_path / "test.jpg"
    source.write_bytes(data)

    up = cli.json("s3", "cp", str(source), "s3://my-bucket/photos/")
    assert up == {"source": str(source), "destination": "s3://my-bucket/photos/test.jpg",
                  "bytes": len(data)}  # fmt: skip
    assert aws.s3.bucket("my-bucket").get("photos/test.jpg") == data

    down = tmp_path / "down"
    down.mkdir()
    cli.json("s3", "cp", "s3://my-bucket/photos/test.jpg", str(down))
    assert (down / "test.jpg").read_bytes() == data

    copied = cli("s3", "cp", "s3://my-bucket/photos/test.jpg", "s3://other-bucket/copy.jpg")
    assert copied.exit_code == 0 and "copied" in copied.stdout
    assert aws.s3.bucket("other-bucket").get("copy.jpg") == data

    buckets = cli.json("s3", "ls")
    assert [b["name"] for b in buckets] == ["my-bucket", "other-bucket"]
    objects = cli.json("s3", "ls", "s3://my-bucket/photos/")
    assert [(o["key"], o["size"]) for o in objects] == [("photos/test.jpg", len(data))]
    assert cli.json("s3", "ls", "my-bucket/nothing-here") == []
    assert "photos/test.jpg" in cli("s3", "ls", "s3://my-bucket").stdout


def test_s3_errors(cli: Cli, aws: awskit.Session, tmp_path: Path) -> None:
    aws.s3.create_bucket("my-bucket")
    assert "missing.txt" in one_error_line(
        cli("s3", "cp", str(tmp_path / "missing.txt"), "s3://my-bucket/x"), 1
    )
    assert "NotFound" in one_error_line(cli("s3", "cp", "s3://my-bucket/nope", str(tmp_path)), 1)
    assert "one side" in one_error_line(cli("s3", "cp", "a", "b"), 2)
    assert "Missing argument" in one_error_line(cli("s3", "cp", "a"), 2)
    assert "No such option" in one_error_line(cli("s3", "ls", "--colour"), 2)


# -- debug, quiet -------------------------------------------------------------------------------


def test_debug_lets_the_traceback_through(cli: Cli) -> None:
    import logging

    handlers = list(logging.getLogger().handlers)
    result = cli("sqs", "purge", "nosuch", "--debug")
    assert result.exit_code == 1
    assert isinstance(result.exception, awskit.NotFound)
    # The debug log is the run's own: nothing stays behind in the process.
    assert logging.getLogger().handlers == handlers
    assert "testing" not in result.stderr  # no access key id from botocore's headers


# -- real processes -----------------------------------------------------------------------------


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "-m", "awskit", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "100", "NO_COLOR": "1", **env},
        check=False,
    )


def test_demo_runs_every_section_and_exits_0() -> None:
    # `make demo` runs exactly this: the embedded endpoint, no flags.
    script = Path(PYTHON).parent / "awskit"
    command = [str(script)] if script.exists() else [PYTHON, "-m", "awskit"]
    result = subprocess.run(
        [*command, "demo"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "100", "NO_COLOR": "1"},
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    for section in ("S3", "SQS", "CloudWatch", "DynamoDB", "EBS"):
        assert f"│ {section}" in out and "PASSED" in out
    assert "FAILED" not in out
    assert "Hello, world!" in out and "Hello, boto3! (Daniel)" in out
    assert "every step checked out" in out


def test_demo_json_on_a_given_endpoint(cli: Cli) -> None:
    report = cli.json("demo")
    assert report["ok"] is True
    assert [s["name"] for s in report["sections"]] == ["S3", "SQS", "CloudWatch", "DynamoDB", "EBS"]
    assert all(s["ok"] and s["steps"] for s in report["sections"])
    # Not the embedded endpoint: names are the run's own, and the tour removes what it made.
    steps = {s["name"]: [step["name"] for step in s["steps"]] for s in report["sections"]}
    assert steps["S3"][-1] == "delete bucket" and steps["EBS"][-1] == "delete snapshot"
    assert report["left_behind"] == []


def test_a_failure_in_a_real_process_is_one_line() -> None:
    with LocalEndpoint() as endpoint:
        result = run("sqs", "receive", "nosuch", "--endpoint-url", endpoint.url)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_local_serves_until_interrupted(stop: signal.Signals) -> None:
    process = subprocess.Popen(
        [PYTHON, "-m", "awskit", "local", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline().strip()
        assert first.startswith("export AWS_ENDPOINT_URL=http://127.0.0.1:")
        url = first.split("=", 1)[1]
        exports = [process.stdout.readline().strip() for _ in range(3)]
        assert "export AWS_ACCESS_KEY_ID=testing" in exports
        assert run("sqs", "queues", "--json", "--endpoint-url", url).stdout.strip() == "[]"
        made = run("sqs", "send", "nosuch", "x", AWS_ENDPOINT_URL=url)
        assert made.returncode == 1 and "NotFound" in made.stderr  # it reached the server
    finally:
        process.send_signal(stop)
        _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "Stopped." in err


def test_progress_bar_on_a_terminal_and_not_with_quiet(
    aws: awskit.Session, moto_endpoint: LocalEndpoint, tmp_path: Path
) -> None:
    import pty

    aws.s3.create_bucket("my-bucket")
    source = tmp_path / "big.bin"
    source.write_bytes(os.urandom(2_000_000))

    def on_a_terminal(*extra: str) -> str:
        main, secondary = pty.openpty()
        process = subprocess.Popen(
            [PYTHON, "-m", "awskit", "s3", "cp", str(source), "s3://my-bucket/big.bin",
             "--endpoint-url", moto_endpoint.url, *extra],
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
        return b"".join(chunks).decode(errors="replace")

    shown = on_a_terminal()
    assert "upload big.bin" in shown and "2.0/2.0 MB" in shown
    assert "copied" in shown
    quiet = on_a_terminal("--quiet")
    assert "upload big.bin" not in quiet and "MB" not in quiet


def test_demo_reports_a_failing_section_and_exits_1(fault_proxy: Any) -> None:
    # CloudWatch answers 500 to everything: botocore's retries run out, the section fails
    # with the error, the other sections still run and pass, and the exit code is 1.
    fault_proxy.add("5xx", service="cloudwatch")
    result = Cli(fault_proxy.url)("demo", "--json", "--queue-delay", "0")
    assert result.exit_code == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is False
    by_name = {s["name"]: s for s in report["sections"]}
    assert by_name["CloudWatch"]["ok"] is False
    assert "InternalServiceFault in PutMetricAlarm" in by_name["CloudWatch"]["error"]
    assert [n for n, s in by_name.items() if s["ok"]] == ["S3", "SQS", "DynamoDB", "EBS"]
    assert fault_proxy.injected["5xx"] >= 3

    text = Cli(fault_proxy.url)("demo", "--queue-delay", "0")
    assert text.exit_code == 1
    assert "FAILED: some steps FAILED." in text.stdout


def test_demo_says_what_it_could_not_remove(fault_proxy: Any) -> None:
    # A step fails (listing blocks), so the snapshot is deleted on the way out; S3 cannot
    # delete its bucket at all: both sections fail, and only the bucket is left behind.
    fault_proxy.add("5xx", service="s3", operation="DeleteBucket")
    fault_proxy.add("5xx", service="ebs", operation="ListSnapshotBlocks")
    result = Cli(fault_proxy.url)("demo", "--json", "--queue-delay", "0")
    assert result.exit_code == 1, result.stderr
    report = json.loads(result.stdout)
    by_name = {s["name"]: s for s in report["sections"]}
    assert "in DeleteBucket" in by_name["S3"]["error"]
    assert "in ListSnapshotBlocks" in by_name["EBS"]["error"]
    [bucket] = report["left_behind"]
    assert bucket.startswith("S3 bucket awskit-demo-my-bucket-")
    assert ("ec2", "DeleteSnapshot") in fault_proxy.requests
    # The snapshot cannot be deleted either: it is named, and the section still reports
    # the step that failed first.
    fault_proxy.add("5xx", service="ec2", operation="DeleteSnapshot")
    text = Cli(fault_proxy.url)("demo", "--queue-delay", "0")
    assert "ListSnapshotBlocks" in text.stdout
    left = next(line for line in text.stdout.splitlines() if line.startswith("Left behind:"))
    assert "S3 bucket awskit-demo-my-bucket-" in left and "EBS snapshot snap-" in left
