"""Amazon CloudWatch, typed."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient

    from ._session import Session

__all__ = ["CloudWatch"]


class CloudWatch:
    """Amazon CloudWatch facade: aws.cloudwatch."""

    def __init__(self, session: Session) -> None:
        self._session = session

    @property
    def client(self) -> CloudWatchClient:
        """The shared, typed boto3 client (escape hatch)."""
        return self._session.client("cloudwatch")
