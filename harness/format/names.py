"""What a scenario may name as one folder or file on a datastore (an image
id of its layout, a folder or file in an image folder): the harness makes
these, so a name that would address another folder, or that no file system
takes, is refused at load rather than met as a fault from vSphere."""

from __future__ import annotations

MAX_NAME_BYTES = 255  # a file name, in UTF-8, on the file systems datastores use


def why_not_a_name(name: str) -> str | None:
    """Why ``name`` is not one folder or file name, or None if it is."""
    if name in ("", ".", ".."):
        return f"{name!r} names no folder of its own"
    bad = next((c for c in name if c in "/\\" or ord(c) < 32 or ord(c) == 127), None)
    if bad is not None:
        return f"{name!r} holds {bad!r}, which a single folder name may not"
    size = len(name.encode("utf-8"))
    if size > MAX_NAME_BYTES:
        return f"{name[:20]!r}... is {size} bytes in UTF-8, more than a file name's " \
               f"{MAX_NAME_BYTES}"
    return None
