"""Generated Python function tasks with thin visible tests and thorough hidden tests (`python -m data.code_gen`).

`families` lists the task families, `spec` says what a family is and how a task is built and checked,
`generate` builds and writes the train/test splits.
"""
