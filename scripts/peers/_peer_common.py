"""_peer_common — what every Python peer shares: tokenization, the two measured passes, the timed
queries, the run object, the allocator placement, `--dump` and `--generate`.

Not a peer itself: memgrams takes no name beginning with '_' for a peer (harness/sweep/peers.h).
A peer script is a module with the functions below, and calls main(sys.modules[__name__]):

  NAME, DESCRIPTION
  new_table()                                    an empty table
  train(table, grams)                            counts every (context, word) of training_grams
  words_of(table, words)                         optional: a sentence's words as the table keeps them
  ngrams(table), contexts(table)                 distinct n-grams, distinct contexts
  prune(table, min_count)                        drops grams counted less than min_count
  count(table, context, word)                    the count of one gram given by words (0 if absent)
  lookup_body(table, grams)                      body(index) looking up grams[index % len(grams)]
  successors_body(table, contexts)               body(index) summing the counts after a context
  choices(table, context)                        (next words, their counts) after a context in the
                                                 table's own keys (markers included), or None
  grams(table)                                   (context words, word, count) of every n-gram

Words are the corpus's bytes; the markers are the ints START and END, which no token equals.

Memory is measured in two passes over the same corpus:

  1. RSS, speeds and counts: /proc/self/status (VmRSS, VmHWM) and
     /proc/self/smaps_rollup (Anonymous) at every phase end and along training;
  2. `allocated`: the same training under tracemalloc, whose traced bytes are
     the sizes Python asked of its allocators (before pymalloc's rounding).
     tracemalloc keeps a trace per live block outside the traced heap, which
     would swell pass 1's RSS and slow it down, so it is never on in pass 1.
     At each phase end a snapshot splits `allocated` into `parts` by the line
     that allocated each live block: a line of the peers' own files ending in a
     marker comment `# part: NAME` counts under NAME, every other byte (the
     interpreter, the recorder, temporaries) under `other`; they sum to
     `allocated` exactly, which is the snapshot's total (docs/peers.md).

`requested`, `active` and `resident` are null (no mem.h, no allocator
statistics for pymalloc's arenas). `checksum` is run.c's digest of the
(n-gram, count) pairs (python3-xxhash's XXH3-64), taken from grams() after
finalize and before the timed queries, in pass 1 only.
The run object marks its figures as this python3 process's: "measured_process": "python3".

`SCRIPT --describe` (the one argument) prints DESCRIPTION and measures nothing:
`memgrams list` reads each peer's line so.
"""
import argparse
import ctypes
import gc
import json
import os
import platform
import random
import re
import signal
import sys
import time
import tracemalloc
import _tracemalloc  # the raw traces, for split_traced's speed
from itertools import groupby
from operator import itemgetter

try:
    import xxhash  # Debian's python3-xxhash: the run's checksum (main refuses to measure without it)
except ImportError:
    xxhash = None

SCHEMA = "memgrams.run/1"
MEASURED_PROCESS = "python3"  # the run's figures are this process's, not memgrams' (docs/run-json.md)
START, END = 0, 1            # markers: ints, never equal to a token (bytes)
TRAIN_POINTS = 64            # timeline: 64..128 evenly spaced training samples
HIT_SAMPLES = 1 << 15        # grams sampled for the timed lookups
QUERY_BUDGET_SECONDS = 0.5   # no timed loop runs longer than this
LOOKUPS_PER_KIND = 262144
GENERATE_DRAWS = 20000       # timed generation draws at most (run.c)
SENTENCE_WORDS_MAX = 200     # a sentence stops here if no end marker is drawn (generate.h)
MASK64 = (1 << 64) - 1       # uint64 wrap-around
PHASES = ("baseline", "train", "finalize", "prune", "purge", "destroy")


# ---- corpus --------------------------------------------------------------------

