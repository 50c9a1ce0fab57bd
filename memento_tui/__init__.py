"""Memento: a terminal app for an agent that learns from its own failures."""

from __future__ import annotations

__version__ = "0.1.0"
