import numpy as np
import pytest

from choleor.pose.smoothing import OneEuroFilter, smoothing_factor

DT = 1 / 30


def test_first_value_passes_through():
    f = OneEuroFilter()
    np.testing.assert_array_equal(f(np.array([3.0, -2.0]), DT), [3.0, -2.0])


def test_constant_signal_stays_constant():
    f = OneEuroFilter()
    for _ in range(50):
        out = f(np.full((17, 2), 5.0), DT)
    np.testing.assert_allclose(out, 5.0)


def test_smoothing_factor_limits():
    assert smoothing_factor(1e9, DT) == pytest.approx(1.0)
    assert smoothing_factor(1e-9, DT) == pytest.approx(0.0, abs=1e-6)
    tau = 1 / (2 * np.pi * 1.0)
    assert smoothing_factor(1.0, DT) == pytest.approx(1 / (1 + tau / DT))


def test_jitter_on_a_still_point_is_reduced():
    rng = np.random.default_rng(0)
    noisy = 100 + rng.normal(0, 2.0, size=300)
    f = OneEuroFilter(min_cutoff=1.0, beta=0.0)
    out = np.array([f(np.array([x]), DT)[0] for x in noisy])
    assert out[50:].std() < noisy[50:].std() / 2


def test_fast_motion_lags_less_with_beta():
    t = np.arange(60) * DT
    ramp = 2000 * t  # pixels: a fast sweep
    lags = {}
    for beta in (0.0, 5.0):
        f = OneEuroFilter(min_cutoff=0.5, beta=beta)
        out = np.array([f(np.array([x]), DT, scale=100.0)[0] for x in ramp])
        lags[beta] = ramp[-1] - out[-1]
    assert lags[5.0] < lags[0.0] / 5


def test_scale_makes_the_filter_size_invariant():
    rng = np.random.default_rng(1)
    signal = np.cumsum(rng.normal(0, 1, 100))
    outs = []
    for k in (1.0, 10.0):
        f = OneEuroFilter()
        outs.append(np.array([f(np.array([x * k]), DT, scale=k)[0] for x in signal]) / k)
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-9, atol=1e-9)


def test_reset_forgets_the_past():
    f = OneEuroFilter()
    f(np.array([0.0]), DT)
    f(np.array([10.0]), DT)
    f.reset()
    assert f(np.array([42.0]), DT)[0] == 42.0
