"""Expectation manifests: per implementation, the scenarios it is expected
to fail and why (``scenarios/expectations/<implementation>.yaml``, like
web-platform-tests' expectation files)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

MANIFEST_DIR = Path(__file__).resolve().parents[1] / "scenarios" / "expectations"


class ManifestError(Exception):
    pass


@dataclass(frozen=True)
class ExpectedFailure:
    scenario: str
    reason: str
    edge_cases: tuple[int, ...] = ()
    # A race found only under some timings: may pass, and then is no surprise.
    sometimes: bool = False


@cache
def expected_failures(implementation: str, directory: Path = MANIFEST_DIR
                      ) -> dict[str, ExpectedFailure]:
    """The implementation's expected failures by scenario name (none if it has no manifest)."""
    path = directory / f"{implementation}.yaml"
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text()) or {}
    unknown = set(data) - {"implementation", "inherits", "expected_failures"}
    if unknown:
        raise ManifestError(f"{path}: unknown keys {sorted(unknown)}")
    if data.get("implementation") != implementation:
        raise ManifestError(f"{path}: implementation is {data.get('implementation')!r}, "
                            f"expected {implementation!r}")
    # inherits: another implementation's list, extended or overridden here;
    # "passes: true" (with the reason) takes an inherited entry out.
    result = dict(expected_failures(data["inherits"], directory)) if data.get("inherits") else {}
    for name, entry in (data.get("expected_failures") or {}).items():
        if not isinstance(entry, dict) or not entry.get("reason") or \
                set(entry) - {"reason", "edge_cases", "sometimes", "passes"}:
            raise ManifestError(f"{path}: {name}: needs a reason (optional: edge_cases, "
                                "sometimes, passes)")
        if entry.get("passes"):
            if name not in result:
                raise ManifestError(f"{path}: {name}: 'passes' takes out an inherited entry, "
                                    f"and {data.get('inherits')!r} has none of that name")
            del result[name]
            continue
        result[name] = ExpectedFailure(name, entry["reason"], tuple(entry.get("edge_cases", ())),
                                       bool(entry.get("sometimes", False)))
    return result