def sentences(path, byte_limit):
    """Token lists of the lines that begin before byte_limit (the contract)."""
    with open(path, "rb") as corpus:
        position = 0
        for line in corpus:          # binary iteration ends lines at b"\n" only
            if position >= byte_limit:
                return
            position += len(line)
            # bytes: only A-Z lowered, split on b" \t\n\r\x0b\x0c"; the table keeps some of the words
            yield line.lower().split()  # part: vocab.words


def training_grams(path, byte_limit, order, recorder, counts, words_of=None):
    """The corpus's n-grams as (context tuple, last word), for a peer's train: the timeline's
    samples are taken after the gram is counted, the counts of lines, tokens and grams at the end."""
    grams = tokens = lines = 0
    next_at = recorder.next_at
    for words in sentences(path, byte_limit):
        lines += 1
        tokens += len(words)
        padded = [START] * (order - 1) + (words_of(words) if words_of else words) + [END]
        for index in range(len(words) + 1):
            yield tuple(padded[index:index + order - 1]), padded[index + order - 1]  # part: contexts.tuples
            grams += 1
            if grams == next_at:
                recorder.tick(grams)
                next_at = recorder.next_at
    counts.update(sentences=lines, tokens=tokens, grams_added=grams)


def train(peer, table, options, recorder, counts):
    words_of = getattr(peer, "words_of", None)
    peer.train(table, training_grams(options.corpus_path, options.byte_limit, options.order, recorder, counts,
                                     words_of and (lambda words: words_of(table, words))))


def windows(words, order):
    """The sentence's n-grams as (context tuple, last word)."""
    padded = [START] * (order - 1) + words + [END]
    for index in range(len(words) + 1):
        yield tuple(padded[index:index + order - 1]), padded[index + order - 1]


# ---- memory probes ----------------------------------------------------------------

def proc_status():
    """VmRSS, VmHWM from /proc/self/status and Anonymous from smaps_rollup, in bytes."""
    figures = {}
    with open("/proc/self/status", "rb") as status:
        for line in status:
            if line.startswith((b"VmRSS:", b"VmHWM:")):
                figures[line[:5].decode()] = int(line.split()[1]) * 1024
    anonymous = None
    try:
        with open("/proc/self/smaps_rollup", "rb") as rollup:
            for line in rollup:
                if line.startswith(b"Anonymous:"):
                    anonymous = int(line.split()[1]) * 1024
    except OSError:
        pass
    return figures.get("VmRSS"), anonymous, figures.get("VmHWM")


def reset_peak():
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
        return True
    except OSError:
        return False


class Recorder:
    """Phase ends and timeline samples of one pass; sampling: tick at all; parts (a PartLines, in the
    traced pass only): read tracemalloc, and split each phase end's traced bytes by part."""

    def __init__(self, parts=None, sampling=True):
        self.traced, self.parts = parts is not None, parts
        self.phases, self.timeline = {}, []
        self.started = self.phase_started = time.monotonic()
        # A gram count is never 0 when a peer's train compares it with next_at.
        self.stride, self.next_at, self.train_first = 1, 1 if sampling else 0, 0

    def sample(self):
        rss, anonymous, hwm = proc_status()
        allocated = tracemalloc.get_traced_memory()[0] if self.traced else None
        return {"allocated": allocated, "rss": rss, "rss_anon": anonymous, "hwm": hwm}

    def phase_begin(self):
        reset_peak()
        self.phase_started = time.monotonic()

    def phase_end(self, name, grams):
        now = time.monotonic()
        memory = self.sample()
        if self.traced:
            memory["parts"] = self.parts.split_traced()
            memory["allocated"] = sum(memory["parts"].values())  # the snapshot's total: the parts' sum
        if name == "baseline":
            self.started = now
        self.phases[name] = dict(memory, seconds=now - self.phase_started)
        self.timeline.append({"phase": name, "end": True, "grams": grams, "seconds": now - self.started,
                              "allocated": memory["allocated"], "rss": memory["rss"]})
        self.train_first = len(self.timeline)

    def tick(self, grams):
        """A training sample at every stride grams; the stride doubles as run.c's does."""
        memory = self.sample()
        self.timeline.append({"phase": "train", "end": False, "grams": grams,
                              "seconds": time.monotonic() - self.started,
                              "allocated": memory["allocated"], "rss": memory["rss"]})
        if len(self.timeline) - self.train_first == 2 * TRAIN_POINTS:
            self.timeline[self.train_first:] = self.timeline[self.train_first + 1::2]
            self.stride *= 2
        self.next_at = grams + self.stride


