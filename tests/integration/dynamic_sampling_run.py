"""One rank of the two-process dynamic-sampling run (launched by test_dynamic_sampling_distributed.py through
`accelerate launch`): trains on the half-fixed data set and writes what this rank trained on to rank<r>.json.

    accelerate launch --config_file configs/accelerate/cpu_zero2.yaml tests/integration/dynamic_sampling_run.py \\
        MODEL_DIR OUTPUT_DIR
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path


def main(model: str, output_dir: str) -> None:
    from alignment.trainers import CodealignGRPOTrainer
    from tests.integration.throughput_helpers import group_advantages, half_fixed_rows, make_trainer

    batches: list[dict] = []

    class Recording(CodealignGRPOTrainer):
        def _generate_and_score_completions(self, inputs):
            batch = super()._generate_and_score_completions(inputs)
            if self.model.training:
                groups = group_advantages(batch, self.num_generations)
                batches.append({"rows": len(batch["advantages"]), "spread": [any(a != 0 for a in g) for g in groups]})
            return batch

    trainer = make_trainer(
        Path(model), Path(output_dir), half_fixed_rows(), 4.0, Recording,
        max_steps=3, per_device_train_batch_size=4, gradient_accumulation_steps=2,
    )  # fmt: skip
    trainer.train()
    state = trainer.accelerator.unwrap_model(trainer.model).state_dict()
    digest = hashlib.sha256()
    for name in sorted(state):
        digest.update(state[name].detach().float().numpy().tobytes())
    rank = trainer.accelerator.process_index
    record = {
        "steps": trainer.state.global_step,
        "batches": batches,
        "dropped": [
            r["dynamic_sampling/dropped_frac"]
            for r in trainer.state.log_history
            if "dynamic_sampling/dropped_frac" in r
        ],
        "rounds": [r["dynamic_sampling/rounds"] for r in trainer.state.log_history if "dynamic_sampling/rounds" in r],
        "weights": digest.hexdigest(),
    }
    (Path(output_dir) / f"rank{rank}.json").write_text(json.dumps(record))


if __name__ == "__main__":
    main(*sys.argv[1:3])
