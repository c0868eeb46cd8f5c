"""Input checks, goodness-of-fit metrics, baselines and a teacher simulator for rate-RNN fits.

Baselines (same ``fit``/``predict``/``score`` interface as :class:`RateRNNRegressor`):

- :class:`PSTHBaseline` — the condition-averaged count of the training trials (peri-stimulus time
  histogram), per time bin and neuron; trials of an unseen condition get the grand average.
- :class:`LinearDynamicalBaseline` — a linear Gaussian latent dynamical model identified by a
  subspace method: counts are variance-stabilised (Anscombe ``s = sqrt(y + 3/8)``), projected on
  their top principal components (``z = (s - mu) V``), and ``z_{t+1} = A z_t + B u_t + b`` is fitted
  by ridge least squares. Predictions roll the model forward open-loop from the mean initial
  latent (the same information the RNN's held-out prediction gets), map back with
  ``s = mu + V z`` and invert the transform as ``max(s, 0)^2 - 3/8`` (clipped at 1e-3 counts per
  bin). It is not an EM fit: no Kalman smoothing, no noise covariances.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import xarray as xr
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError

from neuromop._checks import (
    MAX_SIZE,
    as_array,
    check_choice,
    check_finite_array,
    check_int,
    check_real,
)
from neuromop._provenance import provenance
from neuromop._random import as_generator
from neuromop.analysis import fano_factor, pair_values, participation_ratio, spike_count_correlation
from neuromop.data.schema import activity_variable

__all__ = [
    "LinearDynamicalBaseline",
    "PSTHBaseline",
    "per_neuron_r2",
    "poisson_bits_per_spike",
    "r2_score",
    "simulate_rate_rnn",
    "simulate_teacher_dataset",
    "variability_summary",
]

_MIN_COUNT = 1e-3


# ---------------------------------------------------------------------- input checks
def _check_dataset(ds, observation, name):
    """Return (activity as float ndarray (trial, time, neuron), bin width in s) or raise."""
    if not isinstance(ds, xr.Dataset):
        raise TypeError(f"{name} must be an xarray.Dataset, got {type(ds).__name__}")
    da = activity_variable(ds)
    if set(da.dims) != {"trial", "time", "neuron"}:
        raise ValueError(f"{name}[{da.name!r}] must have dims ('trial', 'time', 'neuron'), "
                         f"got {da.dims}")
    y = as_array(f"{name}[{da.name!r}]", da.transpose("trial", "time", "neuron").values,
                 dtype=float)
    if y.size == 0:
        raise ValueError(f"{name}[{da.name!r}] must not be empty, got shape {y.shape}")
    bad = int(np.count_nonzero(~np.isfinite(y)))
    if bad:
        raise ValueError(f"{name}[{da.name!r}] must be finite, got {bad} NaN/inf value(s); "
                         "drop or impute those trials/bins before fitting")
    if observation == "poisson":
        if da.name != "counts":
            raise ValueError(f"observation='poisson' needs a 'counts' variable in {name}, got "
                             f"{da.name!r}; use observation='gaussian' for rates")
        if np.any(y < 0) or np.any(y != np.round(y)):
            raise ValueError(f"{name}['counts'] must hold non-negative integers")
    if y.shape[1] < 2:
        raise ValueError(f"{name} must have at least 2 time bins, got {y.shape[1]}")
    bw = ds.attrs.get("bin_width")
    if bw is None:
        t = as_array(f"{name}['time']", ds["time"].values, dtype=float)
        bw = float(np.median(np.diff(t)))
    return y, check_real(f"{name}.attrs['bin_width']", bw, low=0.0, low_inclusive=False)


def _input_array(ds, inputs, name):
    """Stack the ``(trial, time)`` variables named by ``inputs`` into (trial, time, m)."""
    if not isinstance(ds, xr.Dataset):
        raise TypeError(f"ds must be an xarray.Dataset, got {type(ds).__name__}")
    n_trials, n_time = ds.sizes.get("trial", 0), ds.sizes.get("time", 0)
    if inputs is None:
        return np.zeros((n_trials, n_time, 0))
    if isinstance(inputs, str) or not isinstance(inputs, Iterable) or not all(
            isinstance(v, str) for v in inputs):
        raise TypeError(f"{name} must be a list of data-variable names, got {inputs!r}")
    arrays = []
    for var in inputs:
        if var not in ds.data_vars:
            raise ValueError(f"{name} names {var!r}, which is not a data variable of the "
                             f"dataset (variables: {list(ds.data_vars)})")
        da = ds[var]
        if set(da.dims) != {"trial", "time"}:
            raise ValueError(f"{name}: variable {var!r} must have dims ('trial', 'time'), "
                             f"got {da.dims}")
        arr = np.asarray(da.transpose("trial", "time").values, dtype=float)
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name}: variable {var!r} must be finite, got NaN/inf values")
        arrays.append(arr)
    return np.stack(arrays, axis=-1) if arrays else np.zeros((n_trials, n_time, 0))


# ---------------------------------------------------------------------- metrics
def _pair(name_a: str, a, name_b: str, b) -> tuple[np.ndarray, np.ndarray]:
    """Two finite, non-empty float arrays of one shape ``(..., neuron)``, or raise."""
    x = check_finite_array(name_a, a)
    y = check_finite_array(name_b, b)
    if x.ndim < 2 or x.shape != y.shape:
        raise ValueError(f"{name_a} and {name_b} must have one shape (..., neuron) with at least "
                         f"2 dims, got {x.shape} and {y.shape}")
    return x, y


def poisson_bits_per_spike(counts, expected):
    """Poisson log-likelihood gain over a constant-rate-per-neuron null, in bits per spike.

    Parameters
    ----------
    counts : ndarray (..., neuron)
        Observed counts.
    expected : ndarray, same shape
        Predicted expected counts per bin (> 0).
    """
    y, lam = _pair("counts", counts, "expected", expected)
    if np.any(y < 0):
        raise ValueError("counts must be non-negative")
    lam = np.maximum(lam, 1e-12)
    axes = tuple(range(y.ndim - 1))
    null = np.maximum(y.mean(axis=axes, keepdims=True), 1e-12)
    ll_model = np.sum(y * np.log(lam) - lam)
    ll_null = np.sum(y * np.log(null) - null)
    n_spikes = y.sum()
    if n_spikes <= 0:
        raise ValueError("counts must contain at least one spike to compute bits per spike")
    return float((ll_model - ll_null) / (n_spikes * np.log(2.0)))


def r2_score(y, pred):
    """Variance-weighted R^2 over all neurons: ``1 - SSE / SST`` (SST about each neuron's mean)."""
    y, pred = _pair("y", y, "pred", pred)
    axes = tuple(range(y.ndim - 1))
    sst = np.sum((y - y.mean(axis=axes, keepdims=True)) ** 2)
    if sst == 0:
        raise ValueError("y is constant within every neuron: R^2 is undefined")
    r2 = 1.0 - np.sum((y - pred) ** 2) / sst
    if not np.isfinite(r2):
        raise ValueError("y and pred are too large: their squared errors overflow")
    return float(r2)


def per_neuron_r2(y, pred):
    """R^2 of each neuron (last axis) over all trials and bins; NaN for silent neurons."""
    y, pred = _pair("y", y, "pred", pred)
    axes = tuple(range(y.ndim - 1))
    sst = np.sum((y - y.mean(axis=axes, keepdims=True)) ** 2, axis=axes)
    sse = np.sum((y - pred) ** 2, axis=axes)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(sst > 0, 1.0 - sse / sst, np.nan)


def variability_summary(counts):
    """Fano factor, participation ratio and spike-count correlation of ``counts``.

    A thin summary over :mod:`neuromop.analysis` (one number per metric, for reports).

    Parameters
    ----------
    counts : ndarray (trial, time, neuron)
        Spike counts (non-negative whole numbers).

    Returns
    -------
    dict
        ``fano_factor``: :func:`~neuromop.analysis.fano_factor` across trials (``ddof=1``) in
        every (time, neuron) bin, averaged over the bins with a non-zero mean;
        ``participation_ratio``: the naive :func:`~neuromop.analysis.participation_ratio` over all
        (trial, time) bins; ``r_sc``: mean over pairs of the whole-window
        :func:`~neuromop.analysis.spike_count_correlation` (neurons whose count never varies are
        left out, not counted as 0); ``mean_rate``: mean count per bin.
    """
    import warnings

    import xarray as xr


    y = check_finite_array("counts", counts, ndim=3, dtype=None)
    if y.dtype.kind not in "biuf" or np.any(y < 0) or np.any(y != np.round(y)):
        raise ValueError("counts must hold non-negative whole numbers (spike counts)")
    if y.shape[0] < 2 or y.shape[2] < 2:
        raise ValueError(f"counts must have >= 2 trials and >= 2 neurons (trial, time, neuron), "
                         f"got shape {y.shape}")
    # one bin is the time unit here: every metric is per bin, none needs the bin width in s
    da = xr.DataArray(y, dims=("trial", "time", "neuron"), name="counts",
                      attrs={"bin_width": 1.0})
    ff = fano_factor(da, dims="trial", ddof=1)
    pr = participation_ratio(da.astype(float), corrected=False)
    with warnings.catch_warnings():  # constant neurons are excluded below, as documented
        warnings.filterwarnings("ignore", ".*zero count variance", RuntimeWarning)
        rsc = pair_values(spike_count_correlation(da.astype(float)))
    return {"fano_factor": float(ff.mean(skipna=True)) if ff.notnull().any() else float("nan"),
            "participation_ratio": float(pr),
            "r_sc": float(rsc.mean(skipna=True)) if rsc.notnull().any() else float("nan"),
            "mean_rate": float(y.mean())}


# ---------------------------------------------------------------------- baselines
class _Baseline(BaseEstimator):
    observation = "poisson"

    def _check_fitted(self):
        if not hasattr(self, "bin_width_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit(ds) "
                                 "first")

    def score(self, ds):
        """Bits per spike (Poisson counts) or R^2 (Gaussian activity) on ``ds``."""
        self._check_fitted()
        y, _ = _check_dataset(ds, self.observation, "ds")
        expected = self._expected(ds)
        if self.observation == "poisson":
            return poisson_bits_per_spike(y, expected)
        return r2_score(y, expected)

    def predict(self, ds):
        """Predicted rates (Hz) as an xarray.Dataset (trial, time, neuron)."""
        self._check_fitted()
        coords = {k: v for k, v in ds.coords.items() if set(v.dims) <= {"trial", "time", "neuron"}}
        name = "rate" if self.observation == "poisson" else "activity"
        values = self._expected(ds) / (self.bin_width_ if self.observation == "poisson" else 1.0)
        out = xr.Dataset({name: (("trial", "time", "neuron"), values)}, coords=coords)
        out.attrs.update(bin_width=self.bin_width_, source=type(self).__name__,
                         units="Hz" if name == "rate" else ds.attrs.get("units", "a.u."),
                         **provenance(f"neuromop.fit.baselines.{type(self).__name__}"
                                      ".predict", **self.get_params()))
        return out


class PSTHBaseline(_Baseline):
    """Condition-averaged activity of the training trials (see module notes).

    Parameters
    ----------
    condition : str, optional
        Name of a trial coordinate or ``(trial,)`` variable that labels conditions; ``None``
        averages over all trials.
    observation : {"poisson", "gaussian"}
    """

    def __init__(self, condition=None, observation="poisson"):
        self.condition = condition
        self.observation = observation

    def _labels(self, ds):
        if self.condition is None:
            return np.zeros(ds.sizes["trial"], dtype=int)
        if (not isinstance(self.condition, str) or self.condition not in ds.variables
                or ds[self.condition].dims != ("trial",)):
            raise ValueError(f"condition must name a (trial,) coordinate or variable of ds, "
                             f"got {self.condition!r}")
        return np.asarray(ds[self.condition].values)

    def fit(self, ds, inputs=None):
        """Average the activity of ``ds`` per condition; ``inputs`` is ignored."""
        y, self.bin_width_ = _check_dataset(ds, self.observation, "ds")
        labels = self._labels(ds)
        self.grand_mean_ = y.mean(axis=0)
        self.psth_ = {lab: y[labels == lab].mean(axis=0) for lab in np.unique(labels)}
        return self

    def _expected(self, ds):
        labels = self._labels(ds)
        out = np.stack([self.psth_.get(lab, self.grand_mean_) for lab in labels])
        return np.maximum(out, _MIN_COUNT) if self.observation == "poisson" else out


class LinearDynamicalBaseline(_Baseline):
    """Linear latent dynamical model identified by PCA + ridge least squares (module notes).

    Parameters
    ----------
    n_latents : int
        Latent dimension (capped at the number of neurons).
    ridge : float
        Ridge penalty of the dynamics regression (relative to the mean latent power), in
        [0, 1e12] (larger values overflow the fit).
    observation : {"poisson", "gaussian"}
    """

    def __init__(self, n_latents=8, ridge=1e-3, observation="poisson"):
        self.n_latents = n_latents
        self.ridge = ridge
        self.observation = observation

    def _transform(self, y):
        return np.sqrt(y + 0.375) if self.observation == "poisson" else y

    def fit(self, ds, inputs=None):
        """Identify the model on all trials of ``ds`` with input variables ``inputs``."""
        check_int("n_latents", self.n_latents, low=1)
        check_real("ridge", self.ridge, low=0.0, high=1e12)  # beyond: the fit overflows
        y, self.bin_width_ = _check_dataset(ds, self.observation, "ds")
        u = _input_array(ds, inputs, "inputs")
        self.inputs_ = list(inputs) if inputs else []
        s = self._transform(y)
        self.mu_ = s.mean(axis=(0, 1))
        flat = (s - self.mu_).reshape(-1, s.shape[-1])
        k = min(self.n_latents, s.shape[-1])
        _, _, vt = np.linalg.svd(flat, full_matrices=False)
        self.V_ = vt[:k].T  # (neuron, k)
        z = (s - self.mu_) @ self.V_
        regress = np.concatenate([z[:, :-1], u[:, :-1], np.ones(z[:, :-1, :1].shape)], axis=-1)
        xmat = regress.reshape(-1, regress.shape[-1])
        target = z[:, 1:].reshape(-1, k)
        lam = self.ridge * np.mean(xmat**2) * len(xmat)
        coef = np.linalg.solve(xmat.T @ xmat + lam * np.eye(xmat.shape[1]), xmat.T @ target)
        self.A_ = coef[:k].T
        self.B_ = coef[k:k + u.shape[-1]].T
        self.b_ = coef[-1]
        self.z0_ = z[:, 0].mean(axis=0)
        return self

    def _expected(self, ds):
        u = _input_array(ds, self.inputs_ or None, "ds (fitted inputs)")
        z = np.empty((u.shape[0], u.shape[1], self.A_.shape[0]))
        z[:, 0] = self.z0_
        for t in range(u.shape[1] - 1):
            z[:, t + 1] = z[:, t] @ self.A_.T + u[:, t] @ self.B_.T + self.b_
        s = self.mu_ + z @ self.V_.T
        if self.observation == "poisson":
            return np.maximum(np.maximum(s, 0.0) ** 2 - 0.375, _MIN_COUNT)
        return s


# ---------------------------------------------------------------------- teacher simulator
def _check_network(W, B, c, C, d, u, x0):
    """The arrays of :func:`simulate_rate_rnn`, finite and of matching shapes, or raise."""
    W = check_finite_array("W", W, ndim=2)
    n = W.shape[0]
    B = check_finite_array("B", B, ndim=2, allow_empty=True)
    c = check_finite_array("c", c, ndim=1)
    C = check_finite_array("C", C, ndim=2)
    d = check_finite_array("d", d, ndim=1)
    u = check_finite_array("u", u, ndim=3, allow_empty=True)
    x0 = check_finite_array("x0", x0, ndim=2)
    expected = {"W": (W.shape, (n, n)), "B": (B.shape, (n, u.shape[2])), "c": (c.shape, (n,)),
                "C": (C.shape, (d.size, n)), "x0": (x0.shape, (u.shape[0], n))}
    for name, (got, want) in expected.items():
        if got != want:
            raise ValueError(f"{name} must have shape {want} (n units = {n}, inputs u of shape "
                             f"{u.shape}, readout offset d of size {d.size}), got {got}")
    if u.shape[0] == 0 or u.shape[1] == 0:
        raise ValueError(f"u must hold at least one trial and one bin, got shape {u.shape}")
    return W, B, c, C, d, u, x0


def simulate_rate_rnn(W, B, c, C, d, u, x0, *, alpha, noise=0.0, n_substeps=1,
                      nonlinearity="tanh", random_state=None):
    """Simulate ``x_{t+1} = x_t + alpha(-x_t + f(W x_t + B u_t + c)) + noise sqrt(alpha) xi``.

    Parameters
    ----------
    W, B, c : ndarray
        Recurrent weights (n, n), input weights (n, m) and bias (n,).
    C, d : ndarray
        Readout (N, n) and offset (N,); expected counts are ``softplus(C x + d)``.
    u : ndarray (trial, time, m)
        Inputs.
    x0 : ndarray (trial, n)
        Initial states.
    alpha : float
        ``dt / tau``.
    noise : float
        Std of the white state noise (per sqrt(tau)).
    n_substeps : int
        Euler steps per bin.
    nonlinearity : {"tanh", "relu", "softplus"}
    random_state : int or numpy.random.Generator, optional

    Returns
    -------
    x : ndarray (trial, time, n)
        Latent states at the bin centres.
    expected : ndarray (trial, time, N)
        Expected counts per bin.
    """
    rng = as_generator(random_state)
    W, B, c, C, d, u, x0 = _check_network(W, B, c, C, d, u, x0)
    alpha = check_real("alpha", alpha, low=0.0, low_inclusive=False)
    noise = check_real("noise", noise, low=0.0)
    n_substeps = check_int("n_substeps", n_substeps, low=1, high=MAX_SIZE)
    f = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0),
         "softplus": lambda z: np.logaddexp(0, z)}[
        check_choice("nonlinearity", nonlinearity, ("tanh", "relu", "softplus"))]
    x = np.array(x0, dtype=float)
    drive = u @ np.asarray(B).T + c
    xs = [x]
    for t in range(u.shape[1] - 1):
        for _ in range(n_substeps):
            x = x + alpha * (-x + f(x @ W.T + drive[:, t]))
            if noise > 0:
                x = x + noise * np.sqrt(alpha) * rng.standard_normal(x.shape)
        xs.append(x)
    xs = np.stack(xs, axis=1)
    expected = np.logaddexp(0.0, xs @ np.asarray(C).T + d)
    if not (np.all(np.isfinite(xs)) and np.all(np.isfinite(expected))):
        raise ValueError(f"the simulation diverged (non-finite states): lower alpha (got {alpha}) "
                         f"or noise (got {noise}), or rescale W")
    return xs, expected


