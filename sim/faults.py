"""The kinds of fault the simulator's rules inject, and what each does to a
call: the simulator serves this table (``GET /harness/fault-kinds``,
``sim/vcsim/faults.go``) and ``tests/test_control.py`` holds this copy equal
to it, so that Python can name the kinds before any simulator runs.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FaultKind:
    name: str
    # A vSphere fault in the answer; else the transport's doing (a lost
    # connection, a slow call or a slow answer).
    vsphere_fault: bool
    runs: bool  # the call takes effect all the same
    # The answer tells the client something untrue about the datastore: a
    # folder that is there "not found", one that is not "already there".
    untrue: bool
    meaning: str


FAULT_KINDS: tuple[FaultKind, ...] = (
    FaultKind("FileLocked", True, False, False, "the file is locked; the call did not run"),
    FaultKind("CannotDeleteFile", True, False, False,
              "the file could not be deleted; the call did not run"),
    FaultKind("FileNotFound", True, False, True,
              "the file is said not to exist, whether or not it does"),
    FaultKind("FileAlreadyExists", True, False, True,
              "the file is said to exist already, whether or not it does"),
    FaultKind("CannotCreateFile", True, False, False,
              "the file could not be made; the call did not run"),
    FaultKind("CannotAccessFile", True, False, False,
              "the file could not be reached; the call did not run"),
    FaultKind("FileFault", True, False, False, "a generic file fault; the call did not run"),
    FaultKind("NotAuthenticated", True, False, False,
              "the session has ended (it really has): log in again"),
    FaultKind("InvalidDatastore", True, False, False,
              "the datastore cannot be used now; the call did not run"),
    FaultKind("NoPermission", True, False, False,
              "the session may not do this; the call did not run"),
    FaultKind("drop", False, False, False, "the connection closes before the call runs"),
    FaultKind("drop_after", False, True, False,
              "the call runs, then the connection closes unanswered"),
    FaultKind("delay", False, True, False, "the call waits delay_ms, then runs"),
    FaultKind("delay_after", False, True, False,
              "the call runs at once, its answer comes delay_ms later"),
)
KINDS = {kind.name: kind for kind in FAULT_KINDS}
FAULTS: tuple[str, ...] = tuple(KINDS)  # every kind, by name
UNTRUE: frozenset[str] = frozenset(k.name for k in FAULT_KINDS if k.untrue)
RUNS_ANYWAY: frozenset[str] = frozenset(k.name for k in FAULT_KINDS if k.runs)
# vSphere faults that say the call failed, truthfully: what an implementation
# must handle as a refusal.
REFUSALS: tuple[str, ...] = tuple(k.name for k in FAULT_KINDS
                                  if k.vsphere_fault and not k.untrue and not k.runs)


def kinds(names: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """``names``, each checked to be a kind of the table (a subset a caller
    keeps for its own purpose cannot name a kind the simulator lacks)."""
    unknown = [n for n in names if n not in KINDS]
    if unknown:
        raise ValueError(f"unknown fault kind(s) {', '.join(unknown)}: one of "
                         f"{', '.join(FAULTS)}")
    return tuple(names)
