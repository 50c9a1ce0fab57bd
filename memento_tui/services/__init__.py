"""Orchestration between the domain and its callers (CLI, TUI, tests)."""
