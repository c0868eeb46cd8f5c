"""Environments that run the dynamics of a network fitted to recordings.

:func:`env_from_fit` turns a fitted :class:`~neuromop.fit.rnn.RateRNNRegressor` into a
:class:`~neuromop.envs.RateRNNEnv`, so the NeuroMOP, R and free controllers can act on a network
fitted to recordings like on any other rate network; :func:`rollout_counts` rolls a controller
out on it and reads spike counts out through the fitted Poisson readout.
"""

from __future__ import annotations

import numpy as np

from neuromop._checks import MAX_SIZE, check_choice, check_int, check_real
from neuromop._random import as_generator, seed_int, torch_generator
from neuromop.envs.rate_rnn import RateRNNEnv
from neuromop.fit.rnn import RateRNNRegressor

__all__ = ["FittedRateRNNEnv", "env_from_fit", "rollout_counts"]


class FittedRateRNNEnv(RateRNNEnv):
    """A :class:`~neuromop.envs.RateRNNEnv` with the weights of a fit (see :func:`env_from_fit`).

    Initial states are drawn from the Gaussian of the fitted per-trial initial states
    (mean ``x0_mean``, factor ``x0_factor`` with covariance ``x0_factor @ x0_factor.T``),
    redrawn until none is terminal.
    """

    fitted_model = None
    x0_mean = None
    x0_factor = None

    def initial_states(self, n, generator):
        """``n`` non-terminal start states from the fitted initial-state Gaussian."""
        import torch

        count = check_int("n", n, low=1)
        return self._draw_start_states(count, generator, lambda todo: torch.ones(len(todo), 1))

    def _draw_start_states(self, count, generator, context):
        """``count`` start states: activity from the fitted initial-state Gaussian, redrawn
        while terminal; ``context(positions)`` gives the context of the states still to draw."""
        import torch

        if self.x0_mean is None:
            raise ValueError(f"this {type(self).__name__} has no fitted initial states: build "
                             "it with env_from_fit(model) or trial_matched_env(model, ds)")
        out = torch.empty(count, self.state_dim)
        todo = torch.arange(count)
        for _ in range(100):
            m = int(todo.numel())
            noise = torch.randn(m, self.n_neurons, generator=generator)
            x = self.x0_mean + noise @ self.x0_factor.T
            ctx = context(todo)
            aux = self.terminal.initial_aux(self.view(x, ctx))
            cand_states = torch.cat([x, ctx, aux], dim=-1)
            bad = self.is_terminal(cand_states)
            out[todo[~bad]] = cand_states[~bad]
            todo = todo[bad]
            if todo.numel() == 0:
                return out
        raise RuntimeError("could not draw non-terminal initial states in 100 attempts: the "
                           "fitted initial states lie outside the terminal set's safe region")


def env_from_fit(model, *, actions="units", n_candidates=16, action_scale=1.0, noise_std=None,
                 random_state=0, **env_kwargs) -> FittedRateRNNEnv:
    """A rate-RNN environment running the fitted network's dynamics.

    The environment's recurrent weights are ``model.W_``; the fitted bias ``c_`` enters as a
    constant one-context input (so the context one-hot is always on); ``tau`` and ``dt`` (the
    fit's Euler step) and the nonlinearity are the fit's. Initial states are drawn from the
    Gaussian of the fitted initial states (as :meth:`RateRNNRegressor.sample` does).

    Parameters
    ----------
    model : RateRNNRegressor
        A fitted estimator (``tanh`` or ``relu`` nonlinearity).
    actions : {"units", "inputs"}
        ``"units"``: candidate actions are currents injected into each unit (``V = I``);
        ``"inputs"``: candidate actions live in the fitted task-input space (``V = B_``).
    n_candidates : int
        ``K``; the first candidate is the zero action.
    action_scale : float
        Std of the random candidate actions (drawn from ``random_state``).
    noise_std : float, optional
        Private noise; defaults to the fit's ``input_noise``.
    random_state : int, SeedSequence or numpy.random.Generator
        Seed of the candidate actions.
    **env_kwargs
        Forwarded to :class:`~neuromop.envs.RateRNNEnv` (``num_envs``, ``terminal``,
        ``n_readouts``, ``max_episode_steps``, ...).

    Returns
    -------
    FittedRateRNNEnv
        With ``fitted_model`` set to ``model``.
    """
    return _build_fitted_env(FittedRateRNNEnv, model, actions=actions, n_candidates=n_candidates,
                             action_scale=action_scale, noise_std=noise_std,
                             random_state=random_state, extra_context=0, env_kwargs=env_kwargs)


