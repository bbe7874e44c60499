"""Signed links carry their signature in the query string: it never reaches a log. The service's own access log
(``o2c_common.observability``) writes the path without the query; uvicorn's access log (off in the images and
``make dev``, ``--no-access-log``, but on by default when someone runs uvicorn by hand) gets this filter."""

from __future__ import annotations

import logging
import re

_SIGNATURE = re.compile(r"((?:^|[?&])sig=)[^&\s\"']*")
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """``/reports/qbr?date=…&sig=abc`` → ``/reports/qbr?date=…&sig=[redacted]``."""
    return _SIGNATURE.sub(rf"\1{REDACTED}", text)


class RedactSignatures(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


def install_log_redaction(logger_name: str = "uvicorn.access") -> None:
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, RedactSignatures) for f in logger.filters):
        logger.addFilter(RedactSignatures())
