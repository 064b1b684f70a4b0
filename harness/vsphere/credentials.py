"""A real vCenter's password: read from a file only the user can read, and
kept out of everything the harness writes.

A command line and an initial environment are readable by every process of
the same user (``/proc/<pid>/cmdline``, ``/proc/<pid>/environ``), the
implementations under test included; a file of mode 0600 whose path they are
not told is not on their way. Whatever still quotes the password (an
implementation that found it anyway, a library's exception) is masked in
test reports and log lines by ``redact``.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

MASK = "***"


class CredentialsError(ValueError):
    """A password given where it would leak, or a password file unfit to use."""


def read_password_file(path: str | os.PathLike[str]) -> str:
    """The password in ``path`` (its first line), which must be a file that
    only its owner may read or write."""
    where = Path(path)
    try:
        info = where.stat()
        text = where.read_text(encoding="utf-8")
    except OSError as exc:
        raise CredentialsError(f"password file {str(where)!r}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise CredentialsError(f"password file {str(where)!r} is not UTF-8 text") from None
    if not stat.S_ISREG(info.st_mode):
        raise CredentialsError(f"password file {str(where)!r} is not a regular file")
    if info.st_mode & 0o077:
        raise CredentialsError(
            f"password file {str(where)!r} is open to others (mode "
            f"{stat.S_IMODE(info.st_mode):04o}): chmod 600 {where}")
    lines = text.splitlines()
    if not lines or not lines[0]:
        raise CredentialsError(f"password file {str(where)!r}: its first line is empty")
    return lines[0]


def carries_password(url: str) -> bool:
    """Whether ``url`` has a password in its userinfo."""
    try:
        return urlsplit(url).password is not None
    except ValueError:
        return False  # malformed: the endpoint's parser names what is wrong


_SECRETS: set[str] = set()


def keep_out(user: str, password: str) -> None:
    """From now on, ``redact`` masks ``password`` (and the userinfo it makes
    with ``user``, plain and %-encoded) in this process."""
    _SECRETS.update({password, quote(password, safe=""),
                     f"{user}:{password}@", f"{quote(user, safe='')}:{quote(password, safe='')}@"})
    _SECRETS.discard("")
    redact_logs()


def redact(text: str) -> str:
    """``text`` with every secret kept out masked; userinfo first, as it
    holds the password."""
    for secret in sorted(_SECRETS, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, f"{MASK}@" if secret.endswith("@") else MASK)
    return text


def _redacting(make: Callable[..., logging.LogRecord]) -> Callable[..., logging.LogRecord]:
    """A log record factory that masks secrets in a record's message and
    traceback as it is made, before any handler (pytest's among them)
    formats it."""
    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        if _SECRETS:
            record.msg, record.args = redact(record.getMessage()), None
            if record.exc_info:
                record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return record
    factory.redacting = True  # type: ignore[attr-defined]
    return factory


def redact_logs() -> None:
    """Every log record made in this process from now on is redacted."""
    make = logging.getLogRecordFactory()
    if not getattr(make, "redacting", False):
        logging.setLogRecordFactory(_redacting(make))
