"""Recipe parsing: every shipped YAML parses, and mistakes fail early with the closest valid names."""

import os
from pathlib import Path

import pytest
import yaml
from trl import GRPOConfig

from alignment import grpo, reward_model, sft
from alignment.collect import CollectArguments
from alignment.pipeline import PipelineArguments
from alignment.run.config import ConfigError, parse_recipe

ROOT = Path(__file__).resolve().parents[2]
STAGES = {
    "sft": sft.CONFIGS,
    "grpo": grpo.CONFIGS,
    "collect": (CollectArguments,),
    "pipeline": (PipelineArguments,),
    "reward_model": reward_model.CONFIGS,
}
RECIPES = sorted((ROOT / "configs").glob("*/*.yaml"))


def _stage(path: Path) -> str:
    return path.parent.name


@pytest.mark.parametrize("path", [p for p in RECIPES if _stage(p) in STAGES], ids=lambda p: f"{_stage(p)}/{p.name}")
def test_every_stage_recipe_parses(path, tmp_path):
    recipe = parse_recipe(STAGES[_stage(path)], ["--config", str(path), "--output_dir", str(tmp_path)])
    ours = recipe.configs[0]
    assert getattr(ours, "datasets", None) or getattr(ours, "train_tasks", None), "a recipe must name its data"
    first_line = path.read_text().splitlines()[0]
    assert first_line.startswith("# ") and f"alignment.{_stage(path)}" in first_line and path.name in first_line, (
        "a recipe starts with the exact command that launches it"
    )


def test_every_yaml_under_configs_is_claimed_by_a_test():
    """A new folder of YAML files needs a parser test of its own: nothing under configs/ goes unparsed."""
    covered = set(STAGES) | {"accelerate"}
    for path in (ROOT / "configs").rglob("*.yaml"):
        assert path.parent.name in covered, f"{path} is in a folder no test parses"
        assert isinstance(yaml.safe_load(path.read_text()), dict), f"{path} is not a YAML mapping"


def test_faithful_grpo_recipe_sets_the_deepseekmath_objective(tmp_path):
    recipe = parse_recipe(
        STAGES["grpo"],
        ["--config", str(ROOT / "configs/grpo/deepseek_coder_v2_lite.yaml"), "--output_dir", str(tmp_path)],
    )
    _, _, grpo, _, _ = recipe.configs
    assert grpo.loss_type == "grpo" and grpo.beta == 0.04 and grpo.use_bias_correction_kl is False
    assert grpo.scale_rewards == "group" and grpo.num_generations == 64 and grpo.max_completion_length == 1024
    assert grpo.learning_rate == 1e-6 and grpo.num_iterations == 1


def test_sft_recipe_carries_paper_schedule(tmp_path):
    recipe = parse_recipe(
        STAGES["sft"],
        ["--config", str(ROOT / "configs/sft/deepseek_coder_v2_lite.yaml"), "--output_dir", str(tmp_path)],
    )
    ours, _, sft, _, _ = recipe.configs
    assert sft.lr_scheduler_type == "cosine" and sft.warmup_steps == 100 and sft.learning_rate == 5e-6
    assert ours.tokens_per_batch == 1_000_000 and ours.total_tokens == 1_000_000_000


def _write(tmp_path, text):
    path = tmp_path / "r.yaml"
    path.write_text(text)
    return str(path)


def test_misspelled_key_in_file_names_the_closest_valid_key(tmp_path):
    path = _write(tmp_path, "datasets: [a.jsonl]\nlearnig_rate: 1.0e-5\n")
    with pytest.raises(ConfigError) as err:
        parse_recipe(STAGES["sft"], ["--config", path])
    assert "unknown key 'learnig_rate'" in str(err.value) and "'learning_rate'" in str(err.value)


