"""connect(): options, environment variables, shared clients, errors about setup."""

from __future__ import annotations

import threading

import boto3
import pytest

import awskit
from awskit._local import LocalEndpoint


def test_connect_honours_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-west-3")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    aws = awskit.connect()
    assert aws.region == "eu-west-3"
    assert aws.endpoint_url == "http://127.0.0.1:9"
    assert aws.sqs.client.meta.endpoint_url == "http://127.0.0.1:9"
    assert aws.sqs.client.meta.region_name == "eu-west-3"


def test_aws_default_region_is_the_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-south-1")
    assert awskit.connect().region == "ap-south-1"


def test_explicit_arguments_win_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-west-3")
    aws = awskit.connect(region="us-west-2", endpoint_url="http://127.0.0.1:8")
    assert aws.region == "us-west-2"
    assert aws.dynamo.client.meta.endpoint_url == "http://127.0.0.1:8"


def test_profile_from_config_file(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    import pathlib

    config = pathlib.Path(str(tmp_path)) / "config"
    config.write_text("[profile produser]\nregion = sa-east-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    aws = awskit.connect(profile="produser")
    assert aws.session.profile_name == "produser"
    assert aws.region == "sa-east-1"
    monkeypatch.setenv("AWS_PROFILE", "produser")
    assert awskit.connect().session.profile_name == "produser"


def test_unknown_profile_is_invalid_input() -> None:
    with pytest.raises(awskit.InvalidInput) as info:
        awskit.connect(profile="no-such-profile")
    assert info.value.field == "profile"
    assert isinstance(info.value, ValueError)


def test_bring_your_own_session_and_region_override() -> None:
    mine = boto3.Session(region_name="us-east-1")
    aws = awskit.connect(session=mine, region="eu-central-1")
    assert aws.session is mine
    assert aws.region == "eu-central-1"
    assert aws.s3.client.meta.region_name == "eu-central-1"
    with pytest.raises(awskit.InvalidInput, match="profile"):
        awskit.connect(session=mine, profile="other")


def test_clients_use_standard_retries_and_a_pool_for_the_concurrency() -> None:
    aws = awskit.connect(max_concurrency=32)
    config = aws.sqs.client.meta.config
    assert config.retries is not None
    assert config.retries["mode"] == "standard"
    assert config.retries["total_max_attempts"] == 3
    assert config.max_pool_connections is not None
    assert config.max_pool_connections >= 32
    # A default session still serves a per-call concurrency=32 (EBS) from its pool.
    assert awskit.connect().client("ebs").meta.config.max_pool_connections == 64
    assert awskit.connect(max_concurrency=100).client("ebs").meta.config.max_pool_connections == 104
    assert "awskit/" in (config.user_agent_extra or "")
    with pytest.raises(awskit.InvalidInput, match="max_concurrency"):
        awskit.connect(max_concurrency=0)


def test_facades_are_lazy_cached_and_share_one_client() -> None:
    aws = awskit.connect()
    assert aws._facades == {}
    assert aws.sqs is aws.sqs
    assert aws.sqs.client is aws.client("sqs")
    assert set(aws._facades) == {"sqs"}
    assert aws.dynamo.client is aws.client("dynamodb")
    assert aws.cloudwatch.client is aws.client("cloudwatch")
    assert aws.ebs.client is aws.client("ebs")
    assert aws.s3.client is aws.client("s3")


def test_client_creation_is_thread_safe() -> None:
    aws = awskit.connect()
    seen: list[object] = []
    barrier = threading.Barrier(8)

    def grab() -> None:
        barrier.wait()
        seen.append(aws.client("sqs"))

    threads = [threading.Thread(target=grab) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(c) for c in seen}) == 1


def test_missing_region_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    aws = awskit.connect()
    with pytest.raises(awskit.AwskitError, match="AWS_REGION") as info:
        aws.client("sqs")
    assert info.value.code == "NoRegion"


def test_missing_credentials_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, moto_endpoint: LocalEndpoint
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    aws = awskit.connect(endpoint_url=moto_endpoint.url)
    with (
        pytest.raises(awskit.AwskitError, match="AWS_PROFILE") as info,
        awskit._errors.aws_errors(),
    ):
        aws.client("sqs").list_queues()
    assert info.value.code == "NoCredentials"


def test_repr_shows_no_credentials() -> None:
    mine = boto3.Session(
        aws_access_key_id="AKIAEXAMPLESECRETID",
        aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        aws_session_token="SESSIONTOKENEXAMPLE",
        region_name="us-east-1",
    )
    aws = awskit.connect(session=mine)
    text = repr(aws) + str(aws)
    for secret in ("AKIAEXAMPLESECRETID", "wJalrXUtnFEMI", "SESSIONTOKENEXAMPLE"):
        assert secret not in text
    assert "us-east-1" in text


def test_local_starts_serves_and_stops() -> None:
    import urllib.error
    import urllib.request

    with awskit.local() as aws:
        url = aws.endpoint_url
        assert url is not None
        assert url.startswith("http://127.0.0.1:")
        created = aws.client("sqs").create_queue(QueueName="local-check")
        assert created["QueueUrl"].endswith("/local-check")
        # moto's resources are per process: other tests' queues may be listed too.
        assert created["QueueUrl"] in aws.client("sqs").list_queues()["QueueUrls"]
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"{url}/moto-api/", timeout=2)


def test_local_endpoint_reset_forgets_resources() -> None:
    with LocalEndpoint() as endpoint:
        aws = awskit.connect(endpoint_url=endpoint.url)
        aws.client("sqs").create_queue(QueueName="gone")
        endpoint.reset()
        assert "QueueUrls" not in aws.client("sqs").list_queues()


def test_local_without_moto_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "moto.server", None)
    with pytest.raises(awskit.AwskitError, match=r"awskit\[local\]"), awskit.local():
        pass
