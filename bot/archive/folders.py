"""Why a file could not be written into a content folder, in the few kinds an operator acts
on differently (bot/render words each with its fix)."""

from __future__ import annotations

import errno
from typing import Literal

WriteFailure = Literal["full", "read_only", "denied", "failed"]


def write_failure(error: OSError) -> WriteFailure:
    """The kind of a failed write into a content folder."""
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return "full"
    if error.errno == errno.EROFS:
        return "read_only"
    if isinstance(error, PermissionError) or error.errno in (errno.EACCES, errno.EPERM):
        return "denied"
    return "failed"
