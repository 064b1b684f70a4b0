"""The implementation protocol's messages (docs/protocol.md), checked
against docs/protocol.schema.json in both directions."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from .base import ImplementationError

PROTOCOL = 1
SCHEMA_PATH = Path(__file__).resolve().parent / "protocol.schema.json"  # docs/ links here


class ProtocolError(Exception):
    """A message that breaks the protocol."""


@cache
def _validator(kind: str) -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text())
    return jsonschema.Draft202012Validator({**schema, "oneOf": [{"$ref": f"#/$defs/{kind}"}]})


def check(kind: str, message: dict[str, Any]) -> None:
    """Raise ProtocolError unless ``message`` is a valid ``request`` or ``reply``."""
    error = jsonschema.exceptions.best_match(_validator(kind).iter_errors(message))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(message)"
        raise ProtocolError(f"invalid {kind} at {where}: {error.message}")


def timestamp(when: datetime) -> str:
    """``now`` as the protocol writes it."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def valid_image_id(image_id: str) -> bool:
    """Whether an image id stays in its folder: not empty, no ``/``, ``\\``,
    ``..`` or control character. A peer refuses any other with
    ``invalid_argument`` (docs/protocol.md)."""
    return bool(image_id) and "/" not in image_id and "\\" not in image_id and \
        ".." not in image_id and not any(ord(c) < 32 or ord(c) == 127 for c in image_id)


def refuse_malformed(image_id: str) -> None:
    """ImplementationError(invalid_argument) unless ``image_id`` is valid."""
    if not valid_image_id(image_id):
        raise ImplementationError("invalid_argument",
                                  f"image id {image_id!r} must not be empty nor contain '/', "
                                  "'\\', '..' or a control character")