# ---- parts: the traced bytes by the line of the peer that allocated them ------------------

PART_MARKER = re.compile(r"\s#\s*part:\s*(\S+)\s*$")  # `# part: NAME` ending a line
PART_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\Z")  # mg_name_valid's rule
OTHER_PART = "other"
SIZE, TRACEBACK = itemgetter(1), itemgetter(2)  # of a trace (domain, size, traceback, frames)


class PartLines:
    """The parts of a peer: the lines of its files (its script, and the modules of the peers' folder
    it runs: _peer_common.py, python_dict.py for python_interned) that end in a part marker, and
    the part names in the order they first appear, the script's first, after `other`."""

    def __init__(self, peer):
        folder = os.path.dirname(os.path.realpath(__file__))
        script = os.path.realpath(peer.__file__)
        modules = {os.path.realpath(module.__file__) for module in list(sys.modules.values())
                   if getattr(module, "__file__", None)}
        files = [script] + sorted(path for path in modules if os.path.dirname(path) == folder and path != script)
        self.part_at, self.names, self.real_paths = {}, [OTHER_PART], {}
        for path in files:
            with open(path, encoding="utf-8") as source:
                for number, line in enumerate(source, 1):
                    marker = PART_MARKER.search(line)
                    if marker:
                        self.add(path, number, marker.group(1))

    def add(self, path, number, name):
        if not PART_NAME.match(name) or name == OTHER_PART:
            fail(f"{path}:{number}: part '{name}' is not a part name (1-64 of letters, digits, '_-.', "
                 f"starting with a letter or digit; not '{OTHER_PART}')")
        self.part_at[(path, number)] = name
        if name not in self.names:
            self.names.append(name)

    def part_of(self, filename, number):
        path = self.real_paths.get(filename)
        if path is None:
            path = self.real_paths[filename] = os.path.realpath(filename)
        return self.part_at.get((path, number), OTHER_PART)

    def split_traced(self):
        """The traced bytes live now, by part (`other` first): each live block's bytes under the part of
        the line that allocated it (its traceback's most recent frame: statistics("lineno")'s grouping),
        the rest under `other`. The traces are tracemalloc's own tuples (domain, size, traceback, ...),
        whose tracebacks are shared tuples: sorted by traceback, each run's sizes are summed in C.
        statistics() makes a Trace object per block, and a dict of running sums a traced int per
        block: each 20 times slower. A snapshot copies every trace, so it is taken at phase ends only."""
        traces = sorted(_tracemalloc._get_traces(), key=TRACEBACK)
        parts = dict.fromkeys(self.names, 0)
        for traceback, group in groupby(traces, key=TRACEBACK):
            filename, number = traceback[0] if traceback else ("<unknown>", 0)
            parts[self.part_of(filename, number)] += sum(map(SIZE, group))
        return parts


# ---- the measured passes -------------------------------------------------------------

# The allocators' own release calls (mimalloc, tcmalloc, glibc), with their arguments.
RELEASE_CALLS = (("mi_collect", (True,)), ("MallocExtension_ReleaseFreeMemory", ()), ("malloc_trim", (0,)))


def purge():
    """gc, then the first release call the process has (glibc's malloc_trim is always there)."""
    gc.collect()
    process = ctypes.CDLL(None)
    for name, arguments in RELEASE_CALLS:
        release = getattr(process, name, None)
        if release is not None:
            release(*arguments)
            return


