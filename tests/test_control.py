"""The simulator's control API seen from a vSphere client (pyvmomi):
faults delivered as vCenter delivers them, latency, trace, sessions."""

from __future__ import annotations

import contextlib
import dataclasses
import http.client
import json
import socket
import time

import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim

from harness.format.shipped import CORPUS
from harness.vsphere.session import connect, cookie, disconnect, wait_for_task
from sim import Control, ControlError, Simulator
from sim.faults import FAULT_KINDS, FAULTS

DS = "LocalDS_0"


@pytest.fixture(scope="module")
def sim():
    with Simulator("process", seed=42) as s:
        yield s


@pytest.fixture
def control(sim) -> Control:
    sim.control.reset()
    yield sim.control
    sim.control.reset()


@pytest.fixture
def si(sim, control):
    si = connect(sim.endpoint)
    yield si
    disconnect(si)


def fm_dc(si):
    dc = si.content.rootFolder.childEntity[0]
    return si.content.fileManager, dc


def mkdir(si, path: str) -> None:
    fm, dc = fm_dc(si)
    fm.MakeDirectory(name=f"[{DS}] {path}", datacenter=dc, createParentDirectories=True)


def ensure_dir(si, path: str) -> None:
    """Set-up: the folder exists afterwards (the simulator is shared by tests)."""
    with contextlib.suppress(vim.fault.FileAlreadyExists):
        mkdir(si, path)


def delete_task(si, path: str) -> vim.Task:
    fm, dc = fm_dc(si)
    return fm.DeleteDatastoreFile_Task(name=f"[{DS}] {path}", datacenter=dc)


@pytest.mark.parametrize("fault", ["FileLocked", "CannotDeleteFile", "FileNotFound",
                                   "FileFault", "CannotAccessFile", "NoPermission",
                                   "InvalidDatastore"])
def test_task_method_fault_arrives_in_the_task(si, control, fault):
    ensure_dir(si, "t/img1")
    control.add_fault(fault, method="DeleteDatastoreFile_Task", count=1)
    task = delete_task(si, "t/img1")  # the call itself succeeds, as on vCenter
    with pytest.raises(getattr(vim.fault, fault)) as err:
        WaitForTask(task)  # pyVim reads the whole TaskInfo: it must be readable
    assert task.info.state == "error" and isinstance(task.info.entity, vim.Datastore)
    assert task.info.name.info.wsdlName == "DeleteDatastoreFile_Task"
    if isinstance(err.value, vim.fault.FileFault):
        assert err.value.file == f"[{DS}] t/img1"
    wait_for_task(si, delete_task(si, "t"))  # nothing was deleted by the faulted call


@pytest.mark.parametrize(("method", "fault"), [("SearchDatastore_Task", "FileNotFound"),
                                               ("SearchDatastoreSubFolders_Task", "FileLocked")])
def test_search_faults_arrive_in_the_task(si, control, method, fault):
    control.add_fault(fault, method=method)
    ds = si.content.rootFolder.childEntity[0].datastore[0]
    task = getattr(ds.browser, method)(datastorePath=f"[{DS}]",
                                       searchSpec=vim.host.DatastoreBrowser.SearchSpec())
    with pytest.raises(getattr(vim.fault, fault)):
        WaitForTask(task)


@pytest.mark.parametrize("fault", ["FileAlreadyExists", "CannotCreateFile", "NoPermission",
                                   "FileFault"])
def test_synchronous_method_fault_is_raised_by_the_call(si, control, fault):
    control.add_fault(fault, method="MakeDirectory")
    with pytest.raises(getattr(vim.fault, fault)):
        mkdir(si, "sync/x")


def test_sync_option_fails_a_task_method_at_the_call(si, control):
    ensure_dir(si, "s/img1")
    control.add_fault("FileLocked", method="DeleteDatastoreFile_Task", sync=True)
    with pytest.raises(vim.fault.FileLocked):
        delete_task(si, "s/img1")


def test_login_fault(sim, control):
    control.add_fault("NotAuthenticated", method="Login", count=1)
    with pytest.raises(vim.fault.NotAuthenticated):
        connect(sim.endpoint)
    disconnect(connect(sim.endpoint))  # count 1: the next login works


