"""Payload models of every o2c event, one module per publishing service."""

from o2c_common.events.contracts import collections, escalation, invoicing, kpi, workforce

__all__ = ["collections", "escalation", "invoicing", "kpi", "workforce"]
