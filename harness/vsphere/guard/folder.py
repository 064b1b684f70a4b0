"""HTTP file access (``/folder/<path>?dsName=DS&dcPath=DC``), decided on
what the server will do with the URL, not on what it looks like.

The query is parsed strictly here, so that nothing is read one way by the
guard and another way by the server (Go's parser drops every pair that
holds a ``;``, Python's keeps it): a ``;``, a repeated or unknown key, a pair
without ``=``, a malformed or encoded separator (``%2F``, ``%5C``, ``%3B``,
``%26``, ``%3D``, ``%3F``, ``%23``, ``%25``; ``%2F`` in a datacenter's
path aside) or a control character is refused. ``dsName`` must then be
exactly the name of one of the inventory's datastores and ``dcPath``
exactly a datacenter's inventory path, and the path is checked segment by
segment below the run folder (``calls.below``), for reading and writing
alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from .calls import below

KEYS = ("dsName", "dcPath")
# Percent-encodings of what separates names, pairs or paths: refused wherever
# they stand, since the two sides may decode them at different times.
SEPARATORS = ("%2f", "%5c", "%3b", "%26", "%3d", "%3f", "%23", "%25", "%00")


@dataclass(frozen=True)
class Names:
    """What a /folder URL may name: the inventory's datastores, and its
    datacenters by inventory path (``Folder/DC0`` for one in a folder)."""

    datastores: frozenset[str]
    datacenters: frozenset[str]


def parse_query(query: str) -> dict[str, str]:
    """``dsName`` and ``dcPath``, decoded; ValueError saying what is wrong."""
    if ";" in query:
        raise ValueError("a ';' (parsed one way in Python, another in Go)")
    found: dict[str, str] = {}
    for pair in query.split("&") if query else []:
        key, sep, value = pair.partition("=")
        if not sep:
            raise ValueError(f"{pair!r} is no key=value pair")
        if key not in KEYS:
            raise ValueError(f"{key!r} is not one of {', '.join(KEYS)}")
        if key in found:
            raise ValueError(f"{key} is given twice")
        found[key] = _decoded(value, key)
    missing = [k for k in KEYS if k not in found]
    if missing:
        raise ValueError(f"no {' and no '.join(missing)}")
    return found


def _decoded(value: str, key: str) -> str:
    lowered = value.lower()
    # A datacenter in a folder has a path with a '/' (exactly one of the
    # inventory's, below): its encoding is no separator there.
    refused = [s for s in SEPARATORS if not (key == "dcPath" and s == "%2f")]
    encoded = next((s for s in refused if s in lowered), None)
    if encoded is not None:
        raise ValueError(f"{key} holds an encoded separator ({encoded.upper()})")
    parts = value.split("%")
    if any(len(p) < 2 or any(c not in "0123456789abcdefABCDEF" for c in p[:2])
           for p in parts[1:]):
        raise ValueError(f"{key} holds a malformed %-escape")
    text = unquote(value.replace("+", " "), errors="strict")
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise ValueError(f"{key} holds a control character")
    return text


def check_file_url(url: str, root: str, names: Callable[[], Names]) -> str | None:
    """Why a request for ``url`` under /folder is refused, or None.
    ``names`` reads the inventory (only once the URL is well formed)."""
    parts = urlsplit(url)
    if not parts.path.startswith("/folder/") or parts.fragment:
        return f"{parts.path!r} is not below /folder/"
    raw = parts.path.removeprefix("/folder/")
    encoded = next((s for s in SEPARATORS if s in raw.lower()), None)
    if encoded is not None:
        return f"the path holds an encoded separator ({encoded.upper()})"
    try:
        query = parse_query(parts.query)
    except ValueError as exc:
        return f"the query {parts.query!r}: {exc}"
    known = names()
    if query["dsName"] not in known.datastores:
        return f"dsName {query['dsName']!r} is no datastore of the inventory"
    if query["dcPath"] not in known.datacenters:
        return f"dcPath {query['dcPath']!r} is no datacenter of the inventory"
    path = f"[{query['dsName']}] {unquote(raw)}"
    why = below(path, root)
    return None if why is None else f"{path!r}: {why}"
