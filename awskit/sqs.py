"""Amazon SQS, typed."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

    from ._session import Session

__all__ = ["SQS"]


class SQS:
    """Amazon SQS facade: aws.sqs."""

    def __init__(self, session: Session) -> None:
        self._session = session

    @property
    def client(self) -> SQSClient:
        """The shared, typed boto3 client (escape hatch)."""
        return self._session.client("sqs")