def test_all_problems_are_reported_at_once(tmp_path):
    path = _write(tmp_path, "datasets: [a.jsonl]\nbta: 0.04\nnum_generation: 8\n")
    with pytest.raises(ConfigError) as err:
        parse_recipe(STAGES["grpo"], ["--config", path, "--learnig_rate", "1e-6"])
    message = str(err.value)
    assert "3 problem(s)" in message
    assert "'beta'" in message and "'num_generations'" in message and "'learning_rate'" in message
    assert "command line: unknown key 'learnig_rate'" in message


def test_unknown_key_without_neighbour_says_so(tmp_path):
    path = _write(tmp_path, "datasets: [a.jsonl]\nzzzqqq: 1\n")
    with pytest.raises(ConfigError, match="no similar option exists"):
        parse_recipe(STAGES["sft"], ["--config", path])


def test_cli_overrides_file_and_is_recorded(tmp_path):
    path = _write(tmp_path, "datasets: [a.jsonl]\nlearning_rate: 1.0e-5\n")
    recipe = parse_recipe(STAGES["sft"], ["--config", path, "--learning_rate", "3e-4", "--output_dir", str(tmp_path)])
    assert recipe.configs[2].learning_rate == 3e-4
    assert recipe.explicit["learning_rate"] == 3e-4 and recipe.explicit["datasets"] == ["a.jsonl"]


def test_dataclass_validation_surfaces_as_config_error(tmp_path):
    path = _write(tmp_path, "datasets: [a.jsonl, b.jsonl]\ndataset_weights: [1.0]\n")
    with pytest.raises(ConfigError, match="dataset_weights"):
        parse_recipe(STAGES["sft"], ["--config", path, "--output_dir", str(tmp_path)])


def test_unknown_reward_name_lists_the_registry(tmp_path):
    path = _write(tmp_path, "datasets: [a.jsonl]\nreward_funcs: [maths]\n")
    with pytest.raises(ConfigError, match="registered: .*math"):
        parse_recipe(STAGES["grpo"], ["--config", path, "--output_dir", str(tmp_path)])


