"""The summary, verdict and markdown report of ``neuromop run hypothesis``."""

from __future__ import annotations

import numpy as np

__all__ = ["VARIABILITY_STATISTICS", "format_report", "referee_check", "session_summary",
           "verdict"]

#: The statistics the verdict counts (``mean_count`` is context: the rate, not variability).
VARIABILITY_STATISTICS = ("fano_factor", "mean_matched_fano_factor", "fano_quench", "r_sc",
                          "participation_ratio")


def _f(x) -> float | None:
    x = float(x)
    return x if np.isfinite(x) else None


def _interval(da) -> list:
    return [_f(da.sel(bound="low")), _f(da.sel(bound="high"))]


def referee_check(comparison, reference: str = "recorded", free: str = "free") -> dict:
    """Does the free fitted network reproduce the recorded variability before any control?

    It does when the bootstrap interval of the (time-averaged) difference free − recorded
    includes 0 for the Fano factor and, where defined, the mean-matched Fano factor.
    """
    parts, ok = [], True
    for stat in ("fano_factor", "mean_matched_fano_factor"):
        d = comparison["difference"].sel(source=free, statistic=stat)
        lo, hi = _interval(comparison["difference_interval"].sel(source=free, statistic=stat))
        if lo is None or hi is None or _f(d) is None:
            continue
        inside = lo <= 0 <= hi
        ok = ok and inside
        parts.append({"statistic": stat, "difference": _f(d), "interval": [lo, hi],
                      "reproduced": inside})
    if not parts:
        return {"reproduces": False, "checks": [], "text": "the recorded Fano factor is "
                "undefined: no referee check possible"}
    shown = "; ".join(f"{p['statistic']} free - {reference} = {p['difference']:+.3f} "
                      f"[{p['interval'][0]:+.3f}, {p['interval'][1]:+.3f}]" for p in parts)
    text = ("the free fitted network reproduces the recorded variability (" + shown + ")"
            if ok else "the free fitted network does NOT reproduce the recorded variability ("
            + shown + "): it is not a fair referee, and no controller verdict is drawn")
    return {"reproduces": ok, "checks": parts, "text": text}


def verdict(closest: dict, referee: dict) -> str:
    """One sentence: the closest controller over the variability statistics, or why none."""
    if not referee["reproduces"]:
        return ("no verdict: the free fitted network does not reproduce the recorded "
                "variability, so it is not a fair referee")
    present = [s for s in VARIABILITY_STATISTICS if s in closest]
    named = [closest[s] for s in present
             if closest[s] not in ("not distinguishable", "undefined")]
    if not named:
        return "the data cannot decide: no controller is closest on any variability statistic"
    counts = {c: named.count(c) for c in dict.fromkeys(named)}
    best = max(counts, key=counts.get)
    tie = [c for c, k in counts.items() if k == counts[best]]
    detail = ", ".join(f"{s}: {closest[s]}" for s in present)
    if len(tie) > 1:
        return f"mixed: {' and '.join(tie)} are each closest on {counts[best]} statistics " \
               f"({detail})"
    return f"closest to {best} on {counts[best]} of {len(present)} variability " \
           f"statistics ({detail})"


def _summary_value(value) -> float | None:
    """A statistic's value, averaged over time where it is time-resolved (defined bins)."""
    v = np.asarray(value, dtype=float)
    return _f(np.mean(v[np.isfinite(v)])) if np.isfinite(v).any() else None


def session_summary(name, ds, comparison, fit_info, inputs, condition) -> dict:
    """JSON-ready numbers of one session (fits, alive fractions, statistics, verdict)."""
    sources = [str(s) for s in comparison["source"].values]
    stats = {}
    for stat in [str(s) for s in comparison["statistic"].values]:
        entry = {"closest": str(comparison["closest"].sel(statistic=stat).item()),
                 "tied_with": str(comparison["tied_with"].sel(statistic=stat).item())}
        for src in sources:
            value = comparison[stat].sel(source=src)
            entry[src] = {
                "value": _summary_value(value),
                "difference": _f(comparison["difference"].sel(source=src, statistic=stat)),
                "difference_interval": _interval(comparison["difference_interval"].sel(
                    source=src, statistic=stat)),
                "distance": _f(comparison["distance"].sel(source=src, statistic=stat)),
                "distance_interval": _interval(comparison["distance_interval"].sel(
                    source=src, statistic=stat))}
        stats[stat] = entry
    referee = referee_check(comparison)
    closest = {s: stats[s]["closest"] for s in stats}
    entropy = {src: _f(comparison["action_entropy"].sel(source=src).mean())
               for src in sources if src != "recorded"}
    held = fit_info["heldout_bits_per_spike"]
    return {"session": name, "n_trials": int(ds.sizes["trial"]),
            "n_neurons": int(ds.sizes["neuron"]), "n_bins": int(ds.sizes["time"]),
            "inputs": list(inputs), "condition": condition,
            "heldout_bits_per_spike": {m: {"mean": float(np.mean(v)), "sd": float(np.std(v)),
                                           "fits": v} for m, v in held.items()},
            "spectral_radius": fit_info["spectral_radius"],
            "alive_fraction": fit_info["alive_fraction"], "action_entropy": entropy,
            "controller_fit": fit_info.get("controller_fit"),
            "statistics": stats, "referee": referee, "verdict": verdict(closest, referee)}


