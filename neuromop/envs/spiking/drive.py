"""External Poisson drive of the spiking network: exact binomial kicks, sampled sparsely.

Every neuron receives ``n`` external Poisson synapses of rate ``nu``; in each time step ``dt``
each synapse fires with probability ``p = nu dt`` (exactly what ``brian2.PoissonInput`` does), and
each firing moves the membrane potential of a non-refractory neuron by ``J``. So a neuron gets
``Binomial(n, p)`` kicks per step. At the default network's ``n p ~ 0.075``, Brian's binomial
function spends one uniform random number (and a hard-to-predict branch) per neuron per step,
which dominated the cost of a large batched network (~70 % of a 64-copy run, 23 ns per
neuron-step on the development machine).

:class:`ExternalDrive` samples the same process sparsely: the Bernoulli trials of one time step
-- neuron after neuron, ``n`` trials per neuron, then on into the next step -- form one
Bernoulli(p) sequence, and only the successes are visited, by drawing the gaps between them as
geometric variates ``G = floor(log(U) / log(1 - p))`` (failures before the next success). Each
success adds ``J`` to its neuron's ``v`` unless the neuron is refractory (the ``unless
refractory`` rule of the membrane equation). Work per time step is proportional to the number of
kicks, not of neurons (~1 ns per neuron-step instead of 23). The kicks of different neurons and
steps are independent ``Binomial(n, p)`` variables, as with ``PoissonInput``.

The uniforms come from a counter-based SplitMix64 stream ``U_k = mix(key + k gamma)``, so the
cython code and the vectorised numpy code visit the same successes from the same state ``(key,
counter, skip)`` (up to the last bit of ``log``); the state lives in a small ``uint64`` array
outside Brian and is re-seeded by :meth:`ExternalDrive.restart` at the start of every episode (the
simulation uses no other randomness, so Brian's global RNG is not touched).

The sampler is a Brian ``Function`` called once per time step from the *scalar* part of a
``run_regularly`` operation of the neuron group (``n_kicks = f()`` on a shared variable, in the
``synapses`` slot, where the former per-neuron ``v += f() * J_E`` ran); it writes ``v`` through the
group's own arrays (stable: Brian's runtime device updates them in place, also on ``restore``).
"""

from __future__ import annotations

import math

import numpy as np

from neuromop._checks import check_int, check_real

__all__ = ["ExternalDrive", "splitmix64_uniform"]

_GAMMA = 0x9E3779B97F4A7C15
_M1 = 0xBF58476D1CE4E5B9
_M2 = 0x94D049BB133111EB
_TWO_M53 = 2.0**-53
# state array layout
_KEY, _COUNTER, _SKIP, _TOTAL = range(4)


def splitmix64_uniform(key: int, counters: np.ndarray) -> np.ndarray:
    """Uniform variates in (0, 1] of the counter-based SplitMix64 stream.

    Parameters
    ----------
    key : int
        Stream key in [0, 2**64).
    counters : numpy.ndarray of uint64
        Positions ``k`` in the stream.

    Returns
    -------
    numpy.ndarray of float64
        ``((mix(key + k * gamma) >> 11) + 1) * 2**-53`` for each ``k`` (never 0, so its log is
        finite).
    """
    with np.errstate(over="ignore"):
        z = np.uint64(key) + np.asarray(counters, dtype=np.uint64) * np.uint64(_GAMMA)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(_M1)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(_M2)
        z = z ^ (z >> np.uint64(31))
    return ((z >> np.uint64(11)).astype(np.float64) + 1.0) * _TWO_M53


_CYTHON_TEMPLATE = """
cdef inline double %NAME%_uniform(uint64_t key, uint64_t k):
    cdef uint64_t z = key + k * <uint64_t>0x9E3779B97F4A7C15ULL
    z = (z ^ (z >> 30)) * <uint64_t>0xBF58476D1CE4E5B9ULL
    z = (z ^ (z >> 27)) * <uint64_t>0x94D049BB133111EBULL
    z = z ^ (z >> 31)
    return (<double>(z >> 11) + 1.0) * %TWO_M53%

cdef double %NAME%(const int _vectorisation_idx):
    # state: [key, counter, skip, trials per step]; skip = failures before the next success
    cdef uint64_t* s = _namespace%STATE%
    cdef double* v = _namespace%V%
    cdef char* ok = <char*>_namespace%OK%
    cdef double J = _namespace%J%[0]
    cdef uint64_t key = s[0]
    cdef uint64_t counter = s[1]
    cdef uint64_t total = s[3]
    cdef uint64_t pos = s[2]
    cdef uint64_t i
    cdef long kicks = 0
    while pos < total:
        i = pos // %N_TRIALS%
        if ok[i]:
            v[i] += J
            kicks += 1
        pos += 1 + <uint64_t>floor(log(%NAME%_uniform(key, counter)) * %INV_LOG_Q%)
        counter += 1
    s[1] = counter
    s[2] = pos - total
    return kicks
"""


