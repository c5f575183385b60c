"""Exceptions raised by :mod:`workers`."""

from __future__ import annotations

__all__ = ["PipelineError", "ConfigError", "StoreError"]


class PipelineError(Exception):
    """Base class of every error raised by :mod:`workers`."""


class ConfigError(PipelineError, ValueError):
    """The settings file or a command-line option is invalid (the message names the file and key)."""


class StoreError(PipelineError):
    """The artifact store could not be written."""
