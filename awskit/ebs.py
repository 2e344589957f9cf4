"""EBS direct APIs, typed."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_ebs import EBSClient

    from ._session import Session

__all__ = ["EBS"]


class EBS:
    """EBS direct APIs facade: aws.ebs."""

    def __init__(self, session: Session) -> None:
        self._session = session

    @property
    def client(self) -> EBSClient:
        """The shared, typed boto3 client (escape hatch)."""
        return self._session.client("ebs")
