"""Models, tokenizers and generation for every stage.

* `loading`: what a user writes (hub id, directory, `.gguf`, `smollm2-135m-instruct`) -> a checkpoint path, model and
  tokenizer; dtype policy.
* `templates`: the exact DeepSeek-Coder v1 / V2 chat templates.
* `tiny`: tiny random models with tokenizers trained in code, for tests and the CPU demo.
* `generation`: sampling completions (vLLM or batched HF generate) for evaluation and collection.
"""