def test_missing_and_malformed_files_are_named(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        parse_recipe(STAGES["sft"], ["--config", str(tmp_path / "nope.yaml")])
    with pytest.raises(ConfigError, match="mapping"):
        parse_recipe(STAGES["sft"], ["--config", _write(tmp_path, "- a\n- b\n")])


def test_resolved_config_holds_every_field(tmp_path):
    path = _write(tmp_path, "datasets: [a.jsonl]\n")
    recipe = parse_recipe(STAGES["sft"], ["--config", path, "--output_dir", str(tmp_path)])
    resolved = recipe.resolved()
    assert resolved["datasets"] == ["a.jsonl"] and "learning_rate" in resolved and "model_name_or_path" in resolved
    yaml.safe_dump(resolved)  # plain data only


def test_entry_point_reports_a_typo_without_a_traceback(tmp_path):
    import subprocess
    import sys

    path = _write(tmp_path, "model_name_or_path: does/not-exist\ndatasets: [a.jsonl]\nlearnig_rate: 1.0e-5\n")
    proc = subprocess.run(
        [sys.executable, "-m", "alignment.sft", "--config", path],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 2
    assert "did you mean 'learning_rate'?" in proc.stderr and "Traceback" not in proc.stderr


def test_problems_of_every_dataclass_are_reported_together(tmp_path):
    text = "datasets: [a.jsonl, b.jsonl]\ndataset_weights: [1.0]\nreward_funcs: [maths, code]\nreward_weights: [1.0]\n"
    text += "sandbox_backend: dokker\ncompletions_table_every_n_steps: -2\n"
    with pytest.raises(ConfigError) as err:
        parse_recipe(STAGES["grpo"], ["--config", _write(tmp_path, text), "--output_dir", str(tmp_path)])
    message = str(err.value)
    assert "5 problem(s)" in message, message
    for fragment in ("`dataset_weights` has 1 entries", "unknown reward 'maths'", "`sandbox_backend` 'dokker'",
                     "`reward_weights` has 1 entries for 2 rewards", "`completions_table_every_n_steps` is -2"):  # fmt: skip
        assert fragment in message, fragment


def test_a_variant_recipe_is_its_base_plus_its_own_block(tmp_path):
    base = ROOT / "configs/grpo/deepseek_coder_v2_lite.yaml"
    for variant in sorted((ROOT / "configs/grpo").glob("deepseek_coder_v2_lite_vllm_*.yaml")):
        merged = parse_recipe(STAGES["grpo"], ["--config", str(variant)]).explicit
        own = yaml.safe_load(variant.read_text())
        assert own.pop("base") == base.name
        assert merged == {**yaml.safe_load(base.read_text()), **own}, variant.name


def test_base_cycles_and_missing_bases_are_named(tmp_path):
    (tmp_path / "a.yaml").write_text("base: b.yaml\nseed: 1\n")
    (tmp_path / "b.yaml").write_text("base: a.yaml\n")
    with pytest.raises(ConfigError, match="includes itself"):
        parse_recipe(STAGES["sft"], ["--config", str(tmp_path / "a.yaml")])
    (tmp_path / "c.yaml").write_text("base: nowhere.yaml\n")
    with pytest.raises(ConfigError, match="nowhere.yaml.*does not exist"):
        parse_recipe(STAGES["sft"], ["--config", str(tmp_path / "c.yaml")])


def test_the_recipe_file_is_read_once(tmp_path, monkeypatch):
    path = Path(_write(tmp_path, "datasets: [a.jsonl]\n"))
    reads = []
    original = Path.read_text
    monkeypatch.setattr(Path, "read_text", lambda self, *a, **k: reads.append(self) or original(self, *a, **k))
    parse_recipe(STAGES["sft"], ["--config", str(path), "--output_dir", str(tmp_path)])
    assert reads.count(path) == 1


def test_reward_routes_from_yaml_and_from_the_command_line(tmp_path):
    text = "datasets: [a.jsonl]\nreward_routes:\n  code: execution\n  math: {rule: 1.0, boxed_format: 0.1}\n"
    recipe = parse_recipe(STAGES["grpo"], ["--config", _write(tmp_path, text), "--output_dir", str(tmp_path)])
    assert recipe.configs[0].reward_names(["a.jsonl"]) == ["code/code", "math/math", "math/boxed_format"]
    flag = ["--reward_routes", '{"code": "execution", "math": "rule"}']
    recipe = parse_recipe(STAGES["grpo"], ["--config", _write(tmp_path, "datasets: [a.jsonl]\n"), *flag])
    assert recipe.configs[0].reward_names(["a.jsonl"]) == ["code/code", "math/math"]


def _grpo_recipe_problems(tmp_path, text: str) -> str:
    """The message of the `ConfigError` a GRPO recipe of `text` raises (the test fails if it parses)."""
    with pytest.raises(ConfigError) as err:
        parse_recipe(STAGES["grpo"], ["--config", _write(tmp_path, text), "--output_dir", str(tmp_path)])
    return str(err.value)


def test_reward_route_conflicts_are_problems(tmp_path):
    text = "datasets: [a.jsonl]\nreward_funcs: [math]\nreward_routes: {code: rm}\nreward_weights: [1.0]\n"
    message = _grpo_recipe_problems(tmp_path, text)
    assert "either `reward_funcs` or `reward_routes`" in message and "`rm` reward needs `reward_model_path`" in message
    text = "datasets: [a.jsonl]\nreward_routes: {code: rm, math: rule}\nreward_weights: [1.0, 1.0]\n"
    with pytest.raises(ConfigError, match="leave `reward_weights` unset"):
        parse_recipe(STAGES["grpo"], ["--config", _write(tmp_path, text), "--reward_model_path", "rm"])
    with pytest.raises(ConfigError, match="no reward uses it"):
        parse_recipe(STAGES["grpo"], ["--config", _write(tmp_path, "datasets: [a.jsonl]\nreward_routes: {math: rule}\n"),
                                      "--reward_model_path", "rm"])  # fmt: skip


def test_reward_model_path_alone_adds_the_rm_reward(tmp_path):
    recipe = parse_recipe(
        STAGES["grpo"], ["--config", _write(tmp_path, "datasets: [a.jsonl]\n"), "--reward_model_path", "x"]
    )
    assert recipe.configs[0].reward_names() == ["math", "rm"]


def test_a_command_line_reward_key_replaces_the_recipes_other_one(tmp_path):
    path = _write(tmp_path, "datasets: [a.jsonl]\nreward_routes: {math: rule}\n")
    recipe = parse_recipe(STAGES["grpo"], ["--config", path, "--reward_funcs", "code", "math"])
    assert recipe.configs[0].reward_routes is None and recipe.configs[0].reward_names() == ["code", "math"]
    assert "reward_routes" not in recipe.explicit  # config.yaml reproduces what ran


def test_reward_model_recipe_carries_the_sourced_values(tmp_path):
    recipe = parse_recipe(
        STAGES["reward_model"],
        ["--config", str(ROOT / "configs/reward_model/deepseek_coder_v2_lite.yaml"), "--output_dir", str(tmp_path)],
    )
    ours, _, rm, _ = recipe.configs
    assert rm.learning_rate == 2e-5 and rm.num_train_epochs == 1  # [DSM §4.2 RM lr], [proposal] one epoch
    assert (ours.loss, ours.label, ours.chosen_min_pass, ours.min_gap) == ("pairwise", "passed", 0.8, 0.4)  # [ACE]
    assert ours.drop_zero_pass_rejected is True and ours.max_pairs_per_prompt == 8
    lines = {line.split(":")[0]: line for line in (ROOT / "configs/reward_model/deepseek_coder_v2_lite.yaml").open()}
    assert "[DSM §4.2 RM lr]" in lines["learning_rate"] and "[proposal]" in lines["num_train_epochs"]
    assert "[ACE]" in lines["chosen_min_pass"] and "[ACE]" in lines["min_gap"]


def test_reward_model_values_are_checked_together(tmp_path):
    text = (
        "datasets: [c]\nlabel: hiden_passed\nloss: listwise\nsoft_labels: true\neval_fraction: 1.0\nbest_of_n: [1]\n"
    )
    with pytest.raises(ConfigError) as err:
        parse_recipe(STAGES["reward_model"], ["--config", _write(tmp_path, text), "--output_dir", str(tmp_path)])
    message = str(err.value)
    assert "5 problem(s)" in message, message
    for fragment in ("`label` 'hiden_passed' is not one of passed, hidden_passed", "`loss` 'listwise'",
                     "`soft_labels: true` needs `loss: pointwise`", "`eval_fraction` is 1.0", "`best_of_n` is [1]"):  # fmt: skip
        assert fragment in message, fragment


def test_pairwise_only_knobs_are_refused_for_a_pointwise_rm(tmp_path):
    text = "datasets: [c]\nloss: pointwise\nmargin_scale: 1.0\ncenter_rewards_coefficient: 0.01\n"
    with pytest.raises(ConfigError) as err:
        parse_recipe(STAGES["reward_model"], ["--config", _write(tmp_path, text), "--output_dir", str(tmp_path)])
    assert "`margin_scale` applies to `loss: pairwise` only" in str(err.value)
    assert "`center_rewards_coefficient` applies to `loss: pairwise` only" in str(err.value)


def test_problems_name_the_file_and_line_of_their_key(tmp_path):
    path = _write(tmp_path, "datasets: [a.jsonl, b.jsonl]\nseed: 1\ndataset_weights: [1.0]\nlearning_rate: fast\n")
    with pytest.raises(ConfigError) as err:
        parse_recipe(STAGES["sft"], ["--config", path])
    assert f"{path}:3: `dataset_weights` has 1 entries for 2 datasets" in str(err.value)
    assert f"{path}:4: `learning_rate`: 'fast' is not a number" in str(err.value)
    assert err.value.problems and len(err.value.problems) == 2


def test_a_variant_recipe_names_the_file_that_set_the_key(tmp_path):
    (tmp_path / "base.yaml").write_text("datasets: [a.jsonl]\nmax_steps: lots\n")
    (tmp_path / "variant.yaml").write_text("base: base.yaml\nseed: x\n")
    with pytest.raises(ConfigError) as err:
        parse_recipe(STAGES["sft"], ["--config", str(tmp_path / "variant.yaml")])
    assert f"{tmp_path / 'base.yaml'}:2: `max_steps`" in str(err.value)
    assert f"{tmp_path / 'variant.yaml'}:2: `seed`" in str(err.value)


def test_invalid_yaml_names_line_and_column(tmp_path):
    path = _write(tmp_path, "datasets: [a.jsonl\nseed: 1\n")
    with pytest.raises(ConfigError, match=rf"^{path}:2:\d+: not valid YAML"):
        parse_recipe(STAGES["sft"], ["--config", path])


def test_trl_post_init_errors_are_config_errors_not_usage_dumps(tmp_path):
    path = _write(tmp_path, "datasets: [a.jsonl]\nnum_generations: 3\nper_device_train_batch_size: 8\n")
    with pytest.raises(ConfigError, match="must be divisible by num_generations"):
        parse_recipe(STAGES["grpo"], ["--config", path, "--output_dir", str(tmp_path)])


def test_negatable_flags_and_stage_references_parse_like_trl(tmp_path):
    from alignment.grpo import CONFIGS

    path = _write(tmp_path, "datasets: [a.jsonl]\n")
    recipe = parse_recipe(CONFIGS, ["--config", path, "--output_dir", str(tmp_path), "--no_manifest_hash_checkpoints"])
    assert isinstance(recipe.configs[2], GRPOConfig) and recipe.configs[3].manifest_hash_checkpoints is False


def test_find_config_matches_classes_references_and_first_pass_views(tmp_path):
    from alignment.grpo import CONFIGS
    from alignment.run.config import ConfigView, check_recipe, find_config
    from alignment.run.fields import TRL

    checked = check_recipe(CONFIGS, ["--config", _write(tmp_path, "datasets: [a.jsonl]\nbeta: 0.04\n")])
    view = find_config(checked.configs, TRL.GRPOConfig)
    assert isinstance(view, ConfigView) and view.beta == 0.04 and view.num_generations == 8  # a TRL default
    assert (
        find_config(checked.configs, "TrainingArguments") is view and find_config(checked.configs, GRPOConfig) is view
    )
    real = parse_recipe(
        CONFIGS, ["--config", _write(tmp_path, "datasets: [a.jsonl]\n"), "--output_dir", str(tmp_path)]
    )
    assert find_config(real.configs, TRL.GRPOConfig) is real.configs[2] is find_config(real.configs, "GRPOConfig")


def test_the_first_pass_imports_neither_torch_nor_trl(tmp_path):
    import subprocess
    import sys

    path = _write(tmp_path, "datasets: [a.jsonl]\nreward_funcs: [math]\nbeta: 0.04\n")
    code = (
        "import sys; from alignment.grpo import CONFIGS; from alignment.run.config import check_recipe; "
        f"check_recipe(CONFIGS, ['--config', {path!r}]); "
        "print(sorted({'torch', 'trl', 'transformers', 'datasets'} & set(sys.modules)))"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"


def test_recipe_env_is_exported_before_parsing(tmp_path, monkeypatch):
    monkeypatch.delenv("CODEALIGN_TEST_VARIABLE", raising=False)
    path = _write(tmp_path, "datasets: [a.jsonl]\nenv:\n  CODEALIGN_TEST_VARIABLE: 7\n")
    from alignment.run.config import check_recipe

    check_recipe(STAGES["sft"], ["--config", path])
    assert os.environ["CODEALIGN_TEST_VARIABLE"] == "7"


def test_config_path_may_be_given_with_an_equals_sign(tmp_path):
    path = _write(tmp_path, "datasets: [a.jsonl]\nseed: 7\n")
    recipe = parse_recipe(STAGES["sft"], [f"--config={path}", "--output_dir", str(tmp_path)])
    assert recipe.configs[2].seed == 7 and recipe.config_path == path


def test_share_prompt_prefix_needs_the_dense_head_and_no_activation_checkpointing(tmp_path):
    text = "datasets: [a.jsonl]\nshare_prompt_prefix: true\nactivation_checkpointing: true\n"
    message = _grpo_recipe_problems(tmp_path, text)
    assert "set `dense_logprobs: true`" in message and "does not combine with activation checkpointing" in message
    fine = "datasets: [a.jsonl]\nshare_prompt_prefix: true\ndense_logprobs: true\nactivation_checkpointing: false\n"
    recipe = parse_recipe(STAGES["grpo"], ["--config", _write(tmp_path, fine), "--output_dir", str(tmp_path)])
    assert recipe.configs[0].share_prompt_prefix


@pytest.mark.parametrize("native", [True, False])
@pytest.mark.parametrize("where", ["file", "command line", "both"])
def test_bf16_auto_becomes_what_the_machine_runs_natively(native, where, tmp_path, monkeypatch):
    """`bf16: auto` resolves to the machine's answer (the probe's two answers stand in for two CPUs); resolved to
    false it turns the bf16-only keys off too; the recipe records the resolved value, not `auto`."""
    from alignment.run import precision

    monkeypatch.setattr(precision, "native_bf16", lambda: (native, "probe"))
    recipe = tmp_path / "r.yaml"
    base = (ROOT / "configs/grpo/tiny_cpu.yaml").read_text()
    recipe.write_text(base + ("\nbf16: auto\nbf16_reference: true\n" if where != "command line" else ""))
    cli = ["--bf16", "auto", "--bf16_reference=true"] if where != "file" else []
    parsed = parse_recipe(grpo.CONFIGS, ["--config", str(recipe), "--output_dir", str(tmp_path / "o"), *cli])
    args, training_args = parsed.configs[0], parsed.configs[2]
    assert training_args.bf16 is native and args.bf16_reference is native
    assert parsed.explicit["bf16"] is native and parsed.explicit["bf16_reference"] is native
    assert parsed.notes[0] == f"bf16: auto -> {str(native).lower()} (probe)"
    assert len(parsed.notes) == (1 if native else 2)


def test_bf16_auto_in_the_file_yields_to_an_explicit_command_line_value(tmp_path, monkeypatch):
    from alignment.run import precision

    monkeypatch.setattr(precision, "native_bf16", lambda: (False, "probe"))
    recipe = tmp_path / "r.yaml"
    recipe.write_text((ROOT / "configs/grpo/tiny_cpu.yaml").read_text() + "\nbf16: auto\nbf16_reference: true\n")
    parsed = parse_recipe(
        grpo.CONFIGS, ["--config", str(recipe), "--output_dir", str(tmp_path / "o"), "--bf16", "true"]
    )
    assert parsed.configs[2].bf16 is True and parsed.configs[0].bf16_reference is True and parsed.notes == []


def test_native_bf16_agrees_with_the_cpu_flags():
    """The real probe: on a CPU, true exactly where torch reports AVX512-BF16 or AMX."""
    import torch

    from alignment.run.precision import native_bf16

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA: the probe answers for the GPU")
    flags = torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()
    native, why = native_bf16()
    assert native is flags and why.startswith("CPU")


def test_bf16_auto_turns_off_a_bf16_only_key_in_any_true_spelling(tmp_path, monkeypatch):
    from alignment.run import precision

    monkeypatch.setattr(precision, "native_bf16", lambda: (False, "probe"))
    recipe = _write(tmp_path, "datasets: [a.jsonl]\nbf16: auto\n")
    parsed = parse_recipe(
        grpo.CONFIGS, ["--config", recipe, "--output_dir", str(tmp_path / "o"), "--bf16_generation", "t"]
    )
    assert parsed.configs[0].bf16_generation is False and parsed.notes[1].startswith("bf16_generation: true -> false")
