"""An environment running the dynamics of a fitted ``RateRNNRegressor`` (see ``rnn_fit``).

``RateRNNEnv.from_fit`` delegates here, so a network fitted to recordings can be driven by the
NeuroMOP controllers like any other rate network.
"""

from __future__ import annotations

import numpy as np

from neuromop._checks import check_choice, check_int, check_real
from neuromop.control.rnn_fit import RateRNNRegressor

__all__ = ["env_from_fit"]


def env_from_fit(model, *, actions="units", n_candidates=16, action_scale=1.0, noise_std=None,
                 seed=0, **env_kwargs):
    """A :class:`neuromop.envs.rate_rnn.RateRNNEnv` running the fitted network's dynamics.

    To be attached as the classmethod ``RateRNNEnv.from_fit``. The environment's recurrent
    weights are ``model.W_``; the fitted bias ``c_`` enters as a constant one-context input (so
    the context one-hot is always on); ``tau`` and ``dt`` (the fit's Euler step) and the
    nonlinearity are the fit's. Initial states are drawn from the Gaussian of the fitted initial
    states (as :meth:`RateRNNRegressor.sample` does).

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
        Std of the random candidate actions (drawn from ``seed``).
    noise_std : float, optional
        Private noise; defaults to the fit's ``input_noise``.
    seed : int
        Seed of the candidate actions.
    **env_kwargs
        Forwarded to ``RateRNNEnv`` (``num_envs``, ``terminal``, ``n_readouts``,
        ``max_episode_steps``, ...).
    """
    import torch

    from neuromop.envs.rate_rnn import RateRNNEnv

    if not isinstance(model, RateRNNRegressor):
        raise TypeError(f"model must be a fitted RateRNNRegressor, got {type(model).__name__}")
    model._check_fitted()
    check_choice("actions", actions, ("units", "inputs"))
    n = model.W_.shape[0]
    V = np.eye(n) if actions == "units" else model.B_
    if V.shape[1] == 0:
        raise ValueError("actions='inputs' needs a model fitted with inputs; use actions='units'")
    gen = torch.Generator().manual_seed(check_int("seed", seed, low=0))
    cand = torch.randn(check_int("n_candidates", n_candidates, low=1), V.shape[1],
                       generator=gen) * check_real("action_scale", action_scale, low=0.0)
    cand[0] = 0.0
    x0 = model.x0_
    mean = torch.as_tensor(x0.mean(0), dtype=torch.float32)
    cov = np.cov(x0, rowvar=False) if x0.shape[0] > 1 else np.zeros((n, n))
    evals, evecs = np.linalg.eigh(np.atleast_2d(cov))
    factor = torch.as_tensor(evecs * np.sqrt(np.clip(evals, 0, None)), dtype=torch.float32)

    class FittedRateRNNEnv(RateRNNEnv):
        """RateRNNEnv with fitted weights; initial states from the fitted x0 Gaussian."""

        def initial_states(self, count, generator):
            count = check_int("n", count, low=1)
            out = torch.empty(count, self.state_dim)
            todo = torch.arange(count)
            for _ in range(100):
                m = int(todo.numel())
                x = mean + torch.randn(m, n, generator=generator) @ factor.T
                ctx = torch.ones(m, 1)
                aux = self.terminal.initial_aux(self.view(x, ctx))
                cand_states = torch.cat([x, ctx, aux], dim=-1)
                bad = self.is_terminal(cand_states)
                out[todo[~bad]] = cand_states[~bad]
                todo = todo[bad]
                if todo.numel() == 0:
                    return out
            raise RuntimeError("could not draw non-terminal initial states in 100 attempts")

    env_kwargs.pop("n_contexts", None)
    env = FittedRateRNNEnv(
        n, g=0.0, tau=model.tau, dt=model.alpha_ * model.tau, nonlinearity=model.nonlinearity,
        candidate_actions=cand, n_contexts=1, context_scale=0.0,
        noise_std=model.input_noise if noise_std is None else noise_std, seed=0, **env_kwargs)
    env.W = torch.as_tensor(model.W_, dtype=torch.float32)
    env.V = torch.as_tensor(V, dtype=torch.float32)
    env.C = torch.as_tensor(model.c_[:, None], dtype=torch.float32)
    env.currents = cand @ env.V.T
    env.context_index = 0
    env.fitted_model = model
    return env
