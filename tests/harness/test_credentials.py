"""A real vCenter's password: the file it comes from, and its masking in
every output (pure)."""

from __future__ import annotations

import logging

import pytest

from harness.vsphere import credentials
from harness.vsphere.credentials import (
    CredentialsError,
    carries_password,
    keep_out,
    read_password_file,
    redact,
)


@pytest.fixture
def secrets(monkeypatch):
    """A clean set of secrets, and the log record factory as it was."""
    monkeypatch.setattr(credentials, "_SECRETS", set())
    factory = logging.getLogRecordFactory()
    yield
    logging.setLogRecordFactory(factory)


def test_the_password_is_the_first_line_of_a_private_file(tmp_path):
    path = tmp_path / "pw"
    path.write_text("s3 cret:/@\nanything else\n")
    path.chmod(0o600)
    assert read_password_file(path) == "s3 cret:/@"


@pytest.mark.parametrize(("mode", "text", "named"), [
    (0o640, "x\n", "open to others (mode 0640): chmod 600"),
    (0o604, "x\n", "open to others (mode 0604)"),
    (0o600, "\nx\n", "first line is empty"),
    (0o600, "", "first line is empty"),
])
def test_an_unfit_password_file_is_named(tmp_path, mode, text, named):
    path = tmp_path / "pw"
    path.write_text(text)
    path.chmod(mode)
    with pytest.raises(CredentialsError) as caught:
        read_password_file(path)
    assert named in str(caught.value) and str(path) in str(caught.value)


def test_a_missing_file_or_a_folder_is_named(tmp_path):
    with pytest.raises(CredentialsError, match="No such file"):
        read_password_file(tmp_path / "none")
    folder = tmp_path / "d"
    folder.mkdir(mode=0o700)
    with pytest.raises(CredentialsError, match="Is a directory"):
        read_password_file(folder)
    with pytest.raises(CredentialsError, match="not a regular file"):
        read_password_file("/dev/null")


@pytest.mark.parametrize(("url", "carries"), [
    ("https://u:p@vc/sdk", True), ("https://u:@vc/sdk", True), ("https://u@vc/sdk", False),
    ("https://vc/sdk", False), ("https://u:p@vc:99999/sdk", True)])
def test_carries_password(url, carries):
    assert carries_password(url) is carries


def test_redact_masks_the_password_and_the_userinfo_plain_and_encoded(secrets):
    keep_out("admin@vsphere.local", "p@ss:w/rd")
    text = ("tried p@ss:w/rd at https://admin%40vsphere.local:p%40ss%3Aw%2Frd@vc/sdk and "
            "admin@vsphere.local:p@ss:w/rd@vc")
    assert redact(text) == "tried *** at https://***@vc/sdk and ***@vc"


def test_nothing_is_masked_before_a_secret_is_kept_out(secrets):
    assert redact("p@ss at u:p@ss@vc") == "p@ss at u:p@ss@vc"


def test_log_records_are_masked_messages_arguments_and_tracebacks(secrets, caplog):
    keep_out("u", "hunter2")
    log = logging.getLogger("harness.test")
    with caplog.at_level(logging.INFO, "harness.test"):
        log.info("logging in with %s", "hunter2")
        try:
            raise ValueError("bad password hunter2")
        except ValueError:
            log.exception("failed")
    assert "hunter2" not in caplog.text
    assert "logging in with ***" in caplog.text and "bad password ***" in caplog.text
