"""The simulator's schedule, through the actor's side of it (virtual_time):
turns on a virtual clock, the seed's order, stalls, and stopping."""

from __future__ import annotations

import http.client
import ssl
import threading
import time

import pytest

from sim import ControlError, Simulator
from sim.virtual_time import HEADER, NOW_HEADER, NotScheduled, Turns, install, uninstall

EPOCH = 1_800_000_000 * 10**9
MS = 10**6


@pytest.fixture(scope="module")
def sim():
    with Simulator("process", seed=1) as s:
        yield s


@pytest.fixture
def control(sim):
    sim.control.reset()
    yield sim.control
    sim.control.reset()


def run_actors(sim, bodies: dict) -> list[tuple[str, int]]:
    """Run each actor's body in a thread of its own (with its own Turns);
    what they logged, in order, as (actor, virtual ms since EPOCH)."""
    log: list[tuple[str, int]] = []
    errors: list[BaseException] = []

    def actor(name, body):
        turns = Turns(sim.endpoint.url, name)
        try:
            turns.join()
            body(turns, lambda: log.append((name, (turns.now_ns() - EPOCH) // MS)))
            turns.leave()
        except BaseException as exc:  # re-raised in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=actor, args=item) for item in bodies.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not any(t.is_alive() for t in threads), "an actor never finished"
    if errors:
        raise errors[0]
    return log


def sleeper(*seconds: float):
    def body(turns, note):
        for s in seconds:
            turns.sleep(s)
            note()
    return body


def test_actors_go_on_in_virtual_time_order(sim, control):
    control.start_schedule(["a", "b"], seed=3, epoch_unix_ns=EPOCH)
    log = run_actors(sim, {"a": sleeper(2.0), "b": sleeper(0.5, 0.5, 5.0)})
    # Each step moves the clock on by at least 1 µs: times are ms apart.
    assert log == [("b", 500), ("b", 1000), ("a", 2000), ("b", 6000)]
    status = control.stop_schedule()
    assert status.stalls == 0
    assert status.steps == 2 + 4  # two joins, four sleeps


def tie_order(sim, control, seed: int) -> tuple[list[str], str]:
    control.start_schedule(["a", "b", "c"], seed=seed, epoch_unix_ns=EPOCH)
    log = run_actors(sim, {name: sleeper(0.1, 0.1, 0.1) for name in "abc"})
    assert sorted(t for _, t in log) == [100] * 3 + [200] * 3 + [300] * 3
    return [name for name, _ in log], control.stop_schedule().digest


def test_ties_go_in_the_seeds_order_and_a_seed_repeats_it(sim, control):
    first = tie_order(sim, control, seed=11)
    assert tie_order(sim, control, seed=11) == first
    orders = {tuple(tie_order(sim, control, seed=s)[0]) for s in range(1, 9)}
    assert len(orders) > 1, "every seed gave the same order"


def soap_call(sim, actor: str | None) -> tuple[http.client.HTTPResponse, bytes]:
    """A SOAP call, as ``actor`` (None: as no actor); the answer and its body."""
    conn = http.client.HTTPSConnection(sim.endpoint.host, sim.endpoint.port,
                                       context=ssl._create_unverified_context())
    conn.request("POST", "/sdk", body=RETRIEVE_SERVICE_CONTENT,
                 headers={"Content-Type": "text/xml", "SOAPAction": "urn:vim25/8.0",
                          **({HEADER: actor} if actor else {})})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response, data


def test_latency_of_an_actors_call_passes_on_the_virtual_clock(sim, control):
    control.set_latency(default_ms=60_000)  # a minute per call, in virtual time
    control.start_schedule(["a"], seed=1, epoch_unix_ns=EPOCH)

    def body(turns, note):
        response, data = soap_call(sim, turns.actor)
        assert response.status == 200, data[:300]
        note()

    assert run_actors(sim, {"a": body}) == [("a", 60_000)]
    call = control.trace().of("RetrieveServiceContent")[-1]
    assert (call.start_unix_ns - EPOCH) // MS == 0
    assert (call.end_unix_ns - EPOCH) // MS == 60_000


def test_an_actor_blocked_outside_the_simulators_view_is_a_stall(sim, control):
    control.start_schedule(["blocked", "other"], seed=1, epoch_unix_ns=EPOCH, quiet_ms=2000)
    free = threading.Event()

    def blocked(turns, note):
        free.wait(30)  # as behind a file lock held by a parked actor
        note()

    def other(turns, note):
        turns.sleep(1.0)
        note()
        free.set()

    log = run_actors(sim, {"blocked": blocked, "other": other})
    assert [name for name, _ in log] == ["other", "blocked"]
    assert control.stop_schedule().stalls == 1


def test_stopping_releases_a_waiting_actor_as_not_scheduled(sim, control):
    control.start_schedule(["a", "never-joins"], seed=1)
    outcome: list[BaseException | None] = []

    def join():
        try:
            Turns(sim.endpoint.url, "a").join()
            outcome.append(None)
        except NotScheduled as exc:
            outcome.append(exc)

    thread = threading.Thread(target=join)
    thread.start()
    deadline = time.monotonic() + 10
    while control.schedule().joined == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert control.schedule().joined == 1, "a never joined"
    control.stop_schedule()  # a waits for never-joins: released now
    thread.join(10)
    assert outcome and isinstance(outcome[0], NotScheduled)


def test_an_unknown_actor_is_refused(sim, control):
    control.start_schedule(["a"], seed=1)
    with pytest.raises(NotScheduled, match='"stranger"'):
        Turns(sim.endpoint.url, "stranger").join()


@pytest.mark.parametrize("actors", [[], ["a", "a"], [""]])
def test_bad_schedules_are_refused_with_the_reason(control, actors):
    with pytest.raises(ControlError, match="actors"):
        control.start_schedule(actors, seed=1)


RETRIEVE_SERVICE_CONTENT = b"""<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
 xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<soapenv:Body><RetrieveServiceContent xmlns="urn:vim25">
<_this type="ServiceInstance">ServiceInstance</_this></RetrieveServiceContent>
</soapenv:Body></soapenv:Envelope>"""


@pytest.mark.parametrize("slow", ["latency", "delay_after"])
def test_an_actors_answer_tells_the_time_it_goes_on_at(sim, control, slow):
    """After the call's latency, or after its slow answer's delay: the time
    the actor goes on at, not the time the call ran."""
    if slow == "latency":
        control.set_latency(default_ms=1500)
    else:
        control.add_fault("delay_after", method="RetrieveServiceContent", delay_ms=1500)
    control.start_schedule(["a"], seed=1, epoch_unix_ns=EPOCH)
    stamps = []

    def body(turns, note):
        stamps.append(soap_call(sim, turns.actor)[0].getheader(NOW_HEADER))
        stamps.append(str(turns.now_ns()))
        stamps.append(soap_call(sim, None)[0].getheader(NOW_HEADER))  # no actor's

    run_actors(sim, {"a": body})
    assert stamps[0] == stamps[1] and stamps[2] is None
    assert (int(stamps[0]) - EPOCH) // MS == 1500
    control.reset()
    assert soap_call(sim, "a")[0].getheader(NOW_HEADER) is None  # no schedule runs


def counting(turns: Turns) -> list[str]:
    """The control API paths ``turns`` asks from here on."""
    asked: list[str] = []
    request = turns._request
    turns._request = lambda method, path, body=None: (asked.append(path),
                                                      request(method, path, body))[1]
    return asked


def test_a_held_clock_is_the_clock_and_is_asked_for_after_a_request(sim, control):
    """With ``hold_s`` the time a scheduling point gave (a join, a sleep,
    a call's answer) stands for the clock without asking, until the actor
    makes its next request; another actor moving the clock meanwhile is
    seen, and so is the time a call took."""
    control.set_latency(default_ms=1000)
    control.start_schedule(["a", "b"], seed=1, epoch_unix_ns=EPOCH)
    other = threading.Thread(target=lambda: run_actors(sim, {"b": sleeper(5.0)}) and None)
    turns = Turns(sim.endpoint.url, "a", hold_s=30)
    asked = counting(turns)
    seen = []

    def note():
        seen.append(((turns.now_ns() - EPOCH) // MS, asked.count("now")))

    install(turns)  # this process is actor a (b runs in a thread, uninstalled)
    try:
        other.start()
        turns.join()
        note()
        time.sleep(0.5)  # the schedule's sleep
        note()
        note()
        soap_call(sim, None)  # install() names the actor
        note()
        time.sleep(10)  # b's sleep of 5 s ends meanwhile
        note()
        control.trace()  # a request, no scheduling point: the clock is asked for
        note()
        turns.leave()
    finally:
        uninstall()
        turns.close()
        other.join(30)
    assert seen == [(0, 0), (500, 0), (500, 0), (1500, 0), (11500, 0), (11500, 1)]


def test_a_held_clock_is_asked_for_after_its_hold(sim, control):
    control.start_schedule(["a"], seed=1, epoch_unix_ns=EPOCH)
    turns = Turns(sim.endpoint.url, "a", hold_s=0.05)
    asked = counting(turns)
    turns.join()
    turns.now_ns()
    time.sleep(0.1)  # real time: not installed
    assert (turns.now_ns() - EPOCH) // MS == 0
    assert asked.count("now") == 1
    turns.leave()
    turns.close()
