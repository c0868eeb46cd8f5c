"""Loaders: generic constructors and real recordings (skip when ../shared/datasets is absent)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from neuromop.data import (
    ValidationError,
    from_arrays,
    from_dataframe,
    list_padoa_sessions,
    load_ibl_trials,
    load_nwb,
    load_padoa_session,
    load_padoa_spikes,
    shared_datasets_dir,
    validate,
)

NWB = "pynapple_hd/A2929-200711.nwb"
SESSION_CELLS = {"G180910a": 6, "G180919a": 10, "G180919b": 10, "G181019b": 12}


# ------------------------------------------------------------------ generic constructors
def test_from_arrays_and_dataframe_agree():
    counts = np.random.default_rng(0).poisson(2.0, (3, 4, 5))
    ds = from_arrays(counts, bin_width=0.1, t_start=-0.2, trial_coords={"cond": ["a", "b", "a"]},
                     neuron_coords=pd.DataFrame({"area": list("xxyyz")}))
    assert validate(ds) == [] and ds.attrs["units"] == "spikes"
    np.testing.assert_allclose(ds.time.values, [-0.15, -0.05, 0.05, 0.15])
    tidy = ds.to_dataframe().reset_index().sample(frac=1.0, random_state=1)
    back = from_dataframe(tidy, bin_width=0.1, trial_columns=["cond"], neuron_columns=["area"])
    xr.testing.assert_equal(back.counts, ds.counts)
    assert list(back.cond.values) == ["a", "b", "a"]


def test_from_arrays_rate_variable():
    ds = from_arrays(np.full((2, 3, 1), 5.0), bin_width=0.02)
    assert "rate" in ds and ds.attrs["units"] == "spikes/s"


@pytest.mark.parametrize(("values", "kwargs", "error", "match"), [
    (np.zeros((2, 3)), {}, ValueError, "3-dimensional"),
    (-np.ones((2, 2, 2), dtype=int), {}, ValidationError, "non-negative"),
    (np.full((2, 2, 2), np.nan), {}, ValidationError, "NaN"),
    (np.ones((2, 2, 2), dtype=int), {"trial_coords": {"c": [1]}}, ValueError, r"shape \(2,\)"),
    (np.ones((2, 2, 2), dtype=int), {"variable": "spikes"}, ValueError, "variable must be"),
    (np.ones((2, 2, 2), dtype=int), {"time": [0.0, 0.0]}, ValidationError, "increasing"),
])
def test_from_arrays_errors(values, kwargs, error, match):
    with pytest.raises(error, match=match):
        from_arrays(values, bin_width=0.1, **kwargs)


def test_from_dataframe_errors():
    frame = pd.DataFrame({"trial": [0, 0, 1], "time": [0.05, 0.05, 0.05], "neuron": [0, 0, 0],
                          "counts": [1, 2, 3]})
    with pytest.raises(ValueError, match="duplicated"):
        from_dataframe(frame, bin_width=0.1)
    with pytest.raises(ValueError, match="one row per"):
        from_dataframe(frame.drop_duplicates(["trial", "time", "neuron"]).iloc[:1].assign(
            neuron=[1]).pipe(lambda f: pd.concat([f, frame.iloc[2:]])), bin_width=0.1)
    with pytest.raises(ValueError, match="missing column"):
        from_dataframe(frame.drop(columns="counts"), bin_width=0.1)


def test_shared_dir_env_var(monkeypatch, tmp_path):
    monkeypatch.setenv("NEUROMOP_DATA", str(tmp_path / "absent"))
    with pytest.raises(FileNotFoundError, match="NEUROMOP_DATA"):
        shared_datasets_dir()
    monkeypatch.setenv("NEUROMOP_DATA", str(tmp_path))
    assert shared_datasets_dir() == tmp_path


# ------------------------------------------------------------------ NWB
@pytest.mark.data
def test_nwb_spike_table(shared_datasets):
    table = load_nwb(shared_datasets / NWB)
    assert table.n_spikes == 98_794 and len(table.neurons) == 15 and len(table.trials) == 1
    assert table.neuron_info["location"].value_counts().to_dict() == {"ca1": 8, "adn": 7}
    assert int(table.neuron_info["n_spikes"].sum()) == 98_794


@pytest.mark.data
def test_nwb_epochs_against_h5py(shared_datasets):
    import h5py

    with h5py.File(shared_datasets / NWB, "r") as f:  # independent reference reader
        times = f["units/spike_times"][:]
    ds = load_nwb(shared_datasets / NWB, epochs=["sleep", "wake"], bin_width=1.0)
    assert validate(ds) == []
    assert ds.sizes == {"trial": 2, "time": 600, "neuron": 15}
    assert list(ds.tags.values) == ["sleep", "wake"]
    per_epoch = ds.counts.sum(("time", "neuron")).values
    expected = [np.sum((times >= 0) & (times < 600)), np.sum((times >= 600) & (times < 1200))]
    np.testing.assert_array_equal(per_epoch, expected)
    assert per_epoch.sum() == 98_794
    wake = load_nwb(shared_datasets / NWB, epochs="wake")
    assert wake.n_spikes == expected[1] and wake.data["time"].min() >= 600


@pytest.mark.data
def test_nwb_bad_epoch(shared_datasets):
    with pytest.raises(ValueError, match="no epoch tagged"):
        load_nwb(shared_datasets / NWB, epochs="run")


# ------------------------------------------------------------------ Padoa-Schioppa OFC
@pytest.mark.data
def test_padoa_sessions(shared_datasets):
    assert list_padoa_sessions(shared_datasets / "padoa_ofc") == sorted(SESSION_CELLS)


@pytest.mark.data
@pytest.mark.parametrize("session", sorted(SESSION_CELLS))
def test_padoa_session_shape(shared_datasets, session):
    ds = load_padoa_session(shared_datasets / "padoa_ofc", session, task="both")
    assert validate(ds) == []
    assert ds.sizes["neuron"] == SESSION_CELLS[session] and ds.sizes["time"] == 15
    assert set(ds.task.values) == {"JC", "SO"} and set(ds.area.values) == {"OFC"}
    np.testing.assert_array_equal(ds.offer_on.values, 0.0)
    assert ((ds.order_a == 0) == (ds.task == "JC")).all()


def _reference_counts(path, trials, t0, t1):
    """Independent slow reference on whole milliseconds: spikes in [on + t0, on + t1)."""
    from scipy.io import loadmat

    mat = loadmat(path)
    spikes, events = mat["celldata"].astype(np.int64), mat["psyphydata"]
    out = []
    for trial in trials:
        on = events[(events[:, 1] == trial) & (events[:, 2] == 30), 0][0]
        rel = spikes[spikes[:, 1] == trial, 0] - on
        out.append(np.sum((rel >= t0) & (rel < t1)))
    return np.array(out)


@pytest.mark.data
def test_padoa_sanity_check_corr_offer_a(shared_datasets):
    root = shared_datasets / "padoa_ofc"
    ds = load_padoa_session(root, "G180910a", window=(0.1, 0.6), bin_width=0.5, task="JC")
    counts = ds.counts.sel(neuron="G180910a11").isel(time=0).values
    reference = _reference_counts(root / "raw_data/celldata/G180910a11_data.mat",
                                  ds.trial.values, 100, 600)
    np.testing.assert_array_equal(counts, reference)
    r = np.corrcoef(counts / 0.5, ds.offer_a.values)[0, 1]
    assert r == pytest.approx(0.35, abs=0.01)


@pytest.mark.data
@pytest.mark.parametrize("session", ["G180910a", "G181019b"])
def test_padoa_trial_decoding_matches_trial_record(shared_datasets, session):
    from scipy.io import loadmat

    root = shared_datasets / "padoa_ofc"
    table = load_padoa_spikes(root, session, task="both").trial_info
    mat = loadmat(root / f"raw_data/celldata/{session}11_data.mat", squeeze_me=True,
                  struct_as_record=False, variable_names=["trialRecord"])
    rows = {}
    for rec in mat["trialRecord"]:
        offers = {int(o.goodId): (int(o.quantity), int(o.order))
                  for o in np.atleast_1d(rec.currentOffers)}
        rows[int(rec.trialNumber)] = (offers, int(rec.chosenOffer.goodId))
    for trial, row in table.iterrows():
        offers, chosen = rows[trial]
        assert row.offer_a == offers.get(1, (0, 0))[0] and row.offer_b == offers.get(2, (0, 0))[0]
        assert row.chosen_juice == ("A" if chosen == 1 else "B")
        if row.task == "SO":
            order_a = offers[1][1] if 1 in offers else 3 - offers[2][1]
            assert row.order_a == order_a


@pytest.mark.data
def test_padoa_session_by_name_alone_reads_the_shared_data(shared_datasets, monkeypatch):
    monkeypatch.setenv("NEUROMOP_DATA", str(shared_datasets))
    by_name = load_padoa_session("G180910a")
    both = load_padoa_session(shared_datasets / "padoa_ofc", "G180910a")
    np.testing.assert_array_equal(by_name["counts"].values, both["counts"].values)
    with pytest.raises(TypeError, match="session must be a session name"):
        load_padoa_session(shared_datasets / "padoa_ofc")


@pytest.mark.data
def test_padoa_unknown_session(shared_datasets):
    with pytest.raises(ValueError, match="not found; available"):
        load_padoa_session(shared_datasets / "padoa_ofc", "X000000a")


# ------------------------------------------------------------------ IBL
@pytest.mark.data
def test_ibl_trials(shared_datasets):
    ds = load_ibl_trials(shared_datasets / "ibl_behavior")
    assert ds.sizes == {"trial": 7844}
    assert len(set(ds.session.values)) == 11
    assert set(np.unique(ds.choice.values)) <= {-1, 0, 1}
    assert set(np.unique(ds.feedbackType.values)) == {-1, 1}
    right = np.nan_to_num(ds.contrastRight.values) - np.nan_to_num(ds.contrastLeft.values)
    np.testing.assert_array_equal(ds.signed_contrast.values, right)
    other = load_ibl_trials(shared_datasets / "ibl_behavior/trials_df_test.csv")
    assert other.sizes == {"trial": 500} and "goCue_times" in other
