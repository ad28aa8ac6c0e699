/* help_table.c — every command's help (help.h): the one place its text is written. */
#include "help.h"

#define COUNT(array) ((int)(sizeof array / sizeof array[0]))

/* ---- options several commands share ------------------------------------------- */

#define OPTION_BACKEND {"backend", "B", "the backend (memgrams list prints them), with its settings where it " \
                        "takes any (NAME:name=N[,name=N], each within its range: memgrams list); run, dump and generate also " \
                        "take redis, a private redis-server (redis:hash-max-listpack-entries=N,...: docs/redis.md), " \
                        "and dump and generate the Python peers (python_dict, python_interned, python_lists); " \
                        "required", NULL, \
                        MG_VALUES_BACKENDS, 0, NULL}
#define OPTION_CORPUS {"corpus", "SPEC", "the text to count: a file, a fetched corpus (fortunes, gcide) or " \
                       "synth:tokens=N[,seed=S]; required", NULL, MG_VALUES_CORPORA, 0, NULL}
#define OPTION_ORDER {"order", "N", "the n-gram order, 1..5", "3", MG_VALUES_NONE, 0, NULL}
#define OPTION_FRACTION {"fraction", "F", "read the lines that begin before byte F x size of the corpus: a " \
                         "decimal in (0, 1] or a ratio such as 1/8", "1", MG_VALUES_NONE, 0, NULL}
#define OPTION_SEED(what) {"seed", "S", what, "1", MG_VALUES_NONE, 0, NULL}

/* ---- the commands ----------------------------------------------------------------- */

static const mg_help_option run_options[] = {
    OPTION_BACKEND,
    OPTION_CORPUS,
    OPTION_ORDER,
    OPTION_FRACTION,
    {"allocator", "A", "the allocator the run is measured under (the run re-executes itself with it in "
     "LD_PRELOAD): jemalloc, glibc, mimalloc or tcmalloc, optionally with :KEY=VALUE,... options "
     "(docs/allocators.md)", "jemalloc", MG_VALUES_ALLOCATORS, 0, NULL},
    OPTION_SEED("the seed of the query set and of the generated sentences"),
    {"repeat", "R", "time the queries in R interleaved rounds, 1..64; the speeds are the rounds' medians", "1",
     MG_VALUES_NONE, 0, NULL},
    {"parts", NULL, "after the run, print the table of its parts on stderr (stdout keeps the run's JSON line): "
     "each part's bytes at finalize, per n-gram, the backend's estimate and their ratio, its peak in training "
     "(docs/parts.md); not with --output", NULL, MG_VALUES_NONE, 0, NULL},
    {"output", "FILE", "run the measurement in a child process, judge how it ended as a sweep does, and write its "
     "line whole to FILE (- for stdout)", "none: measured in this process", MG_VALUES_FILE, 0, NULL},
    {"timeout", "S", "with --output: seconds before the child is killed and recorded as a timeout", "900",
     MG_VALUES_NONE, 0, NULL},
    {"pass", "P", "with --output: which run of the cell this is, recorded as \"pass\"", "1", MG_VALUES_NONE, 0,
     NULL},
};

static const mg_help_option dump_options[] = {OPTION_BACKEND, OPTION_CORPUS, OPTION_ORDER, OPTION_FRACTION};

static const mg_help_option generate_options[] = {
    OPTION_BACKEND,
    OPTION_CORPUS,
    OPTION_ORDER,
    OPTION_FRACTION,
    OPTION_SEED("the seed of the sentences: the same seed gives the same sentences on every backend"),
    {"sentences", "K", "how many sentences to print", "10", MG_VALUES_NONE, 0, NULL},
};

static const mg_help_option sweep_options[] = {
    {"backends", "L", "comma list of backends (memgrams list), peers (python_dict, python_interned, python_lists) and "
     "redis, each measured alike; a backend with settings, NAME:name=N[,name=N] (its commas kept; memgrams list "
     "shows each backend's), and redis:hash-max-listpack-entries=N,hash-max-listpack-value=N (docs/redis.md) are "
     "cells of their own per settings, recorded as backend NAME with backend_settings; a setting at its default "
     "is left out, so NAME and NAME:name=DEFAULT are one cell",
     "every registered backend", MG_VALUES_BACKENDS, 1, NULL},
    {"corpora", "L", "comma list of corpus specs; a synth: spec keeps its own commas", "fortunes",
     MG_VALUES_CORPORA, 1, NULL},
    {"fractions", "L", "comma list of fractions", "1", MG_VALUES_NONE, 1, NULL},
    {"orders", "L", "comma list of orders, 1..5", "3", MG_VALUES_NONE, 1, NULL},
    {"allocators", "L", "comma list of allocators, each optionally with :KEY=VALUE options", "jemalloc",
     MG_VALUES_ALLOCATORS, 1, NULL},
    {"out", "DIR", "the folder of results.jsonl", "results/runs/YYYYMMDD-HHMMSS", MG_VALUES_FILE, 0, NULL},
    {"resume", NULL, "with --out: measure again only the runs of the folder that did not end ok or oom", NULL,
     MG_VALUES_NONE, 0, NULL},
    {"plan", NULL, "print every run's command line, quoted for sh, instead of running it; with --out each "
     "line judges its run into DIR/cells/ (docs/parallel.md)", NULL, MG_VALUES_NONE, 0, NULL},
    {"timeout", "S", "seconds a run may take before it is killed and recorded as a timeout", "900",
     MG_VALUES_NONE, 0, NULL},
    OPTION_SEED("the runs' seed"),
    {"repeat", "R", "each run times its queries in R rounds, 1..64", "1", MG_VALUES_NONE, 0, NULL},
    {"processes", "K", "measure every cell in K separate runs, one pass of the matrix after another, 1..64", "1",
     MG_VALUES_NONE, 0, NULL},
    {"against", "EXE", "also run every cell with EXE, another memgrams build, back to back, into "
     "DIR/against.jsonl", "none", MG_VALUES_FILE, 0, NULL},
};