def _fmt(x, spec="+.3f") -> str:
    return "—" if x is None else format(x, spec)


def _controller_fit_lines(fit: dict | None) -> list[str]:
    if not fit:
        return []
    name = fit["parameter"]
    lines = ["", f"MOP {name} fitted to the recorded Fano factor (grid {fit['grid']}; per fit: "
             "the closest value on the selection trials and the values the bootstrap cannot "
             "tell from it):", ""]
    for k, f in enumerate(fit["fits"]):
        lo, hi = f["interval"]
        wide = " (spans the grid: not identified)" if [lo, hi] == [min(fit["grid"]),
                                                               max(fit["grid"])] else ""
        lines.append(f"- fit {k}: {name} = {f['value_hat']:g}, interval [{lo:g}, {hi:g}]"
                     f"{wide}; held-out Fano distance at the grid values "
                     + ", ".join(f"{d:.3f}" for d in f["heldout_distance"]))
    return lines


def format_report(summaries: list[dict]) -> str:
    """The markdown report of every session."""
    lines = ["# The variability hypothesis on recordings", "",
             "Fitted rate RNNs driven by the recorded trials' inputs; free network, random "
             "currents, NeuroMOP and R controllers act on each fit. Intervals: 95 % bootstrap "
             "over trials and fits. Distances: RMS over time (time-resolved statistics) or "
             "absolute difference from the recording.", "",
             "| session | trials × neurons | held-out bits/spike RNN / PSTH / LDS | free "
             "network reproduces recorded variability | verdict |", "|---|---|---|---|---|"]
    for s in summaries:
        h = s["heldout_bits_per_spike"]
        lines.append(f"| {s['session']} | {s['n_trials']} × {s['n_neurons']} | "
                     f"{h['rnn']['mean']:.3f} ± {h['rnn']['sd']:.3f} / "
                     f"{h['psth']['mean']:.3f} / {h['lds']['mean']:.3f} | "
                     f"{'yes' if s['referee']['reproduces'] else 'no'} | {s['verdict']} |")
    for s in summaries:
        lines += ["", f"## {s['session']}", "", s["referee"]["text"] + ".", "",
                  "Alive fraction at trial end: " + ", ".join(
                      f"{k} {v:.3f}" for k, v in s["alive_fraction"].items())
                  + "; mean action entropy (nats): " + ", ".join(
                      f"{k} {_fmt(v, '.2f')}" for k, v in s["action_entropy"].items()) + ".", "",
                  "| statistic | source | value | difference from recorded [95 % CI] | "
                  "distance [95 % CI] |", "|---|---|---|---|---|"]
        for stat, entry in s["statistics"].items():
            for src, v in entry.items():
                if not isinstance(v, dict):
                    continue
                if src == "recorded":
                    lines.append(f"| {stat} | {src} | {_fmt(v['value'], '.3f')} | | |")
                    continue
                lo, hi = v["difference_interval"]
                dlo, dhi = v["distance_interval"]
                lines.append(f"| {stat} | {src} | {_fmt(v['value'], '.3f')} | "
                             f"{_fmt(v['difference'])} [{_fmt(lo)}, {_fmt(hi)}] | "
                             f"{_fmt(v['distance'], '.3f')} [{_fmt(dlo, '.3f')}, "
                             f"{_fmt(dhi, '.3f')}] |")
            tied = f" (tied: {entry['tied_with']})" if entry["tied_with"] else ""
            lines.append(f"| {stat} | **closest** | {entry['closest']}{tied} | | |")
        lines += ["", f"Verdict: {s['verdict']}."]
        lines += _controller_fit_lines(s.get("controller_fit"))
    return "\n".join(lines)
