"""Write `data/code_tasks/tasks.jsonl`: the project's own small multi-language code task set.

    python -m data.code_tasks.make_tasks

Each row is an input row of `python -m sandbox.grade` (id, language, solution, tests) plus `prompt` and
`perturbed`: wrong solutions (off-by-one, wrong operator, missing case, wrong format) that must all fail. The
tasks are written for this project in the style of HumanEval/MBPP (assert / check(candidate)) and of contest
problems (stdio); they are not copied from those benchmarks.
"""

from __future__ import annotations

import json
from pathlib import Path

from data.code_tasks.tasks_compiled import COMPILED_TASKS
from data.code_tasks.tasks_python import PYTHON_TASKS

OUT_PATH = Path(__file__).with_name("tasks.jsonl")


def rows() -> list[dict]:
    out = []
    for task in [*PYTHON_TASKS, *COMPILED_TASKS]:
        row = {
            "id": task["id"],
            "language": task["language"],
            "prompt": task["prompt"],
            "solution": task["solution"].strip("\n") + "\n",
            "tests": task["tests"],
            "perturbed": [p.strip("\n") + "\n" for p in task["perturbed"]],
        }
        out.append(row)
    ids = [r["id"] for r in out]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"duplicate task ids: {duplicates}")
    return out


def main() -> None:
    data = rows()
    OUT_PATH.write_text("".join(json.dumps(r) + "\n" for r in data), encoding="utf-8")
    print(f"wrote {len(data)} tasks to {OUT_PATH}")  # noqa: T201 (a script's one line of output)


if __name__ == "__main__":
    main()
