"""The run folder: the skeleton every run shares (its own session, a fresh
control API that spares the inspector, the folder removed at the end), on a
real simulator."""

from __future__ import annotations

import pytest
from pyVmomi import vim

from harness.vsphere.datastore import DatastoreClient
from harness.vsphere.run_folder import NAME_LENGTH, NAME_PREFIX, RunFolder
from harness.vsphere.session import connect, disconnect
from sim import ControlError, Simulator

DATASTORES = ("LocalDS_0", "LocalDS_1")


def tree(endpoint, datastore: str, folder: str):
    si = connect(endpoint)
    try:
        return DatastoreClient(si, endpoint).tree(datastore, folder)
    finally:
        disconnect(si)


def test_leaving_removes_the_folder_from_every_datastore_and_logs_out(vcsim):
    with RunFolder.new(vcsim.endpoint) as folder:
        assert folder.name.startswith(NAME_PREFIX) and len(folder.name) == NAME_LENGTH
        for ds in DATASTORES:
            folder.client.mkdir(ds, folder.path("base", "img1"))
            assert tree(vcsim.endpoint, ds, folder.name) is not None
        session = folder.session
    for ds in DATASTORES:
        assert tree(vcsim.endpoint, ds, folder.name) is None
    with pytest.raises(vim.fault.NotAuthenticated):
        session.content.sessionManager.currentSession.key  # noqa: B018 - the call is the test


def test_a_parent_puts_the_folder_below_it_and_only_the_folder_goes(vcsim):
    with RunFolder(vcsim.endpoint, "ich-parent-test") as parent:
        parent.client.mkdir("LocalDS_0", parent.path("kept"))
        with RunFolder.new(vcsim.endpoint, parent="ich-parent-test",
                           datastores=["LocalDS_0"]) as child:
            assert child.name.startswith(f"ich-parent-test/{NAME_PREFIX}")
            child.client.mkdir("LocalDS_0", child.path("gone"))
        assert [e.path for e in tree(vcsim.endpoint, "LocalDS_0", parent.name)] == ["kept"]


def test_control_is_fresh_on_entry_and_exit_and_spares_the_inspector(vcsim):
    vcsim.control.add_fault("FileFault", method="MakeDirectory")  # left by an earlier run
    with RunFolder.new(vcsim.endpoint, control=True, seed=7) as folder:
        assert folder.control.faults() == []
        # Every search of every session fails now, but not the inspector's.
        folder.control.add_fault("NoPermission", method="SearchDatastoreSubFolders_Task")
        folder.client.mkdir("LocalDS_0", folder.path("img1"))
        assert [e.path for e in folder.client.tree("LocalDS_0", folder.name)] == ["img1"]
        other = connect(vcsim.endpoint)
        try:
            with pytest.raises(Exception, match="NoPermission"):
                DatastoreClient(other, vcsim.endpoint).tree("LocalDS_0", folder.name)
        finally:
            disconnect(other)
    assert vcsim.control.faults() == []


def test_without_control_the_api_is_not_touched(vcsim):
    rule = vcsim.control.add_fault("FileFault", method="NoSuchMethodAtAll")
    try:
        with RunFolder.new(vcsim.endpoint) as folder, \
                pytest.raises(RuntimeError, match="without control"):
            folder.control  # noqa: B018 - the property is the test
        assert [r["id"] for r in vcsim.control.faults()] == [rule["id"]]
    finally:
        vcsim.control.reset()


def test_paths_and_fault_rules_are_scoped_to_the_folder(vcsim):
    with RunFolder(vcsim.endpoint, "ich-scoped", control=True) as folder:
        assert folder.scoped("[LocalDS_1] 10.0.0.5_base/img1") == \
            "[LocalDS_1] ich-scoped/10.0.0.5_base/img1"
        assert folder.scoped("no datastore here") == "no datastore here"
        rule = folder.add_fault({"fault": "FileLocked", "path": "[LocalDS_0] b/*"})
        assert rule["path"] == "[LocalDS_0] ich-scoped/b/*"
        assert folder.add_fault({"fault": "FileLocked"}).get("path", "") == ""


def test_an_endpoint_without_control_api_is_named_and_logged_out():
    with Simulator("process", extra_args=["-control=false"]) as plain:
        before = plain_sessions(plain)
        with pytest.raises(ControlError, match=r"^scenarios/x\.yaml uses faults, latency or "
                                               r"sessions: "), \
                RunFolder.new(plain.endpoint, control=True, who="scenarios/x.yaml"):
            pass
        assert plain_sessions(plain) == before


def plain_sessions(sim: Simulator) -> int:
    """Sessions the simulator holds, seen from a session of our own."""
    si = connect(sim.endpoint)
    try:
        return len(si.content.sessionManager.sessionList) - 1
    finally:
        disconnect(si)
