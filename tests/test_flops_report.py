"""FLOP accounting helpers and the publishable fit report."""

from __future__ import annotations

import json

import numpy as np
import pytest
import scalecore as sc


def test_six_nd_with_and_without_embeddings() -> None:
    assert sc.flops.six_nd(1e9, 2e10) == pytest.approx(1.2e20)
    assert sc.flops.six_nd(1e9, 2e10, embedding=1e8) == pytest.approx(6 * 9e8 * 2e10)
    out = sc.flops.six_nd(np.array([1e9, 2e9]), 1e10)
    np.testing.assert_allclose(out, [6e19, 1.2e20])
    assert isinstance(sc.flops.six_nd(1e9, 1e10), np.float64)
    with pytest.raises(sc.InvalidInputError, match="N - embedding"):
        sc.flops.six_nd(1e9, 1e10, embedding=2e9)


def test_transformer_params_match_published_model_sizes() -> None:
    # GPT-3 175B (Brown et al. 2020): d_model 12288, 96 layers, vocabulary 50257, context 2048.
    body = sc.flops.transformer_params(12288, 96, 50257, embedding=False)
    assert body == pytest.approx(12 * 96 * 12288**2)
    total = sc.flops.transformer_params(12288, 96, 50257, seq_len=2048)
    assert total / 1e9 == pytest.approx(175.0, rel=0.01)
    assert sc.flops.embedding_params(12288, 50257, tied=False) == pytest.approx(2 * 12288 * 50257)


def test_exact_transformer_flops() -> None:
    """The count written out for a small model by hand, and close to 6 N D for a large one (where attention
    and logits are a small share), as Hoffmann et al. 2022 (appendix F) find."""
    d, L, V, s, h = 64, 2, 100, 8, 2
    per_layer = 6 * s * d * d + 2 * s * s * d + 3 * h * s * s + 2 * s * s * d + 2 * s * d * d + 4 * 4 * s * d * d
    forward = 2 * s * V * d + L * per_layer + 2 * s * d * V
    assert sc.flops.transformer_flops(d, L, V, s, 800, n_heads=h) == pytest.approx(3 * forward * 100)
    tokens = 1.4e12
    n = sc.flops.transformer_params(8192, 80, 32000, embedding=False)
    exact = sc.flops.transformer_flops(8192, 80, 32000, 2048, tokens)
    assert 1.0 < exact / sc.flops.six_nd(n, tokens) < 1.1
    out = sc.flops.transformer_flops(np.array([512, 1024]), 12, 32000, 2048, 1e9)
    assert out.shape == (2,) and out[0] == sc.flops.transformer_flops(512, 12, 32000, 2048, 1e9) < out[1]


def test_fit_report_states_the_checklist() -> None:
    runs = sc.datasets.chinchilla_sweep(0)
    boot = sc.bootstrap(runs, n_resamples=30, seed=0, progress=False)
    rep = boot.fit.report(runs, boot, flops="6ND", parameters="with embeddings", data="simulated")
    md = str(rep)
    for section in (
        "## Data",
        "## Parameter and FLOP accounting",
        "## Law and objective",
        "## Initialisation and optimiser",
        "## Convergence and identifiability",
        "## Intervals",
        "## Where each constant came from",
    ):
        assert section in md
    assert "E + A / N^alpha + B / D^beta" in md and "6ND" in md and "huber_log" in md
    d = json.loads(rep.to_json())
    assert d["Data"]["runs fitted"] == 90 and d["Intervals"]["alpha interval"] == list(boot.ci("alpha"))
    fixed = sc.fit(runs, fixed={"E": 1.69})
    unstated = fixed.report().to_dict()
    assert unstated["Where each constant came from"]["fixed or tied (not free)"] == ["E"]
    assert unstated["Parameter and FLOP accounting"]["FLOP count"].startswith("not stated")
    assert unstated["Intervals"]["intervals"].startswith("none computed")
