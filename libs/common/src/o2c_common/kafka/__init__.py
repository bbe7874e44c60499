"""aiokafka plumbing: producer factory, topic administration, dead-letter topic names."""

from o2c_common.kafka.client import dead_letter_topic, ensure_topics, make_producer, read_from_start, security_options

__all__ = ["dead_letter_topic", "ensure_topics", "make_producer", "read_from_start", "security_options"]
