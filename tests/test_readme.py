"""The README's Python examples run as written, and its commands match CI."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
PY_BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.S)
BASH_BLOCKS = re.findall(r"```bash\n(.*?)```", README, flags=re.S)


@pytest.mark.parametrize("index", range(len(PY_BLOCKS)))
def test_readme_python_example_runs(index):
    exec(compile(PY_BLOCKS[index], f"README.md python block {index}", "exec"), {})


def test_readme_opens_with_install_and_test_commands_that_ci_runs():
    assert len(BASH_BLOCKS) >= 2
    main_job, test_cmd = BASH_BLOCKS[0].strip(), BASH_BLOCKS[1].strip()
    assert "pip install" in main_job and "neuromop " in main_job
    assert "pytest" in test_cmd
    assert test_cmd in (ROOT / ".ci" / "run").read_text()
