"""``python -m awskit``: the same command line as the ``awskit`` script."""

from __future__ import annotations

from awskit.cli import main

if __name__ == "__main__":
    main()
