"""The demo generator writes the same bytes on every CPU.

numpy picks SIMD kernels for ``exp``, ``log``, ``power`` … (and for sorting) at run time from the
CPU's features, and those kernels differ from one another and from the C library in the last bits
(and sorts order ties differently). The generator must not let any decision, comparison, sort or
written value hang on those bits. Two checks:

* the generator runs in subprocesses with numpy restricted to fewer kernels
  (``NPY_DISABLE_CPU_FEATURES``: first the widest family the CPU has — AVX-512 / SVE —, then the
  AVX2/FMA3/AVX/F16C (ASIMD) level as well, then every optional feature down to the baseline) and
  must reproduce the committed ``data/demo`` files byte for byte;
* on any machine, whatever its CPU: every transcendental result is moved by one ulp (up, then
  down) and the files must still be the same.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "demo"
GENERATOR = ROOT / "data" / "generate_demo.py"
FILES = ["customers.csv", "survey_dealer.csv", "survey_keyareas.csv", "transactions.csv"]

try:  # numpy >= 2
    from numpy._core import _multiarray_umath as _umath
except ImportError:  # pragma: no cover - numpy 1.x
    from numpy.core import _multiarray_umath as _umath

# widest vectors first: AVX-512 (numpy >= 2.4 groups it as X86_V4, AVX512_ICL, AVX512_SPR), SVE on arm64
WIDE = re.compile(r"^(X86_V4|AVX512|AVX10|SVE)")
# the next level: AVX2/FMA3/AVX/F16C (numpy >= 2.4: X86_V3); ASIMD extensions on arm64
MIDDLE = re.compile(r"^(X86_V3|AVX|FMA|F16C|XOP|ASIMD|NEON)")


def optional_features() -> list[str]:
    """Dispatched, non-baseline CPU features that this machine has (what numpy may switch off)."""
    baseline = set(_umath.__cpu_baseline__)
    return [
        name for name in _umath.__cpu_dispatch__ if _umath.__cpu_features__.get(name) and name not in baseline
    ]


def restricted_runs(have: list[str]) -> list[tuple[str, ...]]:
    """Cumulative sets to disable: the wide family, then the middle level too, then everything."""
    wide = [f for f in have if WIDE.match(f)]
    middle = wide + [f for f in have if MIDDLE.match(f) and f not in wide]
    everything = middle + [f for f in have if f not in middle]
    runs: list[tuple[str, ...]] = []
    for disabled in (wide, middle, everything):
        if disabled and tuple(disabled) not in runs:
            runs.append(tuple(disabled))
    return runs


def test_restricted_runs_cover_each_level_once():
    avx512_machine = ["X86_V3", "X86_V4", "AVX512_ICL"]
    assert restricted_runs(avx512_machine) == [
        ("X86_V4", "AVX512_ICL"),
        ("X86_V4", "AVX512_ICL", "X86_V3"),
    ]
    older_numpy = ["SSE41", "AVX", "F16C", "FMA3", "AVX2", "AVX512F", "AVX512_SKX"]
    assert restricted_runs(older_numpy) == [
        ("AVX512F", "AVX512_SKX"),
        ("AVX512F", "AVX512_SKX", "AVX", "F16C", "FMA3", "AVX2"),
        ("AVX512F", "AVX512_SKX", "AVX", "F16C", "FMA3", "AVX2", "SSE41"),
    ]
    assert restricted_runs(["ASIMDHP", "ASIMDDP", "SVE"]) == [("SVE",), ("SVE", "ASIMDHP", "ASIMDDP")]
    assert restricted_runs(["X86_V3"]) == [("X86_V3",)]
    assert restricted_runs([]) == []


RUNS = restricted_runs(optional_features())

# Runs in the subprocess: report which features numpy really switched off, then generate.
CHILD = """
import importlib.util, json, sys
try:
    from numpy._core import _multiarray_umath as umath
except ImportError:
    from numpy.core import _multiarray_umath as umath
print(json.dumps({name: bool(on) for name, on in umath.__cpu_features__.items()}))
spec = importlib.util.spec_from_file_location("generate_demo", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
module.generate(sys.argv[2])
"""


@pytest.fixture(scope="module")
def restricted_outputs(tmp_path_factory) -> dict[tuple[str, ...], tuple[Path, dict, str]]:
    """Start every restricted run at once (they are independent), then wait for all of them."""
    started = {}
    for disabled in RUNS:
        out = tmp_path_factory.mktemp("demo_" + "_".join(disabled).lower())
        env = dict(
            os.environ, NPY_DISABLE_CPU_FEATURES=" ".join(disabled), PYTHONWARNINGS="error::ImportWarning"
        )
        env.pop("NPY_ENABLE_CPU_FEATURES", None)
        process = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(GENERATOR), str(out)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        started[disabled] = (out, process)
    results = {}
    for disabled, (out, process) in started.items():
        stdout, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr
        results[disabled] = (out, json.loads(stdout.splitlines()[0]), stderr)
    return results


@pytest.mark.skipif(not RUNS, reason="this CPU has no optional numpy kernels to switch off")
@pytest.mark.parametrize("disabled", RUNS, ids=["-".join(run) for run in RUNS])
def test_generator_gives_the_committed_files_with_fewer_numpy_kernels(restricted_outputs, disabled):
    out, features, stderr = restricted_outputs[disabled]
    # numpy really ran without them (it only warns about names it cannot switch off)
    assert not any(features[name] for name in disabled), features
    assert "NPY_DISABLE_CPU_FEATURES" not in stderr
    for name in FILES:
        assert (out / name).read_bytes() == (DEMO / name).read_bytes(), (disabled, name)


def _load_generator():
    spec = importlib.util.spec_from_file_location("generate_demo_perturbed", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_transcendental_goes_through_the_rounding_helpers():
    source = GENERATOR.read_text(encoding="utf-8")
    code = source.split('"""', 2)[2]  # after the module docstring
    helpers = code.index("def _rounded_exp")
    end = code.index("def _pick")
    outside = code[:helpers] + code[end:]
    assert not re.search(r"\bnp\.(exp|log|log1p|expm1|power|sqrt|tanh|sin|cos)\(", outside)
    assert not re.search(r"\bmath\.", outside)
    assert not re.search(r"\*\*\s*[0-9.]*\.[0-9]", outside)  # no fractional powers either
    assert "np.random.lognormal" not in outside and ".lognormal(" not in outside


@pytest.mark.parametrize("direction", [np.inf, -np.inf], ids=["up", "down"])
def test_one_ulp_changes_of_exp_log_and_power_do_not_change_a_byte(tmp_path, monkeypatch, direction):
    """What another CPU's kernels do, on any machine: every transcendental result one ulp off."""
    generator = _load_generator()

    def nudged(function):
        def call(*args):
            return np.nextafter(function(*args), direction)

        return call

    for name in ("_EXP", "_LOG1P", "_POWER"):
        monkeypatch.setattr(generator, name, nudged(getattr(generator, name)))
    generator.generate(tmp_path)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (DEMO / name).read_bytes(), name
