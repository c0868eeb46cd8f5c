"""A Brian2 E/I spiking network as a (batched) environment with closed-loop control at full speed.

Every control period ``T`` (1-10 ms) a ``network_operation`` inside **one** long ``Network.run``
reads the spike counters, updates the observation (exponentially filtered population rates), the
terminal-set auxiliaries and the termination flags, asks the controller for the next action and
writes it into the neurons' control currents. Calling ``run()`` once per step instead would cost
~0.1 s of Brian overhead per step.

Two ways to put a controller in the loop (both run the same network operation):

- **callback-driven** (:meth:`SpikingVectorEnv.run_closed_loop`): the controller is a function
  ``policy(obs, step) -> action`` called from inside the network operation. No threads; fastest.
- **Gymnasium** (:meth:`SpikingVectorEnv.reset` / :meth:`SpikingVectorEnv.step`): the run lives in
  a worker thread; the network operation hands the observation to ``step`` and blocks until the
  next action arrives (two ``queue.SimpleQueue`` hand-offs per step). Exceptions in the worker
  are re-raised by ``step``/``reset``.

Batched copies: ``num_envs = B`` copies are blocks of one ``NeuronGroup`` (see
:mod:`neuromop.envs.spiking.network`). An episode is synchronous across copies: a copy that
terminates is *absorbed* (``terminated`` stays True, reward 0, its control current is zero) while
the others go on; the episode ends when all copies have terminated or after
``max_episode_steps`` (``truncated``); :meth:`SpikingVectorEnv.reset` restores the stored initial
network state (``Network.restore``) with freshly drawn membrane potentials and noise seed.

Randomness: connectivity from ``network_random_state`` and initial potentials from the episode
seed use
``numpy.random.Generator``; the simulation noise (the external Poisson drive) comes from the
network's own counter-based sampler (:mod:`neuromop.envs.spiking.drive`), seeded from the episode
generator; Brian's global RNG is not used.

Speed: all Brian objects share one clock (Brian's fast single-clock loop; an object with its own
``dt`` gets its own clock and forces the slower multi-clock loop); the control operation runs on
that clock and returns after one decrement except every ``control_period / dt`` steps. Per
control period the loop reads the neurons' own ``n_spikes`` counters (incremented by the reset)
through their numpy array, gets the filter input and the mean rates from one matrix product,
checks the safety sets inline, writes one row per logged quantity into preallocated arrays
(:class:`~neuromop.envs.spiking.log.EpisodeLog`) and the currents with one matrix product into the
``I_ctrl`` array; nothing loops over copies in Python. Each ``Network.run`` is wrapped in
:func:`~neuromop.envs.spiking.setup.frozen_gc`, which cuts Brian's fixed cost per run (a full
``gc.collect()``). ``benchmarks/spiking_loop.py`` measures the overhead of the loop against
open-loop runs and the speed-up of batched copies.
"""

from __future__ import annotations

import math
import queue
import threading
from collections.abc import Callable

import numpy as np

from neuromop._checks import check_int, check_real
from neuromop._provenance import provenance
from neuromop._random import as_generator, seed_int
from neuromop.envs.spiking import setup as brian_setup
from neuromop.envs.spiking.log import EpisodeLog, episode_dataset
from neuromop.envs.spiking.network import (
    LIF_EQUATIONS,
    SpikingNetworkParams,
    bin_spike_table,
    build_network,
    parse_targets,
    spike_table,
)
from neuromop.envs.spiking.terminal import Quiescence, Runaway, SpikingTerminalSet

__all__ = ["SpikingNetworkEnv", "SpikingVectorEnv", "parse_targets"]

_STOP = object()
_F64 = np.dtype(np.float64)


