"""The E/I LIF network model and its batched construction (B copies = blocks of one NeuronGroup).

The model is Brunel's (2000) sparse network of current-based leaky integrate-and-fire neurons with
delta synapses and external Poisson drive, in the asynchronous-irregular (AI) regime by default
(strongly inhibition-dominated, ``g = 8``, external rate ``eta = 0.9`` times the threshold rate,
so that firing is fluctuation-driven: at 400 E + 100 I neurons, p = 0.1, 14-15 Hz, ISI CV
0.96-0.99, synchrony chi 0.17-0.20 in 5 ms bins; 1 s open loop after 0.2 s warm-up, two seeds,
numpy target). Each neuron additionally carries a control current ``I_ctrl`` set by the
controller and a spike counter ``n_spikes`` read by the control loop.

``B`` copies of the network are simulated as ``B`` consecutive blocks of a single
``NeuronGroup`` of ``B * N`` neurons with block-diagonal synapses, which amortises Brian's
per-object, per-time-step overhead over all copies. By default every copy has the *same*
connectivity (the copies are one network controlled by ``B`` independent agents, differing in
initial state and noise); ``same_connectivity=False`` draws each block independently.

Cost structure (``benchmarks/spiking_loop.py`` measures it): a Brian time step costs a fixed
Python dispatch per code object (6 here, plus the control operation) plus the per-neuron work
of the generated code. For one copy the dispatch dominates, for many copies the per-neuron
work does, so batching ``B`` copies gains at most the ratio of the two per-step costs, plus
the amortised fixed cost of each ``Network.run`` call. To keep the per-neuron work low, all
objects share one clock, E and I synapses are one ``Synapses``
object with a signed efficacy ``w``, refractoriness is a comparison of times
(:data:`REFRACTORY_CONDITION`, no division per neuron), and the external drive visits only the
external spikes (:mod:`neuromop.envs.spiking.drive`) instead of drawing a random number per
neuron and step.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from neuromop._checks import check_int, check_probability, check_real
from neuromop.envs.spiking.drive import ExternalDrive

__all__ = [
    "LIF_EQUATIONS",
    "REFRACTORY_CONDITION",
    "RESET_STATEMENT",
    "THRESHOLD_CONDITION",
    "SpikingNetworkParams",
    "bernoulli_pairs",
    "bin_spike_table",
    "build_network",
    "parse_targets",
    "spike_table",
    "tile_blocks",
]

#: Membrane equation (Brian2 syntax, units on every line). ``V_rest``, ``tau_m``, ``R_m`` are
#: constants from the network namespace.
LIF_EQUATIONS = """
dv/dt = (V_rest - v + R_m * I_ctrl) / tau_m : volt (unless refractory)
I_ctrl : amp  # control current, set every control period by the closed loop
n_spikes : 1  # spike counter, read and cleared by the closed loop
n_kicks : 1 (shared)  # external Poisson kicks applied in the last time step (all copies)
"""
#: Spike condition.
THRESHOLD_CONDITION = "v > V_th"
#: Refractoriness as a condition on the time since the last spike. Brian's default for a time
#: span, ``timestep(t - lastspike, dt) >= timestep(tau_ref, dt)``, costs a division per neuron
#: and step; with ``T_refractory = (timestep(tau_ref, dt) - 0.001) dt`` this comparison takes the
#: same decisions (``t - lastspike`` is a multiple of ``dt`` up to rounding far below 0.001 dt).
REFRACTORY_CONDITION = "(t - lastspike) < T_refractory"
#: Reset after a spike (also counts the spike for the control loop).
RESET_STATEMENT = "v = V_reset; n_spikes += 1"
#: Delta synapses: a presynaptic spike moves the membrane potential by the synaptic efficacy
#: ``w`` (``J_E`` for excitatory, ``-g J_E`` for inhibitory synapses) after the delay.
SYNAPSE_MODEL = "w : volt (constant)"
ON_PRE = "v_post += w"


@dataclass(frozen=True)
class SpikingNetworkParams:
    """Parameters of the E/I LIF network (plain floats, units in the field names' docs).

    Parameters
    ----------
    n_exc, n_inh : int
        Excitatory / inhibitory neurons per copy.
    p_connect : float
        Connection probability of every ordered pair (no autapses), in (0, 1].
    tau_m : float
        Membrane time constant (ms).
    tau_ref : float
        Absolute refractory period (ms).
    v_rest, v_threshold, v_reset : float
        Resting, threshold and reset potentials (mV); ``v_reset < v_threshold``.
    j_exc : float
        Excitatory efficacy: membrane jump per excitatory spike (mV).
    g : float
        Relative strength of inhibition (an inhibitory spike moves ``v`` by ``-g * j_exc``).
    delay : float
        Synaptic delay (ms).
    eta : float
        External Poisson rate relative to the threshold rate ``v_threshold / (j_exc c_ext tau_m)``.
    c_ext : int, optional
        External Poisson synapses per neuron (efficacy ``j_exc``); default ``p_connect * n_exc``.
    r_m : float
        Membrane resistance (MOhm) converting the control current (nA) into a potential.
    dt : float
        Integration time step (ms).
    """

    n_exc: int = 400
    n_inh: int = 100
    p_connect: float = 0.1
    tau_m: float = 20.0
    tau_ref: float = 2.0
    v_rest: float = 0.0
    v_threshold: float = 20.0
    v_reset: float = 10.0
    j_exc: float = 1.2
    g: float = 8.0
    delay: float = 1.5
    eta: float = 0.9
    c_ext: int | None = None
    r_m: float = 100.0
    dt: float = 0.1

    def __post_init__(self) -> None:
        check_int("n_exc", self.n_exc, low=1)
        check_int("n_inh", self.n_inh, low=0)
        p = check_probability("p_connect", self.p_connect)
        if p == 0:
            raise ValueError("p_connect must be > 0, got 0.0")
        for name in ("tau_m", "r_m", "dt"):
            check_real(name, getattr(self, name), low=0.0, low_inclusive=False)
        for name in ("tau_ref", "j_exc", "g", "eta"):
            check_real(name, getattr(self, name), low=0.0)
        check_real("delay", self.delay, low=self.dt)
        for name in ("v_rest", "v_threshold", "v_reset"):
            check_real(name, getattr(self, name))
        if self.v_reset >= self.v_threshold:
            raise ValueError(
                f"v_reset must be < v_threshold ({self.v_threshold} mV), got {self.v_reset} mV"
            )
        if self.c_ext is not None:
            check_int("c_ext", self.c_ext, low=0)

    @property
    def n_neurons(self) -> int:
        """Neurons per copy."""
        return self.n_exc + self.n_inh

    @property
    def external_synapses(self) -> int:
        """External Poisson synapses per neuron."""
        return self.c_ext if self.c_ext is not None else max(1, round(self.p_connect * self.n_exc))

    @property
    def external_rate(self) -> float:
        """Rate of each external Poisson source (Hz): ``eta`` times the threshold rate."""
        c = self.external_synapses
        if c == 0 or self.j_exc == 0:
            return 0.0
        nu_thr = (self.v_threshold - self.v_rest) / (self.j_exc * c * self.tau_m * 1e-3)
        return self.eta * nu_thr

    def replace(self, **changes) -> SpikingNetworkParams:
        """A copy with some fields changed (validated)."""
        return dataclasses.replace(self, **changes)

    def population_slices(self) -> dict[str, slice]:
        """Neuron index ranges of the populations inside one copy."""
        return {"E": slice(0, self.n_exc), "I": slice(self.n_exc, self.n_neurons)}


def bernoulli_pairs(n_pre: int, n_post: int, p: float, rng: np.random.Generator, *,
                    n_blocks: int = 1, exclude_diagonal: bool = False):
    """Draw Bernoulli(p) connections of ``n_blocks`` independent ``n_pre x n_post`` blocks.

    Vectorised with geometric gaps between successive selected pairs (exact Bernoulli
    sampling in O(number of synapses) memory, never the dense pair matrix).

    Returns
    -------
    block, pre, post : numpy.ndarray of int64
        Block index and local pre/post indices of each synapse, sorted by flat pair index.
    """
    total = n_blocks * n_pre * n_post
    if p >= 1.0:
        flat = np.arange(total, dtype=np.int64)
    else:
        chunks, last = [], -1
        expected = total * p
        while last < total:
            size = int(expected + 5 * np.sqrt(expected + 1) + 16)
            gaps = rng.geometric(p, size=size).astype(np.int64)
            pos = last + np.cumsum(gaps)
            chunks.append(pos[pos < total])
            last = int(pos[-1])
        flat = np.concatenate(chunks)
    block, rem = np.divmod(flat, n_pre * n_post)
    pre, post = np.divmod(rem, n_post)
    if exclude_diagonal:
        keep = pre != post
        block, pre, post = block[keep], pre[keep], post[keep]
    return block, pre, post


def tile_blocks(pre: np.ndarray, post: np.ndarray, n_blocks: int, block_size: int):
    """Repeat one block's synapses on the diagonal of ``n_blocks`` blocks of ``block_size`` neurons.

    Returns
    -------
    i, j : numpy.ndarray of int64
        Global presynaptic / postsynaptic indices, block after block.
    """
    offsets = (np.arange(n_blocks, dtype=np.int64) * block_size)[:, None]
    return (pre[None, :] + offsets).ravel(), (post[None, :] + offsets).ravel()


def _connectivity(params: SpikingNetworkParams, n_copies: int, rng: np.random.Generator,
                  same_connectivity: bool):
    """Global (i, j) indices of the E->all and I->all synapses of all copies."""
    n, ne = params.n_neurons, params.n_exc
    out = {}
    for name, lo, hi in (("E", 0, ne), ("I", ne, n)):
        if hi == lo:
            out[name] = (np.empty(0, np.int64), np.empty(0, np.int64))
            continue
        blocks = 1 if same_connectivity else n_copies
        # pairs (pre in population, post anywhere in the copy); autapses removed for pre == post
        block, pre, post = bernoulli_pairs(hi - lo, n, params.p_connect, rng, n_blocks=blocks)
        pre = pre + lo
        keep = pre != post
        block, pre, post = block[keep], pre[keep], post[keep]
        if same_connectivity:
            out[name] = tile_blocks(pre, post, n_copies, n)
        else:
            out[name] = (block * n + pre, block * n + post)
    return out


def build_network(params: SpikingNetworkParams, n_copies: int, rng: np.random.Generator, *,
                  same_connectivity: bool = True, name: str = "spiking_env"):
    """Build the Brian2 objects of ``n_copies`` block-diagonal copies of the network.

    Parameters
    ----------
    params : SpikingNetworkParams
    n_copies : int
        Number of copies ``B``; neuron ``b * N + k`` is neuron ``k`` of copy ``b``.
    rng : numpy.random.Generator
        Draws the connectivity (not the simulation noise, which Brian seeds).
    same_connectivity : bool
        All copies share one connectivity (default) or each is drawn independently.
    name : str
        Prefix of the Brian object names.

    Returns
    -------
    dict
        ``network`` (a ``brian2.Network`` holding all objects), ``neurons`` (the NeuronGroup),
        ``clock`` (the one ``brian2.Clock`` of all objects), ``namespace`` (the model constants),
        ``synapses`` (the ``Synapses``, E synapses first, efficacy ``w``; None without any),
        ``drive`` (the :class:`~neuromop.envs.spiking.drive.ExternalDrive`, None without
        external input; seed it before a run), ``n_synapses`` (int).
    """
    import brian2 as b2


    n_copies = check_int("n_copies", n_copies, low=1)
    ms, mV = b2.ms, b2.mV
    namespace = {
        "V_rest": params.v_rest * mV,
        "V_th": params.v_threshold * mV,
        "V_reset": params.v_reset * mV,
        "tau_m": params.tau_m * ms,
        "R_m": params.r_m * b2.Mohm,
        "J_E": params.j_exc * mV,
    }
    dt_s = params.dt * 1e-3
    k_ref = int((params.tau_ref * 1e-3 + 1e-3 * dt_s) / dt_s)  # Brian's timestep(tau_ref, dt)
    namespace["T_refractory"] = (k_ref - 1e-3) * dt_s * b2.second
    # One clock for every object: Brian's run loop has a fast path for a single clock (each
    # object given its own ``dt`` gets its own Clock and forces the slower multi-clock loop).
    clock = b2.Clock(params.dt * ms, name=f"{name}_clock")
    drive = None
    p_step = params.external_rate * params.dt * 1e-3
    if p_step > 0:
        if p_step > 1:
            raise ValueError(f"the external rate ({params.external_rate:.4g} Hz) times dt "
                             f"({params.dt} ms) must be <= 1, got {p_step:.4g}")
        # The external Poisson drive (as brian2.PoissonInput: Binomial(c_ext, rate dt) kicks of
        # J_E per step), sampled sparsely (see neuromop.envs.spiking.drive); a fixed function
        # name keeps the generated code -- and the compiled-code cache -- the same for every
        # instance and number of copies.
        drive = ExternalDrive(params.external_synapses, p_step, name=f"{name}_ext_kicks")
    neurons = b2.NeuronGroup(
        n_copies * params.n_neurons, LIF_EQUATIONS, threshold=THRESHOLD_CONDITION,
        reset=RESET_STATEMENT, refractory=REFRACTORY_CONDITION, method="exact",
        namespace=namespace, clock=clock, name=f"{name}_neurons",
    )
    conn = _connectivity(params, n_copies, rng, same_connectivity)
    # E and I synapses share the delay: one Synapses object (one spike queue, one code object per
    # time step) with the signed efficacy per synapse; in each copy the excitatory neurons come
    # first, so every postsynaptic sum adds the E inputs before the I inputs, as two objects did.
    i = np.concatenate([conn["E"][0], conn["I"][0]])
    j = np.concatenate([conn["E"][1], conn["I"][1]])
    n_e = conn["E"][0].size
    objects = [neurons]
    synapses = None
    if i.size:
        synapses = b2.Synapses(neurons, neurons, model=SYNAPSE_MODEL, on_pre=ON_PRE,
                               delay=params.delay * ms, namespace=namespace, clock=clock,
                               name=f"{name}_syn")
        synapses.connect(i=i.astype(np.int32), j=j.astype(np.int32))
        w = np.full(i.size, params.j_exc * 1e-3)
        w[n_e:] = -(params.g * (params.j_exc * 1e-3))
        synapses.w_[:] = w
        objects.append(synapses)
    if drive is not None:
        drive.attach(neurons, params.j_exc * 1e-3, when="synapses")
    network = b2.Network(*objects, name=f"{name}_network")
    return {
        "network": network,
        "neurons": neurons,
        "clock": clock,
        "namespace": namespace,
        "synapses": synapses,
        "drive": drive,
        "n_synapses": int(i.size),
    }


def parse_targets(name: str, spec, params: SpikingNetworkParams, *, normalise: bool):
    """Turn a target/readout specification into labels and a (n_targets, N) weight matrix.

    Parameters
    ----------
    name : str
        Argument name for error messages (``"action_targets"`` or ``"readouts"``).
    spec : sequence or mapping
        Items are a population name (``"E"``, ``"I"``, ``"all"``) or a pair ``(population,
        local_indices)``; a mapping gives explicit labels.
    params : SpikingNetworkParams
    normalise : bool
        Rows sum to 1 (readouts: population mean) instead of 0/1 membership (action currents).
    """
    pops = dict(params.population_slices(), all=slice(0, params.n_neurons))
    if isinstance(spec, str) or not isinstance(spec, Mapping | Sequence):
        raise TypeError(f"{name} must be a sequence or mapping of targets, got {spec!r}")
    items = list(spec.items()) if isinstance(spec, Mapping) else [(None, s) for s in spec]
    if not items:
        raise ValueError(f"{name} must not be empty")
    labels, rows = [], []
    for label, item in items:
        pop, idx = (item, None) if isinstance(item, str) else tuple(item)
        if pop not in pops:
            raise ValueError(f"{name}: unknown group {pop!r}; known groups: {sorted(pops)}")
        sl = pops[pop]
        size = sl.stop - sl.start
        local = np.arange(size) if idx is None else np.asarray(idx, dtype=np.int64).ravel()
        if local.size == 0 or local.min() < 0 or local.max() >= size:
            lo, hi = local.min(initial=0), local.max(initial=0)
            raise ValueError(f"{name}: indices of group {pop!r} must lie in [0, {size}), got "
                             f"{local.size} indices in [{lo}, {hi}]")
        row = np.zeros(params.n_neurons)
        row[sl.start + local] = 1.0
        rows.append(row / row.sum() if normalise else row)
        auto = pop if idx is None else f"{pop}{len(labels)}"
        labels.append(label if label is not None else auto)
    if len(set(labels)) != len(labels):
        raise ValueError(f"{name}: labels must be unique, got {labels}")
    return labels, np.stack(rows)


def spike_table(i, t, n_neurons: int, *, t_start: float = 0.0, t_stop: float = np.inf):
    """Flat spike table of a batched run: one row per spike.

    Parameters
    ----------
    i : array_like of int
        Global neuron indices (``copy * n_neurons + local``).
    t : array_like of float
        Spike times (s).
    n_neurons : int
        Neurons per copy.
    t_start, t_stop : float
        Keep spikes with ``t_start <= t < t_stop``; times are reported relative to ``t_start``.

    Returns
    -------
    pandas.DataFrame
        Columns ``time`` (s, float64), ``neuron`` (local index, int32), ``trial`` (copy, int32),
        sorted by time as recorded.
    """
    import pandas as pd

    i = np.asarray(i, dtype=np.int64)
    t = np.asarray(t, dtype=np.float64)
    tol = 1e-9  # spike times are multiples of dt (>= 1 us): absorb float rounding at the edges
    keep = (t >= t_start - tol) & (t < t_stop - tol)
    trial, neuron = np.divmod(i[keep], n_neurons)
    return pd.DataFrame({"time": np.maximum(t[keep] - t_start, 0.0),
                         "neuron": neuron.astype(np.int32), "trial": trial.astype(np.int32)})


def bin_spike_table(spikes, n_trials: int, n_neurons: int, n_bins: int, bin_width: float):
    """Spike counts of a spike table in bins ``[k w, (k+1) w)``, shape (trial, time, neuron).

    Vectorised with one ``numpy.bincount`` over flat (trial, bin, neuron) indices; spikes outside
    ``[0, n_bins * bin_width)`` are ignored. A spike exactly on a bin edge (up to float rounding,
    1e-6 of a bin) belongs to the later bin.
    """
    k = np.floor(np.asarray(spikes["time"], dtype=np.float64) / bin_width + 1e-6).astype(np.int64)
    trial = np.asarray(spikes["trial"], dtype=np.int64)
    neuron = np.asarray(spikes["neuron"], dtype=np.int64)
    ok = (k >= 0) & (k < n_bins)
    flat = (trial[ok] * n_bins + k[ok]) * n_neurons + neuron[ok]
    counts = np.bincount(flat, minlength=n_trials * n_bins * n_neurons)
    return counts.reshape(n_trials, n_bins, n_neurons).astype(np.int32)
