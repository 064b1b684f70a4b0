"""The shapes of input a generated case has, along the dimensions the spec
and the protocol leave open: image ids, Nova's base folder rule, datastores,
nodes and their locks, the age, a claim left in a race's layout. Pure, over
a case as its file holds it (sequential or contention); the targets count
the cases of each shape for the summary, so that a search with no finding
says what it tried."""

from __future__ import annotations

from typing import Any

DAY_S = 86400


def shapes(doc: dict[str, Any]) -> set[str]:
    config = doc.get("config", {})
    found = {f"image id: {shape}" for image in image_ids(doc) for shape in id_shapes(image)}
    rule = config.get("base_folder", {})
    prefix = rule.get("cache_prefix")
    found.add("base folder: cache_prefix " + ("unset" if prefix is None else
                                               "empty" if prefix == "" else "set"))
    if "subdirectory_name" in rule:
        found.add("base folder: subdirectory named")
    found.add(f"datastores: {len(config.get('datastores', ['LocalDS_0']))}")
    nodes = config.get("nodes", {"node1": {}})
    found.add("nodes: 1" if len(nodes) == 1 else "nodes: several")
    locks = [node.get("lock_path", name) for name, node in nodes.items()]
    if len(locks) > 1:
        found.add("locks: shared" if len(set(locks)) < len(locks) else "locks: each its own")
    for image in doc.get("images", {}).values():  # a contention scenario's
        if image.get("claims_ago"):
            found.add("layout: a claim left" + (" beside marks" if image.get("marks_ago") else ""))
    age = config.get("age", DAY_S)
    found.add("age: days" if isinstance(age, int | float) and age >= DAY_S else "age: seconds")
    return found


def id_shapes(image: str) -> set[str]:
    size = len(image.encode())
    found = {"short" if len(image) <= 2 else "long" if size > 100 else "medium"}
    if not image.isascii():
        found.add("non-ASCII")
    if image != image.lower() and image != image.upper():
        found.add("mixed case")
    return found


def image_ids(doc: dict[str, Any]) -> set[str]:
    """The ids a case names: in its layout, its steps and its instances."""
    ids = set(doc.get("images", {}))  # a contention scenario's
    for state in doc.get("cache", {}).values():
        ids |= set(state.get("images", {}))
    for step in doc.get("steps", []):
        for spec in step.values():
            if isinstance(spec, dict) and isinstance(spec.get("image"), str):
                ids.add(spec["image"])
    for instance in doc.get("instances", []):
        ids |= {instance[k] for k in ("image_ref", "kernel_id") if instance.get(k)}
    return ids

