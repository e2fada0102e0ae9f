"""The registry of task families, in a fixed order (the generator walks them round-robin, so order matters for
reproducibility): integer lists, list positions, strings, single integers, dicts."""

from __future__ import annotations

from data.code_gen import dict_families as dicts
from data.code_gen import list_families as lists
from data.code_gen import number_families as numbers
from data.code_gen import sequence_families as seqs
from data.code_gen import text_families as text
from data.code_gen.spec import Family

FAMILIES: dict[str, Family] = {
    fam.name: fam
    for fam in (
        lists.FILTER_CMP, lists.COUNT_CMP, lists.SUM_CMP, lists.MULTIPLES, lists.MAP_ARITH, lists.CLAMP,
        lists.FIRST_MATCH,
        seqs.INDEX_OF, seqs.EVERY_KTH, seqs.ROTATE, seqs.CHUNK_AGG, seqs.ALL_ANY, seqs.NEIGHBOURS_CLOSE,
        seqs.FREQUENT,
        text.COUNT_WORDS_LEN, text.WORDS_STARTING, text.COUNT_CHAR, text.REPLACE_CHAR, text.CAESAR, text.INITIALS,
        text.SHORTEN, text.COUNT_IN_SET, text.JOIN_WORDS, text.CHAR_POSITIONS,
        numbers.DIGIT_STAT, numbers.SUM_MULTIPLES, numbers.FIZZ, numbers.CLASSIFY, numbers.ROUND_MULTIPLE,
        numbers.BETWEEN, numbers.REPEAT_UNTIL,
        dicts.CHAR_TALLY, dicts.HISTOGRAM, dicts.KEYS_BY_VALUE, dicts.SUM_BY_PREFIX, dicts.GET_OR_DEFAULT,
    )
}  # fmt: skip
