"""Fidelity gaps of the pinned simulator (govmomi v0.56.0) against vCenter,
side by side: ``stock`` mode pins upstream's behaviour (so a govmomi update
that changes it fails here), ``vcenter`` mode (the default) shows the fix.
Numbers refer to ``vcsim-facts.md`` (spec/), gaps 1-4.
"""

from __future__ import annotations

import http.client
import itertools
import re
import ssl
from dataclasses import dataclass

import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim

from harness.vsphere.session import TaskError, connect, disconnect, wait_for_task
from sim import EndpointError, Simulator
from sim.readiness import probe

from .leaks import wait_until

_names = itertools.count()
BROWSER_ENTITY = re.escape("expected type vim.ManagedEntity, but got vim.host.DatastoreBrowser")
FILE_MANAGER_ENTITY = re.escape(
    '"entity" expected type vim.ManagedEntity, but got vim.FileManager')


@pytest.fixture(scope="module")
def simulators():
    with Simulator("process", fidelity="stock") as stock, Simulator("process") as vcenter:
        sessions = {"stock": connect(stock.endpoint), "vcenter": connect(vcenter.endpoint)}
        yield sessions
        for si in sessions.values():
            disconnect(si)


@dataclass
class Folder:
    """A fresh folder ``[LocalDS_0] gaps-N`` holding one sub-folder ``img1``."""

    mode: str
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


@pytest.fixture(params=["stock", "vcenter"])
def folder(request, simulators):
    si = simulators[request.param]
    dc = si.content.rootFolder.childEntity[0]
    ds = dc.datastore[0]
    made = Folder(request.param, si, dc, ds, f"[{ds.name}] gaps-{next(_names)}")
    made.fm.MakeDirectory(name=f"{made.path}/img1", datacenter=dc, createParentDirectories=True)
    yield made
    wait_for_task(si, made.fm.DeleteDatastoreFile_Task(name=made.path, datacenter=dc))


@pytest.mark.parametrize("fidelity", ["stock", "vcenter"])
def test_gap1_search_without_spec(fidelity):
    # Nova's get_sub_folders sends no searchSpec. Stock: on a non-empty
    # folder the simulator dereferences the nil spec in a task goroutine and
    # the whole process dies. vcenter: every entry, as vCenter answers.
    with Simulator("process", fidelity=fidelity) as sim:
        si = connect(sim.endpoint)
        content = si.RetrieveContent()
        dc = content.rootFolder.childEntity[0]
        ds = dc.datastore[0]
        content.fileManager.MakeDirectory(name=f"[{ds.name}] base/img1", datacenter=dc,
                                          createParentDirectories=True)
        def search() -> list[str]:
            task = ds.browser.SearchDatastore_Task(datastorePath=f"[{ds.name}] base")
            return [f.path for f in wait_for_task(si, task).file]

        if fidelity == "vcenter":
            assert search() == ["img1"]
            return
        # The panic may beat the call's own answer or only the poll after it
        # (then the poll is written to a TLS connection the dead process closed).
        with pytest.raises((http.client.RemoteDisconnected, ConnectionError, ssl.SSLEOFError)):
            search()
        with pytest.raises(EndpointError):
            probe(sim.endpoint, timeout=2)
        # The output is read by a thread: it may still be behind the exit.
        wait_until(lambda: "(*searchDatastore).queryMatch" in sim.output(),
                   "no panic in the output")
        assert "nil pointer dereference" in sim.output()


def test_gap1_search_without_spec_on_an_empty_folder(folder):
    assert folder.search(f"{folder.path}/img1", None) == []


def test_gap2_empty_match_pattern(folder):
    spec = vim.host.DatastoreBrowser.SearchSpec
    expected = [] if folder.mode == "stock" else ["img1"]
    assert folder.search(folder.path, spec(matchPattern=[])) == expected
    assert folder.search(folder.path, spec(matchPattern=["*"])) == ["img1"]


def test_gap3_delete_task_info(folder):
    task = folder.fm.DeleteDatastoreFile_Task(name=f"{folder.path}/img1", datacenter=folder.dc)
    wait_for_task(folder.si, task)
    if folder.mode == "stock":
        with pytest.raises(TypeError, match=FILE_MANAGER_ENTITY):
            task.info  # noqa: B018 - reading the property is the call under test
    else:
        assert task.info.state == "success"
        assert isinstance(task.info.entity, vim.Datastore) and task.info.entityName == "LocalDS_0"