static const mg_help_option check_options[] = {
    {"baseline", "FILE", "the baseline: a results file or a sweep's folder; required", NULL, MG_VALUES_FILE, 0,
     NULL},
    {"results", "FILE", "the runs judged: a results file or a sweep's folder; required", NULL, MG_VALUES_FILE, 0,
     NULL},
    {"tolerance", "SPEC", "comma list of FIGURE=AMOUNT over the defaults; FIGURE: requested, allocated, active, "
     "resident, rss, peak, memory (all six), speed, alpha; AMOUNT: off, or terms such as 5%+256KiB",
     "requested=0.5%,allocated=1%,active=5%+256KiB,rss=5%+256KiB,peak=5%+256KiB,resident=off,speed=10%,"
     "alpha=0.001", MG_VALUES_NONE, 0, NULL},
    {"speed", "WHEN", "judge speed: auto (only when both files come from the same CPU, compiler and build type), "
     "on or off", "auto", MG_VALUES_WORDS, 0, "auto on off"},
    {"junit", "FILE", "also write the judgement as a JUnit XML report to FILE", "none", MG_VALUES_FILE, 0, NULL},
    {"verbose", NULL, "print every cell's figure table, the figures not judged too (by default only the cells "
     "that regressed or improved have theirs)", NULL, MG_VALUES_NONE, 0, NULL},
};

static const mg_help_option corpus_options[] = {
    OPTION_FRACTION,
    {"orders", "L", "stats: comma list of the orders whose distinct n-grams are counted", "1,2,3,4,5",
     MG_VALUES_NONE, 1, NULL},
    {"json", NULL, "stats: print one JSON line instead of the text table", NULL, MG_VALUES_NONE, 0, NULL},
};

static const mg_help_option floor_options[] = {OPTION_ORDER, OPTION_FRACTION};

static const mg_help_option help_options[] = {
    {"man", NULL, "print the man page in roff instead (the build makes the installed pages with it)", NULL,
     MG_VALUES_NONE, 0, NULL},
    {"bash-completion", NULL, "print the bash completion script (installed by the build)", NULL, MG_VALUES_NONE, 0,
     NULL},
};

#define OPTIONS(array) array, COUNT(array)

