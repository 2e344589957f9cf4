"""Type-checked only (mypy --strict, pyright strict): what users see from awskit.connect."""

from __future__ import annotations

from typing import Any

from typing_extensions import assert_type

import awskit
from awskit.cloudwatch import CloudWatch
from awskit.dynamo import DynamoDB
from awskit.ebs import EBS
from awskit.s3 import S3
from awskit.sqs import SQS


def session_facades(aws: awskit.Session) -> None:
    assert_type(awskit.connect(region="us-east-1"), awskit.Session)
    assert_type(aws.sqs, SQS)
    assert_type(aws.dynamo, DynamoDB)
    assert_type(aws.cloudwatch, CloudWatch)
    assert_type(aws.ebs, EBS)
    assert_type(aws.s3, S3)
    assert_type(aws.retry, awskit.RetryPolicy)
    assert_type(aws.max_concurrency, int)


def typed_clients(aws: awskit.Session) -> None:
    queues = aws.sqs.client.list_queues()
    assert_type(queues["QueueUrls"], list[str])
    assert_type(aws.client("sqs").get_queue_url(QueueName="q")["QueueUrl"], str)


def errors(exc: awskit.AwskitError) -> None:
    assert_type(exc.code, str | None)
    assert_type(exc.request_id, str | None)
    if isinstance(exc, awskit.PartialFailure):
        assert_type(exc.failed, list[Any])
