"""`hold_freed_memory`: freed large tensors stay mapped, so the next micro-batch's tensors do not fault in again."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

PROBE = """
import json, resource, sys
import torch
from alignment.run.allocator import hold_freed_memory
held = hold_freed_memory() if sys.argv[1] == "hold" else None
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096
def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
size = 64 * 2**20  # 256 MiB of float32, well above glibc's largest default mmap threshold (32 MiB)
per_step, names = [], []
for step in range(12):  # a training loop's shape: the same large tensors each step, small objects between
    start = faults()
    activations, logits = torch.ones(size), torch.ones(size // 3)
    per_step.append(faults() - start)
    before = rss(); del activations, logits; returned = before - rss()
    names.append(f"step-{step}" * 10)
print(json.dumps({"held": held, "returned": returned, "faults": per_step}))
"""


def probe(mode: str) -> dict:
    out = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.splitlines()[-1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt and /proc are Linux facts")
def test_freed_tensors_stay_mapped_and_are_reused_without_page_faults():
    default, held = probe("default"), probe("hold")
    pages = 64 * 2**20 * 4 // 4096  # of the larger tensor
    # glibc's default: every step's freed tensors go back to the kernel and every page faults in again
    assert default["returned"] > 256 * 2**20
    assert all(count > pages for count in default["faults"])
    # held: nothing goes back, and once the heap has grown the steps reuse its pages (the first steps still grow it
    # while small objects split the free blocks)
    assert held["held"] is True and held["returned"] < 16 * 2**20
    assert sum(held["faults"][-4:]) < pages // 10 and sum(held["faults"]) < sum(default["faults"]) / 2


RETURN_PROBE = """
import json, sys
import torch
from alignment.run.allocator import return_freed_memory
applied = return_freed_memory() if sys.argv[1] == "return" else None
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096
first = torch.ones(6 * 2**20)  # 24 MiB, mapped; freeing it raises glibc's default mmap threshold to its size
del first
returned = []
for step in range(4):  # a layer's tensors: 16 MiB, below the raised threshold
    block = torch.ones(4 * 2**20)
    before = rss(); del block; returned.append(before - rss())
print(json.dumps({"applied": applied, "returned": returned}))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt and /proc are Linux facts")
def test_return_freed_memory_unmaps_blocks_the_adaptive_threshold_keeps_on_the_heap():
    def run(mode):
        out = subprocess.run([sys.executable, "-c", RETURN_PROBE, mode], capture_output=True, text=True, check=True)
        return json.loads(out.stdout.splitlines()[-1])

    default, returned = run("default"), run("return")
    block = 16 * 2**20
    # glibc's default: after the large free, a 16 MiB block comes from the heap and stays resident when freed
    assert all(count < block // 4 for count in default["returned"])
    # fixed thresholds: each one goes back to the kernel as it is freed
    assert returned["applied"] is True
    assert all(count > block * 3 // 4 for count in returned["returned"])


def test_hold_and_return_together_are_refused():
    from alignment.grpo import CONFIGS
    from alignment.run.config import ConfigError, parse_recipe

    with pytest.raises(ConfigError, match="`hold_freed_memory` and `return_freed_memory` set malloc's thresholds"):
        parse_recipe(CONFIGS, ["--config", "configs/grpo/smollm2_math_cpu.yaml", "--hold_freed_memory", "true",
                               "--return_freed_memory", "true"], prog="python -m alignment.grpo")  # fmt: skip


PRELOAD_PROBE = """
import json, logging, os, subprocess, sys
from alignment.run.allocator import preload_malloc
logging.basicConfig(level=logging.INFO)
before = {"pid": os.getpid(), "preload": os.environ.get("LD_PRELOAD")}
print(json.dumps({"start": before}))
loaded = preload_malloc(sys.argv[1], reexec=True)  # restarts this command line once, with the library preloaded
child = subprocess.run(["sh", "-c", "printf %s \\"${LD_PRELOAD-unset}\\""], capture_output=True, text=True).stdout
print(json.dumps({**before, "loaded": loaded, "preload_now": os.environ.get("LD_PRELOAD"), "child": child,
                  "marker": "CODEALIGN_LD_PRELOAD_BEFORE" in os.environ}))
"""


def installed(name: str) -> str:
    from alignment.run.allocator import malloc_library

    try:
        return malloc_library(name)
    except ValueError as err:  # `.ci/setup.sh --sandbox` installs both
        pytest.skip(f"{name} is not installed here: {err}")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="LD_PRELOAD and /proc are Linux facts")
@pytest.mark.parametrize("name", ["tcmalloc", "jemalloc"])
def test_preload_malloc_restarts_the_process_with_the_allocator_and_children_do_not_inherit_it(name):
    installed(name)
    env = {key: value for key, value in os.environ.items() if key != "LD_PRELOAD"}
    out = subprocess.run([sys.executable, "-c", PRELOAD_PROBE, name], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    lines = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    starts, runs = (
        [line["start"] for line in lines if "start" in line],
        [line for line in lines if "start" not in line],
    )
    assert len(starts) == 2 and len(runs) == 1  # the first run never got past the restart
    assert starts[0]["pid"] == starts[1]["pid"]  # execve: the same process, started again
    assert starts[0]["preload"] is None
    run = runs[0]
    stem = "libtcmalloc" if name == "tcmalloc" else "libjemalloc"
    assert os.path.basename(run["loaded"]).startswith(stem)
    assert run["preload"] is not None and stem in run["preload"]  # the restarted process started preloaded ...
    assert run["preload_now"] is None and run["child"] == "unset" and not run["marker"]  # ... and then let go
    assert f"malloc: {name}: restarting the process with LD_PRELOAD=" in out.stderr


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="LD_PRELOAD and /proc are Linux facts")
def test_a_users_own_ld_preload_is_kept_and_needs_no_restart():
    library = installed("tcmalloc")
    env = {**os.environ, "LD_PRELOAD": library}  # already preloaded by the user: no restart, nothing changed
    out = subprocess.run([sys.executable, "-c", PRELOAD_PROBE, "tcmalloc"], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    lines = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    assert len(lines) == 2  # one start, one result: no restart
    run = lines[-1]
    assert run["preload"] == run["preload_now"] == run["child"] == library
    assert "restarting" not in out.stderr and "malloc: tcmalloc (" in out.stderr


def test_malloc_in_process_or_missing_is_a_clear_error(monkeypatch):
    from alignment.run import allocator

    monkeypatch.setitem(allocator.MALLOC_LIBRARIES, "tcmalloc", (("codealign_absent",), "libabsent0", "absent"))
    with pytest.raises(ValueError, match=r"no libcodealign_absent\.so.*apt-get install libabsent0.*malloc: system"):
        allocator.preload_malloc("tcmalloc", reexec=False)
    if sys.platform.startswith("linux") and allocator.loaded_malloc("jemalloc") is None:
        installed("jemalloc")
        with pytest.raises(ValueError, match="must be loaded when the process starts.*LD_PRELOAD="):
            allocator.preload_malloc("jemalloc", reexec=False)
    assert allocator.preload_malloc("system", reexec=False) is None


@pytest.mark.parametrize("key", ["hold_freed_memory", "return_freed_memory"])
def test_glibc_keys_beside_another_malloc_are_refused(key):
    from alignment.grpo import CONFIGS
    from alignment.run.config import ConfigError, parse_recipe

    with pytest.raises(ConfigError, match=f"`{key}` tunes glibc's malloc, which `malloc: tcmalloc` replaces"):
        parse_recipe(CONFIGS, ["--config", "configs/grpo/smollm2_math_cpu.yaml", "--malloc", "tcmalloc",
                               f"--{key}", "true"], prog="python -m alignment.grpo")  # fmt: skip
    with pytest.raises(ConfigError, match="malloc"):
        parse_recipe(CONFIGS, ["--config", "configs/grpo/smollm2_math_cpu.yaml", "--malloc", "mimalloc"],
                     prog="python -m alignment.grpo")  # fmt: skip
