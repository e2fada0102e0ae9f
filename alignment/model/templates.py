"""DeepSeek-Coder chat templates, exact to the character, selectable for tokenizers that lack one.

`deepseek_coder_v1` (DeepSeek-Coder-Instruct; RECIPE §3.1): BOS, the default system prompt when no system message is
given, then `### Instruction:\\n{user}\\n` and `### Response:\\n{assistant}\\n<|EOT|>\\n` per turn; the generation
prompt is `### Response:`. `<|EOT|>` ends a turn and is the instruct model's EOS.

`deepseek_coder_v2` (DeepSeek-Coder-V2-Instruct / DeepSeek-V2-Chat; RECIPE §3.2):
`<｜begin▁of▁sentence｜>{system}\\n\\nUser: {u1}\\n\\nAssistant: {a1}<｜end▁of▁sentence｜>User: {u2}\\n\\nAssistant:`.
The generation prompt `Assistant:` has **no trailing space** (the V2 README warns that a space derails the Lite model).
Special tokens use FULLWIDTH VERTICAL LINE U+FF5C and LOWER ONE EIGHTH BLOCK U+2581, never ASCII `|` and `_`.
"""

from __future__ import annotations

import logging
from typing import Literal

logger = logging.getLogger(__name__)

TemplateName = Literal["model", "deepseek_coder_v1", "deepseek_coder_v2"]

V2_BOS = "<\uff5cbegin\u2581of\u2581sentence\uff5c>"  # <｜begin▁of▁sentence｜>
V2_EOS = "<\uff5cend\u2581of\u2581sentence\uff5c>"  # <｜end▁of▁sentence｜>
V1_EOT = "<|EOT|>"

V1_SYSTEM_PROMPT = (
    "You are an AI programming assistant, utilizing the DeepSeek Coder model, developed by DeepSeek Company, and you "
    "only answer questions related to computer science. For politically sensitive questions, security and privacy "
    "issues, and other non-computer science questions, you will refuse to answer."
)

# Jinja, kept readable: `{%-`/`-%}` trim only template whitespace, never message text.
_V1_JINJA = (
    "{{ bos_token }}"
    "{%- set ns = namespace(system=false) -%}"
    "{%- for m in messages -%}{%- if m['role'] == 'system' -%}{%- set ns.system = true -%}{%- endif -%}{%- endfor -%}"
    "{%- if not ns.system -%}{{ '" + V1_SYSTEM_PROMPT + "\\n' }}{%- endif -%}"
    "{%- for m in messages -%}"
    "{%- if m['role'] == 'system' -%}{{ m['content'] + '\\n' }}"
    "{%- elif m['role'] == 'user' -%}{{ '### Instruction:\\n' + m['content'] + '\\n' }}"
    "{%- elif m['role'] == 'assistant' -%}{{ '### Response:\\n' + m['content'] + '\\n" + V1_EOT + "\\n' }}"
    "{%- else -%}{{ raise_exception('deepseek_coder_v1 supports the roles system, user, assistant; got ' + m['role']) }}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{ '### Response:' }}{%- endif -%}"
)

_V2_JINJA = (
    "{{ bos_token }}"
    "{%- for m in messages -%}"
    "{%- if m['role'] == 'system' -%}{{ m['content'] + '\\n\\n' }}"
    "{%- elif m['role'] == 'user' -%}{{ 'User: ' + m['content'] + '\\n\\n' }}"
    "{%- elif m['role'] == 'assistant' -%}{{ 'Assistant: ' + m['content'] + eos_token }}"
    "{%- else -%}{{ raise_exception('deepseek_coder_v2 supports the roles system, user, assistant; got ' + m['role']) }}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{ 'Assistant:' }}{%- endif -%}"
)

TEMPLATES: dict[str, dict[str, str]] = {
    "deepseek_coder_v1": {"jinja": _V1_JINJA, "bos": V2_BOS, "eos": V1_EOT},
    "deepseek_coder_v2": {"jinja": _V2_JINJA, "bos": V2_BOS, "eos": V2_EOS},
}


def apply_chat_template_choice(tokenizer, choice: str):
    """Install template `choice` on `tokenizer` (in place; returned for chaining).

    `model` keeps the tokenizer's own template and fails clearly if it has none. A DeepSeek choice sets the template,
    and makes the template's end-of-turn token the tokenizer's EOS (RECIPE §4.5 gotcha 6: otherwise rollouts never
    stop), adding the special tokens to the vocabulary when missing (the caller must resize embeddings then; see
    `ensure_embeddings_fit`).
    """
    if choice == "model":
        if not tokenizer.chat_template:
            raise ValueError(
                f"tokenizer {tokenizer.name_or_path!r} has no chat template; set `chat_template` to "
                "deepseek_coder_v1 or deepseek_coder_v2 in the recipe"
            )
        return tokenizer
    if choice not in TEMPLATES:
        raise ValueError(f"chat_template {choice!r} is not one of model, {', '.join(TEMPLATES)}")
    spec = TEMPLATES[choice]
    missing = [t for t in (spec["bos"], spec["eos"]) if t not in tokenizer.get_vocab()]
    if missing:
        logger.info("adding special tokens %s to the tokenizer for template %s", missing, choice)
        tokenizer.add_special_tokens({"additional_special_tokens": missing})
    tokenizer.bos_token = spec["bos"]
    tokenizer.eos_token = spec["eos"]
    if tokenizer.pad_token is None or tokenizer.pad_token == tokenizer.eos_token:
        # A pad distinct from EOS keeps EOS in the loss when collators mask padding by id.
        tokenizer.pad_token = tokenizer.unk_token or tokenizer.eos_token
    tokenizer.chat_template = spec["jinja"]
    return tokenizer


def ensure_embeddings_fit(model, tokenizer) -> None:
    """Grow the embedding matrix when the tokenizer gained tokens, and point generation at the tokenizer's EOS."""
    if len(tokenizer) > model.get_input_embeddings().weight.shape[0]:
        model.resize_token_embeddings(len(tokenizer))
    model.config.eos_token_id = tokenizer.eos_token_id
    if getattr(model, "generation_config", None) is not None:
        model.generation_config.eos_token_id = tokenizer.eos_token_id
        model.generation_config.pad_token_id = tokenizer.pad_token_id
