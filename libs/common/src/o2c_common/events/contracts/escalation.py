"""Events published by the escalation service."""
