"""awskit: a typed, high-level Python SDK over boto3.

``import awskit`` stays cheap: boto3 is loaded by :func:`connect`, each service module
when its facade is first used, and moto only by :func:`local`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._errors import (
    AlreadyExists,
    AwskitError,
    ChecksumMismatch,
    ConditionFailed,
    InvalidInput,
    NotFound,
    PartialFailure,
    Throttled,
    Timeout,
    TransportError,
)
from ._retry import RetryPolicy
from ._version import __version__

if TYPE_CHECKING:
    from ._local import local
    from ._session import Session, connect

__all__ = [
    "AlreadyExists",
    "AwskitError",
    "ChecksumMismatch",
    "ConditionFailed",
    "InvalidInput",
    "NotFound",
    "PartialFailure",
    "RetryPolicy",
    "Session",
    "Throttled",
    "Timeout",
    "TransportError",
    "__version__",
    "connect",
    "local",
]

_LAZY = {"Session": "._session", "connect": "._session", "local": "._local"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'awskit' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
