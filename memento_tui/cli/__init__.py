"""The ``memento`` command line. Handlers import heavy modules only when they run."""
