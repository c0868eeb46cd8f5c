"""Fit rate RNNs to binned population activity (backpropagation through time, torch).

The model (Euler discretisation with step ``dt``, one or more steps per time bin)::

    tau dx/dt = -x + f(W x + B u + c)  (+ white input noise of std ``input_noise``)
    counts_t ~ Poisson(softplus(C x_t + d))        observation="poisson"
    activity_t ~ Normal(C x_t + d, s^2)            observation="gaussian"

``x_t`` is the latent state at the centre of bin ``t``; ``x_0`` is the initial state and the
input ``u_t`` of bin ``t`` drives ``x_t -> x_{t+1}``.

Initial states
--------------
With ``infer_initial_state=True`` every *training* trial gets its own learned initial state (an
embedding row, the trial's x_0). Held-out and new trials, which have no embedding, start from the
**mean of the training embeddings** (no encoder: an encoder that reads the trial's own activity
would let the held-out score peek at the data it is scored on). ``sample`` draws new initial states
from a Gaussian with the embeddings' mean and covariance. With ``infer_initial_state=False`` one
shared initial state is learned.

Training uses Adam on mini-batches of trials, early stopping on held-out trials (a seeded split by
trial), gradient-norm clipping, and writes a checkpoint after every epoch; ``resume=True`` continues
an interrupted fit and gives bit-for-bit the result of an uninterrupted run (per-epoch randomness is
derived from ``(random_state, epoch)``, not carried in a generator).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import xarray as xr
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError

from neuromop._checks import FLOAT32_MAX, MAX_SIZE, check_choice, check_int, check_real
from neuromop._io import load_torch_safe, save_torch_atomic
from neuromop._provenance import provenance
from neuromop._random import as_generator, torch_generator
from neuromop.fit.baselines import (
    _check_dataset,
    _input_array,
    poisson_bits_per_spike,
    r2_score,
    simulate_rate_rnn,
)

__all__ = ["RateRNNRegressor", "fit_rate_rnn", "simulate_rate_rnn"]

#: Most Euler steps per time bin (``bin_width / dt``) and most torch threads accepted.
_MAX_SUBSTEPS = 10_000
_MAX_THREADS = 1024

_NONLINEARITIES = ("tanh", "relu", "softplus")
_CHECKPOINT = "rnn_fit_checkpoint.pt"
# Parameters that may differ between an interrupted fit and the run that resumes it.
_RESUMABLE = {"max_epochs", "patience", "progress", "checkpoint_dir", "resume", "num_threads"}


def _epoch_seed(base: int, epoch: int) -> int:
    return int(np.random.SeedSequence([base, epoch]).generate_state(1, dtype=np.uint64)[0] >> 1)


def _build_module(n_units, n_inputs, n_neurons, n_train, nonlinearity, observation, init_gain,
                  mean_counts, seed):
    """Return the torch module holding all trainable parameters (initialised from ``seed``)."""
    import torch

    class _RateRNN(torch.nn.Module):
        def __init__(self):
            super().__init__()
            gen = torch_generator(seed)
            n = n_units
            self.W = torch.nn.Parameter(torch.randn(n, n, generator=gen) * init_gain / np.sqrt(n))
            self.B = torch.nn.Parameter(
                torch.randn(n, n_inputs, generator=gen) / np.sqrt(max(n_inputs, 1)))
            self.c = torch.nn.Parameter(torch.zeros(n))
            self.C = torch.nn.Parameter(torch.randn(n_neurons, n, generator=gen) / np.sqrt(n))
            if observation == "poisson":  # softplus(d) = mean count per bin
                d0 = np.log(np.expm1(np.maximum(mean_counts, 1e-3)))
            else:
                d0 = mean_counts
            self.d = torch.nn.Parameter(torch.as_tensor(d0, dtype=torch.float32).clone())
            n_x0 = n_train if n_train else 1
            self.x0 = torch.nn.Parameter(0.1 * torch.randn(n_x0, n, generator=gen))

        def f(self, z):
            if nonlinearity == "tanh":
                return torch.tanh(z)
            if nonlinearity == "relu":
                return torch.relu(z)
            return torch.nn.functional.softplus(z)

        def latents(self, u, x0, alpha, n_sub, noise_std=0.0, generator=None):
            """u (K, T, m), x0 (K, n) -> latent states (K, T, n) at the bin centres."""
            k, t_len, _ = u.shape
            drive = u @ self.B.T + self.c  # (K, T, n), input part computed once
            x = x0
            out = [x]
            for t in range(t_len - 1):
                for _ in range(n_sub):
                    x = x + alpha * (-x + self.f(x @ self.W.T + drive[:, t]))
                    if noise_std > 0:
                        xi = torch.randn(x.shape, generator=generator)
                        x = x + noise_std * np.sqrt(alpha) * xi
                out.append(x)
            return torch.stack(out, dim=1)

        def readout(self, z):
            eta = z @ self.C.T + self.d
            if observation == "poisson":
                return torch.nn.functional.softplus(eta)
            return eta

    return _RateRNN()


class RateRNNRegressor(BaseEstimator):
    """Rate RNN fitted to trials x time x neurons activity (scikit-learn style estimator).

    Parameters
    ----------
    n_units : int
        Number of recurrent units.
    tau : float
        Time constant of the units (s).
    dt : float, optional
        Euler step (s); must divide the bin width. ``None`` uses one step per bin.
    nonlinearity : {"tanh", "relu", "softplus"}
        Transfer function ``f``.
    observation : {"poisson", "gaussian"}
        Observation model: Poisson counts (activity variable ``counts``) with a softplus readout,
        or Gaussian activity (``rate``/``activity``) with a linear readout.
    learning_rate : float
        Adam step size.
    max_epochs : int
        Maximum number of passes over the training trials.
    patience : int
        Early stopping: epochs without improvement of the held-out loss before stopping.
    validation_fraction : float
        Fraction of trials held out for early stopping, in (0, 1).
    infer_initial_state : bool
        Learn one initial state per training trial (see the module notes).
    input_noise : float
        Std of the white noise added to the state during training and ``sample`` (units of x per
        sqrt(tau)); a regulariser that also models private variability.
    batch_size : int
        Trials per gradient step.
    grad_clip : float
        Maximum gradient norm.
    init_gain : float
        Initial ``W`` entries are N(0, init_gain^2 / n_units).
    random_state : int, optional
        Seed of the split, initialisation, batching and noise.
    checkpoint_dir : path-like, optional
        Folder for the per-epoch checkpoint.
    resume : bool
        Continue from the checkpoint in ``checkpoint_dir`` if it exists.
    progress : bool
        Show a tqdm progress bar.
    num_threads : int, optional
        torch intra-op threads during ``fit`` (restored afterwards); the small matrix products
        of a rate RNN run fastest on one thread. ``None`` leaves torch's setting.

    Attributes
    ----------
    W_ : ndarray (n_units, n_units)
    B_ : ndarray (n_units, n_inputs)
    c_ : ndarray (n_units,)
    C_ : ndarray (n_neurons, n_units)
    d_ : ndarray (n_neurons,)
    x0_ : ndarray (n_train_trials or 1, n_units)
        Learned initial states.
    history_ : dict of lists
        ``epoch``, ``train_loss``, ``val_loss`` per epoch (loss per observation).
    best_epoch_ : int
        Epoch whose parameters were kept.
    train_trials_, val_trials_ : ndarray of int
        Positions of the training / held-out trials in the fitted dataset.
    """

    def __init__(self, n_units=64, *, tau=0.1, dt=None, nonlinearity="tanh", observation="poisson",
                 learning_rate=1e-2, max_epochs=500, patience=50, validation_fraction=0.2,
                 infer_initial_state=True, input_noise=0.0, batch_size=32, grad_clip=1.0,
                 init_gain=1.0, random_state=None, checkpoint_dir=None, resume=False,
                 progress=False, num_threads=1):
        self.n_units = n_units
        self.tau = tau
        self.dt = dt
        self.nonlinearity = nonlinearity
        self.observation = observation
        self.learning_rate = learning_rate
        self.max_epochs = max_epochs
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.infer_initial_state = infer_initial_state
        self.input_noise = input_noise
        self.batch_size = batch_size
        self.grad_clip = grad_clip
        self.init_gain = init_gain
        self.random_state = random_state
        self.checkpoint_dir = checkpoint_dir
        self.resume = resume
        self.progress = progress
        self.num_threads = num_threads

    # ------------------------------------------------------------------ parameters
    def _validate_params(self):
        check_int("n_units", self.n_units, low=1, high=MAX_SIZE)
        check_real("tau", self.tau, low=0.0, low_inclusive=False)
        if self.dt is not None:
            check_real("dt", self.dt, low=0.0, low_inclusive=False)
        check_choice("nonlinearity", self.nonlinearity, _NONLINEARITIES)
        check_choice("observation", self.observation, ("poisson", "gaussian"))
        check_real("learning_rate", self.learning_rate, low=0.0, high=FLOAT32_MAX,
                   low_inclusive=False)
        check_int("max_epochs", self.max_epochs, low=0)
        check_int("patience", self.patience, low=1)
        check_real("validation_fraction", self.validation_fraction, low=0.0, high=1.0,
                   low_inclusive=False, high_inclusive=False)
        check_real("input_noise", self.input_noise, low=0.0)
        check_int("batch_size", self.batch_size, low=1, high=MAX_SIZE)
        check_real("grad_clip", self.grad_clip, low=0.0, low_inclusive=False)
        check_real("init_gain", self.init_gain, low=0.0)
        if self.random_state is not None:
            check_int("random_state", self.random_state, low=0)
        if self.resume and self.checkpoint_dir is None:
            raise ValueError("resume=True needs checkpoint_dir, got checkpoint_dir=None")

    def _steps(self, bin_width):
        """Return (alpha = dt/tau, substeps per bin)."""
        if self.dt is None:
            return bin_width / self.tau, 1
        n_sub = int(round(bin_width / self.dt))
        if n_sub < 1 or abs(n_sub * self.dt - bin_width) > 1e-6 * bin_width:
            raise ValueError(
                f"dt must divide the bin width {bin_width} s, got dt={self.dt}")
        if n_sub > _MAX_SUBSTEPS:
            raise ValueError(f"dt={self.dt} s splits each {bin_width} s bin into {n_sub} Euler "
                             f"steps; at most {_MAX_SUBSTEPS} are supported")
        return self.dt / self.tau, n_sub

    # ------------------------------------------------------------------ fitting
    def fit(self, ds, inputs=None, *, callback=None):
        """Fit the network to ``ds`` by BPTT with early stopping on held-out trials.

        Parameters
        ----------
        ds : xarray.Dataset
            Binned activity in the neuromop schema, dims ``(trial, time, neuron)``, with
            ``attrs["bin_width"]`` (s). ``counts`` for ``observation="poisson"``.
        inputs : list of str, optional
            Names of data variables along ``(trial, time)`` used as the input channels ``u``.
        callback : callable, optional
            Called as ``callback(epoch, history)`` after each epoch (and its checkpoint); a
            truthy return value stops training there (as an interruption would).

        Returns
        -------
        self
        """
        import torch

        self._validate_params()
        previous = torch.get_num_threads()
        if self.num_threads is not None:
            torch.set_num_threads(check_int("num_threads", self.num_threads, low=1,
                                            high=_MAX_THREADS))
        try:
            return self._fit(ds, inputs, callback)
        finally:
            torch.set_num_threads(previous)

    def _fit(self, ds, inputs, callback):  # noqa: C901 (predates the complexity rule)
        import torch
        from tqdm.auto import tqdm

        y, bin_width = _check_dataset(ds, self.observation, "ds")
        u = _input_array(ds, inputs, "inputs")
        n_trials = y.shape[0]
        n_val = int(round(self.validation_fraction * n_trials))
        if n_val < 1 or n_trials - n_val < 1:
            raise ValueError(
                f"ds must have enough trials for a held-out split: {n_trials} trial(s) with "
                f"validation_fraction={self.validation_fraction} leaves {n_val} held-out and "
                f"{n_trials - n_val} training trial(s); need at least 1 of each")
        alpha, n_sub = self._steps(bin_width)
        base_seed = (int(as_generator(self.random_state).integers(0, 2**62))
                     if self.random_state is None else int(self.random_state))

        config = {k: v for k, v in self.get_params().items() if k not in _RESUMABLE}
        config["data"] = hashlib.sha1(np.ascontiguousarray(y).tobytes()
                                      + np.ascontiguousarray(u).tobytes()).hexdigest()
        ckpt_path = (None if self.checkpoint_dir is None
                     else Path(self.checkpoint_dir) / _CHECKPOINT)
        state = None
        if self.resume and ckpt_path.exists():
            state = load_torch_safe(ckpt_path, "checkpoint")
            old = {k: v for k, v in state["config"].items() if k != "random_state"}
            new = {k: v for k, v in config.items() if k != "random_state"}
            if old != new or (self.random_state is not None
                              and state["config"]["random_state"] != self.random_state):
                diff = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
                raise ValueError(
                    f"checkpoint {ckpt_path} was written by a fit with different parameters or "
                    f"data (differs in {diff}); use another checkpoint_dir or resume=False")
            base_seed = state["base_seed"]
        rng = np.random.default_rng(base_seed)
        perm = rng.permutation(n_trials)
        val_idx, train_idx = np.sort(perm[:n_val]), np.sort(perm[n_val:])

        y_t = torch.as_tensor(y, dtype=torch.float32)
        u_t = torch.as_tensor(u, dtype=torch.float32)
        if self.observation == "poisson":
            mean_counts = y[train_idx].mean(axis=(0, 1))
            scale = None
        else:
            mean_counts = y[train_idx].mean(axis=(0, 1))
            scale = torch.as_tensor(np.maximum(y[train_idx].var(axis=(0, 1)), 1e-8),
                                    dtype=torch.float32)
        module = _build_module(
            self.n_units, u.shape[2], y.shape[2], len(train_idx) if self.infer_initial_state else 0,
            self.nonlinearity, self.observation, self.init_gain, mean_counts,
            int(rng.integers(0, 2**62)))
        optim = torch.optim.Adam(module.parameters(), lr=self.learning_rate)

        def loss_fn(rates, target):
            if self.observation == "poisson":
                return (rates - target * torch.log(rates + 1e-8)).mean()
            return (((rates - target) ** 2) / scale).mean()

        def x0_for(pos=None, k=None):
            if self.infer_initial_state and pos is not None:
                return module.x0[pos]
            k = len(pos) if pos is not None else k
            return module.x0.mean(0, keepdim=True).expand(k, -1)

        history = {"epoch": [], "train_loss": [], "val_loss": []}
        best = {"val": np.inf, "epoch": -1, "params": None, "bad": 0, "stopped": False}
        start = 0
        if state is not None:
            module.load_state_dict(state["module"])
            optim.load_state_dict(state["optim"])
            history, best, start = state["history"], state["best"], state["epoch"] + 1
        train_t = torch.as_tensor(train_idx)
        val_t = torch.as_tensor(val_idx)
        epochs = range(start, self.max_epochs)
        bar = tqdm(epochs, disable=not self.progress, desc="fit rate RNN", unit="epoch")
        for epoch in bar:
            if best["stopped"]:
                break
            gen = torch_generator(_epoch_seed(base_seed, epoch))
            order = torch.randperm(len(train_idx), generator=gen)
            total, count = 0.0, 0
            module.train()
            for b0 in range(0, len(order), self.batch_size):
                pos = order[b0:b0 + self.batch_size]
                idx = train_t[pos]
                z = module.latents(u_t[idx], x0_for(pos), alpha, n_sub, self.input_noise, gen)
                loss = loss_fn(module.readout(z), y_t[idx])
                optim.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(module.parameters(), self.grad_clip)
                optim.step()
                total += float(loss.detach()) * len(idx)
                count += len(idx)
            with torch.no_grad():
                z = module.latents(u_t[val_t], x0_for(k=len(val_idx)), alpha, n_sub)
                val_loss = float(loss_fn(module.readout(z), y_t[val_t]))
            if not np.isfinite(val_loss):
                raise FloatingPointError(
                    f"held-out loss became {val_loss} at epoch {epoch}; lower learning_rate "
                    f"(got {self.learning_rate}) or grad_clip (got {self.grad_clip})")
            history["epoch"].append(epoch)
            history["train_loss"].append(total / count)
            history["val_loss"].append(val_loss)
            if val_loss < best["val"]:
                best.update(val=val_loss, epoch=epoch, bad=0,
                            params={k: v.detach().clone() for k, v in module.state_dict().items()})
            else:
                best["bad"] += 1
                best["stopped"] = best["bad"] >= self.patience
            bar.set_postfix(train=f"{total / count:.4f}", val=f"{val_loss:.4f}")
            if ckpt_path is not None:
                save_torch_atomic({"module": module.state_dict(), "optim": optim.state_dict(),
                                   "history": history, "best": best, "epoch": epoch,
                                   "config": config, "base_seed": base_seed}, ckpt_path)
            if callback is not None and callback(epoch, history):
                break
        bar.close()
        if best["params"] is not None:
            module.load_state_dict(best["params"])
        self._set_fitted(module, history, best["epoch"], train_idx, val_idx, bin_width,
                         alpha, n_sub, inputs, ds, base_seed)
        return self

    def _set_fitted(self, module, history, best_epoch, train_idx, val_idx, bin_width, alpha,
                    n_sub, inputs, ds, base_seed):
        par = {k: v.detach().numpy().copy() for k, v in module.state_dict().items()}
        self.W_, self.B_, self.c_ = par["W"], par["B"], par["c"]
        self.C_, self.d_, self.x0_ = par["C"], par["d"], par["x0"]
        self.history_ = history
        self.best_epoch_ = int(best_epoch)
        self.train_trials_, self.val_trials_ = train_idx, val_idx
        self.bin_width_ = float(bin_width)
        self.alpha_, self.n_substeps_ = float(alpha), int(n_sub)
        self.inputs_ = list(inputs) if inputs else []
        self.neuron_ = ds["neuron"].values.copy() if "neuron" in ds.coords else None
        self.n_neurons_ = int(self.C_.shape[0])
        self.seed_ = int(base_seed)
        self._module = module
        if self.observation == "gaussian":  # per-neuron residual variance on training trials
            y, _ = _check_dataset(ds.isel(trial=train_idx), "gaussian", "ds")
            mean = self._expected(self.latent_trajectories(ds.isel(trial=train_idx),
                                                           initial_state="fitted"))
            self.residual_var_ = ((y - mean) ** 2).mean(axis=(0, 1))

    # ------------------------------------------------------------------ inference
    def _check_fitted(self):
        if not hasattr(self, "W_"):
            raise NotFittedError("this RateRNNRegressor is not fitted yet; call fit(ds) first")

    def _initial_states(self, n, initial_state, rng=None):
        if initial_state == "mean":
            return np.repeat(self.x0_.mean(0, keepdims=True), n, axis=0)
        if initial_state == "fitted":
            if not self.infer_initial_state:
                return np.repeat(self.x0_, n, axis=0)
            if n != len(self.train_trials_):
                raise ValueError(
                    f"initial_state='fitted' needs the {len(self.train_trials_)} training trials "
                    f"(ds.isel(trial=model.train_trials_)), got {n} trials")
            return self.x0_.copy()
        # "sample": Gaussian with the mean and covariance of the fitted initial states
        if self.x0_.shape[0] < 2:
            return np.repeat(self.x0_, n, axis=0)
        cov = np.cov(self.x0_, rowvar=False) + 1e-9 * np.eye(self.x0_.shape[1])
        return rng.multivariate_normal(self.x0_.mean(0), cov, size=n, method="eigh")

    def latent_trajectories(self, ds, *, initial_state="mean", noise=False, random_state=None):
        """Latent states ``x_t`` (trial, time, unit) for the inputs of ``ds``.

        Parameters
        ----------
        ds : xarray.Dataset
            Dataset with the fitted input variables along ``(trial, time)``.
        initial_state : {"mean", "fitted", "sample"}
            Mean of the fitted initial states; the fitted states themselves (``ds`` must be the
            training trials, in order); or draws from their Gaussian.
        noise : bool
            Add the input noise of the fit.
        random_state : int or numpy.random.Generator, optional
            Seed for ``"sample"`` and the noise.
        """
        import torch

        self._check_fitted()
        check_choice("initial_state", initial_state, ("mean", "fitted", "sample"))
        if not isinstance(ds, xr.Dataset):
            raise TypeError(f"ds must be an xarray.Dataset, got {type(ds).__name__}")
        if ds.sizes.get("trial", 0) == 0 or ds.sizes.get("time", 0) == 0:
            raise ValueError(f"ds must hold at least one trial and one time bin, got sizes "
                             f"{dict(ds.sizes)}")
        u = self._fitted_input_array(ds)
        rng = as_generator(random_state)
        x0 = self._initial_states(u.shape[0], initial_state, rng)
        gen = torch_generator(rng)
        with torch.no_grad():
            z = self._module.latents(torch.as_tensor(u, dtype=torch.float32),
                                     torch.as_tensor(x0, dtype=torch.float32), self.alpha_,
                                     self.n_substeps_, self.input_noise if noise else 0.0, gen)
        return z.numpy()

    def _fitted_input_array(self, ds):
        """The fitted input variables of ``ds`` as (trial, time, input), checked against the
        fit (bin width, names, number of channels)."""
        if not isinstance(ds, xr.Dataset):
            raise TypeError(f"ds must be an xarray.Dataset, got {type(ds).__name__}")
        width = getattr(ds, "attrs", {}).get("bin_width")
        if width is not None and not np.isclose(float(width), self.bin_width_, rtol=1e-9):
            raise ValueError(f"ds must have the fitted bin width {self.bin_width_} s (the fit's "
                             f"Euler steps are per bin), got bin_width={width} s")
        u = _input_array(ds, self.inputs_ or None, "ds (fitted inputs)")
        if u.shape[2] != self.B_.shape[1]:
            raise ValueError(f"ds must provide the fitted inputs {self.inputs_}, "
                             f"got {u.shape[2]} input channel(s)")
        return u

    def _expected(self, z):
        import torch

        with torch.no_grad():
            return self._module.readout(torch.as_tensor(z)).numpy()

    def _wrap(self, ds, values, name, units, function, **params):
        n_neurons = ds.sizes.get("neuron")
        if n_neurons is not None and n_neurons != values.shape[-1]:
            raise ValueError(f"ds must have the fitted {values.shape[-1]} neurons, got "
                             f"{n_neurons}")
        if not np.all(np.isfinite(values)):
            raise ValueError(f"ds drives the fitted network to non-finite {name} (inputs too "
                             "large?)")
        coords = {k: v for k, v in ds.coords.items() if set(v.dims) <= {"trial", "time", "neuron"}}
        out = xr.Dataset({name: (("trial", "time", "neuron"), values)}, coords=coords)
        out[name].attrs["units"] = units
        out.attrs.update(units=units, bin_width=self.bin_width_,
                         source=f"RateRNNRegressor(n_units={self.n_units}) {function}",
                         **provenance(f"neuromop.fit.rnn.RateRNNRegressor.{function}",
                                      **params, **{k: v for k, v in self.get_params().items()
                                                   if k != "checkpoint_dir"}))
        return out

    def predict(self, ds, *, initial_state="mean"):
        """Predicted (noise-free) rates for the trials of ``ds``.

        Returns
        -------
        xarray.Dataset
            Variable ``rate`` (Hz) for Poisson fits (expected count per bin / bin width) or
            ``activity`` (data units) for Gaussian fits, dims ``(trial, time, neuron)``.
        """
        z = self.latent_trajectories(ds, initial_state=initial_state)
        mean = self._expected(z)
        if self.observation == "poisson":
            return self._wrap(ds, mean / self.bin_width_, "rate", "Hz", "predict",
                              initial_state=initial_state)
        return self._wrap(ds, mean, "activity", ds.attrs.get("units", "a.u."), "predict",
                          initial_state=initial_state)

    def score(self, ds, *, initial_state="mean"):
        """Goodness of fit on ``ds``: bits per spike (Poisson) or R^2 (Gaussian).

        Bits per spike is ``(LL_model - LL_null) / (n_spikes ln 2)`` with the null model a
        constant rate per neuron (its mean over ``ds``); > 0 means better than the null.
        """
        y, _ = _check_dataset(ds, self.observation, "ds")
        mean = self._expected(self.latent_trajectories(ds, initial_state=initial_state))
        if self.observation == "poisson":
            return poisson_bits_per_spike(y, mean)
        return r2_score(y, mean)

    def sample(self, ds, random_state=None, *, initial_state="sample", noise=True):
        """Simulate counts (Poisson) or activity (Gaussian) for the inputs of ``ds``.

        Initial states are drawn from the Gaussian of the fitted ones (``initial_state``), and the
        fit's input noise is added (``noise``). Gaussian observation noise uses the per-neuron
        residual variance on the training data.
        """
        self._check_fitted()
        rng = as_generator(random_state)
        z = self.latent_trajectories(ds, initial_state=initial_state, noise=noise,
                                     random_state=rng)
        mean = self._expected(z)
        params = {"initial_state": initial_state, "noise": noise}
        if not np.all(np.abs(mean) <= 1e12):  # also NaN
            raise ValueError("ds drives the fitted network to expected counts beyond 1e12 per "
                             "bin (inputs too large?)")
        if self.observation == "poisson":
            return self._wrap(ds, rng.poisson(mean).astype(np.int64), "counts", "spikes",
                              "sample", **params)
        sd = np.sqrt(getattr(self, "residual_var_", np.zeros(mean.shape[-1])))
        return self._wrap(ds, mean + sd * rng.standard_normal(mean.shape), "activity",
                          ds.attrs.get("units", "a.u."), "sample", **params)

    def save(self, path):
        """Write the fitted model (parameters, arrays, history) to ``path`` atomically (torch)."""
        self._check_fitted()
        keys = ("W_", "B_", "c_", "C_", "d_", "x0_", "history_", "best_epoch_", "train_trials_",
                "val_trials_", "bin_width_", "alpha_", "n_substeps_", "inputs_", "neuron_",
                "n_neurons_", "seed_", "residual_var_")
        fitted = {k: _to_safe(getattr(self, k)) for k in keys if hasattr(self, k)}
        params = {k: (str(v) if isinstance(v, Path) else v) for k, v in self.get_params().items()}
        return save_torch_atomic({"params": params, "fitted": fitted}, path)

    @classmethod
    def load(cls, path):
        """Return the model written by :meth:`save`.

        The file is read with ``torch.load(weights_only=True)``: tensors, numbers, strings and
        containers only, so a file handed in cannot run code.
        """
        import torch

        blob = load_torch_safe(path, "model file")
        if not isinstance(blob, dict) or set(blob) != {"params", "fitted"}:
            raise ValueError(f"path {path} is not a model written by RateRNNRegressor.save")
        model = cls(**blob["params"])
        for key, value in blob["fitted"].items():
            setattr(model, key, _from_safe(value))
        module = _build_module(model.n_units, model.B_.shape[1], model.C_.shape[0],
                               model.x0_.shape[0] if model.infer_initial_state else 0,
                               model.nonlinearity, model.observation, 0.0,
                               np.ones(model.C_.shape[0]), 0)
        module.load_state_dict({k: torch.as_tensor(getattr(model, k + "_"))
                                for k in ("W", "B", "c", "C", "d", "x0")})
        model._module = module
        return model

    def spectrum(self):
        """Eigenvalues of the fitted recurrent matrix ``W_`` (complex ndarray)."""
        self._check_fitted()
        return np.linalg.eigvals(self.W_)


def _to_safe(value):
    """A fitted attribute as what ``torch.load(weights_only=True)`` reads back."""
    import torch

    if isinstance(value, np.ndarray):
        if value.dtype.kind in "biuf":
            return torch.from_numpy(np.ascontiguousarray(value))
        return {"__array__": value.tolist(), "dtype": value.dtype.kind}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, list | tuple):
        return [_to_safe(v) for v in value]
    if isinstance(value, dict):
        return {k: _to_safe(v) for k, v in value.items()}
    return value


def _from_safe(value):
    """Inverse of :func:`_to_safe`."""
    import torch

    if isinstance(value, torch.Tensor):
        return value.numpy()
    if isinstance(value, dict) and "__array__" in value:
        return np.asarray(value["__array__"], dtype=object if value["dtype"] == "O" else None)
    if isinstance(value, list):
        return [_from_safe(v) for v in value]
    if isinstance(value, dict):
        return {k: _from_safe(v) for k, v in value.items()}
    return value


def fit_rate_rnn(ds, inputs=None, **kwargs):
    """Fit a :class:`RateRNNRegressor` with ``kwargs`` to ``ds`` and return it."""
    return RateRNNRegressor(**kwargs).fit(ds, inputs=inputs)
