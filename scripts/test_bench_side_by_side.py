"""Checks of scripts/bench_side_by_side.py that need no Attend build: the environment each
library's process gets on each path, and one NumPy worker process end to end."""
import importlib.util
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("bench_side_by_side", os.path.join(HERE, "bench_side_by_side.py"))
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)


def test_every_library_gets_the_same_thread_count(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "7")
    for library in ("attend", "numpy", "torch"):
        for path in bench.KERNEL_PATHS:
            for native in (True, False):
                env = bench.child_environment(library, path, 3, native=native)
                assert [env[name] for name in bench.THREAD_VARIABLES] == ["3", "3", "3"], (library, path, native)


def test_attend_runs_the_tables_kernel_path_whatever_the_callers_environment(monkeypatch):
    monkeypatch.setenv("ATTEND_KERNELS", "portable")
    monkeypatch.setenv("ATTEND_PORTABLE_KERNELS", "1")
    for path in bench.KERNEL_PATHS:
        for native in (True, False):
            env = bench.child_environment("attend", path, 2, native=native)
            assert env["ATTEND_KERNELS"] == path and "ATTEND_PORTABLE_KERNELS" not in env, (path, native)


def test_avx2_path_pins_haswell_kernels_and_avx2_dispatch():
    attend_env = bench.child_environment("attend", "avx2", 2)
    assert attend_env["OPENBLAS_CORETYPE"] == "Haswell" and attend_env["ATTEND_KERNELS"] == "avx2"
    assert bench.child_environment("numpy", "avx2", 2)["OPENBLAS_CORETYPE"] == "Haswell"
    torch_env = bench.child_environment("torch", "avx2", 2)
    assert torch_env["ATEN_CPU_CAPABILITY"] == "avx2" and torch_env["MKL_ENABLE_INSTRUCTIONS"] == "AVX2"


def test_portable_path_pins_sse_kernels_and_default_dispatch():
    attend_env = bench.child_environment("attend", "portable", 2)
    assert attend_env["OPENBLAS_CORETYPE"] == "Nehalem" and attend_env["ATTEND_KERNELS"] == "portable"
    assert bench.child_environment("numpy", "portable", 2)["OPENBLAS_CORETYPE"] == "Nehalem"
    torch_env = bench.child_environment("torch", "portable", 2)
    assert torch_env["ATEN_CPU_CAPABILITY"] == "default" and torch_env["MKL_ENABLE_INSTRUCTIONS"] == "SSE4_2"


def test_native_path_lets_numpy_and_torch_choose_and_leaves_the_users_choice_to_attend(monkeypatch):
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Prescott")
    monkeypatch.setenv("OPENBLAS_L2_SIZE", "1048576")
    monkeypatch.setenv("ATEN_CPU_CAPABILITY", "default")
    for path in bench.KERNEL_PATHS:
        numpy_env = bench.child_environment("numpy", path, 2, native=True)
        assert "OPENBLAS_CORETYPE" not in numpy_env and "OPENBLAS_L2_SIZE" not in numpy_env
        assert "ATEN_CPU_CAPABILITY" not in bench.child_environment("torch", path, 2, native=True)
        assert bench.child_environment("attend", path, 2, native=True)["OPENBLAS_CORETYPE"] == "Prescott"


def test_a_table_per_kernel_path_the_machine_has():
    avx512 = ["avx512", "avx2", "portable"]
    avx2 = ["avx2", "portable"]
    assert bench.tables("auto", avx512) == ["avx512", "avx2"]
    assert bench.tables("auto", avx2) == ["avx2"]
    assert bench.tables("auto", ["portable"]) == ["portable"]
    assert bench.tables("all", avx512) == avx512 and bench.tables("all", avx2) == avx2
    assert bench.tables("native", avx512) == ["avx512"] and bench.tables("native", avx2) == ["avx2"]
    assert bench.tables("avx2", avx512) == ["avx2"] and bench.tables("portable", avx2) == ["portable"]
    assert bench.tables("avx512", avx2) == []


def test_a_numpy_worker_times_one_decode_case_in_its_own_process():
    case = {"case": "decode", "b": 1, "h": 2, "lq": 1, "l": 16, "d": 8}
    out = subprocess.run(
        [sys.executable, os.path.join(HERE, "bench_side_by_side.py"), "--worker", "numpy", "--threads", "1",
         "--budget", "0", "--spec", json.dumps(case)],
        env=bench.child_environment("numpy", "avx2", 1, native=True), capture_output=True, text=True, check=True).stdout
    result = json.loads(out)
    assert result["ms"] > 0 and result["peak_rss_mb"] > 0
