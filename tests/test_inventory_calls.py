"""The harness's simulator answers whatever a client asks of its inventory:
its own layer (the file objects' wrappers) must not break the simulator's
code paths that reach those objects."""

from __future__ import annotations

import contextlib

import pytest
from pyVmomi import vim

from harness.vsphere.session import TaskError, connect, disconnect, wait_for_task
from sim import Simulator


@pytest.fixture(scope="module")
def sim():
    with Simulator("process", extra_args=["-vm=2"]) as sim:
        yield sim


def test_the_simulator_lives_through_calls_on_its_inventory(sim):
    si = connect(sim.endpoint)
    try:
        content = si.content
        first, second, *_ = content.viewManager.CreateContainerView(
            content.rootFolder, [vim.VirtualMachine], True).view
        datacenter = content.rootFolder.childEntity[0]
        calls = [lambda: first.PowerOffVM_Task(), lambda: first.Destroy_Task(),
                 lambda: second.PowerOffVM_Task(), lambda: second.UnregisterVM(),
                 lambda: datacenter.vmFolder.CreateFolder("f"),
                 lambda: datacenter.vmFolder.childEntity[0].Rename_Task("g"),
                 lambda: datacenter.vmFolder.childEntity[0].Destroy_Task(),
                 lambda: content.virtualDiskManager.DeleteVirtualDisk_Task(
                     "[LocalDS_0] nothing.vmdk", datacenter)]
        for call in calls:
            with contextlib.suppress(vim.fault.VimFault, TaskError):  # a fault is an answer
                result = call()
                if isinstance(result, vim.Task):
                    wait_for_task(si, result)
            assert content.rootFolder.childEntity == [datacenter]  # still answering
    finally:
        disconnect(si)
