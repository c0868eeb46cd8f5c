"""A fitted network driven by the recorded trials' own task inputs, for trial-matched rollouts.

:func:`trial_matched_env` turns a :class:`~neuromop.fit.rnn.RateRNNRegressor` fitted with task
inputs into a :class:`TrialMatchedEnv`: every episode is one recorded trial (or, while a
controller trains, a recorded trial drawn at random), the network receives that trial's inputs
bin by bin exactly as in the fit (``B u_t`` from the input of bin ``t``, which drives
``x_t -> x_{t+1}``), and a controller's candidate currents are added on top.
:func:`trial_matched_rollout` rolls a controller out on the recorded trials and reads spike
counts out through the fitted Poisson readout, into a ``(trial, time, neuron)`` dataset with the
recording's coordinates.

State layout (the Markov state a controller sees)::

    [x (n_units) | 1 | u_t (n_inputs) | step | condition | terminal auxiliaries]

``step`` counts Euler steps from the start of the trial, ``condition`` indexes the distinct input
sequences of the recording (trials with the same inputs share it), so the future inputs are a
function of the state and the environment's model (``predict``) stays exact.

The terminal set comes from the data: by default :func:`recorded_activity_box`, the per-unit range
the fitted trajectories of the recorded trials visit, widened by ``margin`` on each side.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from neuromop._checks import MAX_SIZE, check_int, check_real
from neuromop._provenance import provenance
from neuromop._random import as_generator, seed_int, torch_generator
from neuromop.envs.terminal import ActivityBox, TerminalSet
from neuromop.fit.baselines import simulate_rate_rnn
from neuromop.fit.env import FittedRateRNNEnv, _build_fitted_env
from neuromop.fit.rnn import RateRNNRegressor

__all__ = ["TrialMatchedEnv", "recorded_activity_box", "trial_matched_env",
           "trial_matched_rollout"]


class TrialMatchedEnv(FittedRateRNNEnv):
    """A fitted network whose episodes are recorded trials with their task inputs.

    Built by :func:`trial_matched_env`; see the module docstring for the state layout.

    Attributes
    ----------
    schedule : torch.Tensor, shape (n_conditions, n_bins, n_inputs)
        The distinct input sequences of the recording.
    trial_condition : ndarray of int, shape (n_trials,)
        Condition of each recorded trial.
    steps_per_bin : int
        Euler steps per time bin (the fit's).
    recording : xarray.Dataset
        The recorded trials' coordinates (no data variables), copied onto rollouts.
    action_scale : float
        Std of the candidate currents.
    """

    schedule = None
    trial_condition = None
    steps_per_bin = 1
    recording = None
    action_scale = 1.0

    @property
    def n_inputs(self) -> int:
        """Task-input channels ``m``."""
        return int(self.schedule.shape[2])

    @property
    def n_bins(self) -> int:
        """Time bins of a trial."""
        return int(self.schedule.shape[1])

    def trial_states(self, trials, generator):
        """Non-terminal start states of the given recorded trials (positions), shape (B, D).

        Activity is drawn from the fitted initial-state Gaussian (redrawn while terminal); the
        context holds the trial's first input, step 0 and the trial's condition.
        """
        import torch

        if self.schedule is None:
            raise ValueError("this TrialMatchedEnv has no recorded trials: build it with "
                             "trial_matched_env(model, ds)")
        cond = torch.as_tensor(self.trial_condition[np.asarray(trials, dtype=np.int64)])
        return self._draw_start_states(len(cond), generator,
                                       lambda todo: self._context(cond[todo],
                                                                  torch.zeros(len(todo))))

    def initial_states(self, n, generator):
        """``n`` start states of recorded trials drawn uniformly (with replacement)."""
        import torch

        count = check_int("n", n, low=1)
        if self.schedule is None:
            raise ValueError("this TrialMatchedEnv has no recorded trials: build it with "
                             "trial_matched_env(model, ds)")
        idx = torch.randint(len(self.trial_condition), (count,), generator=generator)
        return self.trial_states(idx.numpy(), generator)

    def _context(self, cond, step):
        import torch

        b = torch.clamp(torch.div(step, self.steps_per_bin, rounding_mode="floor").long(),
                        max=self.n_bins - 1)
        ones = torch.ones(cond.shape + (1,))
        return torch.cat([ones, self.schedule[cond.long(), b], step.unsqueeze(-1),
                          cond.to(torch.float32).unsqueeze(-1)], dim=-1)

    def predict(self, states, action_index=None, *, generator=None):
        """Next states (see :meth:`RateRNNEnv.predict`), with the next step's task input."""
        out = super().predict(states, action_index, generator=generator)
        n, m = self.n_neurons, self.n_inputs
        ctx = out[..., n:n + self.n_contexts]
        ctx.copy_(self._context(ctx[..., m + 2], ctx[..., m + 1] + 1.0))
        return out

    def state_variables(self, states) -> dict:
        out = super().state_variables(states)
        _, ctx, _ = self.split(states)
        m = self.n_inputs
        out.pop("context", None)
        out.update(step=ctx[..., m + 1], condition=ctx[..., m + 2].long())
        return out


def _fitted_inputs(model, ds) -> np.ndarray:
    """The fitted input variables of ``ds`` as (trial, time, input), checked and finite."""
    u = model._fitted_input_array(ds)
    if not np.all(np.isfinite(u)):
        raise ValueError(f"ds inputs {model.inputs_} must be finite")
    return u


def _fitted_latents(model, ds):
    """Noise-free latent trajectories of the recorded trials (trial, time, unit), trial ``k``
    started from the fitted initial state ``k mod n_fitted`` (so the spread of the fitted
    initial states and every input condition of ``ds`` are covered)."""
    u = _fitted_inputs(model, ds)
    x0 = model.x0_[np.arange(u.shape[0]) % model.x0_.shape[0]]
    try:
        z, _ = simulate_rate_rnn(model.W_, model.B_, model.c_, model.C_, model.d_, u, x0,
                                 alpha=model.alpha_, n_substeps=model.n_substeps_,
                                 nonlinearity=model.nonlinearity)
    except ValueError:
        raise ValueError("ds drives the fitted network to non-finite activity") from None
    return z


def recorded_activity_box(model, ds, *, margin=0.25) -> ActivityBox:
    """The per-unit range of activity that explains a recording, as a terminal set.

    The range is taken over the noise-free latent trajectories of every recorded trial, driven
    by its own inputs, trial ``k`` started from the fitted initial state ``k mod n_fitted`` (the
    spread of the fitted initial states and all the recorded input conditions). Each unit's
    interval ``[min, max]`` is widened by ``margin`` times its width on both sides.

    Parameters
    ----------
    model : RateRNNRegressor
        Fitted with the task inputs that ``ds`` carries.
    ds : xarray.Dataset
        The recording (with the fitted input variables).
    margin : float
        Widening, as a fraction of each unit's visited range (``>= 0``).

    Returns
    -------
    ActivityBox
    """
    if not isinstance(model, RateRNNRegressor):
        raise TypeError(f"model must be a fitted RateRNNRegressor, got {type(model).__name__}")
    model._check_fitted()
    margin = check_real("margin", margin, low=0.0, high=1e6)
    z = _fitted_latents(model, ds).reshape(-1, model.W_.shape[0])
    lo, hi = z.min(0), z.max(0)
    width = np.maximum(hi - lo, 1e-6)
    return ActivityBox(lo - margin * width, hi + margin * width)


def trial_matched_env(model, ds, *, terminal="recorded", margin=0.25, num_envs=None,
                      n_candidates=16, action_scale=0.5, noise_std=None,
                      random_state=0) -> TrialMatchedEnv:
    """The fitted network as an environment whose episodes are the recorded trials.

    Parameters
    ----------
    model : RateRNNRegressor
        Fitted (``tanh`` or ``relu``), usually with task inputs.
    ds : xarray.Dataset
        The recording, ``(trial, time, neuron)``, with the fitted input variables along
        ``(trial, time)`` and the fit's bin width.
    terminal : "recorded", "none" or TerminalSet
        ``"recorded"``: :func:`recorded_activity_box` with ``margin``; ``"none"``: never
        terminal; or any terminal set.
    margin : float
        See :func:`recorded_activity_box`.
    num_envs : int, optional
        Parallel episodes (default: the number of recorded trials).
    n_candidates, action_scale, noise_std, random_state
        As in :func:`~neuromop.fit.env.env_from_fit` (candidate currents into every unit).

    Returns
    -------
    TrialMatchedEnv
        Episodes last ``(n_bins - 1) * steps_per_bin`` steps (then truncated).
    """
    import torch

    if not isinstance(model, RateRNNRegressor):
        raise TypeError(f"model must be a fitted RateRNNRegressor, got {type(model).__name__}")
    model._check_fitted()
    u = _fitted_inputs(model, ds)
    n_trials, n_bins = u.shape[0], u.shape[1]
    if n_bins < 2:
        raise ValueError(f"ds must have at least 2 time bins, got {n_bins}")
    if isinstance(terminal, str):
        if terminal == "recorded":
            terminal = recorded_activity_box(model, ds, margin=margin)
        elif terminal == "none":
            terminal = None
        else:
            raise ValueError(f"terminal must be 'recorded', 'none' or a TerminalSet, got "
                             f"{terminal!r}")
    elif not isinstance(terminal, TerminalSet):
        raise TypeError(f"terminal must be 'recorded', 'none' or a TerminalSet, got "
                        f"{type(terminal).__name__}")
    m = u.shape[2]
    if m:
        schedule, condition = np.unique(u.reshape(n_trials, -1), axis=0, return_inverse=True)
    else:  # no task input: every trial is the same condition
        schedule, condition = np.zeros((1, 0)), np.zeros(n_trials, dtype=np.int64)
    n_envs = n_trials if num_envs is None else check_int("num_envs", num_envs, low=1,
                                                         high=MAX_SIZE)
    env = _build_fitted_env(
        TrialMatchedEnv, model, actions="units", n_candidates=n_candidates,
        action_scale=action_scale, noise_std=noise_std, random_state=random_state,
        extra_context=m + 2,
        env_kwargs=dict(num_envs=n_envs, terminal=terminal, n_readouts=0,
                        max_episode_steps=(n_bins - 1) * model.n_substeps_))
    env.C[:, 1:1 + m] = torch.as_tensor(model.B_, dtype=torch.float32)
    env.schedule = torch.as_tensor(schedule.reshape(-1, n_bins, m) if m else
                                   np.zeros((1, n_bins, 0)), dtype=torch.float32)
    env.trial_condition = np.asarray(condition, dtype=np.int64).reshape(-1)
    env.steps_per_bin = int(model.n_substeps_)
    env.action_scale = float(action_scale)
    env.recording = xr.Dataset(coords={k: v for k, v in ds.coords.items()
                                       if set(v.dims) <= {"trial", "time", "neuron"}})
    env.recording.attrs.update(bin_width=model.bin_width_)
    return env


def trial_matched_rollout(env, controller, *, source="rollout", random_state=None) -> xr.Dataset:
    """Roll ``controller`` out on every recorded trial and read spike counts out.

    Each recorded trial is one episode from a fresh initial state, with its own inputs. The
    dynamics run on through terminal states (no reset, so every bin has activity); ``alive``
    marks the bins before the first terminal state.

    Parameters
    ----------
    env : TrialMatchedEnv
        From :func:`trial_matched_env`.
    controller : object
        Has ``action_probabilities(states)`` and ``act(states, generator)``.
    source : str
        Label stored in ``attrs["source"]`` (e.g. ``"mop"``).
    random_state : int or numpy.random.Generator, optional
        Initial states, transition noise, actions and Poisson counts.

    Returns
    -------
    xarray.Dataset
        ``counts`` (trial, time, neuron) from the fitted Poisson readout, ``action_entropy``
        (trial, time; nats, mean over the bin's steps, the step entropy of the controller's
        action distribution), ``terminated`` (trial, time; True from the first terminal state
        on), with the recording's coordinates and provenance.
    """
    import torch

    if not isinstance(env, TrialMatchedEnv):
        raise TypeError(f"env must be a TrialMatchedEnv from trial_matched_env, got "
                        f"{type(env).__name__}")
    for method in ("action_probabilities", "act"):
        if not callable(getattr(controller, method, None)):
            raise TypeError(f"controller must have {method}(states, ...), got "
                            f"{type(controller).__name__}")
    if not isinstance(source, str) or not source:
        raise TypeError(f"source must be a non-empty str, got {source!r}")
    model = env.fitted_model
    rng = as_generator(random_state)
    gen = torch_generator(seed_int(rng))
    n_trials, n_bins, sub = len(env.trial_condition), env.n_bins, env.steps_per_bin
    states = env.trial_states(np.arange(n_trials), gen)
    xs = np.empty((n_trials, n_bins, env.n_neurons), dtype=np.float32)
    entropy = np.zeros((n_trials, n_bins))
    dead = torch.zeros(n_trials, dtype=torch.bool)
    terminated = np.zeros((n_trials, n_bins), dtype=bool)
    with torch.no_grad():
        for t in range(n_bins):
            xs[:, t] = env.activity(states).numpy()
            dead |= env.is_terminal(states)
            terminated[:, t] = dead.numpy()
            if t == n_bins - 1:
                break
            for _ in range(sub):
                probs = controller.action_probabilities(states)
                ent = -(probs * torch.log(probs.clamp_min(1e-30))).sum(-1)
                entropy[:, t] += ent.numpy() / sub
                states = env.predict(states, controller.act(states, gen), generator=gen)
    entropy[:, -1] = entropy[:, -2]  # no action is taken in the last bin: carry the last value
    lam = model._expected(xs)
    if not np.all(np.isfinite(lam)):
        raise ValueError("the rollout drove the fitted readout to non-finite rates")
    counts = rng.poisson(lam).astype(np.int64)
    out = env.recording.copy()
    out["counts"] = (("trial", "time", "neuron"), counts)
    out["counts"].attrs["units"] = "spikes"
    out["action_entropy"] = (("trial", "time"), entropy)
    out["action_entropy"].attrs["units"] = "nats"
    out["terminated"] = (("trial", "time"), terminated)
    out.attrs.update(units="spikes", bin_width=model.bin_width_, source=source,
                     **provenance("neuromop.fit.trial_matched_rollout", source=source,
                                  controller=repr(controller), terminal=repr(env.terminal),
                                  noise_std=env.noise_std))
    return out
