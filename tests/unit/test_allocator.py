"""`hold_freed_memory`: freed large tensors stay mapped, so the next micro-batch's tensors do not fault in again."""

from __future__ import annotations

import json
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
