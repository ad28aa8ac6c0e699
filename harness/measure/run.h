/*
 * run.h — one measured run in this process.
 *
 * Phases (docs/measurement.md): baseline -> train -> finalize -> (queries, timed
 * only) -> prune -> purge -> destroy; each is timed and sampled at its end
 * with every memory layer, the peak RSS of the phase included. Every buffer
 * the harness needs is made and touched before the baseline, so the
 * harness allocates nothing on the heap until the destroy phase is sampled
 * and every change from baseline is the backend's (or its allocator's).
 */
#ifndef MG_RUN_H
#define MG_RUN_H

#include "backend.h"
#include "corpus.h"
#include "mem.h"
#include "probe.h"
#include "timeline.h"
#include "tokenize.h"

#include <math.h>
#include <stdint.h>

enum mg_phase { MG_PHASE_BASELINE, MG_PHASE_TRAIN, MG_PHASE_FINALIZE, MG_PHASE_PRUNE,
                MG_PHASE_PURGE, MG_PHASE_DESTROY, MG_PHASE_COUNT };

extern const char *const mg_phase_names[MG_PHASE_COUNT];

#define MG_PRUNE_MIN_COUNT 2 /* the prune phase drops grams seen once */

typedef struct mg_run_options {
    const mg_backend *backend;
    const char *corpus_spec;
    mg_corpus corpus;  /* resolved spec */
    double fraction;
    int order;
    uint64_t seed;
    int repeat;        /* rounds of the timed queries (0 or 1: one); at most MG_REPEAT_MAX */
    const char *settings; /* the backend's settings in normal form (settings.h); NULL or "": none */
} mg_run_options;

/* A figure a wrapped library keeps about its own memory (backend.h's
 * library_figures), as read at a phase end. */
#define MG_LIBRARY_FIGURES_MAX 16 /* kept per phase; a library's further figures are dropped */
typedef struct mg_library_figure {
    char name[48];
    uint64_t value;
    int is_ratio;  /* the figure is ratio (a server's own ratios), not value */
    double ratio;
} mg_library_figure;

typedef struct mg_phase_result {
    double seconds;
    mg_memory_sample memory;
    /* mem.h's requested bytes by tag at the phase end (they sum to memory.requested) and the
     * most each held during the phase: [MG_PART_OTHER], then the backend's parts by tag. */
    uint64_t part_bytes[MG_PARTS_MAX], part_bytes_peak[MG_PARTS_MAX];
    int library_count; /* figures read at the phase end: 0 without a table or a library */
    mg_library_figure library[MG_LIBRARY_FIGURES_MAX];
} mg_phase_result;

/* Speeds; NAN where not measured (JSON null). */
/* lookup_*_ns: one count() at a time (latency); lookup_*_batch_ns: per
 * gram, through count_many over MG_LOOKUP_BATCH grams at a time (throughput). */
typedef struct mg_speed {
    double train_ns_per_gram, finalize_seconds, lookup_hit_ns, lookup_miss_ns,
        successors_ns, generate_ns_per_token, lookup_hit_batch_ns, lookup_miss_batch_ns;
    double successors_ns_per_successor; /* the successors sections' time over the successors visited */
} mg_speed;

#define MG_LOOKUP_BATCH 64 /* grams per count_many call of the batched lookups */

/* What the timed successors() calls visited: counts summed (so the walk is
 * not optimized away), successors visited, and the seconds they took. */
typedef struct mg_successor_tally {
    uint64_t counts, visited;
    double seconds;
} mg_successor_tally;

/* ns per successor visited; NAN when none was. */
static inline double mg_successor_tally_ns(const mg_successor_tally *tally)
{
    return tally->visited ? tally->seconds * 1e9 / (double)tally->visited : NAN;
}

/* `run --repeat R`: the timed query sections run in R interleaved rounds,
 * each with 1/R of the calls, and every round's figure is kept; mg_speed then
 * holds their medians. Training is timed once per run. */
#define MG_REPEAT_MAX 64
enum mg_sampled_speed { MG_SAMPLED_LOOKUP_HIT, MG_SAMPLED_LOOKUP_MISS, MG_SAMPLED_SUCCESSORS,
                        MG_SAMPLED_GENERATE, MG_SAMPLED_LOOKUP_HIT_BATCH, MG_SAMPLED_LOOKUP_MISS_BATCH,
                        MG_SAMPLED_COUNT };
extern const char *const mg_sampled_speed_names[MG_SAMPLED_COUNT]; /* as in the speed object */

typedef struct mg_speed_samples {
    int rounds;
    double values[MG_SAMPLED_COUNT][MG_REPEAT_MAX]; /* ns per call; NAN where not measured */
} mg_speed_samples;

typedef struct mg_run_result {
    const char *status;     /* "ok", "oom", "error" */
    char message[256];      /* why, when not ok */
    int input_error;        /* the corpus could not be read through: not a measurement */
    mg_phase_result phases[MG_PHASE_COUNT];
    int phases_done;        /* phases sampled */
    uint64_t corpus_bytes, sentences, tokens, vocab, vocab_bytes, grams_added;
    uint64_t ngrams, contexts, ngrams_after_prune, pruned;
    uint64_t checksum;
    uint64_t hit_samples, miss_samples, lookups_per_kind;
    mg_speed speed;
    mg_speed_samples speed_samples;
    double estimated_bytes_per_ngram;
    double estimated_part_bytes_per_ngram[MG_PARTS_MAX]; /* by tag ([MG_PART_OTHER] 0); NAN: no estimate */
    double dependent_load_ns; /* the machine's: one load of a pointer chase (load_chase.h); NAN if not measured */
    mg_timeline timeline;   /* memory over the run: training samples and phase ends */
} mg_run_result;

/* Runs the cell. Returns 0 (result->status says how it went: "oom" too when
 * even the harness's buffers could not be mapped) or -1 on an input error:
 * the corpus could not be opened or read through (message set). */
int mg_run(const mg_run_options *options, mg_probe *probe, mg_run_result *result);

/* ns of one dependent load on this machine: a pointer chase through 64 MiB
 * (load_chase.h) for ~50 ms of CPU, its buffer unmapped on return, so a run
 * takes it before its baseline and it shows in no phase. NAN if unmappable. */
double mg_dependent_load_ns(uint64_t seed);

/* Order-independent digest of a table's (gram, count) pairs: equal tables,
 * equal checksums, whatever the backend. Allocates nothing. */
uint64_t mg_table_checksum(mg_table *table);

/* Distinct words of the corpus slice and the sum of their lengths, read
 * again from the file (after a measurement): 0, or -1 when it could not be read. */
int mg_count_vocabulary(const mg_run_options *options, uint64_t *vocab, uint64_t *vocab_bytes);

/* Train a table on the reader's grams: MG_OK, MG_ERR_NOMEM (the table or the
 * reader ran out), or 1 on a read error. Used by the commands that do not
 * measure (dump, generate). */
int mg_train(mg_table *table, mg_reader *reader);

#endif
