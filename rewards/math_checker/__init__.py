"""The math checker's internals: lexing, parsing, normalisation and equivalence of final answers.

The public API is `rewards.math_rewards` (`verify`, `extract_answer`, `math_reward`, `math_rewards_batch`); nothing
outside `rewards/` should import these modules directly.

* `extract`: find the final answer in a completion (boxed, "the answer is", `<answer>`, `####`, last math span).
* `normalize`: strip delimiters, units and prose; `lex` + `parse`: the safe answer grammar (nothing is `eval`-ed).
* `eval` + `scalar`: exact and 40-digit evaluation, probe points for symbolic answers.
* `equiv`: the equivalence policy (sets, intervals, tuples, equations, ...).
* `sympy_worker`: the budgeted child process for the rare cases the grammar leaves to sympy.
"""
