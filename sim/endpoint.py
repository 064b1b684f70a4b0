"""Where a simulator (or a real vCenter) answers, and how to log in."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field, replace
from urllib.parse import quote, unquote, urlsplit

from .errors import EndpointError


@dataclass(frozen=True)
class Endpoint:
    """A vSphere SDK endpoint: ``https://user:pass@host:port/sdk``."""

    host: str
    port: int
    username: str
    password: str = field(repr=False)  # tracebacks show reprs: never the password
    scheme: str = "https"
    path: str = "/sdk"
    insecure: bool = True
    # SHA-256 of the server's certificate (AB:CD:...): with one, TLS is
    # verified against it rather than against certificate authorities.
    thumbprint: str | None = None

    @classmethod
    def from_url(cls, url: str, *, insecure: bool = True, thumbprint: str | None = None,
                 password: str | None = None) -> Endpoint:
        """Parse ``https://user:pass@host:port/sdk``; the path defaults to
        ``/sdk``. ``password``: the user's, for a URL that carries none."""
        # A malformed URL is named by the part that is wrong, never echoed:
        # where its password ends cannot be told (a raw "@" or "/" in it).
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise EndpointError(f"the vSphere URL's scheme must be http or https, not "
                                f"{parts.scheme!r} (https://user:pass@host:port/sdk)")
        try:
            hostname, port = parts.hostname, parts.port
        except ValueError:
            raise EndpointError("the vSphere URL's port is not a number from 0 to 65535 "
                                "(a raw '@' or ':' in the user or password must be written "
                                "%40 or %3A)") from None
        if not hostname:
            raise EndpointError("the vSphere URL names no host (https://user:pass@host:port/sdk)")
        if parts.username is None:
            raise EndpointError("the vSphere URL names no user (https://user:pass@host:port/sdk)")
        secret = unquote(parts.password) if parts.password is not None else password
        if secret is None:
            raise EndpointError("the vSphere URL carries no password, and none was given "
                                "apart (https://user:pass@host:port/sdk)")
        port = port or (443 if parts.scheme == "https" else 80)
        return cls(
            host=hostname,
            port=port,
            username=unquote(parts.username),
            password=secret,
            scheme=parts.scheme,
            path=parts.path or "/sdk",
            insecure=insecure,
            thumbprint=None if thumbprint is None else normal_thumbprint(thumbprint),
        )

    @classmethod
    def from_output(cls, output: str) -> Endpoint | None:
        """The endpoint announced in a simulator's output (``export GOVC_URL=…``,
        upstream vcsim's line; ours adds ``VCSIM_THUMBPRINT=…``), or None if
        not yet printed."""
        for line in output.splitlines():
            try:
                words = shlex.split(line)
            except ValueError:
                continue  # a log line with a stray quote
            if words[:1] != ["export"]:
                continue
            variables = dict(w.partition("=")[::2] for w in words[1:] if "=" in w)
            if "GOVC_URL" in variables:
                return cls.from_url(variables["GOVC_URL"],
                                    thumbprint=variables.get("VCSIM_THUMBPRINT") or None)
        return None

    @property
    def url(self) -> str:
        """The full URL, credentials included (what ``VCSIM_URL`` holds)."""
        creds = f"{quote(self.username, safe='')}:{quote(self.password, safe='')}"
        return f"{self.scheme}://{creds}@{self.netloc}{self.path}"

    @property
    def netloc(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """Scheme, host and port without credentials or path."""
        return f"{self.scheme}://{self.netloc}"

    def redacted(self) -> str:
        """The URL with the password masked, for logs and error messages."""
        return f"{self.scheme}://{quote(self.username, safe='')}:***@{self.netloc}{self.path}"

    def with_credentials(self, username: str, password: str) -> Endpoint:
        return replace(self, username=username, password=password)


def normal_thumbprint(text: str) -> str:
    """``text`` as 32 upper-case hex pairs joined by colons; the colons and
    the case may differ in what a user pastes."""
    digits = text.replace(":", "").strip().upper()
    if len(digits) != 64 or any(c not in "0123456789ABCDEF" for c in digits):
        raise EndpointError("a certificate thumbprint is its SHA-256: 32 hex pairs such as "
                            "AB:CD:…, as `python -m sim up` prints it in VCSIM_THUMBPRINT")
    return ":".join(digits[i:i + 2] for i in range(0, 64, 2))
