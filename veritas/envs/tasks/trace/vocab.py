"""Identifier and literal pools for the program generator.

Names are chosen per kind of value so that programs read like real code; a random prefix or
suffix multiplies the pools so that two programs rarely share their identifiers. No name here
shadows a builtin the programs use (checked at import by the assertion at the bottom).
"""

from __future__ import annotations

import keyword

INT_NAMES = (
    "total", "count", "acc", "step", "score", "limit", "level", "size", "best", "diff", "carry",
    "bonus", "delta", "mark", "rank", "cost", "gain", "tally", "offset", "base", "peak", "depth",
    "width", "height", "pos", "hits", "misses", "quota", "runs", "worst", "lead", "gap", "budget",
    "coins", "points", "turns", "moves", "span", "weight", "value", "amount", "fuel", "speed",
    "stock", "ticks", "age", "year", "floor", "room", "lane", "seat", "page", "row_no", "n", "m",
    "a", "b", "c", "p", "q", "r", "t", "u", "v", "w", "z", "num", "cnt", "res", "out_n",
)
STR_NAMES = (
    "word", "name", "text", "label", "code", "tag", "msg", "line", "token", "title", "prefix",
    "suffix", "head", "tail", "chunk", "part", "s", "buf", "note", "mode", "pattern", "phrase",
    "key_name", "city", "color", "animal", "hero", "planet", "song", "motto", "greeting", "status",
    "glyph", "slug", "path_name", "stem", "item_name", "banner", "caption", "mask",
)
LINT_NAMES = (
    "nums", "values", "data", "scores", "heights", "costs", "marks", "xs", "ys", "steps",
    "buckets", "queue", "stack", "row", "col", "seq", "digits", "weights", "ages", "prices",
    "counts_list", "levels", "readings", "samples", "temps", "votes", "sizes", "ranks", "gaps",
    "totals", "points_list", "lengths", "offsets", "ids", "codes", "grid_row",
)
LSTR_NAMES = (
    "words", "names", "tokens", "parts", "labels", "tags", "colors", "animals", "cities",
    "fruits", "chunks", "lines", "pieces", "items", "guests", "tools", "notes", "titles", "keys_list",
    "planets", "songs", "teams", "players", "places", "verbs", "nouns", "letters", "cards",
)
DICT_NAMES = (
    "counts", "table", "index", "freq", "inventory", "lookup", "score_of", "seen", "cache",
    "groups", "totals_by", "stock_of", "price_of", "age_of", "votes_for", "tally_map", "registry",
    "book", "ledger", "mapping", "weights_of", "board", "hist",
)
TUP_NAMES = ("pair", "point", "bounds", "coords", "qr", "span_pair", "edge", "duo", "corner", "range_ab")
BOOL_NAMES = ("found", "ok", "flag", "done", "valid", "is_even", "has_big", "matched", "seen_any", "active", "ready")
LOOP_INT_NAMES = ("i", "j", "k", "idx", "n_i", "step_i", "x", "y", "d", "e")
LOOP_ELEM_INT_NAMES = ("x", "v", "num", "val", "item", "h", "price", "mark_i", "amount_i", "e")
LOOP_ELEM_STR_NAMES = ("w", "word_i", "name_i", "token_i", "item_s", "city_i", "part_i", "ch", "c", "tag_i")
FUNC_NAMES = (
    "combine", "scale", "clamp", "mix", "shift", "fold", "rate", "encode", "wrap", "pick", "blend",
    "measure", "twist", "merge", "squash", "rotate", "shout", "mirror", "weigh", "stretch", "trim",
    "pad", "score_of_word", "total_of", "digit_sum", "spread", "flip", "echo", "tidy", "shrink",
    "boost", "nudge", "bounce", "dampen", "splice", "stamp", "grade", "label_for", "bucket_of",
)
PARAM_INT_NAMES = ("n", "k", "x", "y", "a", "b", "amount", "factor", "limit", "base", "size", "step")
PARAM_STR_NAMES = ("s", "text", "word", "name", "label", "prefix", "token")
PARAM_LINT_NAMES = ("nums", "values", "xs", "data", "items", "scores")
PARAM_LSTR_NAMES = ("words", "names", "parts", "tokens", "labels")

NAME_PREFIXES = ("my_", "new_", "old_", "tmp_", "big_", "raw_", "last_", "first_", "max_", "min_", "cur_", "next_", "left_", "right_", "top_")
NAME_SUFFIXES = ("_1", "_2", "2", "3", "_a", "_b", "_x", "_sum", "_val", "_now", "_out", "_tmp", "_all", "_k")

WORDS = (
    "apple", "river", "stone", "cloud", "maple", "tiger", "lemon", "ocean", "pixel", "amber",
    "cedar", "delta", "ember", "frost", "grape", "haven", "ivory", "jolly", "karma", "lunar",
    "mango", "noble", "olive", "pearl", "quartz", "raven", "solar", "tulip", "umber", "vivid",
    "willow", "xenon", "yodel", "zebra", "acorn", "bison", "coral", "dune", "eagle", "fable",
    "globe", "honey", "igloo", "jade", "koala", "lilac", "moss", "nectar", "orbit", "plum",
    "quill", "robin", "sage", "thorn", "unity", "vault", "wren", "yarn", "zest", "arch",
    "bread", "chalk", "dream", "elbow", "flint", "gecko", "hazel", "inkpot", "jewel", "kite",
    "lotus", "mint", "nova", "opal", "prism", "quest", "ridge", "spark", "torch", "urn",
    "vine", "wave", "yak", "zone", "blue", "red", "green", "gold", "gray", "pink",
    "cat", "dog", "owl", "fox", "bee", "ant", "elk", "emu", "cow", "hen",
    "sun", "moon", "star", "rain", "snow", "wind", "fire", "ice", "sand", "leaf",
    "bolt", "gear", "rope", "nail", "lamp", "desk", "book", "pen", "cup", "map",
    "north", "south", "east", "west", "alpha", "beta", "gamma", "omega", "sigma", "kappa",
    "banana", "cherry", "peach", "berry", "melon", "kiwi", "fig", "date", "lime", "pear",
)
# Short pieces used as separators and replacement characters.
SEPARATORS = ("-", "_", ":", "/", "|", ".", "+", ",", "=", "*", "", " ")
LETTERS = "abcdefghijklmnopqrstuvwxyz"
VOWELS = "aeiou"

_BUILTINS_USED = {
    "abs", "all", "any", "bool", "chr", "dict", "divmod", "enumerate", "filter", "format", "input",
    "int", "isinstance", "len", "list", "map", "max", "min", "ord", "print", "range", "repr",
    "reversed", "round", "sorted", "str", "sum", "tuple", "zip", "set", "type", "id", "hash", "iter",
    "next", "open", "object", "pow", "divmod", "slice", "vars", "dir", "help", "exit", "quit",
}

ALL_NAMES = (
    INT_NAMES + STR_NAMES + LINT_NAMES + LSTR_NAMES + DICT_NAMES + TUP_NAMES + BOOL_NAMES
    + LOOP_INT_NAMES + LOOP_ELEM_INT_NAMES + LOOP_ELEM_STR_NAMES + FUNC_NAMES + PARAM_INT_NAMES
    + PARAM_STR_NAMES + PARAM_LINT_NAMES + PARAM_LSTR_NAMES
)
assert not (set(ALL_NAMES) & _BUILTINS_USED), set(ALL_NAMES) & _BUILTINS_USED
assert not any(keyword.iskeyword(n) for n in ALL_NAMES)
assert all("`" not in w and "'" not in w and '"' not in w and "\\" not in w for w in WORDS + SEPARATORS)
