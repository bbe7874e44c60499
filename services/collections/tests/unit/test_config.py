"""Collections' defaults that must agree with the rest of the platform."""

from o2c_collections.config import CollectionsSettings


def test_smtp_defaults_to_the_local_mail_server_like_invoicing() -> None:
    settings = CollectionsSettings()
    assert (settings.smtp_host, settings.smtp_port) == ("127.0.0.1", 1025)
