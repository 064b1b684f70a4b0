"""Expectation manifests: per implementation, the scenarios it is expected
to fail and why (``scenarios/expectations/<implementation>.yaml``, like
web-platform-tests' expectation files)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .format.shipped import MANIFESTS
from .format.source import YamlError, read

MANIFEST_DIR = MANIFESTS


class ManifestError(Exception):
    pass


@dataclass(frozen=True)
class ExpectedFailure:
    scenario: str
    reason: str
    edge_cases: tuple[int, ...] = ()
    # A race found only under some timings: may pass, and then is no surprise.
    sometimes: bool = False


Directories = tuple[Path, ...]
KEYS = frozenset({"implementation", "inherits", "model", "expected_failures"})


def manifest_directories(user: Path | None) -> Directories:
    """Where manifests are looked up: a user's folder first, then the shipped one."""
    return (MANIFEST_DIR,) if user is None or user.resolve() == MANIFEST_DIR else \
        (user, MANIFEST_DIR)


def _find(implementation: str, directories: Directories) -> Path | None:
    return next((d / f"{implementation}.yaml" for d in directories
                 if (d / f"{implementation}.yaml").is_file()), None)


@cache
def expected_failures(implementation: str, directories: Directories = (MANIFEST_DIR,),
                      _chain: tuple[str, ...] = ()) -> dict[str, ExpectedFailure]:
    """The implementation's expected failures by scenario name (none if it has
    no manifest). Its manifest is the first of ``directories`` that has one
    (a user's over the shipped), and so is each one it ``inherits``."""
    path = _find(implementation, directories)
    if path is None:
        return {}
    data = _load(path)
    unknown = set(data) - KEYS
    if unknown:
        raise ManifestError(f"{path}: unknown key(s) {', '.join(sorted(map(str, unknown)))} "
                            f"(known: {', '.join(sorted(KEYS))})")
    if data.get("implementation") != implementation:
        raise ManifestError(f"{path}: implementation is {data.get('implementation')!r}, "
                            f"expected {implementation!r}")
    # inherits: another implementation's list, extended or overridden here;
    # "passes: true" (with the reason) takes an inherited entry out.
    parent = data.get("inherits")
    result: dict[str, ExpectedFailure] = {}
    if parent:
        if parent in (*_chain, implementation):
            raise ManifestError(f"{path}: inherits {parent!r} in a circle "
                                f"({' -> '.join((*_chain, implementation, parent))})")
        if _find(parent, directories) is None:
            raise ManifestError(f"{path}: inherits {parent!r}, which has no manifest in "
                                f"{' or '.join(str(d) for d in directories)}")
        result = dict(expected_failures(parent, directories, (*_chain, implementation)))
    for name, entry in (data.get("expected_failures") or {}).items():
        if not isinstance(entry, dict) or not entry.get("reason") or \
                set(entry) - {"reason", "edge_cases", "sometimes", "passes"}:
            raise ManifestError(f"{path}: {name}: needs a reason (optional: edge_cases, "
                                "sometimes, passes)")
        if entry.get("passes"):
            if name not in result:
                raise ManifestError(f"{path}: {name}: 'passes' takes out an inherited entry, "
                                    f"and {parent!r} has none of that name")
            del result[name]
            continue
        result[name] = ExpectedFailure(name, entry["reason"], tuple(entry.get("edge_cases", ())),
                                       bool(entry.get("sometimes", False)))
    return result


def _load(path: Path) -> dict:
    try:
        data = read(path).data or {}
    except YamlError as exc:
        raise ManifestError(f"{path}:{exc.line or '?'}: {exc}") from None
    if not isinstance(data, dict):
        raise ManifestError(f"{path}: a manifest is a mapping ({', '.join(sorted(KEYS))})")
    return data


@dataclass(frozen=True)
class Declared:
    """A ``model:`` key, and the manifest that declares it."""

    model: str
    path: Path


def declared_model(implementation: str, directories: Directories = (MANIFEST_DIR,),
                   _chain: tuple[str, ...] = ()) -> Declared | None:
    """The model the implementation's manifest declares (``model:``), or the
    one it inherits with ``inherits:`` (a peer of the original that
    inherits its manifest is held to its model); None: no manifest says."""
    path = _find(implementation, directories)
    if path is None:
        return None
    data = _load(path)
    if "model" in data:
        return Declared(str(data["model"]), path)
    parent = data.get("inherits")
    if parent and parent not in (*_chain, implementation):
        return declared_model(parent, directories, (*_chain, implementation))
    return None


def unknown_scenarios(implementation: str, directories: Directories,
                      known: set[str]) -> list[str]:
    """Names in the implementation's manifests that are no scenario in ``known``."""
    return sorted(set(expected_failures(implementation, directories)) - known)
