"""The local mail server of `make dev`: real SMTP in, every message kept, readable with `o2c mail`."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from pathlib import Path

from typer.testing import CliRunner

from o2c_cli.localstack import free_port
from o2c_cli.mail import app, kept_messages, start_server

RUNNER = CliRunner(env={"COLUMNS": "200"})


def notice(subject: str, to: str, attachment: bytes | None = None) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "collections@o2c.local", to, subject
    message.set_content(f"Dear customer,\n\n{subject}: 1,234.50 USD is overdue.\n")
    if attachment is not None:
        message.add_attachment(attachment, maintype="application", subtype="pdf", filename="statement.pdf")
    return message


def test_every_message_sent_over_smtp_is_kept_and_listed(tmp_path: Path) -> None:
    port = free_port()
    server = start_server(tmp_path / "mail", port=port)
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            smtp.send_message(notice("Reminder 1", "ap@acme.example"))
            smtp.send_message(notice("Statement", "ap@globex.example", attachment=b"%PDF-1.7 fake"),
                              to_addrs=["ap@globex.example", "cfo@globex.example"])
    finally:
        server.stop()

    kept = kept_messages(tmp_path / "mail")
    assert [k.subject for k in kept] == ["Reminder 1", "Statement"]
    assert kept[1].recipients == "ap@globex.example, cfo@globex.example"  # the envelope, Bcc included
    assert kept[1].attachments == ["statement.pdf"]

    listed = RUNNER.invoke(app, ["list", "--dir", str(tmp_path / "mail")])
    assert listed.exit_code == 0, listed.output
    assert "2 message(s) kept" in listed.output
    assert "Reminder 1" in listed.output and "ap@acme.example" in listed.output

    shown = RUNNER.invoke(app, ["show", "2", "--dir", str(tmp_path / "mail"), "--save-attachments",
                                str(tmp_path / "out")])
    assert shown.exit_code == 0, shown.output
    assert "1,234.50 USD is overdue" in shown.output
    assert (tmp_path / "out" / "statement.pdf").read_bytes() == b"%PDF-1.7 fake"


def test_asking_for_a_message_that_does_not_exist_says_so(tmp_path: Path) -> None:
    result = RUNNER.invoke(app, ["show", "3", "--dir", str(tmp_path / "empty")])
    assert result.exit_code == 1
    assert "there is no message 3: 0 kept" in result.output
    assert "no messages yet" in RUNNER.invoke(app, ["list", "--dir", str(tmp_path / "empty")]).output


def test_make_dev_points_every_service_at_the_same_local_mail_server(tmp_path: Path) -> None:
    from o2c_cli.services import SERVICES
    from o2c_cli.stack import Stack, StackConfig

    stack = Stack(StackConfig(data_dir=tmp_path, external_pg_url="postgresql+asyncpg://u@h:1",
                              external_kafka="127.0.0.1:1", mail_port=2525))
    for name in ("invoicing", "collections"):
        env = stack.service_env(SERVICES[name])
        prefix = SERVICES[name].env_prefix
        assert (env[f"{prefix}SMTP_HOST"], env[f"{prefix}SMTP_PORT"]) == ("127.0.0.1", "2525")
