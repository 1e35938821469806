"""The learned beat activation: features, the ONNX graph against the PyTorch layers it was
converted from (re-implemented in numpy), and where its peaks fall on known drum onsets."""

import sys
from pathlib import Path

import numpy as np
import pytest

from choleor.audio import activation
from choleor.audio.activation import ACTIVATION_LAG, FPS, beat_activation, beatnet_features, log_filterbank
from tests.audio_signals import SR, drum_track

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "layers" / "beat_model"))
import pt_to_onnx  # noqa: E402

WHEEL = ROOT / "layers" / "beat_model" / "build" / "BeatNet-1.1.3-py3-none-any.whl"


def test_filterbank_is_beatnets_136_unit_area_bands():
    fb = log_filterbank()
    assert fb.shape == (705, 136)  # 272 network inputs = 136 bands + their differences
    np.testing.assert_allclose(fb.sum(axis=0), 1.0, rtol=1e-5)
    centres = np.argmax(fb, axis=0)
    assert np.all(np.diff(centres) > 0)  # one band per bin at most, rising with frequency


def test_features_shape_and_positive_differences():
    y = np.random.default_rng(0).standard_normal(SR * 2).astype(np.float32) * 0.1
    f = beatnet_features(y)
    assert f.shape == (int(np.ceil(len(y) / 441)), 272)
    assert np.all(f >= 0)
    np.testing.assert_allclose(f[1:, 136:], np.maximum(np.diff(f[:, :136], axis=0), 0), atol=1e-6)


def _torch_reference(sd: dict, x: np.ndarray) -> np.ndarray:
    """BeatNet's BDA.forward + softmax, written with numpy in PyTorch's conventions."""
    w, b = sd["conv1.weight"][:, 0], sd["conv1.bias"]
    win = np.lib.stride_tricks.sliding_window_view(x, 10, axis=1)  # (T, 263, 10)
    conv = np.maximum(np.einsum("tlk,ck->tcl", win, w) + b[None, :, None], 0)
    pooled = conv[:, :, : 2 * (conv.shape[2] // 2)].reshape(len(x), 2, -1, 2).max(axis=3)
    h_in = pooled.reshape(len(x), -1) @ sd["linear0.weight"].T + sd["linear0.bias"]
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    for layer in (0, 1):
        wi, wh = sd[f"lstm.weight_ih_l{layer}"], sd[f"lstm.weight_hh_l{layer}"]
        bias = sd[f"lstm.bias_ih_l{layer}"] + sd[f"lstm.bias_hh_l{layer}"]
        h, c, out = np.zeros(150), np.zeros(150), []
        for xt in h_in:
            i, f, g, o = np.split(wi @ xt + wh @ h + bias, 4)  # PyTorch's gate order
            c = sig(f) * c + sig(i) * np.tanh(g)
            h = sig(o) * np.tanh(c)
            out.append(h)
        h_in = np.array(out)
    logits = h_in @ sd["linear.weight"].T + sd["linear.bias"]
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@pytest.mark.skipif(not WHEEL.is_file(), reason="layers/beat_model/build.sh has not run")
def test_onnx_graph_matches_the_pytorch_layers(tmp_path):
    import zipfile

    zipfile.ZipFile(WHEEL).extract("BeatNet/models/model_2_weights.pt", tmp_path)
    sd = pt_to_onnx.load_state_dict(str(tmp_path / "BeatNet/models/model_2_weights.pt"))
    y, _ = drum_track(120, dur=4.0)
    x = beatnet_features(y)
    ref = _torch_reference({k: v.astype(np.float64) for k, v in sd.items()}, x.astype(np.float64))
    got = activation.run_model(x)
    assert got.shape == ref.shape
    assert np.abs(got - ref).max() < 1e-4


def test_activation_peaks_on_drum_onsets_at_the_measured_lag():
    # How ACTIVATION_LAG was measured: activation peaks vs exactly known drum onsets.
    lags = []
    for bpm in (92, 120, 150):
        y, onsets = drum_track(bpm, dur=20.0)
        a = beat_activation(y)
        assert a.beat.shape == a.downbeat.shape and len(a.beat) == int(np.ceil(len(y) / 441))
        for t in onsets[4:-1]:  # the causal network needs a few beats to lock on
            lo, hi = int((t - 0.1) * FPS), int((t + 0.1) * FPS)
            k = lo + int(np.argmax(a.beat[lo:hi]))
            assert a.beat[k] > 0.4
            if 0 < k < len(a.beat) - 1:  # parabolic peak, sub-frame
                p, q, r = a.beat[k - 1 : k + 2]
                k = k + 0.5 * (p - r) / (p - 2 * q + r + 1e-12)
            lags.append(k / FPS - t)
    assert np.median(lags) == pytest.approx(ACTIVATION_LAG, abs=0.005)
    # and nothing like a beat half-way between beats
    y, onsets = drum_track(120, dur=20.0, hats=False)
    a = beat_activation(y)
    mids = ((onsets[4:-1] + 0.25) * FPS).astype(int)
    assert np.median(a.beat[mids]) < 0.1


def test_missing_model_is_a_clear_error(monkeypatch, tmp_path):
    from choleor.errors import Unavailable

    monkeypatch.setenv(activation.MODEL_DIR_ENV, str(tmp_path))
    activation._session.cache_clear()
    try:
        with pytest.raises(Unavailable, match="beat_model/build.sh"):
            activation.run_model(np.zeros((3, 272), np.float32))
    finally:
        activation._session.cache_clear()


def test_chunked_run_carries_the_lstm_state():
    y, _ = drum_track(133, dur=6.0)
    x = beatnet_features(y)
    whole = activation.run_model(x, chunk=len(x))
    np.testing.assert_allclose(activation.run_model(x, chunk=37), whole, atol=1e-5)
