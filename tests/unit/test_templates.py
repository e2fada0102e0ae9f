"""Chat templates rendered character for character against the documented formats (RECIPE §3.1, §3.2)."""

from pathlib import Path

import pytest

from alignment.model.templates import V1_EOT, V1_SYSTEM_PROMPT, V2_BOS, V2_EOS
from alignment.model.tiny import train_tokenizer

CORPUS = ["User: hi Assistant: hello", "### Instruction:\n### Response:\n", "def f(x):\n    return x\n"] * 4


@pytest.fixture(scope="module")
def v2():
    return train_tokenizer(CORPUS, vocab_size=300, chat_template="deepseek_coder_v2")


@pytest.fixture(scope="module")
def v1():
    return train_tokenizer(CORPUS, vocab_size=300, chat_template="deepseek_coder_v1")


def render(tok, messages, gen=False):
    return tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=gen)


def test_special_tokens_use_fullwidth_bar_and_lower_eighth_block():
    assert V2_BOS == "<｜begin▁of▁sentence｜>"  # U+FF5C and U+2581, typed as in the README
    assert V2_EOS == "<｜end▁of▁sentence｜>"
    assert "|" not in V2_EOS and "_" not in V2_EOS  # the classic silent bug: ASCII look-alikes


def test_v2_multi_turn_with_system_matches_readme(v2):
    messages = [
        {"role": "system", "content": "SYS"},
        {"role": "user", "content": "u1"},
        {"role": "assistant", "content": "a1"},
        {"role": "user", "content": "u2"},
    ]
    # RECIPE §3.2: <｜begin▁of▁sentence｜>{system}\n\nUser: {u1}\n\nAssistant: {a1}<｜end▁of▁sentence｜>User: {u2}\n\nAssistant:
    expected = "<｜begin▁of▁sentence｜>SYS\n\nUser: u1\n\nAssistant: a1<｜end▁of▁sentence｜>User: u2\n\nAssistant:"
    assert render(v2, messages, gen=True) == expected


def test_v2_without_system_starts_with_user_and_no_trailing_space(v2):
    text = render(v2, [{"role": "user", "content": "Write quicksort"}], gen=True)
    assert text == "<｜begin▁of▁sentence｜>User: Write quicksort\n\nAssistant:"
    assert not text.endswith(" ")  # a trailing space derails DeepSeek-Coder-V2-Lite (V2 README)


def test_v2_eos_is_end_of_sentence(v2):
    assert v2.eos_token == V2_EOS
    assert v2.convert_ids_to_tokens(v2.eos_token_id) == V2_EOS


def test_v1_default_system_prompt_and_turns(v1):
    messages = [
        {"role": "user", "content": "u1"},
        {"role": "assistant", "content": "a1"},
        {"role": "user", "content": "u2"},
    ]
    expected = (
        "<｜begin▁of▁sentence｜>"
        "You are an AI programming assistant, utilizing the DeepSeek Coder model, developed by DeepSeek Company, and "
        "you only answer questions related to computer science. For politically sensitive questions, security and "
        "privacy issues, and other non-computer science questions, you will refuse to answer.\n"
        "### Instruction:\nu1\n### Response:\na1\n<|EOT|>\n### Instruction:\nu2\n### Response:"
    )
    assert render(v1, messages, gen=True) == expected


def test_v1_prompt_matches_official_finetune_format(v1):
    """The DSC1 fine-tune script's prompt + target, `{output}\\n<|EOT|>`, is a prefix of the template's rendering."""
    instruction, output = "Reverse a list", "return xs[::-1]"
    finetune_prompt = f"{V1_SYSTEM_PROMPT}\n### Instruction:\n{instruction}\n### Response:\n"
    rendered = render(v1, [{"role": "user", "content": instruction}, {"role": "assistant", "content": output}])
    assert rendered.startswith(V2_BOS + finetune_prompt + f"{output}\n{V1_EOT}")
    assert v1.eos_token == V1_EOT


def test_v1_explicit_system_replaces_default(v1):
    text = render(v1, [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}], gen=True)
    assert text == "<｜begin▁of▁sentence｜>Be brief.\n### Instruction:\nhi\n### Response:"
    assert V1_SYSTEM_PROMPT not in text


def test_unknown_role_is_rejected(v2):
    with pytest.raises(Exception, match="supports the roles"):
        render(v2, [{"role": "tool", "content": "x"}])


def test_documented_formats_in_recipe_notes_agree():
    """When the shared notes sit beside the checkout, the strings tested above are the ones they document."""
    recipe = Path(__file__).resolve().parents[3] / "shared" / "RECIPE.md"
    if not recipe.is_file():
        pytest.skip(f"{recipe} is not beside this checkout")
    text = recipe.read_text()
    assert (
        "<｜begin▁of▁sentence｜>{system}\\n\\nUser: {u1}\\n\\nAssistant: {a1}<｜end▁of▁sentence｜>User: {u2}\\n\\nAssistant:"
        in text
    )
    assert "### Instruction:\\n{u}\\n### Response:\\n{a}\\n<|EOT|>\\n" in text
    assert V1_SYSTEM_PROMPT in text
