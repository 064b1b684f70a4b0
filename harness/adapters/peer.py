"""Any in-process implementation as a protocol peer (docs/protocol.md):

    python -m harness.adapters.peer SPEC        # e.g. refimpl, original, module:factory

so that the harness can run it as a process of its own: under another time
zone, or patched (``mutants``) without the patch reaching the harness.
Each request's ``now`` is the node's clock.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from sim import Endpoint
from sim.virtual_time import Turns

from .base import Implementation, ImplementationError, Instance, Node, NodeSetup
from .protocol import PROTOCOL

log = logging.getLogger(__name__)


class Peer:
    """One node of ``implementation``, driven by protocol requests."""

    def __init__(self, implementation: Implementation, turns: Turns | None = None) -> None:
        self.implementation = implementation
        self.node: Node | None = None
        self.turns = turns
        self._time: Callable[[], datetime] = lambda: datetime.now(UTC)

    def clock(self) -> datetime:
        """The time during the current request (docs/protocol.md, "Time")."""
        return self._time()

    def handle(self, request: dict[str, Any]) -> Any:
        if "now" in request:
            now = datetime.fromisoformat(request["now"].replace("Z", "+00:00"))
            self._time = self.turns.running(now) if self.turns is not None else lambda: now
        op = request["op"]
        if op == "start":
            if request["protocol"] != PROTOCOL:
                raise ImplementationError("invalid_argument",
                                          f"protocol {request['protocol']} is not {PROTOCOL}")
            node, vsphere = request["node"], request["vsphere"]
            self.node = self.implementation.open_node(NodeSetup(
                name=node["name"],
                endpoint=Endpoint.from_url(vsphere["url"], insecure=vsphere["insecure"]),
                base_folder=node["base_folder"], lock_path=Path(node["lock_path"]),
                age_seconds=node["age_seconds"], clock=self.clock))
            return {"implementation": self.implementation.name, "version": "1"}
        if op == "stop":
            if self.node is not None:
                self.node.close()
            return None
        if self.node is None:
            raise ImplementationError("invalid_argument", f"{op!r} before 'start'")
        if op == "enlist":
            self.node.enlist(request["datastore"], request["image"])
            return None
        if op == "age":
            summary = self.node.age(_instances(request["instances"]), request["datastores"])
            return {"summary": summary}
        if op == "cache_folder":
            return {"path": self.node.cache_folder(request["datastore"], request["image"])}
        raise ImplementationError("invalid_argument", f"unknown op {op!r}")


def _instances(items: Sequence[dict[str, Any]]) -> list[Instance]:
    return [Instance(**item) for item in items]


def serve(implementation: Implementation, stdin: TextIO = sys.stdin,
          stdout: TextIO = sys.stdout, turns: Turns | None = None) -> int:
    peer = Peer(implementation, turns)
    for line in stdin:
        if not line.strip():
            continue
        request = json.loads(line)  # a malformed line is a harness bug: die loudly
        try:
            reply: dict[str, Any] = {"seq": request["seq"], "ok": True,
                                     "result": peer.handle(request)}
        except ImplementationError as exc:
            log.debug("request %s failed", request.get("op"), exc_info=True)
            reply = {"seq": request["seq"], "ok": False,
                     "error": {"kind": exc.kind, "fault": exc.fault, "message": str(exc)}}
        stdout.write(json.dumps(reply) + "\n")
        stdout.flush()
        if request["op"] == "stop":
            return 0
    return 0


def main(argv: list[str]) -> int:
    from . import UnknownImplementation, get  # the registry sits above this module

    if len(argv) != 1:
        print("usage: python -m harness.adapters.peer SPEC", file=sys.stderr)
        return 2
    try:
        implementation = get(argv[0])
    except UnknownImplementation as exc:
        print(exc, file=sys.stderr)
        return 2
    return serve(implementation)


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="peer %(levelname)s %(name)s: %(message)s")
    sys.exit(main(sys.argv[1:]))
