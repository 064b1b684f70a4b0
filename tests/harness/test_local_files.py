"""A run folder's local files (the process simulator's datastores, on this
host) against what vSphere shows of the same folder, on a real simulator:
each writes what the other reads, names of every legal shape included; a
shared login outlives its run folders; nothing outside the run folder is
reachable."""

from __future__ import annotations

import pytest

from harness.vsphere import inspector
from harness.vsphere.datastore import DatastoreClient
from harness.vsphere.layout import lay_out
from harness.vsphere.local import LocalFiles, OutsideRunFolder
from harness.vsphere.login import Login
from harness.vsphere.run_folder import RunFolder
from harness.vsphere.tree import CacheTree, ImageTree
from sim import Simulator

DS = "LocalDS_0"
LONG = "é" * 127  # 254 bytes in UTF-8: as long as a file name may be, near enough
TREE = CacheTree(
    images={"img1": ImageTree(marks=["ts-2026-03-01-12-00-00"], folders=["deleting-x"],
                              files=["img1.vmdk"]),
            "Mixed-Case": ImageTree(files=["Mixed-Case.vmdk"]),
            LONG: ImageTree(marks=["ts-2026-03-01-12-00-00", "ts-2026-03-02-12-00-00"]),
            "ünïcode-画像": ImageTree()},
    files=["stray.txt"])


@pytest.fixture(scope="module")
def process_sim():
    with Simulator("process") as sim:
        yield sim


def sorted_tree(tree: CacheTree | None) -> CacheTree | None:
    if tree is None:
        return None
    return CacheTree(images={k: ImageTree(sorted(v.marks), sorted(v.folders), sorted(v.files))
                             for k, v in sorted(tree.images.items())}, files=sorted(tree.files))


def test_on_the_process_simulator_the_run_folder_is_local_and_vsphere_sees_its_layout(
        process_sim):
    with RunFolder.new(process_sim.endpoint, datastores=[DS]) as folder:
        assert isinstance(folder.files, LocalFiles)
        base = folder.path("_base")
        lay_out(folder.files, DS, base, TREE)
        through_vsphere = inspector.read(folder.client, DS, base)
        assert sorted_tree(through_vsphere) == sorted_tree(TREE)
        assert folder.files.tree(DS, base) == folder.client.tree(DS, base)
        assert inspector.read(folder.files, DS, folder.path("absent")) is None
        name = folder.name
    with Login(process_sim.endpoint) as login:
        assert login.client.tree(DS, name) is None  # removed on leaving


def test_what_vsphere_lays_out_the_local_files_read(process_sim):
    with RunFolder.new(process_sim.endpoint, datastores=[DS]) as folder:
        base = folder.path("base")
        lay_out(folder.client, DS, base, TREE)
        assert sorted_tree(inspector.read(folder.files, DS, base)) == sorted_tree(TREE)


def test_a_shared_login_outlives_its_run_folders_and_is_spared_their_faults(process_sim):
    with Login(process_sim.endpoint) as login:
        for _ in range(2):
            with RunFolder.new(process_sim.endpoint, datastores=[DS], control=True,
                               login=login) as folder:
                folder.control.add_fault("NoPermission", method="SearchDatastoreSubFolders_Task")
                folder.client.mkdir(DS, folder.path("img1"))
                assert [e.path for e in folder.client.tree(DS, folder.name)] == ["img1"]
            assert folder.name not in {e.path for e in login.client.tree(DS, "") or []}
        # Still logged in: the login is the caller's to close.
        assert login.session.content.sessionManager.currentSession is not None
        assert process_sim.control.faults() == []


def test_a_run_folder_on_a_container_or_vcenter_goes_through_vsphere(vcsim):
    with RunFolder.new(vcsim.endpoint, datastores=[DS]) as folder:
        local = isinstance(folder.files, LocalFiles)
        assert local == (vcsim.backend == "process")
        if not local:
            assert isinstance(folder.files, DatastoreClient)


@pytest.mark.parametrize("path", ["ich-run/../elsewhere", "other/img1", "ich-run//img",
                                  "ich-run/./img", "ich-runner/img"])
def test_local_files_refuse_every_path_outside_their_run_folder(tmp_path, path):
    files = LocalFiles({DS: tmp_path}, "ich-run")
    with pytest.raises(OutsideRunFolder, match="is not below the run folder ich-run"):
        files.mkdir(DS, path)
    assert list(tmp_path.iterdir()) == []


def test_local_files_name_a_datastore_vsphere_or_the_run_does_not_have(tmp_path):
    files = LocalFiles({DS: tmp_path}, "ich-run", known=[DS, "LocalDS_1"])
    with pytest.raises(LookupError, match=r"^vSphere has no datastore 'Nope' \(it has "
                                          r"LocalDS_0, LocalDS_1\)$"):
        files.tree("Nope", "ich-run")
    with pytest.raises(LookupError, match=r"^datastore 'LocalDS_1' is not one of this run's "
                                          r"\(LocalDS_0\)$"):
        files.mkdir("LocalDS_1", "ich-run/img")
