"""What the command line reads and writes besides AWS: stdin bodies, files written whole.

Every command that writes a file goes through `replace_atomically`: the data goes
to a temporary file beside the target, which replaces the target (``os.replace``) only
once complete, with the old file's permissions. A failure part-way (an error from AWS, a
full disk, Ctrl-C) leaves the old file as it was, byte for byte. ``awskit ebs download``
gets the same from [EBS.download][awskit.ebs.EBS.download] itself, which also writes
block devices in place and leaves holes for zero blocks.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from awskit import InvalidInput
from awskit._files import mode_for

__all__ = ["replace_atomically", "stdin_text"]


def stdin_text() -> str:
    """All of stdin, less one trailing newline (``echo hello`` sends ``hello``)."""
    text = sys.stdin.read()
    if text.endswith("\r\n"):
        return text[:-2]
    return text[:-1] if text.endswith("\n") else text


@contextlib.contextmanager
def replace_atomically(target: Path, field: str = "file") -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on a clean exit it becomes ``target``.

    The new file gets the permissions of the file it replaces (a 0600 export stays
    0600), else those ``open()`` would give. On any exception the temporary file is
    removed and ``target`` is untouched.

    Raises:
        InvalidInput: ``target`` is a directory or not a regular file (a device or a
            pipe would be replaced by a regular file), or its directory does not exist.
    """
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        kind = "a directory" if stat.S_ISDIR(mode) else "not a regular file"
        raise InvalidInput(field, f"{str(target)!r} is {kind}")
    directory = target.absolute().parent
    if not directory.is_dir():
        raise InvalidInput(field, f"the directory of {str(target)!r} does not exist")
    fd, name = tempfile.mkstemp(dir=directory, prefix=f".{target.name}.", suffix=".part")
    os.close(fd)
    temp = Path(name)
    try:
        yield temp
        # Written data reaches the disk before the rename makes it the file.
        with open(temp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.chmod(temp, mode_for(target))
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        raise
