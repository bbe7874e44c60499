"""Events published by the kpi service."""
