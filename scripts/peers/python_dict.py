#!/usr/bin/python3
"""python_dict — the Python dict of dicts of docs/stories.md as a memgrams peer.

A dict of dicts, as a headline generator keeps its trigrams (docs/stories.md):
{(w1, w2): {w3: count}}, trained with memgrams' tokenization (harness/corpus/tokenize.h):
lines end at \\n, tokens are runs of bytes other than space \\t \\n \\v \\f \\r,
A-Z lowercased and every other byte kept, n-1 start markers and one end marker.

Prints one run object (schema memgrams.run/1) with the fields a Python
process can know; `memgrams sweep` runs it like a backend (peers are not in
the registry: sweep looks for scripts/peers/NAME.py when a name is not a
registered backend), and `memgrams dump --backend python_dict` runs it with
--dump. The two measured passes, the queries and the run object are
_peer_common.py's.

Layout and expected bytes per n-gram (CPython 3.11, 64-bit; sizes with the
16-byte GC header where the type has one, before pymalloc's 16-byte rounding):

  table: dict context -> dict;  context: tuple of n-1 words (56 bytes for two);
  successors: dict word -> count (224 bytes holding up to 5, 352 up to 10, 632 up to 21);
  a word: bytes, 33 + its length, one object per distinct word kept by the first key
  that took it; counts up to 256 are shared small ints, larger ones 28 bytes.

  A context costs its tuple (56) + its successors dict (224) + its slot in the table
  (~45: a 24-byte entry and its index at two-thirds load, over the table's doublings):
  ~325 bytes. A successor costs nothing more up to 5, then ~30 in the larger dicts.
  With C/N contexts per distinct n-gram (0.6-0.7 for English text at order 3),
  ~0.6 x 325 = ~195 bytes per trigram, + ~25 for the larger dicts, + ~20 for the words'
  bytes (a new context keeps the bytes objects of the line that made it, so a word is
  held many times over): ~240 bytes per distinct trigram.
"""
import sys

sys.dont_write_bytecode = True  # no __pycache__ beside the installed scripts
import _peer_common as common  # noqa: E402  (after the line above on purpose)

NAME = "python_dict"
DESCRIPTION = "the Python dict of dicts of trigram counts, measured as a memgrams run"


def new_table():
    return {}  # part: contexts.index


def train(table, grams):
    for context, word in grams:
        successors = table.get(context)
        if successors is None:  # the new dict and the table's slot for it, apart for their parts
            successors = {}  # part: successors.dicts
            table[context] = successors  # part: contexts.index
        number = successors.get(word, 0) + 1  # part: counts
        successors[word] = number  # part: successors.dicts


def ngrams(table):
    return sum(len(successors) for successors in table.values())


def contexts(table):
    return len(table)


def prune(table, min_count):
    for context in list(table):
        kept = {word: count for word, count in table[context].items() if count >= min_count}  # part: successors.dicts
        if kept:
            table[context] = kept
        else:
            del table[context]


def count(table, context, word):
    return table.get(context, {}).get(word, 0)


def lookup_body(table, grams):
    empty = {}

    def lookup(index):
        context, word = grams[index % len(grams)]
        return table.get(context, empty).get(word, 0)
    return lookup


def successors_body(table, contexts):
    return lambda index: sum(table[contexts[index % len(contexts)]].values())


def choices(table, context):
    successors = table.get(context)
    return (list(successors), list(successors.values())) if successors else None


def grams(table):
    for context, successors in table.items():
        for word, number in successors.items():
            yield context, word, number


if __name__ == "__main__":
    sys.exit(common.main(sys.modules[__name__]))
