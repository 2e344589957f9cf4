"""Amazon DynamoDB, typed: tables of pydantic models over the low-level client."""

from __future__ import annotations

from typing import TYPE_CHECKING

from boto3.dynamodb.conditions import Attr, Key

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from .._session import Session

__all__ = ["Attr", "DynamoDB", "Key"]


class DynamoDB:
    """Amazon DynamoDB facade: aws.dynamo."""

    def __init__(self, session: Session) -> None:
        self._session = session

    @property
    def client(self) -> DynamoDBClient:
        """The shared, typed boto3 client (escape hatch)."""
        return self._session.client("dynamodb")
