"""awskit on asyncio: the same typed facades, awaited (needs the ``aio`` extra).

``awskit.aio.connect(...)`` and ``awskit.aio.local()`` are async context managers giving an
[awskit.aio.Session][awskit.aio.Session] whose facades mirror the blocking API: the same
models, results, errors, validation and retry rule, on aiobotocore. Only the IO differs:
every decision (what to send, what an answer means, what to retry) is the blocking API's own
code.

```python
import awskit.aio

async with awskit.aio.connect(region="us-east-1") as aws:
    queue = await aws.sqs.get_queue("jobs", model=Job)
    await queue.send(Job(n=1))
```
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._session import Session, connect, local

__all__ = ["Session", "connect", "local"]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module 'awskit.aio' has no attribute {name!r}")
    from .. import _exports
    from . import _session

    # All at once, so Session is published (reports ``awskit.aio``) with connect and local.
    for other in __all__:
        globals()[other] = getattr(_session, other)
    _exports.publish(globals(), __all__)
    return globals()[name]


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
