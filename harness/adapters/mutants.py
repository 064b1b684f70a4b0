"""Mutants of refimpl, each breaking one of its guarantees; the harness must
catch every one (tests/harness/test_mutants.py). They run as separate
processes speaking the protocol, so their patches never reach the
refimpl that runs in the harness's own process.

    python -m harness.adapters.mutants NAME
    pytest scenarios --impl "m=cmd:python -m harness.adapters.mutants no-lock"
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable


def _no_lock() -> None:
    import refimpl.manager

    refimpl.manager.image_lock = lambda lock_path, name: contextlib.nullcontext()


def _one_mark() -> None:
    from refimpl.manager import ImageCacheManager

    remove = ImageCacheManager._remove_marks
    ImageCacheManager._remove_marks = lambda self, ds, path, names: remove(
        self, ds, path, list(names)[:1])


def _no_recheck() -> None:
    import refimpl.planner

    refimpl.planner.recheck_delete = lambda folder, now, age_seconds: None


def _non_strict_age() -> None:
    from datetime import timedelta

    import refimpl.planner

    refimpl.planner.expired = lambda mark, now, age_seconds: \
        now - mark >= timedelta(seconds=age_seconds)


MUTANTS: dict[str, tuple[Callable[[], None], str]] = {
    "no-lock": (_no_lock, "takes no per-image lock"),
    "one-mark": (_one_mark, "enlist and cleanup remove one mark, not all"),
    "no-recheck": (_no_recheck, "deletes on the listing's evidence, without a re-read"),
    "non-strict-age": (_non_strict_age, "deletes a mark exactly age old (>= instead of >)"),
}


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in MUTANTS:
        print(f"usage: python -m harness.adapters.mutants {{{','.join(MUTANTS)}}}",
              file=sys.stderr)
        return 2
    MUTANTS[argv[0]][0]()
    from refimpl.serve import serve

    from ..contention.virtual_time import install_from_env

    install_from_env()  # a contention actor's child takes its turns

    return serve()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
