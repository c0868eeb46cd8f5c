"""Controllers for environments.

NeuroMOP value network with fitted value iteration, R network, free and random baselines, the
training loop with checkpoints, rollouts as xarray datasets, the task studies, and rate RNNs
fitted to recordings.

Names are imported on first use (PEP 562), so that ``neuromop --help`` and the command modules
do not pay torch's import time.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "FreeController": "neuromop.control.baselines",
    "RandomController": "neuromop.control.baselines",
    "NeuroMOPController": "neuromop.control.neuromop_controller",
    "RewardController": "neuromop.control.reward_controller",
    "rollout": "neuromop.control.rollout",
    "summarize_rollout": "neuromop.control.rollout",
    "train": "neuromop.control.training",
    "ValueNetwork": "neuromop.control.value_network",
    "RateRNNRegressor": "neuromop.control.rnn_fit",
    "fit_rate_rnn": "neuromop.control.rnn_fit",
    "env_from_fit": "neuromop.control.rnn_fit_env",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'neuromop.control' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