def _build_fitted_env(cls, model, *, actions, n_candidates, action_scale, noise_std,
                      random_state, extra_context, env_kwargs):
    """An environment of class ``cls`` with the fitted weights (see :func:`env_from_fit`).

    The context is ``[1, extra_context more entries]``; the first drives the units through the
    fitted bias ``c_``, the others through zero columns (a subclass sets them).
    """
    import torch

    if not isinstance(model, RateRNNRegressor):
        raise TypeError(f"model must be a fitted RateRNNRegressor, got {type(model).__name__}")
    model._check_fitted()
    check_choice("actions", actions, ("units", "inputs"))
    n = model.W_.shape[0]
    V = np.eye(n) if actions == "units" else model.B_
    if V.shape[1] == 0:
        raise ValueError("actions='inputs' needs a model fitted with inputs; use actions='units'")
    gen = torch_generator(random_state)
    cand = torch.randn(check_int("n_candidates", n_candidates, low=1, high=MAX_SIZE),
                       V.shape[1], generator=gen) * check_real("action_scale", action_scale,
                                                               low=0.0)
    cand[0] = 0.0
    x0 = model.x0_
    cov = np.cov(x0, rowvar=False) if x0.shape[0] > 1 else np.zeros((n, n))
    evals, evecs = np.linalg.eigh(np.atleast_2d(cov))
    env_kwargs = dict(env_kwargs)
    env_kwargs.pop("n_contexts", None)
    env = cls(
        n, g=0.0, tau=model.tau, dt=model.alpha_ * model.tau, nonlinearity=model.nonlinearity,
        candidate_actions=cand, n_contexts=1 + extra_context, context_scale=0.0,
        noise_std=model.input_noise if noise_std is None else noise_std, random_state=0,
        **env_kwargs)
    env.x0_mean = torch.as_tensor(x0.mean(0), dtype=torch.float32)
    env.x0_factor = torch.as_tensor(evecs * np.sqrt(np.clip(evals, 0, None)),
                                    dtype=torch.float32)
    env.W = torch.as_tensor(model.W_, dtype=torch.float32)
    env.V = torch.as_tensor(V, dtype=torch.float32)
    env.C = torch.zeros(n, 1 + extra_context)
    env.C[:, 0] = torch.as_tensor(model.c_, dtype=torch.float32)
    env.currents = cand @ env.V.T
    env.context_index = 0
    env.fitted_model = model
    return env


def rollout_counts(env, controller, model, n_trials, n_steps, *, steps_per_bin=1,
                   random_state=None):
    """Roll ``controller`` out on a fitted-network environment and read counts out of it.

    Parameters
    ----------
    env : RateRNNEnv
        From :func:`neuromop.fit.env.env_from_fit` (``num_envs`` = ``n_trials``).
    controller : object
        Has ``act(states, generator) -> action_index``.
    model : RateRNNRegressor
        The fit whose readout maps unit activity to expected counts.
    n_trials, n_steps : int
        Episodes (parallel environments) and bins recorded.
    steps_per_bin : int
        Environment steps per recorded bin (the fit's Euler substeps).
    random_state : int or numpy.random.Generator, optional

    Returns
    -------
    counts : ndarray (trial, time, neuron)
        Poisson counts of the fitted readout.
    alive : ndarray of bool (trial, time)
        False from a termination (the environment auto-resets) to the end of the trial.
    action_entropy : float
        Mean entropy (nats) of the controller's action distribution over the rollout.
    """
    import torch

    if not isinstance(env, FittedRateRNNEnv):
        raise TypeError(f"env must be a FittedRateRNNEnv from env_from_fit, got "
                        f"{type(env).__name__}")
    if not isinstance(model, RateRNNRegressor):
        raise TypeError(f"model must be a fitted RateRNNRegressor, got {type(model).__name__}")
    model._check_fitted()
    for method in ("action_probabilities", "act"):
        if not callable(getattr(controller, method, None)):
            raise TypeError(f"controller must have {method}(states, ...), got "
                            f"{type(controller).__name__}")
    n_trials = check_int("n_trials", n_trials, low=1)
    n_steps = check_int("n_steps", n_steps, low=1, high=MAX_SIZE)
    steps_per_bin = check_int("steps_per_bin", steps_per_bin, low=1, high=MAX_SIZE)
    if env.num_envs != n_trials:
        raise ValueError(f"env.num_envs must equal n_trials={n_trials}, got {env.num_envs}")
    rng = as_generator(random_state)
    gen = torch_generator(rng)
    states, _ = env.reset(seed=seed_int(rng))
    xs, alive = [], np.ones((n_trials, n_steps), dtype=bool)
    dead = np.zeros(n_trials, dtype=bool)
    entropies = []
    with torch.no_grad():
        for t in range(n_steps):
            xs.append(env.activity(states).numpy().copy())
            alive[:, t] = ~dead
            for _ in range(steps_per_bin):
                probs = controller.action_probabilities(states)
                entropies.append(float(-(probs * torch.log(probs.clamp_min(1e-12))).sum(-1)
                                       .mean()))
                states, _, term, trunc, _ = env.step(controller.act(states, gen))
                dead |= term.numpy()
    lam = model._expected(np.stack(xs, axis=1).astype(np.float32))
    return rng.poisson(lam), alive, float(np.mean(entropies))