def measured_pass(peer, options, traced):
    """One training from baseline to destroy; returns the recorder, counts and the table's sizes."""
    parts = PartLines(peer) if traced else None
    if traced:
        tracemalloc.start()
    recorder, counts, table = Recorder(parts), {}, None
    gc.collect()
    recorder.phase_end("baseline", 0)
    recorder.phase_begin()
    table = peer.new_table()
    train(peer, table, options, recorder, counts)
    grams = counts["grams_added"]
    recorder.phase_end("train", grams)
    recorder.phase_begin()
    recorder.phase_end("finalize", grams)  # a Python table is final as trained
    counts["ngrams"] = peer.ngrams(table)
    counts["contexts"] = peer.contexts(table)
    counts["checksum"] = None if traced else checksum(peer, table)
    speed, queries, vocab = ({}, {}, None) if traced else time_queries(peer, table, options)
    recorder.phase_begin()
    peer.prune(table, 2)
    recorder.phase_end("prune", grams)
    counts["ngrams_after_prune"] = peer.ngrams(table)
    recorder.phase_begin()
    purge()
    recorder.phase_end("purge", grams)
    recorder.phase_begin()
    del table
    gc.collect()
    recorder.phase_end("destroy", grams)
    if traced:
        tracemalloc.stop()
    return recorder, counts, speed, queries, vocab


# ---- the checksum: run.c's mg_table_checksum ------------------------------------------

def token_record(token):
    """A token as the checksum hashes it: a tag byte (0 start, 1 end, 2 word), and for a word its
    length as uint32 little-endian and its bytes."""
    if isinstance(token, bytes):
        return b"\x02" + len(token).to_bytes(4, "little") + token
    return bytes((token,))


def checksum(peer, table):
    """The sum mod 2^64 of the XXH3-64 digests of every n-gram's tokens and count (uint64
    little-endian), as 16 lowercase hex digits: a sum, so the order of grams() does not matter."""
    digest, total = xxhash.xxh3_64_intdigest, 0
    for context, word, number in peer.grams(table):
        total += digest(b"".join(map(token_record, context)) + token_record(word) + number.to_bytes(8, "little"))
    return f"{total & MASK64:016x}"


# ---- generation: the rule of harness/measure/generate.h -------------------------------

def mix64(value):
    """splitmix64's mix (core/random.h's mg_mix64) on uint64 values."""
    value = (value + 0x9E3779B97F4A7C15) & MASK64
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & MASK64
    return value ^ (value >> 31)


def draw_successor(peer, table, context, draw):
    """The key of context's successor that draw picks, or None when it has none: the first
    candidate in canonical order (mg_token_compare: the end marker, then the words by unsigned
    bytes, a prefix first, as bytes compare) whose cumulative count exceeds (draw * total) >> 64;
    the start marker and zero counts are never candidates."""
    found = peer.choices(table, context)
    if not found:
        return None
    keys, numbers = found
    word_of_key = getattr(peer, "word_of_key", None)
    words = [word_of_key(table, key) for key in keys] if word_of_key else keys
    # distinct words: the sort never compares past the word
    candidates = sorted([(word, number, key) for word, number, key in zip(words, numbers, keys)
                         if number > 0 and isinstance(word, bytes)])
    try:
        end_at = words.index(END)
        end_key, end_count = keys[end_at], max(numbers[end_at], 0)
    except ValueError:
        end_key, end_count = None, 0
    total = end_count + sum(map(itemgetter(1), candidates))
    if not total:
        return None
    below = (draw * total) >> 64
    if below < end_count:
        return end_key
    cumulative = end_count
    for _, number, key in candidates:
        cumulative += number
        if cumulative > below:
            return key
    return None  # unreachable: below < total


def sentence_keys(peer, table, order, seed, sentence):
    """The keys (as the table keeps words) of sentence number `sentence` of the seed."""
    context = (START,) * (order - 1)
    for position in range(SENTENCE_WORDS_MAX):
        draw = mix64(seed ^ mix64((sentence * 0x100000001B3 + position) & MASK64))
        key = draw_successor(peer, table, context, draw)
        if key is None or key == END:
            return
        yield key
        if order > 1:
            context = context[1:] + (key,)


