"""FLOP and parameter accounting for scaling-law data (docs/methods.md section 1).

How parameters and FLOPs are counted moves fitted exponents (Porian et al. 2024, "Resolving Discrepancies in
Compute-Optimal Scaling of Language Models", trace much of the Kaplan-Chinchilla gap to it; Li et al. 2025,
"(Mis)Fitting: A Survey of Scaling Laws", ask papers to state it). Two conventions are provided:

- :func:`six_nd`: C = 6 N D (2 N D forward, 4 N D backward; Kaplan et al. 2020, "Scaling Laws for Neural Language
  Models", section 2.1), with N counting or leaving out the embedding parameters;
- :func:`transformer_flops`: the exact count of a decoder-only transformer's matrix multiplications, attention
  and logits as Hoffmann et al. 2022 ("Training Compute-Optimal Large Language Models", appendix F) tabulate it,
  with the backward pass twice the forward; and :func:`transformer_params` for its parameter count.

Every function broadcasts its arguments like NumPy (scalars in, NumPy scalar out).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._shape import broadcast, restore
from ._validation import positive_float
from .errors import InvalidInputError

__all__ = ["embedding_params", "six_nd", "transformer_flops", "transformer_params"]


def six_nd(N: Any, D: Any, *, embedding: Any = 0.0, flops_per_param_token: float = 6.0) -> Any:
    """Training FLOPs C = 6 (N - embedding) D: pass the embedding parameters as `embedding` to count without
    them (Kaplan et al.'s non-embedding convention), leave it 0 to count every parameter (Hoffmann et al.'s)."""
    flat, shape = broadcast({"N": N, "D": D, "embedding": embedding}, nonnegative=True)
    n = flat["N"] - flat["embedding"]
    _positive("N - embedding", n)
    _positive("D", flat["D"])
    return restore(positive_float("flops_per_param_token", flops_per_param_token) * n * flat["D"], shape)


def _positive(name: str, values: Any) -> None:
    if np.any(values <= 0):
        raise InvalidInputError(f"{name}: must be positive, got {float(np.min(values))!r}")


def embedding_params(d_model: Any, vocab: Any, *, seq_len: Any = 0, tied: bool = True) -> Any:
    """Embedding parameters: the token embedding (vocab x d_model, counted twice when the output projection is
    not tied to it) plus a learned position embedding (seq_len x d_model; 0 for rotary or ALiBi)."""
    flat, shape = broadcast({"d_model": d_model, "vocab": vocab, "seq_len": seq_len}, nonnegative=True)
    _positive("d_model", flat["d_model"])
    _positive("vocab", flat["vocab"])
    tokens = flat["vocab"] * flat["d_model"] * (1 if tied else 2)
    return restore(tokens + flat["seq_len"] * flat["d_model"], shape)


def transformer_params(
    d_model: Any, n_layers: Any, vocab: Any, *, ffn_ratio: float = 4.0, seq_len: Any = 0, embedding: bool = True
) -> Any:
    """Parameters of a decoder-only transformer: per layer 4 d^2 (attention projections) + 2 ffn_ratio d^2
    (feed-forward), so 12 d^2 per layer at ffn_ratio 4 (Kaplan et al. 2020, table 1; biases and layer norms,
    O(d) per layer, are left out as there), plus the embeddings when `embedding`."""
    inputs = {"d_model": d_model, "n_layers": n_layers, "vocab": vocab, "seq_len": seq_len}
    flat, shape = broadcast(inputs, nonnegative=True)
    for name in ("d_model", "n_layers", "vocab"):
        _positive(name, flat[name])
    d = flat["d_model"]
    body = flat["n_layers"] * (4.0 + 2.0 * positive_float("ffn_ratio", ffn_ratio)) * d * d
    if embedding:
        body = body + np.ravel(embedding_params(d, flat["vocab"], seq_len=flat["seq_len"]))
    return restore(body, shape)


def transformer_flops(
    d_model: Any,
    n_layers: Any,
    vocab: Any,
    seq_len: Any,
    tokens: Any,
    *,
    n_heads: Any = None,
    ffn_ratio: float = 4.0,
) -> Any:
    """Training FLOPs of `tokens` tokens through a decoder-only transformer, counted exactly as Hoffmann et al.
    2022 (appendix F) do per sequence of `seq_len` tokens, with the backward pass twice the forward:

    embeddings 2 s V d; per layer: Q, K, V projections 6 s d^2, logits 2 s^2 d, softmax 3 h s^2, the weighted
    sum 2 s^2 d, output projection 2 s d^2, feed-forward 4 ffn_ratio s d^2; final logits 2 s d V.
    `n_heads` (h) defaults to d_model / 64 (the key size of most published models)."""
    heads = np.asarray(d_model, dtype=np.float64) / 64.0 if n_heads is None else n_heads
    inputs = {"d_model": d_model, "n_layers": n_layers, "vocab": vocab, "seq_len": seq_len, "tokens": tokens}
    flat, shape = broadcast({**inputs, "n_heads": heads}, positive=True)
    d, layers, v, s, t, h = (flat[k] for k in (*inputs, "n_heads"))
    f = positive_float("ffn_ratio", ffn_ratio)
    per_layer = 6 * s * d * d + 2 * s * s * d + 3 * h * s * s + 2 * s * s * d + 2 * s * d * d + 4 * f * s * d * d
    forward = 2 * s * v * d + layers * per_layer + 2 * s * d * v
    return restore(3.0 * forward * (t / s), shape)
