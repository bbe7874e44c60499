"""Events published by the collections service."""
