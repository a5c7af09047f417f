import logging

import pytest

from monitor.redact import REDACTOR, RedactingFilter, redact_url, url_secrets


@pytest.mark.parametrize("url,want", [
    ("rtsp://viewer:secret@10.0.0.5:554/h264", "rtsp://***@10.0.0.5:554/h264"),
    ("rtsp://u:p@ss@10.0.0.1:554/a@b", "rtsp://***@10.0.0.1:554/a@b"),  # raw '@' in the password
    ("http://cam/snap.jpg?user=a&password=hunter2", "http://cam/snap.jpg?user=a&password=***"),
    ("http://h/x?a=b@c", "http://h/x?a=b@c"),
    ("rtsp://10.0.0.1/x", "rtsp://10.0.0.1/x"),
])
def test_redact_url(url, want):
    assert redact_url(url) == want


def test_url_secrets_are_passwords_raw_and_decoded():
    assert url_secrets("rtsp://admin:p%40ss@h/x") == ["p%40ss", "p@ss"]  # user names are no secrets


def test_logging_filter_scrubs_messages_and_tracebacks(caplog):
    REDACTOR.add(["topsecret-value"])
    logger = logging.getLogger("test.redact")
    logger.addFilter(RedactingFilter())
    try:
        with caplog.at_level(logging.INFO, logger="test.redact"):
            logger.info("opening %s", "rtsp://u:topsecret-value@h/x")
            try:
                raise RuntimeError("failed with topsecret-value")
            except RuntimeError:
                logger.exception("boom")
    finally:
        logger.filters.clear()
    text = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert "topsecret-value" not in text
    assert "rtsp://***@h/x" in text and "RuntimeError" in text


def test_short_secrets_are_not_scrubbed_from_ordinary_words():
    from monitor.redact import Redactor

    r = Redactor()
    r.add(["p", "pw", "longer-secret"])
    assert r("open pipe, longer-secret") == "open pipe, ***"