def test_gap3_finished_search_task_info_is_readable(folder):
    # Upstream fixed the entity of a finished SearchDatastore task (PR #1357).
    task = folder.ds.browser.SearchDatastore_Task(
        datastorePath=folder.path,
        searchSpec=vim.host.DatastoreBrowser.SearchSpec(matchPattern=["*"]))
    wait_for_task(folder.si, task)
    assert isinstance(task.info.entity, vim.Datastore)


@pytest.mark.parametrize("fidelity", ["stock", "vcenter"])
def test_gap3_running_search_task_info(fidelity):
    # Found here under load: until the task body runs, a search task's entity
    # is the HostDatastoreBrowser. pyvmomi's WaitForTask reads the whole info
    # while polling, so concurrent searches fail at random. A task delay
    # (keyed by the task name "SearchDatastore", not the SOAP method) holds
    # the task in that window deterministically.
    with Simulator("process", fidelity=fidelity,
                   method_delay={"SearchDatastore": 2000}) as sim:
        si = connect(sim.endpoint)
        ds = si.RetrieveContent().rootFolder.childEntity[0].datastore[0]
        task = ds.browser.SearchDatastore_Task(
            datastorePath=f"[{ds.name}]",
            searchSpec=vim.host.DatastoreBrowser.SearchSpec(matchPattern=["*"]))
        if fidelity == "vcenter":
            # Readable whatever its state; named after its SOAP method, which
            # pyVim's WaitForTask looks up while the task runs.
            assert isinstance(task.info.entity, vim.Datastore)
            assert task.info.name.info.wsdlName == "SearchDatastore_Task"
            WaitForTask(task)
            return
        with pytest.raises(TypeError, match=BROWSER_ENTITY):
            task.info  # noqa: B018 - reading the property is the call under test
        with pytest.raises(TypeError, match=BROWSER_ENTITY):
            WaitForTask(task)

        def readable() -> bool:
            try:
                return isinstance(task.info.entity, vim.Datastore)
            except TypeError:
                return False

        wait_until(readable, "search task info unreadable", timeout=10)


def test_gap4_mkdir_with_parents_on_existing_folder(folder):
    def mkdir(path: str, parents: bool) -> None:
        folder.fm.MakeDirectory(name=path, datacenter=folder.dc, createParentDirectories=parents)

    if folder.mode == "stock":
        mkdir(f"{folder.path}/img1", True)  # vCenter raises FileAlreadyExists here
    else:
        with pytest.raises(vim.fault.FileAlreadyExists):
            mkdir(f"{folder.path}/img1", True)
    mkdir(f"{folder.path}/new/deeper", True)  # missing parents are created in both
    with pytest.raises(vim.fault.FileAlreadyExists):  # without parents: both as vCenter
        mkdir(f"{folder.path}/img1", False)


def test_gap5_move_of_a_missing_source_onto_an_existing_destination(folder):
    # Found by this harness (not in vcsim-facts.md): the simulator checks the
    # destination before the source. vCenter reports the missing source
    # (FileNotFound). Not mended; refimpl's claims move to a fresh name, so
    # a missing source (a mark an enlist removed) shows as FileNotFound.
    def move(source: str, destination: str):
        task = folder.fm.MoveDatastoreFile_Task(
            sourceName=f"{folder.path}/{source}", sourceDatacenter=folder.dc,
            destinationName=f"{folder.path}/{destination}", destinationDatacenter=folder.dc,
            force=False)
        return wait_for_task(folder.si, task)

    with pytest.raises(TaskError) as onto_existing:
        move("missing", "img1")
    assert isinstance(onto_existing.value.fault, vim.fault.FileAlreadyExists)
    with pytest.raises(TaskError) as onto_fresh:
        move("missing", "fresh-name")
    assert isinstance(onto_fresh.value.fault, vim.fault.FileNotFound)
    move("img1", "moved")  # an existing source onto a fresh name: renamed
    assert folder.search(folder.path, vim.host.DatastoreBrowser.SearchSpec(
        matchPattern=["*"])) == ["moved"]
