"""The two scenario schemas (``scenarios/schema.json``, and
``scenarios/contention/schema.json`` which refers to it; shipped with the
corpus), and their
violations told as ``file:line: key: what is wrong``."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry, Resource

from .errors import ScenarioError
from .names import why_not_a_name
from .shipped import CONTENTION_SCHEMA, SCENARIO_SCHEMA
from .source import Source

# Formats the schemas use beside JSON Schema's own: checked, not annotations.
FORMATS = jsonschema.FormatChecker(formats=())


@FORMATS.checks("file-name")
def _is_a_name(value: object) -> bool:
    return not isinstance(value, str) or why_not_a_name(value) is None


@cache
def schema() -> dict[str, Any]:
    return json.loads(SCENARIO_SCHEMA.read_text())


@cache
def scenario_validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema(), format_checker=FORMATS)


@cache
def contention_validator() -> jsonschema.Draft202012Validator:
    own = json.loads(CONTENTION_SCHEMA.read_text())
    registry = Registry().with_resources([
        (s["$id"], Resource.from_contents(s)) for s in (own, schema())])
    return jsonschema.Draft202012Validator(own, registry=registry, format_checker=FORMATS)


def where(path: tuple) -> str:
    """A key path as a scenario's author reads it: ``steps.2.enlist``."""
    return ".".join(str(p) for p in path) or "(top level)"


def validate(path: Path, source: Source, validator: jsonschema.Validator) -> None:
    """ScenarioError naming file, line and key for the first schema violation."""
    errors = sorted(validator.iter_errors(source.data),
                    key=lambda e: (source.line_of(tuple(e.absolute_path)) or 0, e.message))
    if not errors:
        return
    error = _most_specific(errors[0])
    at = tuple(error.absolute_path)
    if error.validator == "additionalProperties":
        unexpected = re.findall(r"'([^']+)'", error.message.split("(")[-1])
        key = unexpected[0] if unexpected else "?"
        raise ScenarioError(path, source.line_of((*at, key)), f"unknown key {key!r} in {where(at)}")
    if "propertyNames" in error.schema_path:
        key = error.instance
        raise ScenarioError(path, source.line_of((*at, key)),
                            f"key {key!r} in {where(at)}: {_explain(error)}")
    if error.validator == "required":
        raise ScenarioError(path, source.line_of(at), f"{where(at)}: {error.message}")
    value = error.instance
    shown = json.dumps(value) if not isinstance(value, dict | list) else type(value).__name__
    raise ScenarioError(path, source.line_of(at), f"{where(at)} = {shown}: {_explain(error)}")


def _most_specific(error: jsonschema.ValidationError) -> jsonschema.ValidationError:
    """For oneOf/anyOf, the sub-error that went deepest: the likely intent."""
    while error.context:
        error = max(error.context, key=lambda e: (len(e.absolute_path), -len(e.message)))
    return error


def _explain(error: jsonschema.ValidationError) -> str:
    hint = error.schema.get("description") if isinstance(error.schema, dict) else None
    if error.validator == "format" and error.validator_value == "file-name":
        return str(why_not_a_name(error.instance))
    if error.validator == "pattern" and hint:
        return f"does not match the expected form ({hint})"
    if error.validator == "enum":
        return f"must be one of {', '.join(map(str, error.validator_value))}"
    if error.validator in ("maxProperties", "minProperties") and error.validator_value == 1:
        # A one-of-these-keys object (a step, an actor): the keys come from the schema.
        keys = ", ".join(error.schema.get("properties", {}))
        return f"{hint or 'exactly one key'} ({keys})"
    return error.message