# ---- timed queries (between finalize and prune, as in run.c) -----------------------

def sample_queries(options):
    """Evenly spaced grams of the corpus (the stride doubling as the timeline's), and the vocabulary."""
    hits, vocab, stride, seen = [], set(), 1, 0
    for words in sentences(options.corpus_path, options.byte_limit):
        vocab.update(words)
        for gram in windows(words, options.order):
            seen += 1
            if seen % stride == 0:
                hits.append(gram)
                if len(hits) == 2 * HIT_SAMPLES:
                    hits, stride = hits[1::2], stride * 2
    return hits, vocab


def make_misses(peer, table, vocab_words, order, rng):
    misses = []
    for _ in range(4 * HIT_SAMPLES):
        if len(misses) == HIT_SAMPLES or not vocab_words:
            break
        words = [rng.choice(vocab_words) for _ in range(order)]
        if order == 1:
            words[0] += b"\xff"
        context, word = tuple(words[:-1]), words[-1]
        if not peer.count(table, context, word):
            misses.append((context, word))
    return misses


def time_loop(calls, body):
    """Mean ns per call of body(i) for up to calls calls within the budget."""
    done, started, elapsed = 0, time.perf_counter(), 0.0
    while done < calls and elapsed < QUERY_BUDGET_SECONDS:
        for index in range(done, done + 1024):
            body(index)
        done += 1024
        elapsed = time.perf_counter() - started
    return elapsed * 1e9 / done if done else None


def generate_ns(peer, table, options):
    """Mean ns per draw of whole sentences by the rule (run.c's time_generation: the sentences
    0, 1, ... of the seed, each word and each sentence's end counted as one draw)."""
    draws, sentence, started, elapsed = 0, 0, time.perf_counter(), 0.0
    while draws < GENERATE_DRAWS and elapsed < QUERY_BUDGET_SECONDS:
        draws += sum(1 for _ in sentence_keys(peer, table, options.order, options.seed, sentence)) + 1
        sentence += 1
        elapsed = time.perf_counter() - started
    return elapsed * 1e9 / draws


def time_queries(peer, table, options):
    rng = random.Random(options.seed)
    hits, vocab = sample_queries(options)
    vocab_count, vocab_bytes = len(vocab), sum(len(word) for word in vocab)
    misses = make_misses(peer, table, sorted(vocab), options.order, rng)
    vocab = None
    speed = {"lookup_hit_ns": time_loop(LOOKUPS_PER_KIND, peer.lookup_body(table, hits)) if hits else None,
             "lookup_miss_ns": time_loop(LOOKUPS_PER_KIND, peer.lookup_body(table, misses)) if misses else None}
    contexts = [context for context, _ in hits]
    speed["successors_ns"] = time_loop(16384, peer.successors_body(table, contexts)) if contexts else None
    speed["generate_ns_per_token"] = generate_ns(peer, table, options)
    queries = {"hit_samples": len(hits), "miss_samples": len(misses), "lookups_per_kind": LOOKUPS_PER_KIND}
    return speed, queries, (vocab_count, vocab_bytes)


# ---- the run object ------------------------------------------------------------------

def delta_per_ngram(phases, layer, ngrams, at="finalize"):
    before, after = phases["baseline"][layer], phases[at][layer]
    if before is None or after is None or not ngrams:
        return None
    return (after - before) / ngrams


def ratio(numerator, denominator):
    return numerator / denominator if numerator is not None and denominator else None


def derived(phases, ngrams):
    allocated = delta_per_ngram(phases, "allocated", ngrams)
    rss = delta_per_ngram(phases, "rss", ngrams)
    peak = max(phases["train"]["hwm"] or 0, phases["finalize"]["hwm"] or 0)
    peak_per_ngram = (peak - phases["baseline"]["rss"]) / ngrams if peak and ngrams else None
    return {"bytes_per_ngram_requested": None, "bytes_per_ngram_allocated": allocated,
            "bytes_per_ngram_rss": rss, "peak_bytes_per_ngram_rss": peak_per_ngram,
            "peak_final_ratio": peak_per_ngram / rss if peak_per_ngram is not None and rss and rss > 0 else None,
            "fragmentation": ratio(rss, allocated), "allocator_frag_ratio": None,
            "allocator_rss_ratio": None, "rss_overhead_ratio": None, "allocated_requested_ratio": None,
            "estimated_bytes_per_ngram": None, **derived_parts(phases, ngrams)}


