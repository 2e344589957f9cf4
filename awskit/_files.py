"""Local files that awskit writes whole: the permissions a replacing file keeps.

A download (EBS, S3) or a CLI export writes a temporary file beside its target and renames
it into place; the new file keeps the permissions of the file it replaces (a 0600 image
stays 0600), else gets what ``open()`` would give.
"""

from __future__ import annotations

import stat
from pathlib import Path

__all__ = ["mode_for", "umask"]


def mode_for(target: Path) -> int:
    """The permission bits a file replacing ``target`` gets: ``target``'s own, or the
    default for a new file (0666 less the umask) when there is none."""
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        return 0o666 & ~umask()


def umask() -> int:
    """This process's umask, without changing it."""
    # os.umask() can only be read by setting it, which races with other threads: read it
    # from /proc where there is one, assume the common 022 elsewhere.
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022
