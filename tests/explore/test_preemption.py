"""Bounded-preemption enumeration, pure: against a small model of the
simulator's ``switches`` strategy, the schedules ``branches`` reaches are
every order with at most k preemptions, each once."""

from __future__ import annotations

from itertools import permutations

import pytest

from harness.explore.preemption import branches, preemptions
from sim import Choice, Switch

ACTORS = ["a", "b", "c"]


def _run(steps: list[int], switches: tuple[Switch, ...]) -> list[Choice]:
    """The ``switches`` strategy over actors that stay enabled until they
    have made their ``steps``: the last actor goes on while enabled, else
    the earliest enabled; a switch names the actor of its step."""
    left, named = list(steps), {s.step: ACTORS.index(s.actor) for s in switches}
    choices, last = [], None
    while any(left):
        enabled = tuple(i for i, n in enumerate(left) if n)
        actor = named.get(len(choices) + 1)
        assert actor in enabled or actor is None, "a branch named an actor not enabled"
        if actor is None:
            actor = last if last in enabled else enabled[0]
        choices.append(Choice(actor, enabled))
        left[actor] -= 1
        last = actor
    return choices


def _enumerate(steps: list[int], bound: int) -> list[tuple[int, ...]]:
    orders, pending = [], [()]
    while pending:
        switches = pending.pop()
        choices = _run(steps, switches)
        orders.append(tuple(c.actor for c in choices))
        pending += branches(choices, switches, ACTORS, bound)
    return orders


def _every_order(steps: list[int]) -> set[tuple[int, ...]]:
    return set(permutations([i for i, n in enumerate(steps) for _ in range(n)]))


def _cost(order: tuple[int, ...], steps: list[int]) -> int:
    """Preemptions of an order: a change of actor while the one before still
    had steps to make."""
    left, cost = list(steps), 0
    for i, actor in enumerate(order):
        if i and actor != order[i - 1] and left[order[i - 1]]:
            cost += 1
        left[actor] -= 1
    return cost


@pytest.mark.parametrize("steps", [[2, 2], [3, 2], [2, 2, 1], [1, 3, 2]])
@pytest.mark.parametrize("bound", [0, 1, 2, 3])
def test_the_enumeration_is_every_order_within_the_bound_once(steps, bound):
    orders = _enumerate(steps, bound)
    assert len(orders) == len(set(orders)), "a schedule was run twice"
    within = {o for o in _every_order(steps) if _cost(o, steps) <= bound}
    assert set(orders) == within


def test_the_count_with_one_preemption_of_two_actors():
    # Two actors of n steps, at most one preemption: the one that starts
    # runs to the end (2 orders), or is preempted once after 1..n-1 steps and
    # the other then runs to the end (2 (n-1)): 2n in all, n = 3 gives 6.
    assert len(_enumerate([3, 3], 1)) == 6
    assert len(_enumerate([3, 3], 0)) == 2


def test_preemptions_count_changes_while_the_one_before_was_enabled():
    choices = [Choice(0, (0, 1)), Choice(1, (0, 1)), Choice(1, (1,)), Choice(0, (0,)),
               Choice(1, (0, 1))]
    assert preemptions(choices) == 2  # steps 2 and 5; step 4 is free (1 not enabled)
    assert preemptions(choices, 3) == 1
    assert preemptions([]) == 0


def test_a_branch_that_would_exceed_the_bound_is_not_offered():
    choices = _run([2, 2], ())  # a a b b
    assert [c.actor for c in choices] == [0, 0, 1, 1]
    # A switch at step 1 is free (no actor ran before); at step 2 it preempts a.
    assert list(branches(choices, (), ACTORS, 1)) == [(Switch(1, "b"),), (Switch(2, "b"),)]
    assert list(branches(choices, (), ACTORS, 0)) == [(Switch(1, "b"),)]
    once = (Switch(2, "b"),)  # a b b a: a second preemption (at step 3) costs 2
    assert [c.actor for c in _run([2, 2], once)] == [0, 1, 1, 0]
    assert list(branches(_run([2, 2], once), once, ACTORS, 1)) == []
    assert list(branches(_run([2, 2], once), once, ACTORS, 2)) == [(*once, Switch(3, "a"))]
