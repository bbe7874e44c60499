"""Base class and registration of event payload contracts."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict

CE_TYPE_PREFIX = "o2c."
SOURCE_PREFIX = "/o2c/"

TOPICS = {
    "invoicing": "o2c.invoicing.events",
    "collections": "o2c.collections.events",
    "kpi": "o2c.kpi.events",
    "escalation": "o2c.escalation.events",
    "workforce": "o2c.workforce.events",
}
"""One topic per publishing service; the key (aggregate id) keeps one aggregate's events ordered."""


class EventPayload(BaseModel):
    """The ``data`` of a CloudEvent. Subclasses are registered with :func:`event`.

    Tolerant reader: unknown fields are ignored, so a producer may add an optional field before every
    consumer knows it (rolling deploys). A breaking change is a new version (``...v2``), not an edit.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    event_type: ClassVar[str]  # e.g. "invoice.issued"
    version: ClassVar[int]
    producer: ClassVar[str]  # publishing service, decides the topic
    aggregate_field: ClassVar[str]  # payload field whose value is the Kafka key

    @classmethod
    def ce_type(cls) -> str:
        return f"{CE_TYPE_PREFIX}{cls.event_type}.v{cls.version}"

    @classmethod
    def topic(cls) -> str:
        return TOPICS[cls.producer]

    @classmethod
    def expected_source(cls) -> str:
        """The ``ce_source`` of the one service allowed to publish this type; consumers refuse any other."""
        return service_source(cls.producer)

    def aggregate_id(self) -> str:
        return str(getattr(self, self.aggregate_field))

    def imported_history(self) -> bool:
        """A fact of history imported from another system (``o2c history replay``), not work of today: its event
        carries the ``o2c_history`` header, so that a group acting on today's work only skips it unread."""
        return False


def service_source(service: str) -> str:
    """The ``ce_source`` a service's events carry (``/o2c/invoicing``)."""
    return f"{SOURCE_PREFIX}{service}"


P = TypeVar("P", bound=EventPayload)

REGISTRY: dict[str, type[EventPayload]] = {}
"""ce_type (``o2c.invoice.issued.v1``) → payload model."""


def event(event_type: str, *, producer: str, key: str, version: int = 1) -> Callable[[type[P]], type[P]]:
    """Class decorator registering a payload model as the contract of ``event_type``."""
    if producer not in TOPICS:
        raise ValueError(f"unknown producer {producer!r}")

    def register(cls: type[P]) -> type[P]:
        if key not in cls.model_fields:
            raise TypeError(f"{cls.__name__}: key field {key!r} is not a payload field")
        if not cls.model_fields[key].is_required():
            raise TypeError(f"{cls.__name__}: key field {key!r} must be required (it is the Kafka key)")
        cls.event_type = event_type
        cls.version = version
        cls.producer = producer
        cls.aggregate_field = key
        ce_type = cls.ce_type()
        if ce_type in REGISTRY and REGISTRY[ce_type] is not cls:
            raise ValueError(f"event type {ce_type} registered twice")
        REGISTRY[ce_type] = cls
        return cls

    return register
