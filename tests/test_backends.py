"""Starting and stopping real simulators with each backend."""

from __future__ import annotations

import socket
import time

import pytest
from pyVmomi import vim

from harness.vsphere.session import connect, disconnect, wait_for_task
from sim import EndpointError, Simulator, StartError
from sim.readiness import probe

from .leaks import assert_gone, traces


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _datastore(si: vim.ServiceInstance) -> tuple[vim.Datacenter, vim.Datastore]:
    dc = si.RetrieveContent().rootFolder.childEntity[0]
    return dc, dc.datastore[0]


def test_start_answers_and_stop_leaves_nothing(backend, request):
    client = request.getfixturevalue("docker_client") if backend == "docker" else None
    with Simulator(backend) as sim:
        assert sim.backend == backend
        assert sim.host == "127.0.0.1" and sim.port > 0
        assert sim.url == f"https://{sim.username}:{sim.password}@127.0.0.1:{sim.port}/sdk"
        assert sim.insecure
        si = connect(sim.endpoint)
        about = si.RetrieveContent().about
        assert about.fullName.endswith("(govmomi simulator)")
        dc, ds = _datastore(si)
        assert (dc.name, ds.name) == ("DC0", "LocalDS_0")
        disconnect(si)
        left = traces(sim)
        endpoint = sim.endpoint
    assert_gone(**left, client=client)
    with pytest.raises(EndpointError):
        probe(endpoint, timeout=1)


def test_explicit_port_is_used(backend):
    port = _free_port()
    with Simulator(backend, port=port) as sim:
        assert sim.port == port
        probe(sim.endpoint)


def test_port_in_use_is_a_clear_error(backend):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(StartError) as err:
            Simulator(backend, port=port).start()
    message = str(err.value)
    assert "exited before it was ready" in message
    assert f"127.0.0.1:{port}" in message
    assert "address already in use" in message


def test_two_simulators_side_by_side_are_independent(backend):
    with Simulator(backend) as one, Simulator(backend) as two:
        assert one.port != two.port
        si_one, si_two = connect(one.endpoint), connect(two.endpoint)
        dc, ds = _datastore(si_one)
        si_one.RetrieveContent().fileManager.MakeDirectory(
            name=f"[{ds.name}] only-in-one", datacenter=dc)
        _, ds_two = _datastore(si_two)
        spec = vim.host.DatastoreBrowser.SearchSpec(matchPattern=["*"])

        def names(si: vim.ServiceInstance, store: vim.Datastore) -> list[str]:
            task = store.browser.SearchDatastore_Task(
                datastorePath=f"[{store.name}]", searchSpec=spec)
            return [f.path for f in wait_for_task(si, task).file]

        assert "only-in-one" in names(si_one, ds)
        assert "only-in-one" not in names(si_two, ds_two)
        disconnect(si_one)
        disconnect(si_two)


def test_simulator_that_exits_early_reports_its_output(backend):
    with pytest.raises(StartError) as err:
        Simulator(backend, extra_args=["-no-such-flag"]).start()
    assert "exited before it was ready" in str(err.value)
    assert "flag provided but not defined: -no-such-flag" in err.value.output


def test_credentials_are_enforced(backend):
    with Simulator(backend, username="alice", password="s3cret:/@") as sim:
        assert (sim.username, sim.password) == ("alice", "s3cret:/@")
        disconnect(connect(sim.endpoint))
        with pytest.raises(vim.fault.InvalidLogin):
            connect(sim.endpoint.with_credentials("alice", "wrong"))


def test_model_size_options(backend):
    with Simulator(backend, datastores=3) as sim:
        si = connect(sim.endpoint)
        dc = si.RetrieveContent().rootFolder.childEntity[0]
        assert sorted(ds.name for ds in dc.datastore) == ["LocalDS_0", "LocalDS_1", "LocalDS_2"]
        disconnect(si)


def test_trace_and_delay_flags_reach_the_simulator(backend):
    with Simulator(backend, trace=True, method_delay={"CurrentTime": 300}) as sim:
        si = connect(sim.endpoint)
        began = time.monotonic()
        si.CurrentTime()
        assert time.monotonic() - began >= 0.3
        disconnect(si)
        assert '<CurrentTime xmlns="urn:vim25">' in sim.output()