def derived_parts(phases, ngrams):
    """`allocated` per n-gram part by part at finalize, over baseline; no estimate per part, and no
    training peak part: tracemalloc keeps one peak for all its traces, none per line."""
    base, done = phases["baseline"]["parts"], phases["finalize"]["parts"]
    return {"bytes_per_ngram_by_part": {name: (done[name] - base[name]) / ngrams if ngrams else None for name in done},
            "estimated_bytes_per_ngram_by_part": dict.fromkeys(done),
            "training_peak_part": None, "training_peak_part_bytes": None}


def merge_passes(rss_pass, traced_pass):
    """Pass 1's phases and timeline with pass 2's traced bytes (same grams: same points)."""
    phases, timeline = [], []
    for name in PHASES:
        measured, traced = rss_pass.phases[name], traced_pass.phases[name]
        phases.append({"name": name, "seconds": measured["seconds"], "requested": None,
                       "allocated": traced["allocated"], "active": None, "resident": None,
                       "rss": measured["rss"], "rss_anon": measured["rss_anon"], "hwm": measured["hwm"],
                       "parts": traced["parts"]})
    traced_at = {(point["phase"], point["end"], point["grams"]): point["allocated"] for point in traced_pass.timeline}
    for point in rss_pass.timeline:
        allocated = traced_at.get((point["phase"], point["end"], point["grams"]))
        timeline.append(dict(point, requested=None, allocated=allocated))
    return phases, timeline


def allocator_version(name):
    process = ctypes.CDLL(None)
    try:
        if name == "jemalloc":
            version = ctypes.c_char_p()
            length = ctypes.c_size_t(ctypes.sizeof(version))
            if process.mallctl(b"version", ctypes.byref(version), ctypes.byref(length), None, 0) == 0:
                return version.value.decode()
            return "unknown"
        if name == "mimalloc":
            version = process.mi_version()  # 209 is 2.0.9
            return f"{version // 100}.{version % 100 // 10}.{version % 10}"
        if name == "tcmalloc":
            major, minor, patch = ctypes.c_int(), ctypes.c_int(), ctypes.c_char_p()
            process.tc_version(ctypes.byref(major), ctypes.byref(minor), ctypes.byref(patch))
            return f"{major.value}.{minor.value}{(patch.value or b'').decode()}"
    except AttributeError:
        return "unknown"
    return os.confstr("CS_GNU_LIBC_VERSION").split()[-1]


def environment(peer, options):
    config = {name: os.environ.get(name) for name in ("MALLOC_CONF", "GLIBC_TUNABLES", "LD_PRELOAD")}
    config.update({name: value for name, value in os.environ.items() if name.startswith(("MIMALLOC_", "TCMALLOC_"))})
    config["python_allocator"] = "pymalloc for blocks up to 512 bytes, malloc above"
    return {"peer": f"scripts/peers/{peer.NAME}.py", "python": platform.python_version(),
            "implementation": platform.python_implementation(),
            "kernel": " ".join(platform.uname()[i] for i in (0, 2, 4)), "cpus": os.cpu_count(),
            "peak_resettable": reset_peak(), "allocator_config": config}


