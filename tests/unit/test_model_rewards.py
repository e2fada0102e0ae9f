"""Reward-model inputs and the pointwise loss: the rendering shared by training and scoring, and BCE by hand."""

import math
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from alignment.reward_model import RewardModelArguments, pair_rows, pointwise_rows
from alignment.trainers import PointwiseCollator, PointwiseLossMixin
from data.labelled import LabelledSample
from rewards.model_rewards import encode_rm_inputs, format_rm_input, score_batch

ROOT = Path(__file__).resolve().parents[2]
PROMPT = [{"role": "user", "content": "Write f(x)."}]


@pytest.fixture(scope="module")
def tokenizer():
    from alignment.model.tiny import train_tokenizer

    return train_tokenizer(["Write f(x).", "def f(x):\n    return x + 1\n"] * 4, vocab_size=300)


def test_rm_input_is_the_chat_template_over_prompt_and_completion(tokenizer):
    text = format_rm_input(tokenizer, PROMPT, "return 1")
    assert text == "<｜begin▁of▁sentence｜>User: Write f(x).\n\nAssistant: return 1<｜end▁of▁sentence｜>"
    [ids] = encode_rm_inputs(tokenizer, [text])
    assert ids.count(tokenizer.bos_token_id) == 1 and ids[-1] == tokenizer.eos_token_id  # no second BOS added
    assert len(encode_rm_inputs(tokenizer, [text], max_length=5)[0]) == 5


def test_the_scorer_module_imports_nothing_from_alignment():
    code = "import sys, rewards.model_rewards; print(sorted(m for m in sys.modules if m.startswith('alignment')))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _sample(index, passed, fraction):
    return LabelledSample("p", PROMPT, f"return x + {index}", passed, fraction, index)


def test_pointwise_targets_are_labels_or_pass_fractions(tokenizer):
    samples = [_sample(0, True, 1.0), _sample(1, False, 0.25)]
    hard = pointwise_rows(samples, RewardModelArguments(loss="pointwise"), tokenizer)
    soft = pointwise_rows(samples, RewardModelArguments(loss="pointwise", soft_labels=True), tokenizer)
    assert [r["labels"] for r in hard] == [1.0, 0.0] and [r["labels"] for r in soft] == [1.0, 0.25]
    assert hard[1]["text"] == format_rm_input(tokenizer, PROMPT, "return x + 1")


def test_pair_rows_carry_a_margin_only_when_asked(tokenizer):
    samples = [_sample(0, True, 1.0), _sample(1, False, 0.25)]
    [plain] = pair_rows(samples, RewardModelArguments(), tokenizer, seed=0)
    assert set(plain) == {"chosen_text", "rejected_text"}  # TRL's plain Bradley-Terry loss
    [margin] = pair_rows(samples, RewardModelArguments(margin_scale=2.0), tokenizer, seed=0)
    assert margin["margin"] == pytest.approx(1.5)  # 2.0 * (1.0 - 0.25)
    assert margin["chosen_text"].endswith("return x + 0<｜end▁of▁sentence｜>")


@pytest.fixture(scope="module")
def classifier():
    from transformers import LlamaConfig, LlamaForSequenceClassification

    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=32, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                         num_attention_heads=2, num_key_value_heads=2, num_labels=1, pad_token_id=0)  # fmt: skip
    return LlamaForSequenceClassification(config).eval()


def test_pointwise_loss_with_a_zero_head_is_log_two_for_any_target(classifier):
    batch = PointwiseCollator(pad_token_id=0)([{"input_ids": [5, 6, 7], "labels": 1.0},
                                               {"input_ids": [8, 9], "labels": 0.25}])  # fmt: skip
    assert batch["input_ids"].tolist() == [[5, 6, 7], [8, 9, 0]] and batch["attention_mask"][1].tolist() == [1, 1, 0]
    with torch.no_grad():
        saved = classifier.score.weight.clone()
        classifier.score.weight.zero_()
        # logit 0: BCE = -y log(1/2) - (1 - y) log(1/2) = log 2 = 0.693147 for every y
        loss = PointwiseLossMixin.compute_loss(None, classifier, batch)
        classifier.score.weight.copy_(saved)
    assert loss.item() == pytest.approx(math.log(2), abs=1e-6)


def test_pointwise_loss_is_bce_of_the_last_token_logit(classifier):
    batch = PointwiseCollator(pad_token_id=0)([{"input_ids": [5, 6, 7], "labels": 1.0},
                                               {"input_ids": [8, 9], "labels": 0.25}])  # fmt: skip
    r = score_batch(classifier, [[5, 6, 7], [8, 9]], pad_token_id=0)  # the scorer's logits, unpadded alone too
    assert r == pytest.approx([score_batch(classifier, [[5, 6, 7]], 0)[0], score_batch(classifier, [[8, 9]], 0)[0]])
    sig = [1 / (1 + math.exp(-x)) for x in r]
    expected = -(math.log(sig[0]) + 0.25 * math.log(sig[1]) + 0.75 * math.log(1 - sig[1])) / 2
    with torch.no_grad():
        assert PointwiseLossMixin.compute_loss(None, classifier, batch).item() == pytest.approx(expected, rel=1e-5)
