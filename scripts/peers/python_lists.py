#!/usr/bin/python3
"""python_lists — the two dicts of lists of docs/stories.md's final code, a memgrams peer.

The Markov story's last layout: "two dicts of lists rather than one dict of dicts". One dict
maps a context to the list of the words seen after it, the other the same context (the same
tuple object, the key of both) to the list of their counts, index-aligned: counts[c][i] counts
nexts[c][i]. A word is found in its list by a linear scan (list.index), as the story's code
does; generation reads both lists as they are, by the rule every subject draws by. Trained,
measured and generating as python_dict does (_peer_common.py).

Layout and expected bytes per n-gram (CPython 3.11, 64-bit; sizes with the 16-byte GC header
where the type has one, before pymalloc's 16-byte rounding):

  nexts: dict context -> list of words;  counts: dict context -> list of counts;
  context: tuple of n-1 words (56 bytes for two), one object shared by both dicts;
  a list: 56 + 8 per slot; a new context's lists hold one slot (64 bytes each), the first
  append grows a list to 4 slots (88), then 8 (120), 16 (184);
  a word: bytes, 33 + its length, kept by the line that first used it in a list or context;
  counts up to 256 are shared small ints, larger ones 28 bytes.

  A context costs its tuple (56) + two one-slot lists (2 x 64) + a slot in each dict
  (~2 x 45): ~275 bytes; its second successor grows both lists to 4 slots (+48), later ones
  cost two list slots (~2 x 8, ~20 with the lists' over-allocation). With C/N contexts per
  distinct n-gram (0.6-0.7 for English text at order 3), ~0.6 x 275 = ~165 bytes per
  trigram + ~15 for the longer lists + ~20 for the words' bytes (kept as in python_dict):
  ~200-220 bytes per distinct trigram. Its lists are smaller than dicts but its lookups scan.
"""
import sys

sys.dont_write_bytecode = True  # no __pycache__ beside the installed scripts
import _peer_common as common  # noqa: E402  (after the line above on purpose)

NAME = "python_lists"
DESCRIPTION = "the Python two dicts of lists (next words, their counts), measured as a memgrams run"


class Table:
    __slots__ = ("nexts", "counts")

    def __init__(self):
        # nexts: context -> [word, ...]; counts: context -> [count, ...], index-aligned with nexts
        self.nexts = {}  # part: contexts.index
        self.counts = {}  # part: contexts.index


def new_table():
    return Table()  # part: table


def train(table, grams):
    nexts_of, counts_of = table.nexts, table.counts
    for context, word in grams:
        nexts = nexts_of.get(context)
        if nexts is None:  # the new lists and the dicts' slots for them, apart for their parts
            nexts = [word]  # part: successors.lists
            numbers = [1]  # part: counts.lists
            nexts_of[context] = nexts  # part: contexts.index
            counts_of[context] = numbers  # part: contexts.index
        else:
            numbers = counts_of[context]
            try:
                numbers[nexts.index(word)] += 1  # part: counts
            except ValueError:
                nexts.append(word)  # part: successors.lists
                numbers.append(1)  # part: counts.lists


def ngrams(table):
    return sum(len(nexts) for nexts in table.nexts.values())


def contexts(table):
    return len(table.nexts)


def prune(table, min_count):
    nexts_of, counts_of = table.nexts, table.counts
    for context in list(nexts_of):
        kept = [index for index, number in enumerate(counts_of[context]) if number >= min_count]
        if kept:
            nexts = nexts_of[context]
            nexts_of[context] = [nexts[index] for index in kept]  # part: successors.lists
            counts_of[context] = [counts_of[context][index] for index in kept]  # part: counts.lists
        else:
            del nexts_of[context], counts_of[context]


def count(table, context, word):
    nexts = table.nexts.get(context)
    if nexts is None or word not in nexts:
        return 0
    return table.counts[context][nexts.index(word)]


def lookup_body(table, grams):
    nexts_of, counts_of = table.nexts, table.counts

    def lookup(index):
        context, word = grams[index % len(grams)]
        nexts = nexts_of.get(context)
        if nexts is None:
            return 0
        try:
            return counts_of[context][nexts.index(word)]
        except ValueError:
            return 0
    return lookup


def successors_body(table, contexts):
    counts_of = table.counts
    return lambda index: sum(counts_of[contexts[index % len(contexts)]])


def choices(table, context):
    nexts = table.nexts.get(context)
    return (nexts, table.counts[context]) if nexts else None


def grams(table):
    counts_of = table.counts
    for context, nexts in table.nexts.items():
        yield from ((context, word, number) for word, number in zip(nexts, counts_of[context]))


if __name__ == "__main__":
    sys.exit(common.main(sys.modules[__name__]))
