from tests.sandboxing import open_dir, sandbox, skill_factory, work  # noqa: F401