class SpikingVectorEnv:
    """``num_envs`` copies of a Brian2 E/I LIF network controlled by input currents.

    Parameters
    ----------
    num_envs : int
        Number of independent copies ``B`` (blocks of one NeuronGroup).
    params : SpikingNetworkParams, optional
        Network parameters (default: the AI-regime network).
    control_period : float
        Control period ``T`` (ms), a multiple of ``params.dt``, in [dt, 100].
    action_targets : sequence or mapping
        What each action component drives (see :func:`parse_targets`): component ``k`` is a
        current (nA) injected into every neuron of target ``k``. Default ``("E", "I")``.
    readouts : sequence or mapping
        Populations whose filtered mean rate (Hz) forms the observation. Default ``("E", "I")``.
    tau_obs : float
        Time constant (ms) of the exponential filter of the binned population rates.
    warmup : float
        Uncontrolled simulation (ms) before the first observation, rounded up to whole periods.
    max_episode_steps : int
        Truncation horizon (control periods) of Gymnasium episodes.
    terminal : SpikingTerminalSet, optional
        Extra terminal set (energy budget, rate box...). Always combined with the safety sets
        ``Quiescence(silence_rate) | Runaway(runaway_rate)``.
    silence_rate, runaway_rate : float
        Safety bounds (Hz) on the filtered rates: an episode that goes silent or diverges ends as
        terminal.
    reward_fn : callable, optional
        ``reward_fn(obs, aux, action) -> (B,)`` reward of each period; default 0.
    random_state : int, SeedSequence or numpy.random.Generator, optional
        Source of episode seeds when ``reset``/``run_*`` get none.
    network_random_state : int
        Seed of the connectivity.
    same_connectivity : bool
        All copies share one connectivity (default) or get independent draws.
    record_spikes : bool
        Keep a SpikeMonitor (needed for :meth:`episode_data` counts and spike tables).
    target : {"auto", "numpy", "cython"}
        Brian2 code-generation target (see :mod:`neuromop.envs.spiking.setup`).
    cache : path-like, optional
        Brian2 cache folder for the cython target.
    verbose : bool
        Announce first-run compilation.
    """

    def __init__(self, num_envs: int = 1, params: SpikingNetworkParams | None = None, *,
                 control_period: float = 5.0, action_targets=("E", "I"), readouts=("E", "I"),
                 tau_obs: float = 20.0, warmup: float = 100.0, max_episode_steps: int = 200,
                 terminal: SpikingTerminalSet | None = None, silence_rate: float = 0.5,
                 runaway_rate: float = 250.0,
                 reward_fn: Callable | None = None, random_state=None,
                 network_random_state: int = 0,
                 same_connectivity: bool = True, record_spikes: bool = True,
                 target: str = "auto", cache=None, verbose: bool = True) -> None:
        import brian2 as b2

        self.num_envs = check_int("num_envs", num_envs, low=1)
        if params is None:
            params = SpikingNetworkParams()
        if not isinstance(params, SpikingNetworkParams):
            raise TypeError(f"params must be a SpikingNetworkParams, got {type(params).__name__}")
        self.params = params
        period = check_real("control_period", control_period, low=params.dt, high=100.0)
        ratio = period / params.dt
        if abs(ratio - round(ratio)) > 1e-6:
            raise ValueError(
                f"control_period must be a multiple of dt={params.dt} ms, got {period}")
        self.control_period = period
        self._T = period * 1e-3  # seconds
        self.tau_obs = check_real("tau_obs", tau_obs, low=0.0, low_inclusive=False)
        self._lam = math.exp(-period / self.tau_obs)
        self.warmup_steps = math.ceil(check_real("warmup", warmup, low=0.0) / period - 1e-9)
        self.max_episode_steps = check_int("max_episode_steps", max_episode_steps, low=1)
        if terminal is not None and not isinstance(terminal, SpikingTerminalSet):
            raise TypeError(f"terminal must be a SpikingTerminalSet, got {type(terminal).__name__}")
        silence_rate = check_real("silence_rate", silence_rate, low=0.0, low_inclusive=False)
        runaway_rate = check_real("runaway_rate", runaway_rate, low=0.0, low_inclusive=False)
        safety = Quiescence(silence_rate) | Runaway(runaway_rate)
        self.terminal_set = safety if terminal is None else terminal | safety
        # the loop evaluates the (aux-free) safety sets inline and only the user's set by call
        self._user_terminal = terminal
        self._silence, self._runaway = float(silence_rate), float(runaway_rate)
        if reward_fn is not None and not callable(reward_fn):
            raise TypeError(f"reward_fn must be callable, got {reward_fn!r}")
        self.reward_fn = reward_fn
        self.action_labels, self._act_matrix = parse_targets(
            "action_targets", action_targets, params, normalise=False)
        self.readout_labels, self._read_matrix = parse_targets(
            "readouts", readouts, params, normalise=True)
        self.action_dim, self.obs_dim = len(self.action_labels), len(self.readout_labels)
        self._seed_rng = as_generator(random_state)
        self.network_random_state = check_int("network_random_state", network_random_state,
                                              low=0)
        self.target = brian_setup.configure(target, cache)
        self._cache, self._verbose = cache, verbose
        self._cache_path = b2.prefs.codegen.runtime.cython.cache_dir
        self._key = brian_setup.model_key(LIF_EQUATIONS, self.target, params, self.num_envs)

        parts = build_network(params, self.num_envs, as_generator(self.network_random_state),
                              same_connectivity=same_connectivity)
        self.network, self.neurons = parts["network"], parts["neurons"]
        self.n_synapses, self._drive = parts["n_synapses"], parts["drive"]
        self._every = int(round(ratio))  # time steps per control period
        self._countdown = 0
        self._op = b2.NetworkOperation(self._tick, clock=parts["clock"], when="start",
                                       name="spiking_env_control")
        self.network.add(self._op)
        self._monitor = None
        if record_spikes:
            self._monitor = b2.SpikeMonitor(self.neurons, name="spiking_env_spikes")
            self.network.add(self._monitor)
        self._counter = self.neurons.variables["n_spikes"]
        self._current = self.neurons.variables["I_ctrl"]
        N = params.n_neurons
        # counts (B, N) @ this = [(1 - lam) x readout rates (Hz) ..., mean rate of the copy (Hz)]:
        # the filter's input and the terminal sets' rate in one product
        self._rate_matrix = np.column_stack(
            [(1.0 - self._lam) * self._read_matrix.T, np.full(N, 1.0 / N)]) / self._T
        self._act_amp = self._act_matrix * 1e-9  # action (nA) @ this = currents (A) per neuron
        self._n_aux = self.terminal_set.n_aux
        self._rates = np.zeros((self.num_envs, self.obs_dim + 1))
        self._rates_obs, self._rates_total = self._rates[:, :-1], self._rates[:, -1]
        self._all_alive = np.ones(self.num_envs, dtype=bool)
        self._no_terminal = np.zeros(self.num_envs, dtype=bool)  # shared: never written to
        self._no_terminal.flags.writeable = False
        self._all_alive.flags.writeable = False
        self.network.store("initial")
        self._worker: threading.Thread | None = None
        self._decide: Callable | None = None
        self._episode_over = True
        self._log = EpisodeLog(self.num_envs, 0, self.obs_dim, self.action_dim, self._n_aux)
        self._n_steps = 0
        self._last_seed = None
        self._episode_index = 0

    # ------------------------------------------------------------------ episode machinery
    def _begin(self, random_state, n_steps: int) -> None:
        import brian2 as b2

        self._stop_worker()
        seed = seed_int(self._seed_rng if random_state is None else random_state)
        rng = as_generator(seed)
        self._last_seed = seed
        self.network.restore("initial")
        p, B = self.params, self.num_envs
        self.neurons.v = rng.uniform(p.v_reset, p.v_threshold, B * p.n_neurons) * b2.mV
        # the loop works on Brian's arrays directly (views, no per-step get_value)
        self._spikes = self._counter.get_value().reshape(B, p.n_neurons)
        self._spikes[:] = 0.0
        self._currents = self._current.get_value().reshape(B, p.n_neurons)
        self._currents[:] = 0.0
        drive_seed = seed_int(rng)
        if self._drive is not None:
            self._drive.restart(drive_seed)
        self._n_steps = n_steps
        self._k = 0
        self._countdown = 0
        self._obs = np.zeros((B, self.obs_dim))
        self._aux = self.terminal_set.initial_aux(self._obs, (B,))
        self._done = np.zeros(B, dtype=bool)
        self._n_done = 0
        self._log = EpisodeLog(B, n_steps, self.obs_dim, self.action_dim, self._n_aux)
        self._episode_index += 1

    def _run(self, n_steps: int) -> None:
        import brian2 as b2

        first = brian_setup.announce_compile(self.target, self._key, self._cache,
                                             verbose=self._verbose)
        duration = ((self.warmup_steps + n_steps) * self.control_period + self.params.dt) * b2.ms
        # code objects are (re)generated for the target in the preferences at run time: restore
        # ours in case another environment configured a different one since
        b2.prefs.codegen.target = self.target
        if self.target == "cython":
            b2.prefs.codegen.runtime.cython.cache_dir = self._cache_path
        self._error = None
        with brian_setup.frozen_gc():  # Brian's per-run gc.collect() then skips the old heap
            self.network.run(duration, namespace={})
        if self._error is not None:
            raise self._error
        if first:
            brian_setup.mark_compiled(self.target, self._key, self._cache)

    def _tick(self) -> None:
        """Network operation run every time step: the control loop once per control period."""
        c = self._countdown
        if c:
            self._countdown = c - 1
            return
        self._countdown = self._every - 1
        self._loop()

    def _loop(self) -> None:  # noqa: C901 (predates the complexity rule)
        """One control period: read and clear the spike counters, update observation, aux,
        termination and logs, get the next action and write the control currents."""
        k = self._k
        self._k = k + 1
        # rates buffer (B, obs_dim + 1): (1 - lam) x readout rates, mean rate of the copy (Hz);
        # preallocated views, as every numpy call costs ~1-2 us on the caches Brian leaves
        np.matmul(self._spikes, self._rate_matrix, out=self._rates)
        self._spikes.fill(0.0)
        obs = self._obs
        if k > 0:
            obs *= self._lam
            obs += self._rates_obs
        s = k - self.warmup_steps
        if s < 0:
            return
        total = self._rates_total  # a view: copied by the log and before leaving the loop
        log = self._log
        reward = new_term = None
        if s > 0:
            alive = ~self._done if self._n_done else self._all_alive
            user = self._user_terminal
            if user is not None or self.reward_fn is not None:
                mine = obs.copy()  # user code gets arrays that the loop will not overwrite
            if self._n_aux:  # only the user's set has auxiliaries
                aux = user.update_aux(self._aux, mine, total.copy(), self._T)
                self._aux = np.where(alive[:, None], aux, self._aux)
            if self.reward_fn is not None:  # else None: the log's zeros stand
                r = np.asarray(self.reward_fn(mine, self._aux, log.last_action.copy()),
                               dtype=float).reshape(self.num_envs)
                reward = np.where(alive, r, 0.0)
            term = self._safety_terminal(obs)
            if user is not None:
                term = term | np.asarray(user.is_terminal(mine, self._aux), dtype=bool)
            new_term = term & alive if self._n_done else term
            # (count_nonzero is ~5x cheaper than any/all; the shared all-False array needs none)
            n_new = 0 if new_term is self._no_terminal else np.count_nonzero(new_term)
            if n_new:
                self._done = self._done | new_term
                self._n_done += n_new
                log.terminate(s, new_term)
            log.outcome(s, reward, self._aux, total)
        truncated = s >= self._n_steps
        over = truncated or self._n_done == self.num_envs
        try:
            action = self._decide(s, reward, new_term, total, truncated, over)
            if not (over or action is _STOP):
                action = self._check_action(action, batched=True)
        except Exception as exc:  # re-raised by _run once Brian has stopped cleanly
            self._error = exc
            action = _STOP
        if over or action is _STOP:
            self.network.stop()
            return
        log.decision(s, obs, action)
        if self._n_done:  # absorbed copies get no current
            action = action * ~self._done[:, None]
        np.matmul(action, self._act_amp, out=self._currents)

    def _safety_terminal(self, obs: np.ndarray) -> np.ndarray:
        """``Quiescence(silence_rate) | Runaway(runaway_rate)`` of ``obs`` (B, obs_dim) in one
        pass: not (some rate >= silence_rate and every rate <= runaway_rate, NaN failing)."""
        lo, hi = self._silence, self._runaway
        if obs.size <= 32:  # a few rates: Python floats beat numpy's per-row reductions (~10 us)
            flags = [not (any(x >= lo for x in row) and all(x <= hi for x in row))
                     for row in obs.tolist()]
            return np.array(flags, dtype=bool) if any(flags) else self._no_terminal
        return ~((obs >= lo).any(axis=1) & (obs <= hi).all(axis=1))

    def _check_action(self, action, *, batched: bool) -> np.ndarray:
        shape = (self.num_envs, self.action_dim)
        if type(action) is np.ndarray and action.dtype is _F64 and action.shape == shape:
            a = action  # fast path (the log copies it)
        else:
            try:
                a = np.array(action, dtype=float)
            except (TypeError, ValueError) as exc:
                raise TypeError(
                    f"action must be an array of currents (nA), got {action!r}") from exc
            if batched and a.shape != shape:
                if not (self.num_envs == 1 and a.shape == (self.action_dim,)):
                    raise ValueError(f"action must have shape {shape} (num_envs, action_dim), "
                                     f"got {a.shape}")
                a = a.reshape(shape)
        if a.size <= 32:  # a few currents: Python floats are cheaper than two numpy calls
            finite = all(map(math.isfinite, a.ravel().tolist()))
        else:
            finite = np.count_nonzero(np.isfinite(a)) == a.size
        if not finite:
            raise ValueError("action must be finite, got NaN/inf currents")
        return a

    # ------------------------------------------------------------------ callback-driven loop
    def run_closed_loop(self, policy: Callable, n_steps: int, *, random_state=None):
        """Run one episode with ``policy(obs, step) -> action`` called from inside the run.

        Parameters
        ----------
        policy : callable
            Receives the observations ``(num_envs, obs_dim)`` (Hz) and the step index; returns
            currents ``(num_envs, action_dim)`` (nA).
        n_steps : int
            Control periods after the warm-up (the episode stops earlier if all copies terminate).
        random_state : int, SeedSequence or numpy.random.Generator, optional
            Episode seed (initial potentials and the external drive's noise); default: the
            next seed of the environment's own stream.

        Returns
        -------
        tuple (xarray.Dataset, pandas.DataFrame)
            :meth:`episode_data`.
        """
        if not callable(policy):
            raise TypeError(f"policy must be callable, got {policy!r}")
        n_steps = check_int("n_steps", n_steps, low=1)
        self._begin(random_state, n_steps)
        self._decide = lambda s, *rest: None if rest[-1] else policy(self._obs.copy(), s)
        self._op.active = True
        self._run(n_steps)
        return self.episode_data()

    def run_open_loop(self, n_steps: int, *, action=None, random_state=None):
        """Run the network without the control operation, with a constant action (default 0).

        Observations, rates and terminations are computed afterwards from the spike table,
        with the same filter as the closed loop. Needs ``record_spikes=True``.
        """
        if self._monitor is None:
            raise ValueError("run_open_loop needs record_spikes=True")
        n_steps = check_int("n_steps", n_steps, low=1)
        self._begin(random_state, n_steps)
        a = np.zeros((self.num_envs, self.action_dim)) if action is None else \
            self._check_action(action, batched=True)
        np.matmul(a, self._act_amp, out=self._currents)
        self._op.active = False
        try:
            self._run(n_steps)
        finally:
            self._op.active = True
        self._replay(n_steps, a)
        return self.episode_data()

    def _replay(self, n_steps: int, action: np.ndarray) -> None:
        """Rebuild the loop's log from the recorded spikes (open-loop runs)."""
        W, B, N = self.warmup_steps, self.num_envs, self.params.n_neurons
        spikes = spike_table(self._monitor.i[:], self._monitor.t_[:], N)
        counts = bin_spike_table(spikes, B, N, W + n_steps + 1, self._T)
        rates = counts @ self._rate_matrix  # (B, bins, readouts + 1), as in the closed loop
        inst, total = rates[..., :-1], rates[..., -1]
        obs = np.zeros((B, self.obs_dim))
        log = self._log
        for k in range(1, W + n_steps + 1):
            obs = self._lam * obs + inst[:, k - 1]
            s = k - W
            if s < 0:
                continue
            if s > 0:
                alive = ~self._done
                aux = self.terminal_set.update_aux(self._aux, obs, total[:, k - 1], self._T)
                self._aux = np.where(alive[:, None], aux, self._aux)
                new = np.asarray(self.terminal_set.is_terminal(obs, self._aux)) & alive
                if new.any():
                    self._done = self._done | new
                    log.terminate(s, new)
                log.outcome(s, None, self._aux, total[:, k - 1])
            if s < n_steps:
                log.decision(s, obs, action)
        self._obs = obs

    # ------------------------------------------------------------------ Gymnasium API
    def reset(self, *, seed=None, options=None):
        """Start an episode in a worker thread; return ``(obs (B, obs_dim), info)``."""
        self._begin(seed, self.max_episode_steps)
        self._to_sim: queue.SimpleQueue = queue.SimpleQueue()
        self._from_sim: queue.SimpleQueue = queue.SimpleQueue()
        self._decide = self._decide_threaded
        self._op.active = True
        self._worker = threading.Thread(target=self._worker_main, args=(self.max_episode_steps,),
                                        name="neuromop-brian-run", daemon=True)
        self._episode_over = False
        self._worker.start()
        obs, _, _, _, info = self._receive()
        return obs, info

    def step(self, action):
        """Apply ``action`` (B, action_dim) nA for one control period.

        Returns
        -------
        obs, reward, terminated, truncated, info
            Shapes (B, obs_dim), (B,), (B,), (B,); ``terminated`` is True from the step a copy
            enters a terminal set on (absorbed copies stay terminated).
        """
        if self._episode_over:
            raise RuntimeError("the episode is over (or was never started); call reset() first")
        a = self._check_action(action, batched=True)
        self._to_sim.put(a)
        return self._receive()

    def _decide_threaded(self, s, reward, new_term, total, truncated, over):
        if reward is None:  # the first observation (reset), or no reward_fn
            reward = np.zeros(self.num_envs)
        alive = ~self._done
        info = {"step": s, "time": s * self._T, "total_rate": total.copy(),
                "aux": self._aux.copy(), "alive": alive}
        trunc = alive.copy() if truncated else np.zeros(self.num_envs, dtype=bool)
        self._from_sim.put(("step", (self._obs.copy(), reward, ~alive, trunc, info), over))
        if over:
            return None
        return self._to_sim.get()

    def _worker_main(self, n_steps: int) -> None:
        try:
            self._run(n_steps)
        except BaseException as exc:  # forwarded to and re-raised by the main thread
            self._from_sim.put(("error", exc))
        self._from_sim.put(("finished", None))

    def _receive(self):
        kind, payload, *over = self._from_sim.get()
        if kind == "error":
            self._episode_over = True
            raise RuntimeError(f"the Brian2 simulation failed: {payload!r}") from payload
        if kind == "finished":
            self._episode_over = True
            raise RuntimeError("the Brian2 run ended before the episode did")
        if over[0]:  # all copies terminated or truncated
            self._episode_over = True
        return payload

    def _stop_worker(self) -> None:
        worker, self._worker = self._worker, None
        if worker is not None and worker.is_alive():
            self._to_sim.put(_STOP)
            worker.join()
        self._episode_over = True

    def close(self) -> None:
        """Stop a running episode's worker thread (call it, or use ``with env:``, when done)."""
        self._stop_worker()

    def __enter__(self) -> SpikingVectorEnv:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def aux(self) -> np.ndarray:
        """Current terminal-set auxiliaries (e.g. energy), shape (B, n_aux) (a copy).

        Inside a closed-loop policy call this is the state *at* the decision, i.e. after the
        update for the period that just ended.
        """
        return np.array(self._aux, copy=True)

    @property
    def observation_space(self):
        """``gymnasium.spaces.Box`` of the (batched) observation: rates >= 0 Hz."""
        from gymnasium.spaces import Box

        return Box(0.0, np.inf, shape=self._shape(self.obs_dim), dtype=np.float64)

    @property
    def action_space(self):
        """``gymnasium.spaces.Box`` of the (batched) action: unbounded currents (nA)."""
        from gymnasium.spaces import Box

        return Box(-np.inf, np.inf, shape=self._shape(self.action_dim), dtype=np.float64)

    def _shape(self, dim: int) -> tuple[int, ...]:
        return (self.num_envs, dim)

    # ------------------------------------------------------------------ outputs
    def episode_data(self):
        """Data of the current/last episode.

        Returns
        -------
        dataset : xarray.Dataset
            Dims ``(trial, time, ...)`` with ``time`` (s) at the centres of the control periods
            after the warm-up: ``counts`` (trial, time, neuron) spikes per period (if spikes are
            recorded), ``observation`` (trial, time, readout) filtered rates at the period start
            (Hz), ``action`` (trial, time, action_dim) currents (nA), ``population_rate``
            (trial, time) mean rate of the copy over the period (Hz), ``reward``,
            ``terminated`` (True from the period a copy entered a terminal set on), one
            variable per terminal auxiliary (e.g. ``energy``), and ``lifetime`` (trial) in
            periods.
        spikes : pandas.DataFrame or None
            Spike table (time relative to the end of the warm-up (s), neuron, trial).
        """
        n = self._log.n_outcomes
        B, N = self.num_envs, self.params.n_neurons
        time = (np.arange(n) + 0.5) * self._T
        data = self._log.variables(self.terminal_set.aux_names)
        spikes = None
        if self._monitor is not None:
            t0 = self.warmup_steps * self._T
            spikes = spike_table(self._monitor.i[:], self._monitor.t_[:], N, t_start=t0,
                                 t_stop=t0 + n * self._T)
            data["counts"] = (("trial", "time", "neuron"),
                              bin_spike_table(spikes, B, N, n, self._T))
        ds = episode_dataset(data, time, self.params.n_exc, self.params.n_inh,
                             self.readout_labels, self.action_labels)
        ds.attrs.update(provenance(
            "neuromop.envs.SpikingVectorEnv", params=vars(self.params), num_envs=B,
            control_period_ms=self.control_period, tau_obs_ms=self.tau_obs,
            warmup_steps=self.warmup_steps, terminal=repr(self.terminal_set),
            network_random_state=self.network_random_state, episode_seed=self._last_seed,
            target=self.target))
        ds.attrs.update({"bin_width": self._T, "bin_width_units": "s", "source": "brian2"})
        if "counts" in data:
            ds.attrs["units"] = "spikes"
        ds["population_rate"].attrs["units"] = "Hz"
        return ds, spikes


