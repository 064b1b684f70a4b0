"""How a seeded schedule picks the actor that goes on (``vcsim/schedule.go``
explains each): ``uniform``, today's draw by time and seeded priority;
``pct``, seeded priorities with ``depth - 1`` change points over ``span``
steps; ``switches``, the actor that ran last goes on except at the steps
named (a schedule with so many preemptions); ``preemptions``, the same but
at the preemption points named, counted as the run meets them (none is
missed, only not reached)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

UNIFORM, PCT, SWITCHES, PREEMPTIONS = "uniform", "pct", "switches", "preemptions"
STRATEGIES = (UNIFORM, PCT, SWITCHES, PREEMPTIONS)


@dataclass(frozen=True)
class Switch:
    step: int  # from 1
    actor: str


@dataclass(frozen=True)
class Strategy:
    name: str = UNIFORM
    depth: int = 1  # pct: a bug of this depth is found with probability >= 1/(n k^(d-1))
    span: int = 100  # pct: the steps the change points fall in
    switches: tuple[Switch, ...] = ()
    points: tuple[int, ...] = ()  # preemptions: the preemption points, from 1

    def config(self) -> dict[str, Any]:
        """The part of ``PUT /harness/schedule`` that says it."""
        if self.name == PCT:
            return {"strategy": PCT, "change_points": self.depth - 1, "change_span": self.span}
        if self.name == SWITCHES:
            return {"strategy": SWITCHES, "switches": [{"step": s.step, "actor": s.actor}
                                                       for s in self.switches]}
        if self.name == PREEMPTIONS:
            return {"strategy": PREEMPTIONS, "preemptions": list(self.points)}
        return {"strategy": UNIFORM}

    def __str__(self) -> str:
        if self.name == PCT:
            return f"pct (depth {self.depth}, span {self.span})"
        if self.name == SWITCHES:
            at = ", ".join(f"{s.actor} at step {s.step}" for s in self.switches)
            return f"switches ({at or 'none'})"
        if self.name == PREEMPTIONS:
            return f"preemptions (at points {', '.join(map(str, self.points)) or 'none'})"
        return UNIFORM