def simulate_teacher_dataset(n_trials=200, n_time=50, n_units=16, n_neurons=24, *, g=1.5,
                             n_inputs=2, bin_width=0.02, tau=0.1, noise=0.05, x0_std=0.3,
                             mean_count=1.5, readout_gain=2.0, input_kind="pulse",
                             random_state=None):
    """Poisson counts from a random teacher rate RNN driven by per-trial input pulses.

    Teacher: ``W_ij ~ N(0, g^2 / n_units)`` (chaotic for ``g > 1``), ``B ~ N(0, 1)``, ``c = 0``,
    readout ``C ~ N(0, readout_gain^2 / n_units)``, offset so that ``softplus(d) = mean_count``.
    Each trial gets input amplitudes ``~ U(-1, 1)`` per channel, on for bins
    ``[n_time/10, n_time/2)``, and an initial state ``x0 ~ N(0, x0_std^2)``.
    ``input_kind="noise"`` adds white N(0, 1) input to every bin (persistently exciting inputs,
    under which the connectivity spectrum becomes identifiable). The trial coordinate
    ``condition`` codes the signs of the amplitudes (for the PSTH baseline).

    Returns
    -------
    ds : xarray.Dataset
        ``counts`` (trial, time, neuron), inputs ``u0 … u{m-1}`` (trial, time), the teacher's
        ``expected_counts``; attrs bin_width (s), units, source, provenance.
    teacher : dict
        ``W, B, c, C, d, x0, tau, alpha`` of the generating network.
    """
    rng = as_generator(random_state)
    n = check_int("n_units", n_units, low=1, high=MAX_SIZE)
    n_trials = check_int("n_trials", n_trials, low=1, high=MAX_SIZE)
    n_time = check_int("n_time", n_time, low=1, high=MAX_SIZE)
    n_neurons = check_int("n_neurons", n_neurons, low=1, high=MAX_SIZE)
    n_inputs = check_int("n_inputs", n_inputs, low=0, high=MAX_SIZE)
    g = check_real("g", g, low=0.0)
    bin_width = check_real("bin_width", bin_width, low=0.0, low_inclusive=False)
    tau = check_real("tau", tau, low=0.0, low_inclusive=False)
    noise = check_real("noise", noise, low=0.0)
    x0_std = check_real("x0_std", x0_std, low=0.0)
    mean_count = check_real("mean_count", mean_count, low=0.0, high=1e9, low_inclusive=False)
    readout_gain = check_real("readout_gain", readout_gain, low=0.0)
    W = rng.normal(0, g / np.sqrt(n), (n, n))
    B = rng.normal(0, 1, (n, n_inputs))
    C = rng.normal(0, readout_gain / np.sqrt(n), (n_neurons, n))
    d = np.full(n_neurons, np.log(np.expm1(mean_count)))
    amp = rng.uniform(-1, 1, (n_trials, n_inputs))
    on = np.zeros(n_time)
    on[n_time // 10:n_time // 2] = 1.0
    u = amp[:, None, :] * on[None, :, None]
    if check_choice("input_kind", input_kind, ("pulse", "noise")) == "noise":
        u = u + rng.normal(0, 1, u.shape)
    x0 = rng.normal(0, x0_std, (n_trials, n))
    alpha = bin_width / tau
    with np.errstate(over="ignore", invalid="ignore"):  # reported below, naming arguments
        try:
            _, lam = simulate_rate_rnn(W, B, np.zeros(n), C, d, u, x0, alpha=alpha, noise=noise,
                                       random_state=rng)
        except ValueError as exc:  # a diverging teacher: name this function's arguments
            raise ValueError(f"the teacher network diverged with g={g}, x0_std={x0_std}, "
                             f"noise={noise}, bin_width / tau={alpha} ({exc})") from None
    if not np.all(lam <= 1e9):
        raise ValueError(f"g, readout_gain, x0_std, noise and bin_width / tau (got {g}, "
                         f"{readout_gain}, {x0_std}, {noise}, {alpha}) give expected counts "
                         "beyond 1e9 per bin")
    counts = rng.poisson(lam)
    condition = (amp > 0).astype(int) @ (2 ** np.arange(n_inputs))
    ds = xr.Dataset(
        {"counts": (("trial", "time", "neuron"), counts),
         "expected_counts": (("trial", "time", "neuron"), lam),
         **{f"u{i}": (("trial", "time"), u[..., i]) for i in range(n_inputs)}},
        coords={"trial": np.arange(n_trials), "time": (np.arange(n_time) + 0.5) * bin_width,
                "neuron": np.arange(n_neurons), "condition": ("trial", condition)},
        attrs={"bin_width": bin_width, "units": "spikes", "source": "teacher rate RNN",
               **provenance("neuromop.fit.baselines.simulate_teacher_dataset",
                            n_trials=n_trials, n_time=n_time, n_units=n_units, g=g,
                            n_neurons=n_neurons, noise=noise, random_state=random_state)})
    teacher = {"W": W, "B": B, "c": np.zeros(n), "C": C, "d": d, "x0": x0, "tau": tau,
               "alpha": alpha}
    return ds, teacher
