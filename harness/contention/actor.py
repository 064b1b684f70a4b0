"""The actors of contention runs, one at a time, in a process kept between
runs (``pool.py``):

    python -m harness.contention.actor      # specs on stdin, one JSON line each

For each spec it runs one actor, its output going to the spec's ``log``,
and answers ``{"rc": N}`` on stdout; it ends after an actor that did not
end well (rc other than 0), and at the end of stdin, whatever it is doing.

A spawner enlists its image, fetches it when missing (as Nova's spawn
does, through the harness's own session), registers an instance that uses
it, holds it, and releases it. An ager runs aging passes with the instances
its node sees. Both record every operation in their history file.

Under a seeded schedule the actor takes turns with the others and every
time it reads or sleeps is virtual (``virtual_time``); in free mode the
actors start together through a file barrier and run in real time.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import queue
import random
import sys
import threading
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pyVmomi import vmodl

from sim import Control, ControlError, Endpoint
from sim.virtual_time import Turns, install, uninstall

from ..adapters import ImplementationError, Instance, NodeSetup, open_node, run_alone
from ..adapters import get as get_implementation
from ..vsphere.datastore import DatastoreClient
from ..vsphere.session import connect, cookie, disconnect
from .history import Recorder


class InstanceSet:
    """The instances in use, shared by the actors as one file each."""

    def __init__(self, folder: Path, now_ns: Callable[[], int]) -> None:
        self.folder, self.now_ns = folder, now_ns

    def add(self, uuid: str, node: str, image: str) -> None:
        tmp = self.folder / f".{uuid}.tmp"
        tmp.write_text(json.dumps({"uuid": uuid, "node": node, "image": image,
                                   "since": self.now_ns()}))
        tmp.replace(self.folder / f"{uuid}.json")

    def remove(self, uuid: str) -> None:
        (self.folder / f"{uuid}.json").unlink(missing_ok=True)

    def seen_by(self, node: str, sees: str, stale_ms: int) -> list[Instance]:
        now = self.now_ns()
        seen = []
        for path in sorted(self.folder.glob("*.json")):
            try:
                entry = json.loads(path.read_text())
            except (OSError, ValueError):
                continue  # released meanwhile
            if sees == "own_host" and entry["node"] != node:
                continue
            if sees == "stale" and now - entry["since"] < stale_ms * 1_000_000:
                continue
            seen.append(Instance(uuid=entry["uuid"], host=entry["node"], name=entry["uuid"],
                                 image_ref=entry["image"]))
        return seen


def serve() -> int:
    """Run the actors of the specs on stdin, one at a time (the module's
    docstring)."""
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    specs: queue.Queue[dict[str, Any]] = queue.Queue()
    threading.Thread(target=_read_specs, args=(specs,), daemon=True).start()
    environ = dict(os.environ)
    while True:
        spec = specs.get()
        with open(spec["log"], "ab") as log:
            os.dup2(log.fileno(), sys.stdout.fileno())
            os.dup2(log.fileno(), sys.stderr.fileno())
        try:
            rc = run(spec)
        except BaseException:  # reported in the log, and the process ends
            traceback.print_exc()
            rc = 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            uninstall()
            os.environ.clear()
            os.environ.update(environ)
        answers.write(json.dumps({"rc": rc}) + "\n")
        if rc:
            return rc


def _read_specs(specs: queue.Queue[dict[str, Any]]) -> None:
    """stdin is a pipe from the runner: its lines are specs, and at its end
    (the runner exited, even by SIGKILL) this process ends too, whatever it
    is waiting for."""
    pending = b""
    # The raw descriptor: a buffered read would hold a lock at shutdown.
    while chunk := os.read(sys.stdin.fileno(), 65536):
        pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            specs.put(json.loads(line))
    os._exit(3)


def run(spec: dict[str, Any]) -> int:
    endpoint = Endpoint.from_url(spec["url"])
    actor = spec["actor"]
    # This process runs this implementation alone (pool.py): a mutant
    # patches its target here instead of starting a process per node.
    run_alone(spec["impl"])
    impl = get_implementation(spec["impl"], timeouts=spec.get("timeouts"))
    turns = None
    if spec["schedule"] == "seeded":
        # An implementation whose calls all leave from this process: the
        # clock read at a scheduling point holds until the next one.
        turns = Turns(spec["url"], spec["id"], hold_s=spec["quiet_ms"] / 4000
                      if getattr(impl, "in_process", False) else 0.0)
        os.environ.update(turns.env())  # for the implementation's own processes
    now_ns = turns.now_ns if turns is not None else time.time_ns
    recorder = Recorder(Path(spec["history"]), spec["id"], actor["node"], now_ns)
    rng = random.Random(f"{spec['seed']}/{spec['id']}")
    instances = InstanceSet(Path(spec["instances"]), now_ns)
    node, refused = None, None
    try:
        node = open_node(impl, NodeSetup(
            name=actor["node"], endpoint=endpoint, base_folder=spec["base_folder"],
            lock_path=Path(spec["lock_path"]), age_seconds=spec["age_seconds"],
            # The run's clock, and this node's skew on it.
            clock=lambda: datetime.fromtimestamp(now_ns() / 1e9 + spec["clock_offset_s"], UTC),
            zone=spec.get("zone")))
    except ImplementationError as exc:  # a login refused: the run goes on without this actor
        refused = exc
    try:
        if turns is not None:
            install(turns)
            epoch = turns.join() / 1e9
        else:
            epoch = _start_together(Path(spec["barrier"]), spec["id"])
        spec["epoch"] = epoch
        if refused is not None:
            recorder.record("open", "invoke", None)
            recorder.record("open", "fail", None, f"{refused.kind}: {refused}")
            return 0
        time.sleep(max(epoch + actor["start_ms"] / 1000 - now_ns() / 1e9, 0))
        if actor["kind"] == "spawner":
            _spawner(spec, actor, node, recorder, instances, rng, endpoint)
        else:
            _ager(spec, actor, node, recorder, instances, rng)
    finally:
        try:
            if turns is not None:
                # Closing is no part of the run: it waits for the
                # implementation's processes, in real time.
                try:
                    turns.leave()
                finally:
                    turns.close()
        finally:
            if node is not None:
                node.close()
            recorder.close()
    return 0


def _start_together(barrier: Path, ident: str) -> float:
    """Free mode: tell the runner this actor is ready; the common start
    time it gives once every actor is."""
    (barrier / f"{ident}.ready").touch()
    go = barrier / "go"
    while not go.exists():
        time.sleep(0.005)
    return float(go.read_text())


def _call(recorder: Recorder, op: str, image: str | None, fn) -> bool:
    recorder.record(op, "invoke", image)
    try:
        detail = fn()
    except ImplementationError as exc:
        recorder.record(op, "fail", image, f"{exc.kind}: {exc}")
        return False
    recorder.record(op, "ok", image, detail or "")
    return True


def _own_session(endpoint: Endpoint, attempts: int = 3) -> Any:
    """The session the fetch uses. It is exempt from faults only once logged
    in: a fault a rule put on its login is none of the implementation's
    business, so the login is tried again."""
    for _ in range(attempts - 1):
        with contextlib.suppress(vmodl.MethodFault, OSError, http.client.HTTPException):
            return connect(endpoint)
    return connect(endpoint)


def _spawner(spec, actor, node, recorder, instances, rng, endpoint) -> None:
    si = _own_session(endpoint)
    try:
        # The fetch stands for Nova's spawn, not the implementation under
        # test: no injected faults or latency for it.
        with contextlib.suppress(ControlError):
            Control(endpoint).exempt_session(cookie(si))
        client = DatastoreClient(si, endpoint)
        image, ds = actor["image"], actor["datastore"]
        folder = f"{spec['base_folder']}/{image}"
        for i in range(actor["count"]):
            time.sleep(rng.uniform(0, actor["jitter_ms"] / 1000))
            if not _call(recorder, "enlist", image, lambda: node.enlist(ds, image)):
                continue
            recorder.record("use", "info", image, "in use from here")
            # The instance is registered as the enlist returns, with no
            # scheduling point between (Nova's instance exists before its
            # spawn fetches): a schedule that holds the fetch back for longer
            # than the age must not make an image in use look unused.
            uuid = f"{spec['id']}-{i}"
            instances.add(uuid, actor["node"], image)
            if client.tree(ds, folder) is None:
                recorder.record("fetch", "invoke", image)
                client.mkdir(ds, folder, exist_ok=True)  # another spawn may fetch it too
                client.put(ds, f"{folder}/{image}.vmdk", b"image")
                recorder.record("fetch", "ok", image)
            time.sleep(actor["hold_ms"] / 1000)
            recorder.record("release", "invoke", image)
            instances.remove(uuid)
            recorder.record("release", "ok", image)
            time.sleep(actor["pause_ms"] / 1000)
    finally:
        disconnect(si)


def _ager(spec, actor, node, recorder, instances, rng) -> None:
    end = spec["epoch"] + spec["duration_s"]
    while instances.now_ns() / 1e9 < end:
        seen = instances.seen_by(actor["node"], actor["sees"], actor["stale_ms"])
        _call(recorder, "age", None, lambda seen=seen: node.age(seen, actor["datastores"]))
        time.sleep((actor["interval_ms"] + rng.uniform(0, actor["jitter_ms"])) / 1000)


if __name__ == "__main__":
    sys.exit(serve())
