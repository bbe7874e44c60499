"""A local mail server for `make dev`: it accepts every message over real SMTP and keeps it, so dunning notices and
e-mailed invoices can be read (`o2c mail list`, `o2c mail show N`) instead of vanishing or failing.

Messages live in a Maildir (``<data dir>/mail``), one file a message, with the SMTP envelope recipients kept in an
``X-O2C-Envelope-To`` header (Bcc recipients appear nowhere else).
"""

from __future__ import annotations

import email
import email.policy
import mailbox
import signal
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from o2c_cli.paths import DEFAULT_DATA_DIR

DEFAULT_MAIL_PORT = 1025
MAX_MESSAGE_BYTES = 25 * 1024 * 1024
ENVELOPE_HEADER = "X-O2C-Envelope-To"

app = typer.Typer(help="The local mail server of `make dev` and the messages it kept", no_args_is_help=True)


class MaildirHandler:
    """aiosmtpd handler: every accepted message goes to the Maildir as it arrived, plus its envelope recipients."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._box = mailbox.Maildir(directory, create=True)
        self._lock = threading.Lock()
        self.received: list[bytes] = []
        """Every message as it arrived, in arrival order (for tests)."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content or b""
        if isinstance(content, str):
            content = content.encode("utf-8", "surrogateescape")
        recipients = ", ".join(envelope.rcpt_tos)
        with self._lock:
            self._box.add(f"{ENVELOPE_HEADER}: {recipients}\r\n".encode() + content)
            self.received.append(content)
        return "250 Message accepted for delivery"


def start_server(directory: Path, *, host: str = "127.0.0.1", port: int = DEFAULT_MAIL_PORT) -> Any:
    """Start the SMTP server in a thread of this process; the caller stops it with ``.stop()``."""
    from aiosmtpd.controller import Controller

    controller = Controller(MaildirHandler(directory), hostname=host, port=port, data_size_limit=MAX_MESSAGE_BYTES,
                            ident="o2c local mail")
    controller.start()
    return controller


@dataclass(frozen=True)
class KeptMessage:
    number: int
    key: str
    received: datetime
    sender: str
    recipients: str
    subject: str
    attachments: list[str]
    message: EmailMessage


def kept_messages(directory: Path) -> list[KeptMessage]:
    """The messages kept so far, oldest first, numbered from 1."""
    if not directory.exists():
        return []
    box = mailbox.Maildir(directory, create=False)
    found = []
    for key in box.iterkeys():
        with box.get_file(key) as raw:
            message = email.message_from_bytes(raw.read(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        found.append((key, message, _received(box, key, message)))
    found.sort(key=lambda item: (item[2], item[0]))
    return [KeptMessage(number=n, key=key, received=received, sender=str(message.get("From", "")),
                        recipients=str(message.get(ENVELOPE_HEADER) or message.get("To", "")),
                        subject=str(message.get("Subject", "(no subject)")),
                        attachments=[part.get_filename() or part.get_content_type()
                                     for part in message.iter_attachments()],
                        message=message)
            for n, (key, message, received) in enumerate(found, start=1)]


def _received(box: mailbox.Maildir, key: str, message: EmailMessage) -> datetime:
    date = message.get("Date")
    if date:
        try:
            return parsedate_to_datetime(str(date)).astimezone(UTC)
        except (TypeError, ValueError):
            pass
    return datetime.fromtimestamp(box.get_message(key).get_date(), UTC)


def default_mail_dir() -> Path:
    return DEFAULT_DATA_DIR / "mail"


MailDir = Annotated[Path | None, typer.Option("--dir", help="The Maildir (default: .local/mail of `make dev`)")]


@app.command("serve")
def serve(directory: MailDir = None, host: str = "127.0.0.1",
          port: Annotated[int, typer.Option(min=1, max=65535)] = DEFAULT_MAIL_PORT) -> None:
    """Run the local mail server until stopped (`make dev` starts one for you)."""
    console = Console()
    target = directory or default_mail_dir()
    controller = start_server(target, host=host, port=port)
    console.print(f"local mail server on {host}:{port}, keeping messages in {target}")
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    try:
        stopped.wait()
    finally:
        controller.stop()


@app.command("list")
def list_messages(directory: MailDir = None,
                  last: Annotated[int, typer.Option(min=1, help="Show only the newest N")] = 50) -> None:
    """The messages the local mail server kept, newest last."""
    console = Console()
    messages = kept_messages(directory or default_mail_dir())
    if not messages:
        console.print("no messages yet")
        return
    table = Table(title=f"{len(messages)} message(s) kept", title_justify="left")
    for column in ("#", "received (UTC)", "from", "to", "subject", "attachments"):
        table.add_column(column)
    for kept in messages[-last:]:
        table.add_row(str(kept.number), kept.received.strftime("%Y-%m-%d %H:%M:%S"), kept.sender, kept.recipients,
                      kept.subject, ", ".join(kept.attachments) or "—")
    console.print(table)


@app.command("show")
def show(number: Annotated[int, typer.Argument(min=1, help="The number `o2c mail list` gives")],
         directory: MailDir = None,
         save_attachments: Annotated[Path | None, typer.Option(help="Write the attachments to this folder")] = None,
         ) -> None:
    """One kept message: its headers and text, and its attachments (saved where asked)."""
    console = Console()
    messages = kept_messages(directory or default_mail_dir())
    if number > len(messages):
        console.print(f"[red]there is no message {number}: {len(messages)} kept")
        raise typer.Exit(1)
    kept = messages[number - 1]
    for header in ("From", ENVELOPE_HEADER, "To", "Cc", "Subject", "Date"):
        if kept.message.get(header):
            console.print(f"[bold]{header.replace('X-O2C-Envelope-To', 'Delivered to')}:[/] {kept.message[header]}")
    body = kept.message.get_body(preferencelist=("plain", "html"))
    console.print()
    console.print(body.get_content() if body is not None else "(no text part)", markup=False, highlight=False)
    for part in kept.message.iter_attachments():
        name = Path(part.get_filename() or "attachment.bin").name
        payload = part.get_content()
        if isinstance(payload, str):
            payload = payload.encode()
        console.print(f"attachment: {name} ({part.get_content_type()}, {len(payload):,} bytes)")
        if save_attachments is not None:
            save_attachments.mkdir(parents=True, exist_ok=True)
            (save_attachments / name).write_bytes(payload)


if __name__ == "__main__":
    app()
