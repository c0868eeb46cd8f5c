"""The E/I LIF network model and its batched construction (B copies = blocks of one NeuronGroup).

The model is Brunel's (2000) sparse network of current-based leaky integrate-and-fire neurons with
delta synapses and external Poisson drive, in the asynchronous-irregular (AI) regime by default
(strongly inhibition-dominated, ``g = 8``, external rate ``eta = 0.9`` times the threshold rate,
so that firing is fluctuation-driven: at 400 E + 100 I neurons, p = 0.1, ~14 Hz, ISI CV ~0.9,
synchrony chi ~0.13, measured with the numpy target). Each
neuron additionally carries a control current ``I_ctrl`` set by the controller and a spike
counter read by the control loop.

``B`` copies of the network are simulated as ``B`` consecutive blocks of a single
``NeuronGroup`` of ``B * N`` neurons with block-diagonal synapses, which amortises Brian's
per-object, per-time-step overhead over all copies. By default every copy has the *same*
connectivity (the copies are one network controlled by ``B`` independent agents, differing in
initial state and noise); ``same_connectivity=False`` draws each block independently.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from neuromop._checks import check_int, check_probability, check_real

__all__ = [
    "LIF_EQUATIONS",
    "RESET_STATEMENT",
    "THRESHOLD_CONDITION",
    "SpikingNetworkParams",
    "bernoulli_pairs",
    "bin_spike_table",
    "build_network",
    "spike_table",
    "tile_blocks",
]

#: Membrane equation (Brian2 syntax, units on every line). ``V_rest``, ``tau_m``, ``R_m`` are
#: constants from the network namespace.
LIF_EQUATIONS = """
dv/dt = (V_rest - v + R_m * I_ctrl) / tau_m : volt (unless refractory)
I_ctrl : amp  # control current, set every control period by the closed loop
n_spikes : 1  # spike counter, read and cleared by the closed loop
"""
#: Spike condition.
THRESHOLD_CONDITION = "v > V_th"
#: Reset after a spike (also counts the spike for the control loop).
RESET_STATEMENT = "v = V_reset; n_spikes += 1"
#: Excitatory / inhibitory delta synapses: a presynaptic spike moves the membrane potential by
#: the synaptic efficacy after the delay.
ON_PRE_EXC = "v_post += J_E"
ON_PRE_INH = "v_post -= g_rel * J_E"


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
        ``namespace`` (the model constants), ``synapses`` (dict E/I), ``n_synapses`` (int).
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
        "g_rel": float(params.g),
    }
    clock_dt = params.dt * ms
    rate = params.external_rate
    binomial = None
    if rate > 0:
        # External Poisson drive as in brian2.PoissonInput (a binomial number of the c_ext
        # sources spike in each time step), but with a fixed function name so that the generated
        # code -- and hence the compiled-code cache -- is identical for every instance.
        binomial = b2.BinomialFunction(params.external_synapses, rate * params.dt * 1e-3,
                                       name=f"{name}_ext_binomial")
        namespace[binomial.name] = binomial
    neurons = b2.NeuronGroup(
        n_copies * params.n_neurons, LIF_EQUATIONS, threshold=THRESHOLD_CONDITION,
        reset=RESET_STATEMENT, refractory=params.tau_ref * ms, method="exact",
        namespace=namespace, dt=clock_dt, name=f"{name}_neurons",
    )
    conn = _connectivity(params, n_copies, rng, same_connectivity)
    synapses = {}
    for pop, on_pre in (("E", ON_PRE_EXC), ("I", ON_PRE_INH)):
        i, j = conn[pop]
        if i.size == 0:
            continue
        syn = b2.Synapses(neurons, neurons, on_pre=on_pre, delay=params.delay * ms,
                          namespace=namespace, dt=clock_dt, name=f"{name}_syn_{pop}")
        syn.connect(i=i.astype(np.int32), j=j.astype(np.int32))
        synapses[pop] = syn
    objects = [neurons, *synapses.values()]
    if binomial is not None:
        neurons.run_regularly(f"v += {binomial.name}() * J_E", dt=clock_dt, when="synapses",
                              name=f"{name}_external")
    network = b2.Network(*objects, name=f"{name}_network")
    return {
        "network": network,
        "neurons": neurons,
        "namespace": namespace,
        "synapses": synapses,
        "n_synapses": int(sum(c[0].size for c in conn.values())),
    }


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
