"""Mutants of refimpl, each breaking one of its guarantees; the harness must
catch every one (tests/harness/test_mutants.py). They run as separate
processes speaking the protocol, so their patches never reach the
refimpl that runs in the harness's own process.

    python -m harness.adapters.mutants NAME
    pytest scenarios --impl "m=cmd:python -m harness.adapters.mutants no-claim"
"""

from __future__ import annotations

import sys
from collections.abc import Callable


def _no_claim() -> None:
    from refimpl.files import DatastoreFiles

    # Only claims rename: the delete goes ahead on the re-read alone.
    DatastoreFiles.move = lambda self, ds, source, destination: None


def _one_mark() -> None:
    from refimpl.manager import ImageCacheManager

    remove = ImageCacheManager._remove_marks
    ImageCacheManager._remove_marks = lambda self, ds, path, names: remove(
        self, ds, path, list(names)[:1])


def _no_recheck() -> None:
    from refimpl.manager import ImageCacheManager

    def delete_at_once(self, ds, path, action, summary):
        self._files.delete(ds, path)
        summary.deleted.append((ds.name, action.image_id))

    ImageCacheManager._delete_if_still_expired = delete_at_once


def _non_strict_age() -> None:
    from datetime import timedelta

    import refimpl.planner

    refimpl.planner.expired = lambda mark, now, age_seconds: \
        now - mark >= timedelta(seconds=age_seconds)


MUTANTS: dict[str, tuple[Callable[[], None], str]] = {
    "no-claim": (_no_claim, "deletes without claiming the mark first"),
    "one-mark": (_one_mark, "enlist and cleanup remove one mark, not all"),
    "no-recheck": (_no_recheck, "deletes on the listing's evidence: no re-read, no claim"),
    "non-strict-age": (_non_strict_age, "deletes a mark exactly age old (>= instead of >)"),
}


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in MUTANTS:
        print(f"usage: python -m harness.adapters.mutants {{{','.join(MUTANTS)}}}",
              file=sys.stderr)
        return 2
    MUTANTS[argv[0]][0]()
    from refimpl.serve import serve
    from sim.virtual_time import install_from_env

    install_from_env()  # a contention actor's child takes its turns

    return serve()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