const mg_help_command mg_help_commands[] = {
    {"list", "the backends, the peers and redis", "list",
     "Prints every registered backend, one a line: its name and what it stores, and under it each setting it "
     "takes (--backend NAME:name=N): its name, range, default and what it sets. Then, after a blank line, the "
     "subjects measured outside the memgrams process, one a line with the process measured: each Python peer "
     "with its description (read by running python3 SCRIPT --describe) and redis with the settings it takes.",
     NULL, 0, "list"},
    {"run", "one measured run, one JSON line",
     "run --backend B --corpus SPEC [--order N] [--fraction F]\n"
     "    [--allocator A] [--seed S] [--repeat R]\n"
     "    [--output FILE|- [--timeout S] [--pass P]]",
     "Trains the backend's table on the corpus, finalizes, queries and prunes it, reading the memory layers "
     "at every phase, and prints one JSON object on one line (schema memgrams.run/1, docs/run-json.md). "
     "Exit 1 when the run did not end ok.",
     OPTIONS(run_options), "run --backend trie --corpus synth:tokens=200000 --order 3"},
    {"dump", "every n-gram and its count, sorted",
     "dump --backend B --corpus SPEC [--order N] [--fraction F]",
     "Prints every n-gram, markers as <s> and </s>, a tab and its count, in LC_ALL=C sort order: the same bytes "
     "for every backend, and for a peer (python_dict, python_interned, python_lists), whose script prints "
     "them. Not measured.",
     OPTIONS(dump_options), "dump --backend naive_hash --corpus notes.txt --order 2"},
    {"generate", "sentences sampled from the model",
     "generate --backend B --corpus SPEC [--order N] [--fraction F] [--seed S] [--sentences K]",
     "Trains the table, then prints K sentences drawn word by word by count, one a line; the same for every "
     "backend given the same seed, and for a peer (python_dict, python_interned, python_lists), whose script "
     "prints them. Not measured.",
     OPTIONS(generate_options), "generate --backend interned_hash --corpus fortunes --seed 7 --sentences 5"},
    {"sweep", "the matrix of runs, one child process each",
     "sweep [--backends L] [--corpora L] [--fractions L] [--orders L]\n"
     "    [--allocators L] [--out DIR] [--resume] [--plan] [--timeout S]\n"
     "    [--seed S] [--repeat R] [--processes K] [--against EXE]",
     "Runs every (backend, corpus, fraction, order, allocator) cell as a fresh memgrams run and appends its "
     "line to DIR/results.jsonl as it ends, so an interrupted sweep loses nothing. A run that crashes, runs "
     "out of memory or exceeds the timeout is recorded with that status and the sweep goes on. Progress goes "
     "to stderr: on a terminal one line drawn again, otherwise a line per run ended (the cell, its status and "
     "seconds, runs done of all, the time elapsed and left). Exit 1 when a line could not be stored.",
     OPTIONS(sweep_options),
     "sweep --backends trie,interned_hash --corpora synth:tokens=200000 --out mine"},
    {"report", "the summary table and the charts of a sweep", "report DIR",
     "Prints the summary table of DIR/results.jsonl and DIR/cells/*.jsonl (and of a make microbench folder) and "
     "writes DIR/summary.csv, DIR/summary.md and DIR/charts/ (SVG and PNG drawn by gnuplot). Reads "
     "DIR/floor.jsonl, lines of memgrams floor, when present.",
     NULL, 0, "report mine"},
    {"check", "regressions against a baseline",
     "check --baseline FILE --results FILE [--tolerance SPEC]\n"
     "    [--speed auto|on|off] [--junit FILE] [--verbose]",
     "Matches runs by (backend, corpus, fraction, order, allocator) and judges each memory figure against its "
     "tolerance and each speed by a one-sided Mann-Whitney U test. Prints one line per cell (its verdict and "
     "its worst change), the figures of a cell that regressed or improved, and the counts. Exit 1 when "
     "something regressed or a baseline cell is missing from the results.",
     OPTIONS(check_options), "check --baseline results/baseline.jsonl --results results/runs/mine"},
    {"corpus", "what a corpus spec holds",
     "corpus cat SPEC [--fraction F]\n"
     "corpus stats SPEC [--fraction F] [--orders L] [--json]",
     "cat prints the text the tokenizer reads; stats prints its sentences, tokens, vocabulary and distinct "
     "n-grams of each order.",
     OPTIONS(corpus_options), "corpus stats synth:tokens=100000 --orders 1,2,3"},
    {"floor", "the archival floor: xz -9e bytes per n-gram of the sorted table",
     "floor SPEC [--order N] [--fraction F]",
     "Compresses the sorted, delta-coded count table and its vocabulary with xz -9e and prints one JSON line "
     "(schema memgrams.floor/1) with bytes_per_ngram: nothing queryable is plausibly smaller.",
     OPTIONS(floor_options), "floor fortunes --order 3"},
    {"help", "this overview, or a command's usage", "help [COMMAND]\nCOMMAND --help",
     "Prints a command's usage, its options with their defaults, and an example; without a command, the "
     "overview of every command.",
     OPTIONS(help_options), "help sweep"},
};

const int mg_help_command_count = COUNT(mg_help_commands);

/* ---- what the commands share ------------------------------------------------------- */

const mg_help_note mg_help_notes[] = {
    {"corpus spec",
     "SPEC is a text file, a corpus name (fortunes, gcide) fetched by memgrams-fetch-corpus NAME (corpora/fetch "
     "NAME in the source tree), or synth:tokens=N[,seed=S], a synthetic text of exactly N tokens made while it "
     "is read."},
    {"allocators",
     "A is jemalloc (the default), glibc, mimalloc or tcmalloc, optionally with KEY=VALUE options that go to "
     "MALLOC_CONF, GLIBC_TUNABLES, MIMALLOC_<KEY> or TCMALLOC_<KEY>, e.g. jemalloc:dirty_decay_ms=0 or "
     "mimalloc:decommit_delay=0 (docs/allocators.md)."},
    {"environment",
     "MEMGRAMS_CORPORA: the folder of the fetched corpora (NAME.txt); by default corpora/cache of the source "
     "tree when memgrams runs from its build folder, else $XDG_CACHE_HOME/memgrams/corpora "
     "(~/.cache/memgrams/corpora).\n"
     "MEMGRAMS_DATA: the folder of the shipped files, scripts/ (the gnuplot scripts of report) and peers/ (sweep's "
     "peers); by default the installed share/memgrams, or the source tree when memgrams runs from its build "
     "folder.\n"
     "TMPDIR: where a finalized table's image file is made (else /var/tmp)."},
    {"exit status",
     "0 success; 1 a run failed, memory ran out, a regression was found or the output could not be written; "
     "2 a usage or input error, with one line on stderr naming what was wrong."},
};

const int mg_help_note_count = COUNT(mg_help_notes);