def test_rule_limited_by_path_hits_only_that_path(si, control):
    for image in ("img1", "img10", "img2"):
        ensure_dir(si, f"p/{image}")
    control.add_fault("CannotDeleteFile", method="DeleteDatastoreFile_Task",
                      path=f"[{DS}] p/img1")
    with pytest.raises(vim.fault.CannotDeleteFile):
        WaitForTask(delete_task(si, "p/img1"))
    wait_for_task(si, delete_task(si, "p/img10"))
    control.add_fault("FileLocked", path=f"[{DS}] p/img?")  # any method, glob
    with pytest.raises(vim.fault.FileLocked):
        mkdir(si, "p/img3")


def test_count_and_skip(si, control):
    rule = control.add_fault("CannotCreateFile", method="MakeDirectory", skip=1, count=2)
    outcomes = []
    for i in range(5):
        try:
            mkdir(si, f"c/{i}")
            outcomes.append("ok")
        except vim.fault.CannotCreateFile:
            outcomes.append("fault")
    assert outcomes == ["ok", "fault", "fault", "ok", "ok"]
    (listed,) = [r for r in control.faults() if r["id"] == rule["id"]]
    assert (listed["seen"], listed["hits"]) == (5, 2)


def test_probability_is_reproducible_from_the_seed(si, control):
    def pattern(run: int) -> str:
        control.clear_faults()
        control.seed(7)
        control.add_fault("CannotCreateFile", method="MakeDirectory", probability=0.5)
        out = ""
        for i in range(24):
            try:
                mkdir(si, f"r{run}/{i}")
                out += "."
            except vim.fault.CannotCreateFile:
                out += "x"
        return out

    first = pattern(1)
    assert first == pattern(2)
    assert "x" in first and "." in first


def test_drop_closes_the_connection_and_the_simulator_goes_on(si, sim, control):
    control.add_fault("drop", method="MakeDirectory", count=1)
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        mkdir(si, "d/x")
    mkdir(si, "d/y")  # pyvmomi reconnects; the rule is spent
    assert [c.outcome for c in control.trace().of("MakeDirectory")] == ["dropped", "ok"]


def test_drop_after_runs_the_call_but_loses_the_answer(si, control):
    control.add_fault("drop_after", method="MakeDirectory", count=1)
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        mkdir(si, "da/x")
    fm, dc = fm_dc(si)
    with pytest.raises(vim.fault.FileAlreadyExists):  # it was created
        fm.MakeDirectory(name=f"[{DS}] da/x", datacenter=dc, createParentDirectories=False)


def test_delay_rule_and_latency(si, control):
    control.add_fault("delay", method="CurrentTime", delay_ms=300, count=1)
    began = time.monotonic()
    si.CurrentTime()
    slow = time.monotonic() - began
    control.set_latency(methods={"CurrentTime": 250})
    began = time.monotonic()
    si.CurrentTime()
    assert slow >= 0.3 and time.monotonic() - began >= 0.25
    assert control.latency() == {"default_ms": 0, "methods": {"CurrentTime": 250}, "jitter": 0}
    with pytest.raises(ControlError, match="must be >= 0"):
        control.set_latency(default_ms=-1)


def test_trace_says_when_a_slow_answer_took_effect(si, control):
    """A slow answer (delay_after) runs the call at once: the trace tells
    when it took effect, for checkers that must not blame a later call."""
    control.add_fault("delay_after", method="MakeDirectory", delay_ms=300, count=1)
    mark = control.trace().calls[-1].id
    mkdir(si, f"applied/{time.monotonic_ns()}")
    mkdir(si, f"applied/{time.monotonic_ns()}")
    slow, plain = control.trace(since=mark).of("MakeDirectory")
    assert slow.injected == "delay_after" and slow.start_unix_ns <= slow.applied_unix_ns
    assert slow.end_unix_ns - slow.effect_unix_ns >= 300_000_000
    assert plain.applied_unix_ns == 0 and plain.effect_unix_ns == plain.end_unix_ns


