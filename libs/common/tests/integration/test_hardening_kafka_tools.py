"""The operators' Kafka tools (`o2c dlq list/replay`) connect with the configured security like the services: a
client told to speak SASL over TLS does so (and so cannot talk to the local PLAINTEXT broker), PLAINTEXT works."""

from __future__ import annotations

import pytest
from aiokafka.errors import KafkaError
from pydantic import SecretStr

from o2c_cli.testing import Infra
from o2c_common.kafka import security_options
from o2c_common.kafka.dead_letters import list_dead_letters
from o2c_common.settings import ServiceSettings

pytestmark = pytest.mark.integration


async def test_the_dead_letter_tools_use_the_security_they_are_given(infra: Infra) -> None:
    plain = security_options(ServiceSettings())
    assert await list_dead_letters(infra.kafka_bootstrap, group="nobody-h13", limit=1, client_options=plain) == []
    secured = security_options(ServiceSettings(kafka_security_protocol="SASL_SSL", kafka_sasl_username="ops",
                                               kafka_sasl_password=SecretStr("pw")))
    with pytest.raises(KafkaError):  # a TLS handshake with a PLAINTEXT listener: no connection at all
        await list_dead_letters(infra.kafka_bootstrap, group="nobody-h13", limit=1,
                                client_options={**secured, "request_timeout_ms": 5000})
