"""Where a simulator (or a real vCenter) answers, and how to log in."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from urllib.parse import quote, unquote, urlsplit

from .errors import EndpointError

# Upstream vcsim and ours print this line once the SDK listens.
_GOVC_URL_LINE = re.compile(r"GOVC_URL=(\S+)")


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

    @classmethod
    def from_url(cls, url: str, *, insecure: bool = True) -> Endpoint:
        """Parse ``https://user:pass@host:port/sdk``; the path defaults to ``/sdk``."""
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
        if parts.username is None or parts.password is None:
            raise EndpointError(
                f"{_redact(url)!r}: credentials missing; use https://user:pass@host:port/sdk"
            )
        port = port or (443 if parts.scheme == "https" else 80)
        return cls(
            host=hostname,
            port=port,
            username=unquote(parts.username),
            password=unquote(parts.password),
            scheme=parts.scheme,
            path=parts.path or "/sdk",
            insecure=insecure,
        )

    @classmethod
    def from_output(cls, output: str) -> Endpoint | None:
        """The endpoint announced in a simulator's output, or None if not yet printed."""
        match = _GOVC_URL_LINE.search(output)
        return cls.from_url(match.group(1)) if match else None

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
        return _redact(self.url)

    def with_credentials(self, username: str, password: str) -> Endpoint:
        return replace(self, username=username, password=password)


def _redact(url: str) -> str:
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)
