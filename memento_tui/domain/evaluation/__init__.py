"""Task suites and the learning curve: the suite format, an eval's saved state, its report.

The orchestration (clone, rounds, learning, merges) is in memento_tui.services.evaluation.
"""
