"""A run folder records the content of the data a study reads: other data, another run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest

from neuromop.studies.protocol import SettingsMismatchError, Study, content_hash


@dataclass
class _ReadsData(Study):
    data: str = ""
    name: ClassVar[str] = "reads-data"

    def input_paths(self) -> list[Path]:
        return [Path(self.data)]


def test_a_rerun_on_changed_data_is_refused_with_the_input_named(tmp_path):
    data = tmp_path / "trials.csv"
    data.write_text("a,b\n1,2\n")
    study = _ReadsData(data=str(data))
    study.prepare(tmp_path / "run")
    study.prepare(tmp_path / "run")  # same settings, same data: resumes
    data.write_text("a,b\n1,3\n")
    with pytest.raises(SettingsMismatchError, match=r"input .*trials.csv: other content"):
        study.prepare(tmp_path / "run")
    study.prepare(tmp_path / "run", resume=False)  # the way on that the message names


def test_content_hash_of_a_folder_sees_names_and_contents(tmp_path):
    folder = tmp_path / "d"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "x.bin").write_bytes(b"\x00\x01")
    first = content_hash(folder)
    (folder / "sub" / "x.bin").rename(folder / "sub" / "y.bin")
    assert content_hash(folder) != first
    assert content_hash(tmp_path / "absent") == "missing"
