"""Pure Python core: skills, retrieval, sandbox, git, LLM, agent, learning.

Nothing here imports textual or rich (tests/test_layers.py proves it), so every
command works headless and every piece is testable without a terminal.
"""
