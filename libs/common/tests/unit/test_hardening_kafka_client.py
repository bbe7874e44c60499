"""Issue 13 item 13 (deployment): every Kafka client of a service can speak SASL SCRAM-SHA-512 over TLS with the
service's own user; PLAINTEXT stays the default for the local broker."""

from __future__ import annotations

import ssl

import pytest
from pydantic import SecretStr

from o2c_common.kafka import make_producer, security_options
from o2c_common.settings import ServiceSettings


def test_plaintext_by_default() -> None:
    assert security_options(ServiceSettings()) == {"security_protocol": "PLAINTEXT"}


def test_sasl_ssl_checks_the_broker_and_logs_in_as_the_service() -> None:
    settings = ServiceSettings(kafka_security_protocol="SASL_SSL", kafka_sasl_username="collections",
                               kafka_sasl_password=SecretStr("s3cret-from-the-kafkauser-secret"))
    options = security_options(settings)
    context = options.pop("ssl_context")
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert options == {"security_protocol": "SASL_SSL", "sasl_mechanism": "SCRAM-SHA-512",
                       "sasl_plain_username": "collections", "sasl_plain_password": "s3cret-from-the-kafkauser-secret"}


def test_sasl_without_credentials_is_refused() -> None:
    with pytest.raises(ValueError, match="needs kafka_sasl_username and kafka_sasl_password"):
        security_options(ServiceSettings(kafka_security_protocol="SASL_SSL"))


async def test_the_producer_carries_the_security() -> None:
    settings = ServiceSettings(kafka_security_protocol="SASL_SSL", kafka_sasl_username="kpi",
                               kafka_sasl_password=SecretStr("pw"))
    producer = make_producer(settings)
    client = producer.client
    assert (client._security_protocol, client._sasl_mechanism, client._sasl_plain_username) == (
        "SASL_SSL", "SCRAM-SHA-512", "kpi")
    assert isinstance(client._ssl_context, ssl.SSLContext)


async def test_the_producer_compresses_its_batches_with_lz4_unless_told_otherwise() -> None:
    """lz4 by default (docs/performance.md: less CPU in the broker and the consumers than the bytes cost); the codec
    library is installed, or aiokafka would refuse the producer here."""
    assert make_producer(ServiceSettings())._compression_type == "lz4"
    assert make_producer(ServiceSettings(kafka_compression_type="zstd"))._compression_type == "zstd"
    assert make_producer(ServiceSettings(kafka_compression_type="none"))._compression_type is None