class ExternalDrive:
    """Binomial external kicks into ``v`` of a Brian2 group, one sparse sampler call per step.

    Parameters
    ----------
    n_synapses : int
        External Poisson synapses per neuron (``n``).
    p : float
        Probability that one synapse fires in one time step, in (0, 1].
    name : str
        Name of the Brian2 function. The generated code depends only on the name, ``n`` and
        ``p``, so a fixed name lets every instance share the compiled-code cache.

    Attributes
    ----------
    function : brian2.Function
        ``name()``: applies this step's kicks and returns their number; call it from scalar
        code once per step (see :meth:`attach`).
    state : numpy.ndarray of uint64, shape (4,)
        ``(key, counter, skip, trials per step)`` of the sampler, updated in place.
    """

    def __init__(self, n_synapses: int, p: float, *, name: str = "external_kicks") -> None:
        self.n = check_int("n_synapses", n_synapses, low=1)
        self.p = check_real("p", p, low=0.0, high=1.0, low_inclusive=False)
        self.name = name
        # 1 / log(1 - p); -0.0 for p == 1 makes every gap 0 (all trials succeed)
        self._inv_log_q = 1.0 / math.log1p(-self.p) if self.p < 1.0 else -0.0
        self.state = np.zeros(4, dtype=np.uint64)
        self._jump = np.zeros(1)  # J (V)
        self._v = self._ok = None
        self.function = None

    def attach(self, group, jump: float, *, when: str = "synapses"):
        """Create the Brian function for ``group`` and the per-step operation that calls it.

        Parameters
        ----------
        group : brian2.NeuronGroup
            Group with variables ``v`` (volt, ``unless refractory``) and a shared variable
            ``n_kicks`` (the number of kicks applied in the last step).
        jump : float
            Membrane jump per kick (V).
        when : str
            Scheduling slot of the operation.

        Returns
        -------
        brian2.groups.group.CodeRunner
            The ``run_regularly`` object (contained in ``group``).
        """
        import brian2 as b2

        self._v = group.variables["v"].get_value()
        self._ok = group.variables["not_refractory"].get_value()
        self._jump[0] = check_real("jump", jump)
        self.state[_TOTAL] = self._v.size * self.n
        names = {k: f"_{self.name}_{k}" for k in ("state", "v", "ok", "jump")}
        code = (_CYTHON_TEMPLATE.replace("%NAME%", self.name)
                .replace("%STATE%", names["state"]).replace("%V%", names["v"])
                .replace("%OK%", names["ok"]).replace("%J%", names["jump"])
                .replace("%N_TRIALS%", str(self.n))
                .replace("%INV_LOG_Q%", repr(self._inv_log_q))
                .replace("%TWO_M53%", repr(_TWO_M53)))

        def numpy_kicks(_vectorisation_idx):  # numpy target: same kicks, vectorised
            return float(self.apply())

        numpy_kicks.__name__ = self.name
        self.function = b2.Function(numpy_kicks, arg_units=[], return_unit=1, arg_types=[],
                                    return_type="float", stateless=False, auto_vectorise=True)
        self.function.implementations.add_implementation(
            "cython", code, name=self.name,
            namespace={names["state"]: self.state, names["v"]: self._v,
                       names["ok"]: self._ok, names["jump"]: self._jump})
        group.namespace[self.name] = self.function
        return group.run_regularly(f"n_kicks = {self.name}()", when=when,
                                   name=f"{group.name.removesuffix('_neurons')}_external")

    def restart(self, random_state: int) -> None:
        """Restart the sampler from ``random_state`` (a new key, counter 0, first gap drawn)."""
        key = int(np.random.default_rng(check_int("random_state", random_state, low=0)).integers(
            0, 2**64, dtype=np.uint64))
        self.state[_KEY], self.state[_COUNTER] = key, 0
        self.state[_SKIP] = self._gaps(1)[0]
        self.state[_COUNTER] = 1

    def _gaps(self, m: int) -> np.ndarray:
        k = int(self.state[_COUNTER])
        u = splitmix64_uniform(int(self.state[_KEY]), np.arange(k, k + m, dtype=np.uint64))
        return np.floor(np.log(u) * self._inv_log_q).astype(np.uint64)

    def successes(self) -> np.ndarray:
        """Trial positions (in ``[0, trials per step)``) of this step's successes; advances the
        state exactly as one cython call does."""
        total = int(self.state[_TOTAL])
        skip = int(self.state[_SKIP])
        if skip >= total:
            self.state[_SKIP] = skip - total
            return np.empty(0, dtype=np.int64)
        parts = [np.array([skip], dtype=np.int64)]
        last = skip
        while True:  # draw gaps until a success lies beyond this step's trials
            mean = (total - last) * self.p
            m = int(mean + 6.0 * math.sqrt(mean + 1.0) + 16)
            gaps = self._gaps(m).astype(np.int64)
            pos = last + np.cumsum(gaps + 1)
            beyond = np.flatnonzero(pos >= total)
            if beyond.size:
                first = int(beyond[0])
                parts.append(pos[:first])
                self.state[_COUNTER] += np.uint64(first + 1)
                self.state[_SKIP] = np.uint64(int(pos[first]) - total)
                return np.concatenate(parts)
            parts.append(pos)
            self.state[_COUNTER] += np.uint64(m)
            last = int(pos[-1])

    def apply(self) -> int:
        """One step of kicks on the attached group's ``v`` (numpy); returns their number."""
        neuron = self.successes() // self.n
        neuron = neuron[self._ok[neuron]]
        np.add.at(self._v, neuron, self._jump[0])
        return neuron.size

    def reference_kicks(self, n_neurons: int) -> np.ndarray:
        """Kicks per neuron of one step, visiting one Bernoulli trial at a time (slow reference
        for tests; ignores refractoriness; ``n_neurons * n`` must equal the trials per step)."""
        if n_neurons * self.n != int(self.state[_TOTAL]):
            raise ValueError(f"n_neurons * n must be {int(self.state[_TOTAL])}, "
                             f"got {n_neurons * self.n}")
        out = np.zeros(n_neurons, dtype=np.int64)
        for trial in range(n_neurons * self.n):
            if int(self.state[_SKIP]) == 0:
                out[trial // self.n] += 1
                self.state[_SKIP] = self._gaps(1)[0]
                self.state[_COUNTER] += np.uint64(1)
            else:
                self.state[_SKIP] -= np.uint64(1)
        return out
