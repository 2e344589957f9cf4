"""Amazon S3, typed."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    from ._session import Session

__all__ = ["S3"]


class S3:
    """Amazon S3 facade: aws.s3."""

    def __init__(self, session: Session) -> None:
        self._session = session

    @property
    def client(self) -> S3Client:
        """The shared, typed boto3 client (escape hatch)."""
        return self._session.client("s3")