def run_object(peer, options, measured, traced):
    recorder, counts, speed, queries, vocab = measured
    ngrams = counts["ngrams"]
    phases, timeline = merge_passes(recorder, traced[0])
    by_name = {phase["name"]: phase for phase in phases}
    train_seconds = by_name["train"]["seconds"]
    speed = dict(speed, train_ns_per_gram=train_seconds * 1e9 / counts["grams_added"] if counts["grams_added"] else None,
                 finalize_seconds=by_name["finalize"]["seconds"])
    speed_order = ("train_ns_per_gram", "finalize_seconds", "lookup_hit_ns", "lookup_miss_ns",
                   "successors_ns", "generate_ns_per_token")
    return {
        "schema": SCHEMA, "status": "ok", "backend": peer.NAME, "corpus": options.corpus,
        "fraction": options.fraction, "order": options.order, "allocator": options.allocator,
        "measured_process": MEASURED_PROCESS,
        "allocator_version": allocator_version(options.allocator.split(":")[0]), "seed": options.seed,
        "corpus_bytes": min(os.path.getsize(options.corpus_path), options.byte_limit),
        "sentences": counts["sentences"], "tokens": counts["tokens"], "vocab": vocab[0] if vocab else None,
        "grams_added": counts["grams_added"], "ngrams": ngrams, "contexts": counts["contexts"],
        "ngrams_after_prune": counts["ngrams_after_prune"], "checksum": counts["checksum"],
        "phases": phases, "timeline": timeline,
        "speed": {name: speed.get(name) for name in speed_order},
        "derived": derived(by_name, ngrams), "queries": queries, "env": environment(peer, options),
    }


# ---- `--dump`: the lines of `memgrams dump` ----------------------------------------------

MARKER_TEXT = {START: b"<s>", END: b"</s>"}


def token_text(word):
    return MARKER_TEXT[word] if isinstance(word, int) else word


def dump(peer, options):
    """Trains and writes every n-gram as dump.c does: tokens joined by a space, a tab, the count;
    the lines in unsigned byte order, a prefix first (bytes compare so)."""
    table, counts = peer.new_table(), {}
    train(peer, table, options, Recorder(sampling=False), counts)
    lines = sorted(b" ".join(token_text(token) for token in context + (word,)) + b"\t%d" % count
                   for context, word, count in peer.grams(table))
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # a reader gone ends the dump as it ends `memgrams dump`
    try:
        for line in lines:
            sys.stdout.buffer.write(line + b"\n")
        sys.stdout.buffer.flush()
    except OSError as error:
        fail(f"cannot write the dump: {error.strerror}", 1)
    return 0


def generate(peer, options):
    """Trains and writes options.sentences sentences as `memgrams generate` does (generate.h's
    rule): each one's words joined by a space and ended by a newline, the words' own bytes."""
    table, counts = peer.new_table(), {}
    train(peer, table, options, Recorder(sampling=False), counts)
    word_of_key = getattr(peer, "word_of_key", lambda _, key: key)
    output = sys.stdout.buffer
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # a reader gone ends it as it ends `memgrams generate`
    try:
        for sentence in range(options.sentences):
            keys = sentence_keys(peer, table, options.order, options.seed, sentence)
            output.write(b" ".join(word_of_key(table, key) for key in keys) + b"\n")
        output.flush()
    except OSError as error:
        fail(f"cannot write the sentences: {error.strerror}", 1)
    return 0


# ---- the allocator, as `memgrams run` places it ------------------------------------------

# The allocators put in place by LD_PRELOAD: the Debian package, the prefix of their option variables.
PRELOADED = {"jemalloc": ("libjemalloc2", None), "mimalloc": ("libmimalloc2.0", "MIMALLOC_"),
             "tcmalloc": ("libtcmalloc-minimal4", "TCMALLOC_")}


