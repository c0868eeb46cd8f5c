"""The six-shapes NeuroMOP study: context-dependent terminal shapes in readout space."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import xarray as xr

from neuromop._provenance import provenance
from neuromop._random import torch_generator
from neuromop.envs import SHAPES, ShapeSet
from neuromop.envs.rate_rnn import antithetic_candidates
from neuromop.envs.terminal import shape_fill_std
from neuromop.plots.tasks import plot_shapes_task
from neuromop.studies.protocol import StudyResult
from neuromop.studies.rate_rnn import PAPER, SMOKE, RateRNNStudy, format_table

__all__ = ["SPREAD_KEYS", "ShapesStudy", "format_spread", "readout_spread", "spread_history"]


@dataclass
class ShapesStudy(RateRNNStudy):
    """Six shapes: terminal when the 2-D readout leaves the shape chosen by a one-hot context.

    After every training epoch the current MOP controller is rolled out for ``spread_horizon``
    steps from the same ``spread_trials`` initial states per context (drawn once from the
    ``extra`` random stream, with the same action-sampling seed every epoch), and the spread of
    the 2-D readout over the alive steps of each context is recorded (:func:`readout_spread`: pooled
    ``readout_std`` and within-trial ``trajectory_std``). The free network, uniformly random
    currents and the untrained MOP controller are evaluated once on the same starts
    (``spread_reference`` in ``summary.json``);
    :func:`~neuromop.envs.terminal.shape_fill_std` gives the std of a readout filling each
    shape uniformly.

    Defaults, chosen so that the constraint binds (the measurements behind them are in
    ``notebooks/neuromop_tasks.py``):

    - ``context_scale = 0.1``: a strong context input quenches the chaos and parks the free
      readout at an offset, so it would leave by drift, not variability;
    - ``action_scale = 1.0`` with antithetic candidates
      (:func:`~neuromop.envs.rate_rnn.antithetic_candidates`, ``n_candidates = 17``): zero
      plus 8 pairs ``+-v``, so a uniform policy adds no mean drive; strong candidates act like
      random input and shrink the readout far inside every shape, weak ones cannot steer;
    - ``initial_value = 0.0``: the value network starts at ``V = 0`` everywhere, so the
      untrained controller is exactly the uniformly random one and the spread history shows
      what training adds (with the optimistic start even the untrained controller avoids
      terminal successors by its one-step lookahead).
    """

    shape_scale: float = 1.0
    context_scale: float = 0.1
    readout_scale: float = 1.0
    init_std: float = 0.3
    spread_trials: int = 16             # evaluation trials per context, every epoch
    spread_horizon: int = 200           # steps per evaluation trial
    n_candidates: int = 17
    action_scale: float = 1.0
    antithetic: bool = True
    initial_value: float | None = 0.0   # V starts at 0: training starts from random currents

    name: ClassVar[str] = "shapes"
    BUDGETS: ClassVar[dict[str, dict]] = {
        "smoke": dict(SMOKE, spread_trials=8, spread_horizon=100),
        "default": {},
        "paper": dict(PAPER, spread_trials=32, spread_horizon=500),
    }

    def terminal(self):

        return ShapeSet(self.shape_scale)

    def env_kwargs(self) -> dict:
        kw = {**super().env_kwargs(), "n_readouts": 2, "readout_scale": self.readout_scale,
              "n_contexts": 6, "context_scale": self.context_scale, "init_std": self.init_std}
        if self.antithetic:
            kw["candidate_actions"] = antithetic_candidates(
                self.n_candidates, self.n_neurons, self.action_scale,
                self.random_streams()["network"])
        return kw

    def spread_initial_states(self, env):
        """The fixed evaluation start states: ``spread_trials`` per context, context-major."""
        import torch


        gen = torch_generator(self.random_streams()["extra"])
        blocks = []
        try:
            for c in range(len(SHAPES)):
                env.context_index = c
                blocks.append(env.initial_states(self.spread_trials, gen))
        finally:
            env.context_index = None
        return torch.cat(blocks)

    def evaluate_spread(self, controller, env, initial_states) -> dict:
        """Roll ``controller`` out from ``initial_states``; per-shape readout spread (dicts).

        Returns ``{key: {shape: value}}`` for ``key`` in :data:`SPREAD_KEYS`.
        """
        from neuromop.control import rollout

        ds = rollout(env, controller, self.spread_horizon, n_trials=initial_states.shape[0],
                     random_state=self.random_streams()["extra"], record_activity=False,
                     initial_states=initial_states)
        spread = readout_spread(ds)
        return {key: dict(zip(spread["context"].values.tolist(), spread[key].values.tolist()))
                for key in SPREAD_KEYS}

    def reference_spread(self) -> dict:
        """:meth:`evaluate_spread` of the free network, random currents and untrained MOP."""
        from neuromop.control import FreeController, NeuroMOPController, RandomController

        env = self.make_env()
        starts = self.spread_initial_states(env)
        untrained = NeuroMOPController(self.make_env(), initial_value=self.initial_value,
                                       **self.controller_kwargs())
        return {name: self.evaluate_spread(ctrl, env, starts)
                for name, ctrl in (("free", FreeController(env)),
                                   ("random", RandomController(env)),
                                   ("untrained MOP", untrained))}

    def _train_mop(self, mop, out: Path, *, resume: bool, progress: bool) -> list[dict]:
        """Train MOP, adding the evaluation spread to every epoch record of its history."""
        from neuromop.control import train

        env = self.make_env()
        starts = self.spread_initial_states(env)
        kw = dict(self.train_kwargs(), checkpoint_dir=out / "mop")
        pending = {}
        if resume:
            # restore the last checkpoint: its own epoch record was saved before its evaluation
            train(mop, epochs=0, resume=True, progress=False, **kw)
            if mop.history_ and "readout_std" not in mop.history_[-1]:
                pending[mop.history_[-1]["epoch"]] = self.evaluate_spread(mop, env, starts)

        def measure(epoch: int, record: dict) -> None:
            record.update(self.evaluate_spread(mop, env, starts))

        train(mop, epochs=self.epochs, resume=resume, progress=progress, callback=measure, **kw)
        for record in mop.history_:
            if "readout_std" not in record:
                record.update(pending[record["epoch"]])
        return mop.history_

    def run(self, out_dir, *, resume: bool = True, progress: bool = True) -> StudyResult:
        """Train MOP; roll out free and MOP in every context; per-context lifetimes.

        Also writes ``spread_history.nc`` (:func:`spread_history`, the readout std over
        training) and adds it to ``summary.json`` under ``spread_history``.
        """
        from neuromop.control import FreeController, NeuroMOPController

        started = time.perf_counter()
        out = self.prepare(out_dir, resume=resume)
        mop = NeuroMOPController(self.make_env(), initial_value=self.initial_value,
                                 **self.controller_kwargs())
        histories = {"MOP": self._train_mop(mop, out, resume=resume, progress=progress)}
        spread = spread_history(histories["MOP"], self)
        reference = self.reference_spread()
        env = self.make_env()
        datasets, metrics = {}, {}
        for c, (shape, _) in enumerate(SHAPES):
            env.context_index = c
            ds, sm = self.rollouts(env, {f"free {shape}": FreeController(env),
                                         f"MOP {shape}": mop})
            datasets.update(ds)
            metrics.update(sm)
        named = dict(zip(metrics, datasets.values()))
        fig = plot_shapes_task(named, metrics, histories, self, reference=reference)
        extra = {"spread_history": {
            "epoch": spread["epoch"].values.tolist(), "context": spread["context"].values.tolist(),
            **{k: spread[k].values.tolist() for k in SPREAD_KEYS},
            "shape_fill_std": spread["shape_fill_std"].values.tolist()},
            "spread_reference": reference}
        table = format_table(metrics) + "\n" + format_spread(spread, reference)
        return self.result(out, started=started, datasets={**datasets, "spread_history": spread},
                           metrics=metrics, histories=histories, figure=fig, table=table,
                           extra=extra)


#: Per-context evaluation quantities recorded after every epoch (see :func:`readout_spread`).
SPREAD_KEYS = ("readout_std", "trajectory_std", "alive_fraction")


def readout_spread(ds) -> xr.Dataset:
    """Spread of the 2-D readout over alive steps, per context.

    Parameters
    ----------
    ds : xarray.Dataset
        Rollout of a six-shapes environment (``readout`` (trial, time, readout), ``alive``,
        ``context`` (trial, time)); a trial's context is its context at time 0.

    Returns
    -------
    xarray.Dataset
        Along ``context`` (shape names), in readout units: ``readout_std`` =
        ``sqrt(mean_axis var)``, the root mean over the two readout axes of the variance
        (ddof=1) of all alive samples of the context's trials pooled over trials and time (NaN
        with < 2 samples); ``trajectory_std``, the same quantity computed over time within each
        trial, averaged over the context's trials with >= 2 alive samples (NaN if none);
        ``alive_fraction``, the fraction of the context's (trial, time) points that are alive;
        ``n_trials``.
    """

    names = [name for name, _ in SHAPES]
    ro = ds["readout"].values[..., :2].astype(float)
    alive = ds["alive"].values
    onehot = ds["context"].values[:, 0][:, None] == np.arange(len(names))  # (trial, context)
    w = alive[:, :, None] & onehot[:, None, :]                               # (trial, time, ctx)
    n = w.sum(axis=(0, 1)).astype(float)
    s1 = np.einsum("tsc,tsr->cr", w, ro)
    s2 = np.einsum("tsc,tsr->cr", w, ro * ro)
    # within-trial moments (trial, readout), then per-trial std
    nt = alive.sum(axis=1).astype(float)
    m1 = np.einsum("ts,tsr->tr", alive, ro)
    m2 = np.einsum("ts,tsr->tr", alive, ro * ro)
    with np.errstate(invalid="ignore", divide="ignore"):
        var = (s2 - s1 * s1 / n[:, None]) / (n[:, None] - 1)
        std = np.where(n >= 2, np.sqrt(np.clip(var, 0.0, None).mean(axis=1)), np.nan)
        tvar = (m2 - m1 * m1 / nt[:, None]) / (nt[:, None] - 1)
        tstd = np.sqrt(np.clip(tvar, 0.0, None).mean(axis=1))                # (trial,)
        ok = onehot & (nt >= 2)[:, None]                                     # (trial, ctx)
        traj = np.where(ok.any(axis=0),
                        np.where(ok, tstd[:, None], 0.0).sum(axis=0) / ok.sum(axis=0), np.nan)
    n_trials = onehot.sum(axis=0)
    frac = n / np.maximum(n_trials * alive.shape[1], 1)
    out = xr.Dataset({"readout_std": ("context", std),
                      "trajectory_std": ("context", traj),
                      "alive_fraction": ("context", np.where(n_trials > 0, frac, np.nan)),
                      "n_trials": ("context", n_trials)}, coords={"context": names})
    for key in ("readout_std", "trajectory_std"):
        out[key].attrs["units"] = "readout units"
    return out




def spread_history(history: list[dict], study=None) -> xr.Dataset:
    """The per-epoch readout spread of a :class:`ShapesStudy` history as ``(epoch, context)``.

    Parameters
    ----------
    history : list of dict
        Training records with ``epoch`` and the :data:`SPREAD_KEYS` dicts (shape name -> value)
        added by :meth:`ShapesStudy.evaluate_spread`.
    study : ShapesStudy, optional
        Its evaluation settings go into the provenance; its ``shape_scale`` sets
        ``shape_fill_std`` (default 1).

    Returns
    -------
    xarray.Dataset
        :data:`SPREAD_KEYS` with dims ``(epoch, context)``, and ``shape_fill_std``
        (:func:`shape_fill_std`) along ``context``.
    """
    missing = [h.get("epoch") for h in history if any(k not in h for k in SPREAD_KEYS)]
    if not history or missing:
        raise ValueError(f"history must be a non-empty list of epoch records with {SPREAD_KEYS},"
                         f" got {len(history)} records, epochs without them: {missing}")
    names = list(history[0]["readout_std"])
    data = {k: (("epoch", "context"), np.array([[h[k][c] for c in names] for h in history],
                                               dtype=float))
            for k in SPREAD_KEYS}
    scale = 1.0 if study is None else study.shape_scale
    data["shape_fill_std"] = ("context", shape_fill_std(scale))
    ds = xr.Dataset(data, coords={"epoch": [int(h["epoch"]) for h in history], "context": names})
    for key in ("readout_std", "trajectory_std", "shape_fill_std"):
        ds[key].attrs["units"] = "readout units"
    params = {} if study is None else dict(spread_trials=study.spread_trials,
                                           spread_horizon=study.spread_horizon,
                                           shape_scale=study.shape_scale, seed=study.seed)
    ds.attrs.update(provenance("neuromop.studies.shapes.spread_history", **params))
    return ds


def format_spread(spread: xr.Dataset, reference: dict | None = None) -> str:
    """Plain-text table per context: pooled / trajectory std and alive fraction.

    Columns: the uniform-fill std of the shape, then for each reference controller (see
    :meth:`ShapesStudy.reference_spread`) and for MOP at the first and last epoch
    ``readout_std / trajectory_std (alive fraction)``.
    """
    first, last = spread.isel(epoch=0), spread.isel(epoch=-1)
    cols = {name: {k: ref[k] for k in SPREAD_KEYS} for name, ref in (reference or {}).items()}
    for label, rec in ((f"MOP ep {int(first['epoch'])}", first),
                       (f"MOP ep {int(last['epoch'])}", last)):
        cols[label] = {k: dict(zip(spread["context"].values.tolist(), rec[k].values.tolist()))
                       for k in SPREAD_KEYS}
    rows = ["readout std pooled / within trajectory (alive fraction), readout units:",
            f"  {'context':<16}{'fill':>6}" + "".join(f"{name:>21}" for name in cols)]
    for i, c in enumerate(spread["context"].values.tolist()):
        cells = "".join(f"{v['readout_std'][c]:>9.3f}/{v['trajectory_std'][c]:.3f} "
                        f"({v['alive_fraction'][c]:.2f})" for v in cols.values())
        rows.append(f"  {c:<16}{float(spread['shape_fill_std'][i]):>6.3f}{cells}")
    return "\n".join(rows)
