"""refimpl's session: re-login, task waiting despite the simulator's gaps."""

from __future__ import annotations

import pytest

import refimpl
from refimpl import FileNotFound, Instance, NotAuthenticated
from sim import Simulator

from .conftest import DS0


def test_reconnects_after_terminate_session(session, vsphere, manager, cache):
    cache.image("img1")
    key = session.content.sessionManager.currentSession.key
    vsphere.content.sessionManager.TerminateSession([key])
    summary = manager().update([], [DS0])
    assert summary.marked == [(DS0, "img1")] and summary.faults == []
    assert session.relogins == 1
    assert session.content.sessionManager.currentSession.key != key


def test_gives_up_when_login_keeps_failing():
    with Simulator("process", username="u", password="right") as sim:
        session = refimpl.connect(sim.url, insecure=True)
        session._password = "wrong"  # as if the password were rotated meanwhile
        other = refimpl.connect(sim.url, insecure=True)
        key = session.content.sessionManager.currentSession.key
        other.content.sessionManager.TerminateSession([key])
        with pytest.raises(refimpl.VSphereFault) as err:
            refimpl.ImageCacheManager(session, "_base", lock_path="/tmp").update([], [DS0])
        assert err.value.fault_name == "InvalidLogin"
        assert not isinstance(err.value, NotAuthenticated)


def test_search_task_waits_out_the_browser_entity_window(tmp_path):
    # Gap 3 (running search task): a task delay keeps the task in the window
    # where pyvmomi's own WaitForTask fails; refimpl reads only state/result.
    with Simulator("process", method_delay={"SearchDatastore": 300,
                                            "SearchDatastoreSubFolders": 300,
                                            "deleteDatastoreFile": 300}) as sim:
        session = refimpl.connect(sim.url, insecure=True)
        dc = session.content.rootFolder.childEntity[0]
        session.content.fileManager.MakeDirectory(name=f"[{DS0}] _base/img1/ts-junk",
                                                  datacenter=dc, createParentDirectories=True)
        mgr = refimpl.ImageCacheManager(session, "_base", lock_path=tmp_path)
        summary = mgr.update([Instance("u", "vm", "h", "img1")], [DS0])
        assert summary.cleared == [(DS0, "img1")] and summary.faults == []
        mgr.enlist_image("img1", DS0)


def test_connect_errors():
    with pytest.raises(refimpl.InvalidArgument, match="must carry credentials"):
        refimpl.connect("https://127.0.0.1:1/sdk")
    with pytest.raises(refimpl.ConnectionLost, match=r"cannot reach 127\.0\.0\.1:1"):
        refimpl.connect("https://u:p@127.0.0.1:1/sdk", insecure=True)


def test_task_fault_is_translated(session):
    files = refimpl.files.DatastoreFiles(session)
    ds = refimpl.discovery.select(refimpl.discovery.discover(session), DS0)
    with pytest.raises(FileNotFound, match=rf"FileNotFound on \[{DS0}\] no/such/folder"):
        files.delete(ds, refimpl.DatastorePath(DS0, "no/such/folder"))