def place_allocator(options):
    """Re-executes under the cell's allocator (LD_PRELOAD of its library, or none for glibc)."""
    name, _, settings = options.allocator.partition(":")
    if name != "glibc" and name not in PRELOADED:
        fail(f"unknown allocator '{name}' (valid: jemalloc, glibc, mimalloc, tcmalloc)")
    # The pid, which exec keeps, marks this process's own re-execution: a marker
    # inherited from another process never passes for it.
    marker = f"{os.getpid()} {options.allocator}"
    if os.environ.get("MEMGRAMS_ALLOCATOR") == marker:
        return
    preload = [entry for entry in os.environ.get("LD_PRELOAD", "").replace(" ", ":").split(":")
               if entry and not any(other in os.path.basename(entry) for other in PRELOADED)]
    environment = dict(os.environ, MEMGRAMS_ALLOCATOR=marker)
    if name in PRELOADED:
        package, prefix = PRELOADED[name]
        if not os.access(options.allocator_library, os.R_OK):
            fail(f"allocator {name}: {options.allocator_library} not found (install {package})")
        preload.insert(0, options.allocator_library)
        if settings and prefix:
            environment.update((prefix + key.upper(), value) for key, _, value in
                               (item.partition("=") for item in settings.split(",")))
        elif settings:
            environment["MALLOC_CONF"] = settings.replace("=", ":")
    elif settings:
        environment["GLIBC_TUNABLES"] = ":".join("glibc.malloc." + item for item in settings.split(","))
    environment["LD_PRELOAD"] = ":".join(preload)
    os.execve(sys.executable, [sys.executable] + sys.argv, environment)


PROGRAM = ["peer"]  # the peer's name, for messages


def fail(message, status=2):
    print(f"{PROGRAM[0]}: {message}", file=sys.stderr)
    sys.exit(status)


def parse_options(description):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--corpus", required=True, help="the corpus spec, as recorded")
    parser.add_argument("--corpus-path", required=True, help="the text file the spec names")
    parser.add_argument("--byte-limit", type=int, default=-1, help="read lines beginning before this byte (-1: all)")
    parser.add_argument("--fraction", type=float, default=1.0)
    parser.add_argument("--order", type=int, default=3)
    parser.add_argument("--allocator", default="jemalloc")
    parser.add_argument("--seed", type=int, default=1, help="the timed queries' and --generate's seed, 0..2^64-1")
    parser.add_argument("--allocator-library", default="/usr/lib/x86_64-linux-gnu/libjemalloc.so.2",
                        help="the file LD_PRELOAD names for the allocator (memgrams sweep passes it)")
    parser.add_argument("--dump", action="store_true",
                        help="print every n-gram with its count as `memgrams dump` does, and measure nothing")
    parser.add_argument("--generate", action="store_true",
                        help="print --sentences sentences as `memgrams generate` does, and measure nothing")
    parser.add_argument("--sentences", type=int, default=10, help="--generate's number of sentences")
    options = parser.parse_args()
    if not 1 <= options.order <= 5:
        fail(f"order {options.order} is outside 1..5")
    for name in ("seed", "sentences"):
        if not 0 <= getattr(options, name) <= MASK64:
            fail(f"{name} {getattr(options, name)} is outside 0..2^64-1")
    if options.byte_limit < 0:
        options.byte_limit = sys.maxsize
    if not os.path.isfile(options.corpus_path) or not os.access(options.corpus_path, os.R_OK):
        fail(f"corpus '{options.corpus_path}' is not a readable file")
    return options


def main(peer):
    PROGRAM[0] = peer.NAME
    if sys.argv[1:] == ["--describe"]:  # `memgrams list`: the peer's one line, nothing measured
        print(peer.DESCRIPTION)
        return 0
    options = parse_options(peer.DESCRIPTION)
    if options.dump:
        return dump(peer, options)
    if options.generate:
        return generate(peer, options)
    if xxhash is None:
        fail("python3-xxhash is not installed: the run's checksum needs it (scripts/install-deps installs it)")
    place_allocator(options)
    try:
        measured = measured_pass(peer, options, traced=False)
        traced = measured_pass(peer, options, traced=True)
    except MemoryError:
        print(json.dumps({"schema": SCHEMA, "status": "oom", "backend": peer.NAME, "corpus": options.corpus,
                          "fraction": options.fraction, "order": options.order, "allocator": options.allocator,
                          "measured_process": MEASURED_PROCESS, "message": "MemoryError while training"}))
        return 1
    print(json.dumps(run_object(peer, options, measured, traced), separators=(",", ":")))
    return 0
