"""Fidelity gaps of the pinned simulator (govmomi v0.56.0) against vCenter.

Each test pins today's behaviour of the simulator, so that a govmomi update
that changes it fails here and the workaround elsewhere can be revisited.
Numbers refer to ``vcsim-facts.md`` (spec/), gaps 1-4.
"""

from __future__ import annotations

import http.client
import itertools
import re
from dataclasses import dataclass

import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim

from harness.vsphere import connect, wait_for_task
from sim import EndpointError, Simulator
from sim.readiness import probe

from .leaks import wait_until

_names = itertools.count()


@dataclass
class Folder:
    """A fresh folder ``[LocalDS_0] gaps-N`` holding one sub-folder ``img1``."""

    si: vim.ServiceInstance
    dc: vim.Datacenter
    ds: vim.Datastore
    path: str

    @property
    def fm(self) -> vim.FileManager:
        return self.si.content.fileManager

    def search(self, path: str, spec) -> list[str]:
        task = self.ds.browser.SearchDatastore_Task(datastorePath=path, searchSpec=spec)
        return [f.path for f in wait_for_task(self.si, task).file]


@pytest.fixture
def folder(vsphere):
    dc = vsphere.content.rootFolder.childEntity[0]
    ds = dc.datastore[0]
    made = Folder(vsphere, dc, ds, f"[{ds.name}] gaps-{next(_names)}")
    made.fm.MakeDirectory(name=f"{made.path}/img1", datacenter=dc, createParentDirectories=True)
    yield made
    wait_for_task(vsphere, made.fm.DeleteDatastoreFile_Task(name=made.path, datacenter=dc))


def test_gap1_search_without_spec_kills_the_simulator():
    # Nova's get_sub_folders sends no searchSpec. On a non-empty folder the
    # simulator dereferences the nil spec in a task goroutine: the whole
    # process panics (not just the connection), so it gets its own simulator.
    with Simulator("process") as sim:
        si = connect(sim.endpoint)
        content = si.RetrieveContent()
        dc = content.rootFolder.childEntity[0]
        ds = dc.datastore[0]
        content.fileManager.MakeDirectory(name=f"[{ds.name}] base/img1", datacenter=dc,
                                          createParentDirectories=True)
        with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
            WaitForTask(ds.browser.SearchDatastore_Task(datastorePath=f"[{ds.name}] base"))
        with pytest.raises(EndpointError):
            probe(sim.endpoint, timeout=2)
        assert "nil pointer dereference" in sim.output()
        assert "(*searchDatastore).queryMatch" in sim.output()


def test_gap1_search_without_spec_on_an_empty_folder_returns_nothing(folder):
    assert folder.search(f"{folder.path}/img1", None) == []


def test_gap2_empty_match_pattern_returns_no_entries(folder):
    spec = vim.host.DatastoreBrowser.SearchSpec
    assert folder.search(folder.path, spec(matchPattern=[])) == []
    assert folder.search(folder.path, spec(matchPattern=["*"])) == ["img1"]


def test_gap3_delete_task_info_is_unreadable_by_pyvmomi(folder):
    task = folder.fm.DeleteDatastoreFile_Task(name=f"{folder.path}/img1", datacenter=folder.dc)
    with pytest.raises(TypeError, match=re.escape(
            '"entity" expected type vim.ManagedEntity, but got vim.FileManager')):
        task.info  # noqa: B018 - reading the property is the call under test


def test_gap3_search_task_info_is_readable(folder):
    # Upstream fixed the entity for SearchDatastore (PR #1357) but not for delete.
    task = folder.ds.browser.SearchDatastore_Task(
        datastorePath=folder.path,
        searchSpec=vim.host.DatastoreBrowser.SearchSpec(matchPattern=["*"]))
    wait_for_task(folder.si, task)
    assert isinstance(task.info.entity, vim.Datastore)


def test_gap3_running_search_task_info_is_unreadable_too():
    # Found here under load: until the task body runs, a search task's entity
    # is the HostDatastoreBrowser. pyvmomi's WaitForTask reads the whole info
    # while polling, so concurrent searches fail at random. A task delay
    # (keyed by the task name "SearchDatastore", not the SOAP method) holds
    # the task in that window deterministically.
    with Simulator("process", method_delay={"SearchDatastore": 500}) as sim:
        si = connect(sim.endpoint)
        ds = si.RetrieveContent().rootFolder.childEntity[0].datastore[0]
        task = ds.browser.SearchDatastore_Task(
            datastorePath=f"[{ds.name}]",
            searchSpec=vim.host.DatastoreBrowser.SearchSpec(matchPattern=["*"]))
        browser_entity = re.escape(
            "expected type vim.ManagedEntity, but got vim.host.DatastoreBrowser")
        with pytest.raises(TypeError, match=browser_entity):
            task.info  # noqa: B018 - reading the property is the call under test
        with pytest.raises(TypeError, match=browser_entity):
            WaitForTask(task)

        def readable() -> bool:
            try:
                return isinstance(task.info.entity, vim.Datastore)
            except TypeError:
                return False

        wait_until(readable, "search task info unreadable", timeout=10)


def test_gap4_mkdir_with_parents_on_existing_folder_succeeds(folder):
    # vCenter raises FileAlreadyExists here; the simulator does not.
    folder.fm.MakeDirectory(name=f"{folder.path}/img1", datacenter=folder.dc,
                            createParentDirectories=True)
    # Without createParentDirectories the simulator does raise it, as vCenter.
    with pytest.raises(vim.fault.FileAlreadyExists):
        folder.fm.MakeDirectory(name=f"{folder.path}/img1", datacenter=folder.dc,
                                createParentDirectories=False)
