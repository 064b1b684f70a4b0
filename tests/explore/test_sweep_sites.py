"""Call sites: which call a fault rule singles out (pure)."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from harness.explore.sites import Site, call_sites, orders, pairs_in_order, unscoped
from sim import Call
from sim.faults import FAULTS

ROOT = "ich-1234abcd"


def call(method: str, path: str = "", exempt: bool = False) -> Call:
    return Call(id=0, method=method, this="", client="", start_ns=0, end_ns=0,
                start_unix_ns=0, end_unix_ns=0, outcome="ok", path=path, exempt=exempt)


def test_sites_count_the_calls_a_rule_would_match():
    calls = [call("Login"), call("RetrievePropertiesEx"),
             call("SearchDatastoreSubFolders_Task", f"[ds] {ROOT}/_base"),
             call("RetrievePropertiesEx", exempt=True),  # the inspector's: not counted
             call("MakeDirectory", f"[ds] {ROOT}/_base/img1/ts-x"),
             call("RetrievePropertiesEx"),
             call("MakeDirectory", f"[ds] {ROOT}/_base/img2/ts-x"),
             call("MakeDirectory", f"[ds] {ROOT}/_base/img1/ts-x")]
    assert [str(s) for s in call_sites(calls, ROOT)] == [
        "Login (no path) #1", "RetrievePropertiesEx (no path) #1",
        "SearchDatastoreSubFolders_Task [ds] _base #1",
        "MakeDirectory [ds] _base/img1/ts-x #1", "RetrievePropertiesEx (no path) #2",
        "MakeDirectory [ds] _base/img2/ts-x #1", "MakeDirectory [ds] _base/img1/ts-x #2"]


def test_entries_of_an_image_are_one_glob_whatever_their_names():
    """Marks follow the clock, claims are named at random: the k-th call on
    any entry of an image is the site, the same call in every run."""
    calls = [call("DeleteDatastoreFile_Task", f"[ds] {ROOT}/_base/img1"),
             call("MoveDatastoreFile_Task", f"[ds] {ROOT}/_base/img1/ts-2026-03-01-12-00-00"),
             call("DeleteDatastoreFile_Task", f"[ds] {ROOT}/_base/img1/deleting-1f3a"),
             call("MakeDirectory", f"[ds] {ROOT}/_base/img10/ts-2026-03-01-12-00-01"),
             call("MakeDirectory", f"[ds] {ROOT}/other/img1/ts-x"),
             call("DeleteDatastoreFile_Task", f"[ds] {ROOT}/_base/img1/ts-2026-03-01-12-00-00")]
    assert [str(s) for s in call_sites(calls, ROOT, ["_base"])] == [
        "DeleteDatastoreFile_Task [ds] _base/img1 #1",
        "MoveDatastoreFile_Task [ds] _base/img1/* #1",
        "DeleteDatastoreFile_Task [ds] _base/img1/* #1",
        "MakeDirectory [ds] _base/img10/* #1",
        "MakeDirectory [ds] other/img1/ts-x #1",
        "DeleteDatastoreFile_Task [ds] _base/img1/* #2"]


def test_a_rule_singles_out_its_call_with_skip_and_count():
    site = Site("MakeDirectory", "[ds] _base/img1/ts-x", 1)
    assert site.rule("FileLocked") == {"fault": "FileLocked", "method": "MakeDirectory",
                                       "path": "[ds] _base/img1/ts-x", "skip": 1, "count": 1}
    assert Site("RetrievePropertiesEx", "", 0).rule("delay_after") == {
        "fault": "delay_after", "method": "RetrievePropertiesEx", "skip": 0, "count": 1,
        "delay_ms": 300}


@pytest.mark.parametrize("site", [Site("Login", "", 0), Site("MakeDirectory", "[ds] a b/c", 4)])
def test_a_site_reads_back_from_its_replay_line(site):
    assert Site.parse(str(site)) == site


def test_paths_lose_the_run_folder_only():
    assert unscoped(f"[LocalDS_0] {ROOT}/_base/img", ROOT) == "[LocalDS_0] _base/img"
    assert unscoped("[LocalDS_0] other/_base", ROOT) == "[LocalDS_0] other/_base"
    assert unscoped("no datastore", ROOT) == "no datastore"


def test_each_kind_of_call_comes_first_then_repeats_every_fault():
    sites = [Site("A", "", 0), Site("A", "", 1), Site("B", "p", 0), Site("A", "", 2)]
    order = pairs_in_order(sites)
    assert len(order) == len(sites) * len(FAULTS)
    assert [s for s, _ in order[::len(FAULTS)]] == [sites[0], sites[2], sites[1], sites[3]]
    assert [f for _, f in order[:len(FAULTS)]] == list(FAULTS)
    shuffled = pairs_in_order(sites, random.Random(3))
    assert sorted(map(str, shuffled)) == sorted(map(str, order)) and shuffled != order
    assert {s for s, _ in shuffled[:2 * len(FAULTS)]} == {sites[0], sites[2]}


def test_a_kind_of_call_is_its_session_method_and_path_shape():
    def on(session: str, method: str, path: str = "") -> Call:
        return replace(call(method, path and f"[{path[0]}] {ROOT}/{path[2:]}"), session=session)

    calls = [on("a", "DeleteDatastoreFile_Task", "1 _base/img1"), on("a", "RetrievePropertiesEx"),
             on("a", "RetrievePropertiesEx"),
             on("a", "DeleteDatastoreFile_Task", "2 _base/img2"), on("a", "RetrievePropertiesEx"),
             on("a", "MoveDatastoreFile_Task", "1 _base/img1/ts-x"),
             on("b", "RetrievePropertiesEx"),
             on("a", "RetrievePropertiesEx")]
    sites = call_sites(calls, ROOT, ["_base"])
    assert [s.kind for s in sites] == [
        "0: DeleteDatastoreFile_Task [] ?/?",
        "0: RetrievePropertiesEx after DeleteDatastoreFile_Task [] ?/?",
        "0: RetrievePropertiesEx after DeleteDatastoreFile_Task [] ?/?",
        "0: DeleteDatastoreFile_Task [] ?/?",  # another image, another datastore: same kind
        "0: RetrievePropertiesEx after DeleteDatastoreFile_Task [] ?/?",
        "0: MoveDatastoreFile_Task [] ?/?/*",
        "1: RetrievePropertiesEx after nothing",  # another session
        "0: RetrievePropertiesEx after MoveDatastoreFile_Task [] ?/?/*"]  # the rename's poll
    first = [s for s, _ in pairs_in_order(sites, kinds=("drop",))]
    assert first == [sites[i] for i in (0, 1, 5, 6, 7, 2, 3, 4)]


def test_call_orders_are_the_kinds_of_two_actors_calls_met_on_one_image():
    base = "10.0.0.5_base"
    img = f"[LocalDS_0] {ROOT}/{base}/img1"

    def by(actor: str, method: str, path: str, exempt: bool = False) -> Call:
        return replace(call(method, path, exempt), actor=actor)

    calls = [
        by("ager-1@n1", "SearchDatastoreSubFolders_Task", f"[LocalDS_0] {ROOT}/{base}"),
        by("ager-1@n1", "MakeDirectory", f"{img}/ts-2026-01-01-00-00-00"),
        by("spawner-1@n2", "SearchDatastore_Task", img),
        by("spawner-1@n2", "DeleteDatastoreFile_Task", f"{img}/ts-2026-01-01-00-00-00"),
        by("observer", "SearchDatastore_Task", img, exempt=True),  # the harness looking
        call("MakeDirectory", f"{img}/ts-x"),  # no actor: outside a seeded schedule
        by("ager-2@n1", "DeleteDatastoreFile_Task", img),
        by("ager-2@n1", "SearchDatastore_Task", f"[LocalDS_0] {ROOT}/{base}/img2"),
    ]
    assert orders(calls, ROOT, [("LocalDS_0", base)]) == {
        ("ager MakeDirectory entry", "spawner SearchDatastore_Task folder"),
        ("spawner DeleteDatastoreFile_Task entry", "ager DeleteDatastoreFile_Task folder"),
    }