def test_trace_records_each_call_and_no_password(sim, control):
    si = connect(sim.endpoint)
    other = connect(sim.endpoint)
    control.reset_trace()
    mark = control.trace().calls[-1].id if control.trace().calls else 0
    for i in range(3):
        mkdir(si, f"tr/{i}")
    si.CurrentTime()
    other.CurrentTime()
    control.add_fault("FileLocked", method="MakeDirectory", count=1)
    with pytest.raises(vim.fault.FileLocked):
        mkdir(si, "tr/x")
    trace = control.trace(since=mark)
    assert trace.counts["MakeDirectory"] == 4 and trace.counts["CurrentTime"] == 2
    made = trace.of("MakeDirectory")
    assert [c.path for c in made] == [f"[{DS}] tr/{i}" for i in (0, 1, 2)] + [f"[{DS}] tr/x"]
    assert [c.outcome for c in made] == ["ok"] * 3 + ["FileLocked"]
    assert made[-1].injected == "FileLocked" and made[-1].rule > 0
    assert all(c.start_ns <= c.end_ns for c in trace.calls)
    assert all(a.id < b.id for a, b in zip(trace.calls, trace.calls[1:], strict=False))
    times = trace.of("CurrentTime")
    assert times[0].session and times[0].session != times[1].session  # two sessions
    assert times[0].session == made[0].session and made[0].this == "FileManager:FileManager"
    disconnect(si)
    disconnect(other)
    # Login passwords never reach the trace.
    with Simulator("process", username="u", password="hunter2-secret") as private:
        disconnect(connect(private.endpoint))
        raw = json.dumps([dataclasses.asdict(c) for c in private.control.trace().calls])
        assert "Login" in raw and "hunter2" not in raw


def test_terminate_sessions_forces_a_new_login(sim, control):
    si = connect(sim.endpoint)
    si.CurrentTime()
    assert control.terminate_sessions() >= 1
    with pytest.raises(vim.fault.NotAuthenticated):
        si.content.rootFolder.name  # noqa: B018 - the property read is the call
    si.content.sessionManager.Login(userName=sim.username, password=sim.password)
    assert si.content.rootFolder.name == "Datacenters"
    disconnect(si)


def test_bad_rules_are_refused_with_the_reason(control):
    with pytest.raises(ControlError, match='unknown fault "Oops"'):
        control.add_fault("Oops")
    with pytest.raises(ControlError, match=r"probability must be within 0\.\.1"):
        control.add_fault("FileLocked", probability=1.5)
    with pytest.raises(ControlError, match="no rule 999"):
        control.remove_fault(999)


def test_no_control_api_on_upstream_behaviour(vsphere):
    # A url endpoint that is not the harness build (here: a plain HTTP server).
    from http.server import BaseHTTPRequestHandler, HTTPServer
    from threading import Thread

    from sim import Endpoint

    class NotFound(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(404)
            self.end_headers()
            self.wfile.write(b"404 page not found")

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), NotFound)
    Thread(target=server.serve_forever, daemon=True).start()
    try:
        endpoint = Endpoint("127.0.0.1", server.server_port, "u", "p", scheme="http")
        with pytest.raises(ControlError, match="has no harness control API"):
            Control(endpoint).info()
    finally:
        server.shutdown()


def _non_loopback_ipv4() -> str | None:
    """This machine's address on its default route, if it has one."""
    for target in ("10.255.255.255", "192.0.2.1", "198.51.100.1"):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            try:
                s.connect((target, 9))  # UDP: picks a route, sends nothing
            except OSError:
                continue
            address = s.getsockname()[0]
        if not address.startswith("127."):
            return address
    return None


def test_control_api_refuses_a_non_loopback_client():
    address = _non_loopback_ipv4()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address; "
                    "harness_test.go covers the check without one")
    with Simulator("process", host="0.0.0.0") as open_sim:
        remote = dataclasses.replace(open_sim.endpoint, host=address)
        local = dataclasses.replace(open_sim.endpoint, host="127.0.0.1")
        disconnect(connect(remote))  # the SDK answers everyone
        with pytest.raises(ControlError, match="HTTP 403: the harness control API answers "
                                               "loopback clients only"):
            Control(remote).info()
        assert Control(local).info()["fidelity"] == "vcenter"