class SpikingNetworkEnv(SpikingVectorEnv):
    """A single copy of the spiking network with the plain Gymnasium ``Env`` shapes.

    Same parameters as :class:`SpikingVectorEnv` without ``num_envs``; ``step`` takes an action
    of shape ``(action_dim,)`` and returns ``obs`` of shape ``(obs_dim,)`` and scalar
    ``reward``/``terminated``/``truncated``.
    """

    def __init__(self, params: SpikingNetworkParams | None = None, **kwargs) -> None:
        if "num_envs" in kwargs:
            raise TypeError("SpikingNetworkEnv is one network; use SpikingVectorEnv for copies")
        super().__init__(1, params, **kwargs)

    def _shape(self, dim: int) -> tuple[int, ...]:
        return (dim,)

    def reset(self, *, seed=None, options=None):
        obs, info = super().reset(seed=seed, options=options)
        return obs[0], info

    def step(self, action):
        a = np.asarray(action, dtype=float) if not isinstance(action, np.ndarray) else action
        if a.shape != (self.action_dim,):
            raise ValueError(f"action must have shape ({self.action_dim},), got {a.shape}")
        obs, reward, term, trunc, info = super().step(a[None, :])
        return obs[0], float(reward[0]), bool(term[0]), bool(trunc[0]), info
