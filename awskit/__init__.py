"""awskit: a typed, high-level Python SDK over boto3.

``import awskit`` stays cheap: boto3 is loaded by [connect][awskit.connect], each service module
when its facade is first used, and moto only by [local][awskit.local].
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
from ._exports import publish
from ._paging import Page, Paged
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
    "Page",
    "Paged",
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

# Tracebacks and reprs show awskit.InvalidInput, not awskit._errors.InvalidInput.
publish(globals())


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'awskit' has no attribute {name!r}")
    import importlib

    loaded = importlib.import_module(module, __name__)
    # Every lazy name of that module at once, so Session is published with connect.
    siblings = [other for other, where in _LAZY.items() if where == module]
    for other in siblings:
        globals()[other] = getattr(loaded, other)
    publish(globals(), siblings)
    return globals()[name]


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
