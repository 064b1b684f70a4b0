"""A steady-state pass costs the same SOAP calls for 10 or 500 cached images."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest

import refimpl
from harness.vsphere.datastore import DatastoreClient
from harness.vsphere.session import connect
from sim import Simulator

from .conftest import DS0

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def sim():
    with Simulator("process") as s:
        yield s


def steady_pass_calls(sim, tmp_path, n: int) -> Counter[str]:
    """Calls of one pass over ``n`` images, all unused and freshly marked,
    as the simulator's call trace counts them."""
    client = DatastoreClient(connect(sim.endpoint), sim.endpoint)
    root = client.local_path(DS0)
    base = f"cost{n}"
    mark = refimpl.mark_name(NOW)
    for i in range(n):  # bulk layout straight on the datastore's directory
        (root / base / f"img-{i:04d}" / mark).mkdir(parents=True)
    session = refimpl.connect(sim.url, insecure=True)
    mgr = refimpl.ImageCacheManager(session, base, lock_path=tmp_path, age_seconds=3600,
                                    clock=lambda: NOW)
    mgr.update([], [DS0])  # warm: inventory cached by the manager
    sim.control.reset_trace()
    summary = mgr.update([], [DS0])
    calls = sim.control.trace().counts
    assert str(summary) == "marked 0, deleted 0, cleared 0, skipped 0 (0 on faults)"
    return calls


def test_listing_calls_do_not_grow_with_the_number_of_images(sim, tmp_path):
    small = steady_pass_calls(sim, tmp_path, 10)
    large = steady_pass_calls(sim, tmp_path, 500)
    for calls in (small, large):
        assert calls["SearchDatastoreSubFolders_Task"] == 1
        assert calls["SearchDatastore_Task"] == 0
        assert calls["MakeDirectory"] == calls["DeleteDatastoreFile_Task"] == 0
    # Only task polling may differ: how often refimpl polls depends on how
    # long the simulator takes, which is load, not listing cost (bench/ has
    # the timings). Nothing else scales with N.
    polls = "RetrievePropertiesEx"
    assert {k: v for k, v in large.items() if k != polls} == \
        {k: v for k, v in small.items() if k != polls}
