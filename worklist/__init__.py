"""Triage policy, worklist items and their states, queue order and claims, the database schema."""

__all__: list[str] = []
