"""Endpoint URLs: parsing, printing, redaction (pure)."""

from __future__ import annotations

import pytest

from sim import Endpoint, EndpointError


def test_round_trip_with_special_characters():
    ep = Endpoint.from_url("https://admin%40vsphere.local:p%3Aw%2Fd@vc.example:8443/sdk")
    assert (ep.username, ep.password, ep.host, ep.port) == (
        "admin@vsphere.local", "p:w/d", "vc.example", 8443)
    assert Endpoint.from_url(ep.url) == ep


def test_defaults_port_and_path():
    ep = Endpoint.from_url("https://u:p@vc")
    assert (ep.port, ep.path) == (443, "/sdk")
    assert Endpoint.from_url("http://u:p@vc").port == 80


def test_redacted_hides_the_password():
    ep = Endpoint.from_url("https://u:hunter2@127.0.0.1:8989/sdk")
    assert ep.redacted() == "https://u:***@127.0.0.1:8989/sdk"


@pytest.mark.parametrize(("url", "message"), [
    ("ftp://u:p@h/sdk", "scheme must be http or https, not 'ftp'"),
    ("https://u:p@:8989/sdk", "no host"),
    ("https://127.0.0.1:8989/sdk", "names no user"),
    ("https://u@127.0.0.1:8989/sdk", "carries no password"),
    ("https://u:p@h:99999/sdk", "port is not a number"),
])
def test_bad_urls(url, message):
    with pytest.raises(EndpointError, match=message):
        Endpoint.from_url(url)


@pytest.mark.parametrize("url", [
    "htps://admin:S3CRET-pw@vc/sdk", "https//admin:S3CRET-pw@vc/sdk",
    "https://admin:S3CRET-pw@/sdk", "https://adm@in:S3CRET-pw@vc:44x/sdk",
    "https://admin@corp:S3CRET-pw@vc:44x/sdk", "https://admin:S3CRET-pw/x@vc:1234567/sdk"])
def test_a_bad_url_never_echoes_its_password(url):
    with pytest.raises(EndpointError) as caught:
        Endpoint.from_url(url)
    assert "S3CRET" not in str(caught.value)


def test_a_password_given_apart_serves_a_url_without_one():
    assert Endpoint.from_url("https://u@vc/sdk", password="hunter2").password == "hunter2"
    assert Endpoint.from_url("https://u:inurl@vc/sdk", password="apart").password == "inurl"


def test_from_output_reads_the_govc_url_line():
    out = "noise\nexport GOVC_URL=https://user:pass@127.0.0.1:4242/sdk GOVC_SIM_PID=7\n"
    assert Endpoint.from_output(out) == Endpoint("127.0.0.1", 4242, "user", "pass")
    assert Endpoint.from_output("starting...") is None


def test_from_output_reads_our_thumbprint_too():
    thumb = ":".join(["AB"] * 32)
    out = f"it's up\nexport GOVC_URL=https://u:p@127.0.0.1:1/sdk GOVC_SIM_PID=7 " \
          f"VCSIM_THUMBPRINT={thumb.lower()}\n"
    assert Endpoint.from_output(out).thumbprint == thumb
