"""The ``awskit`` command: the demo tour, the embedded endpoint and one group per service.

It only parses arguments and prints; every command calls the same public API users call
([awskit.connect][awskit.connect], [awskit.local][awskit.local] and the service facades). typer and
rich are imported here and nowhere else in awskit (the ``cli`` extra).
"""

from __future__ import annotations

from . import _cloudwatch, _demo, _dynamo, _ebs, _local, _s3, _sqs
from ._app import app

__all__ = ["app", "main"]

# The modules above register their commands on ``app`` when imported.
_GROUPS = (_cloudwatch, _demo, _dynamo, _ebs, _local, _s3, _sqs)


def main() -> None:
    """Entry point of the ``awskit`` script and of ``python -m awskit``."""
    app()