def test_exempt_session_sees_no_faults_latency_or_termination(sim, control):
    observer, client = connect(sim.endpoint), connect(sim.endpoint)
    control.exempt_session(cookie(observer))
    control.add_fault("CannotCreateFile", method="MakeDirectory")
    control.set_latency(methods={"CurrentTime": 5000})
    with pytest.raises(vim.fault.CannotCreateFile):
        mkdir(client, "ex/a")
    mkdir(observer, "ex/b")
    began = time.monotonic()
    observer.CurrentTime()
    assert time.monotonic() - began < 2.5  # not the 5 s the others wait
    control.terminate_sessions()
    observer.CurrentTime()
    with pytest.raises(vim.fault.NotAuthenticated):
        client.CurrentTime()
    disconnect(observer)


def test_injected_not_authenticated_really_ends_the_session(sim, control):
    si = connect(sim.endpoint)
    control.add_fault("NotAuthenticated", method="CurrentTime", count=1)
    with pytest.raises(vim.fault.NotAuthenticated):
        si.CurrentTime()
    with pytest.raises(vim.fault.NotAuthenticated):  # gone, not just one failed call
        si.content.rootFolder.name  # noqa: B018 - the property read is the call
    si.content.sessionManager.Login(userName=sim.username, password=sim.password)
    si.CurrentTime()
    disconnect(si)


def test_the_simulator_serves_the_fault_kinds_python_knows(control):
    """One table of fault kinds: the simulator's (faults.go) and sim.faults'."""
    assert control.fault_kinds() == [dataclasses.asdict(k) for k in FAULT_KINDS]
    assert sorted(control.info()["faults"]) == sorted(FAULTS)


def test_the_schema_offers_exactly_the_fault_kinds():
    schema = json.loads((CORPUS / "schema.json").read_text())
    assert schema["$defs"]["fault_rule"]["properties"]["fault"]["enum"] == list(FAULTS)


def test_the_schema_asks_delay_ms_of_exactly_the_kinds_the_simulator_does(control):
    """A rule the simulator would refuse is refused at load, naming the file:
    never a run that ends in the control API's HTTP 400."""
    refused = []
    for kind in FAULTS:
        try:
            control.add_fault(kind, method="CurrentTime", count=1)
        except ControlError as exc:
            assert "needs delay_ms" in str(exc)
            refused.append(kind)
    control.clear_faults()
    rule = json.loads((CORPUS / "schema.json").read_text())["$defs"]["fault_rule"]
    assert rule["if"]["properties"]["fault"]["enum"] == refused
    assert rule["then"]["required"] == ["delay_ms"]


@pytest.mark.parametrize("kind", FAULT_KINDS, ids=lambda k: k.name)
def test_a_kind_runs_the_call_exactly_when_the_table_says(sim, control, kind):
    """``runs``: whether a call that met the fault took effect, seen from a
    session of its own afterwards."""
    folder = f"runs-{kind.name}-{time.monotonic_ns()}"
    control.add_fault(kind.name, method="MakeDirectory", path=f"[{DS}] {folder}", count=1,
                      **({"delay_ms": 50} if kind.name.startswith("delay") else {}))
    si = connect(sim.endpoint)
    with contextlib.suppress(Exception):  # whatever the fault makes of the call
        mkdir(si, folder)
    with contextlib.suppress(Exception):
        disconnect(si)
    control.clear_faults()
    si = connect(sim.endpoint)
    try:
        browser = si.content.rootFolder.childEntity[0].datastore[0].browser
        found = WaitForTask(browser.SearchDatastore_Task(datastorePath=f"[{DS}] {folder}"),
                            raiseOnError=False) == "success"
    finally:
        disconnect(si)
    assert found == kind.runs


def test_reset_leaves_no_rule_latency_trace_or_schedule(si, control):
    """One request, a clean slate: what each of the four would clear."""
    control.add_fault("FileLocked", method="DeleteDatastoreFile_Task")
    control.set_latency(default_ms=5, methods={"MakeDirectory": 7}, jitter=0.1)
    si.CurrentTime()
    control.start_schedule(["a"], seed=1)
    control.reset()
    assert control.faults() == []
    assert control.latency() == {"default_ms": 0, "methods": {}, "jitter": 0}
    assert control.trace().calls == []
    assert control.schedule().active is False
