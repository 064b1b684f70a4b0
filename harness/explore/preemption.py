"""Every schedule with at most k preemptions, enumerated (CHESS's
iterative context bounding, Musuvathi and Qadeer, PLDI 2007), as pure
functions over what a run's schedule reports.

A ``switches`` schedule (``sim.strategy``) lets the actor that ran last go
on while it is enabled, else the earliest enabled one, except at the steps
it names. A run reports each step's choice (the actor that went, those
enabled). Its branches are the schedules that take, at one step after its
last switch, another enabled actor: a preemption when the actor of the step
before was enabled too, a free switch when it was not. Branching only after
the last switch makes the schedules a tree, so none is run twice.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import pairwise

from sim import Choice, Switch


def preemptions(choices: Sequence[Choice], upto: int | None = None) -> int:
    """The preemptions among the first ``upto`` steps: steps whose actor is
    not the one before, though that one was enabled."""
    steps = choices[:upto]
    return sum(1 for before, step in pairwise(steps)
               if step.actor != before.actor and before.actor in step.enabled)


def branches(choices: Sequence[Choice], switches: tuple[Switch, ...], actors: Sequence[str],
             bound: int) -> Iterator[tuple[Switch, ...]]:
    """The schedules one switch further than the run that made ``choices``
    under ``switches``, with at most ``bound`` preemptions in all
    (``actors``: the names behind the choices' indexes)."""
    after = max((s.step for s in switches), default=0)
    for i in range(after, len(choices)):
        step = choices[i]
        before = choices[i - 1].actor if i else None
        cost = 1 if before is not None and before in step.enabled else 0
        if cost and preemptions(choices, i) + cost > bound:
            continue
        for other in step.enabled:
            if other != step.actor:
                yield (*switches, Switch(i + 1, actors[other]))
