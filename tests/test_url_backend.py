"""The url backend: an endpoint somebody else runs, never stopped by us."""

from __future__ import annotations

import pytest

from harness.vsphere.session import connect, disconnect
from sim import EndpointError, Simulator
from sim.readiness import probe


@pytest.mark.parametrize("given", ["url", "endpoint"])
def test_connects_to_a_running_simulator_and_never_stops_it(vcsim, given):
    options = {"url": vcsim.url} if given == "url" else {"endpoint": vcsim.endpoint}
    with Simulator("url", **options) as external:
        assert external.backend == "url"
        assert external.endpoint.url == vcsim.endpoint.url
        assert external.endpoint.thumbprint == (vcsim.endpoint.thumbprint
                                                if given == "endpoint" else None)
        disconnect(connect(external.endpoint))
    probe(vcsim.endpoint)  # still up


def test_endpoint_that_does_not_answer(unused_tcp_port):
    url = f"https://u:secret@127.0.0.1:{unused_tcp_port}/sdk"
    with pytest.raises(EndpointError) as err:
        Simulator("url", url=url).start()
    assert f"https://u:***@127.0.0.1:{unused_tcp_port}/sdk does not answer" in str(err.value)
    assert "secret" not in str(err.value)


def test_http_endpoint_that_is_not_vsphere(vcsim):
    url = f"https://u:p@127.0.0.1:{vcsim.port}/about"
    with pytest.raises(EndpointError, match="is not a vSphere SDK: HTTP"):
        Simulator("url", url=url).start()


@pytest.fixture
def unused_tcp_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
