#!/usr/bin/python3
"""python_interned — the dict of dicts of docs/stories.md with words stored as ints, a memgrams peer.

The Markov story's first saving: "storing words as ints instead of strings". The table keeps the
story's shape, {(id1, id2): {id3: count}}, so that beside python_dict only the words change: one
intern dict word -> int and its reverse list int -> word (the generator prints words, so the table
needs it), and every context and successor holds ints. Ids 0 and 1 are the start and end markers;
the intern dict maps them to themselves, so a lookup by words translates markers like words.
Trained and measured as python_dict is (_peer_common.py).

Layout and expected bytes per n-gram (CPython 3.11, 64-bit; sizes with the 16-byte GC header
where the type has one, before pymalloc's 16-byte rounding):

  table: dict context -> dict;  context: tuple of n-1 ids (56 bytes for two);
  successors: dict id -> count (224 bytes holding up to 5, 352 up to 10, 632 up to 21);
  an id: one int per distinct word (28 bytes; ids up to 256 are shared small ints), held by the
  intern dict and the reverse list and referenced, never copied, by every tuple and dict;
  a word: bytes, 33 + its length, once per distinct word (in python_dict a new context keeps
  the bytes objects of the line that made it, so the same word is held many times over).

  A context costs its tuple (56) + its successors dict (224) + its slot in the table
  (~45): ~325 bytes; a successor nothing more up to 5, then ~30 in the larger dicts.
  With C/N contexts per distinct n-gram (0.6-0.7 for English text at order 3),
  ~0.6 x 325 = ~195 bytes per trigram + ~25 for the larger dicts: ~220-230 bytes per
  distinct trigram. The words cost (33 + length) + 32 (the id) + two slots (~45 each)
  per distinct word, not per trigram: the ~20 bytes per trigram python_dict spends on
  repeated copies of a word are what interning saves.
"""
import sys

sys.dont_write_bytecode = True  # no __pycache__ beside the installed scripts
import _peer_common as common  # noqa: E402  (after the line above on purpose)
import python_dict  # noqa: E402  (the same dict of dicts, over ids)

NAME = "python_interned"
DESCRIPTION = "the Python dict of dicts of trigram counts with words interned as ints, measured as a memgrams run"


class Table:
    __slots__ = ("ids", "words", "counts")

    def __init__(self):
        # ids: word -> id; words: id -> word; counts: (ids) -> {id: count}
        self.ids = {common.START: common.START, common.END: common.END}  # part: vocab.index
        self.words = [common.START, common.END]  # part: vocab.index
        self.counts = {}  # part: contexts.index


def new_table():
    return Table()  # part: table


def words_of(table, words):
    """The sentence's ids, interning its new words."""
    ids, vocabulary, numbers = table.ids, table.words, []
    for word in words:
        number = ids.get(word)
        if number is None:  # the id and the slots that keep it, apart for their parts
            number = len(vocabulary)  # part: vocab.ids
            ids[word] = number  # part: vocab.index
            vocabulary.append(word)  # part: vocab.index
        numbers.append(number)
    return numbers


def train(table, grams):
    python_dict.train(table.counts, grams)


def ngrams(table):
    return python_dict.ngrams(table.counts)


def contexts(table):
    return len(table.counts)


def prune(table, min_count):
    python_dict.prune(table.counts, min_count)


def count(table, context, word):
    get = table.ids.get  # an unknown word is None, which no key holds
    return table.counts.get(tuple(map(get, context)), {}).get(get(word), 0)


def lookup_body(table, grams):
    get, successors_of, empty = table.ids.get, table.counts, {}

    def lookup(index):
        context, word = grams[index % len(grams)]
        return successors_of.get(tuple(map(get, context)), empty).get(get(word), 0)
    return lookup


def successors_body(table, contexts):
    get, successors_of = table.ids.get, table.counts
    return lambda index: sum(successors_of[tuple(map(get, contexts[index % len(contexts)]))].values())


def choices(table, context):
    return python_dict.choices(table.counts, context)


def word_of_key(table, key):
    return table.words[key]


def grams(table):
    words = table.words
    for context, successors in table.counts.items():
        context_words = tuple(words[number] for number in context)
        for word, number in successors.items():
            yield context_words, words[word], number


if __name__ == "__main__":
    sys.exit(common.main(sys.modules[__name__]))
