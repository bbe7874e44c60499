"""What an API client may read of an SMTP failure: the SMTP reply code, never the server's text.

A mail server's refusal text names relay hosts, internal addresses and accounts, and an ``OSError`` names the
system's view of the network; both go to the log, the client gets :func:`public_smtp_failure`.
"""

from __future__ import annotations

import smtplib


def smtp_reply_code(exc: BaseException) -> int | None:
    """The reply code of a refusal (550 …); the first recipient's when every recipient was refused."""
    code = getattr(exc, "smtp_code", None)
    if code is None and isinstance(exc, smtplib.SMTPRecipientsRefused) and exc.recipients:
        code = next(iter(exc.recipients.values()))[0]
    return int(code) if isinstance(code, int) else None


def public_smtp_failure(exc: BaseException) -> str:
    """``refused the message (SMTP reply 550)`` or ``could not be reached``: safe to show a client."""
    if isinstance(exc, smtplib.SMTPException):  # before OSError: SMTPException is one
        code = smtp_reply_code(exc)
        return "refused the message" + (f" (SMTP reply {code})" if code else "")
    return "could not be reached"
