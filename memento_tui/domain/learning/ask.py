"""Ask the model for JSON in a fixed schema; retry once with the error, then give up.

The schema goes with the request as structured output where the server takes it (a
``response_format``; llama.cpp turns it into a grammar, so even the small local model can
only write JSON of that shape), and it is in the prompt as well: a server that refuses
structured output is asked again without it (``ModelClient``), and the prompt alone
carries it there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from memento_tui.domain.llm import ModelClient, Usage

M = TypeVar("M", bound=BaseModel)


@dataclass
class Answer(Generic[M]):
    value: M | None
    error: str = ""
    usage: Usage = field(default_factory=Usage)
    raw: list[str] = field(default_factory=list)


def _extract_json(text: str) -> Any:
    text = text.strip()
    if text.startswith("```"):
        text = text.strip("`")
        text = text[text.find("\n") + 1 :] if "\n" in text else text
    start, end = text.find("{"), text.rfind("}")
    if start == -1 or end <= start:
        raise ValueError("the reply holds no JSON object")
    # strict=False: a raw newline inside a string is what was meant, not a reason to refuse.
    return json.loads(text[start : end + 1], strict=False)


def ask_json(
    model: ModelClient,
    messages: list[dict[str, Any]],
    schema: type[M],
    *,
    max_tokens: int,
    attempts: int = 2,
    wire: dict[str, Any] | None = None,
) -> Answer[M]:
    """``wire``: the schema as sent for structured output (default: ``schema``'s own)."""
    wire = wire if wire is not None else schema.model_json_schema()
    answer: Answer[M] = Answer(value=None)
    convo = list(messages)
    for _ in range(attempts):
        reply = model.complete(convo, max_tokens=max_tokens, schema=wire)
        answer.usage.add(reply.usage)
        answer.raw.append(reply.text)
        try:
            answer.value = schema.model_validate(_extract_json(reply.text))
            answer.error = ""
            return answer
        except (ValueError, ValidationError) as err:
            answer.error = _short(err)
        convo = [
            *convo,
            {"role": "assistant", "content": reply.text},
            {
                "role": "user",
                "content": f"That answer could not be used: {answer.error}\nReply again with only the JSON object, following the schema exactly.",
            },
        ]
    return answer


def _short(err: Exception) -> str:
    if isinstance(err, ValidationError):
        parts = [f"{'.'.join(str(p) for p in e['loc']) or 'answer'}: {e['msg']}" for e in err.errors()[:5]]
        return "; ".join(parts)
    return str(err)[:300]


def schema_text(schema: type[BaseModel]) -> str:
    return json.dumps(schema.model_json_schema(), indent=1)
