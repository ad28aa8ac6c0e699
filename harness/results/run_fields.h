/*
 * run_fields.h — a run object's fields as report, check and sweep read
 * them. The writer (results.c) and this reader are the only places that
 * spell the names of the run JSON (memgrams.run/1; the cell's identity is
 * read by cell.h): a reader asks for a figure, never for a field name.
 *
 * Every accessor takes a run that mg_run_fault (results_file.h) accepted,
 * and says "unknown" the same way: NAN for a number, NULL for a text or an
 * object, where a field is null, absent or of another type (a file written
 * before the field existed).
 */
#ifndef MG_RUN_FIELDS_H
#define MG_RUN_FIELDS_H

#include <jansson.h>
#include <stdint.h>

/* ok, oom, crashed, killed, timeout or error. */
const char *mg_run_status(json_t *run);
/* Why a run that did not end ok ended so. */
const char *mg_run_message(json_t *run);
const char *mg_run_allocator_version(json_t *run);
/* The process whose memory the figures are (results.h: MG_PROCESS_*);
 * "memgrams" where the run does not say. */
const char *mg_run_measured_process(json_t *run);

/* The run's counts. */
double mg_run_tokens(json_t *run);
double mg_run_ngrams(json_t *run);

/* The pass of a sweep the run was (check pairs the runs of one pass); -1 when none. */
int64_t mg_run_pass(json_t *run);
/* The seed and repeat the run was asked for; 1, the default of a memgrams
 * that recorded neither, where the line has none. */
uint64_t mg_run_seed(json_t *run);
uint64_t mg_run_repeat(json_t *run);

/* The version of its memory layout the backend declared: 1 and *version
 * set, or 0 where the run has none (a peer, an older file). */
int mg_run_layout_version(json_t *run, int64_t *version);

/* A figure of the named phase's sample: a layer in bytes (requested ... rss,
 * rss_anon, rss_file, rss_shmem, hwm) or its "seconds". */
double mg_run_phase_figure(json_t *run, const char *phase, const char *figure);
/* A layer's growth in bytes from the baseline to the end of finalize. */
double mg_run_layer_growth(json_t *run, const char *layer);
/* The figures a wrapped library reported about itself at the end of phase
 * (an object of name: number, borrowed from run), or NULL where there are
 * none: a backend wrapping no library, a phase without a table, a file
 * written before the field existed. */
json_t *mg_run_library(json_t *run, const char *phase);

/* One part of the table the backend named (docs/parts.md): its bytes, as the run measured them
 * through mem.h's tagged calls, and the backend's own estimate. */
typedef struct mg_run_part {
    const char *name;     /* borrowed from the run */
    double bytes;         /* held at the end of finalize, over baseline */
    double per_ngram;     /* the same per distinct n-gram (derived.bytes_per_ngram_by_part) */
    double estimate;      /* the backend's formula per n-gram; NAN where it gives none */
    double training_peak; /* the most it held during training, over baseline */
} mg_run_part;

/* More parts than a backend can name (mem.h: MG_PARTS_MAX) and a peer's lines of its script fit. */
#define MG_RUN_PARTS_MAX 64

/* The run's parts in the order the run names them ("other" first), at most room of them;
 * returns how many it filled: 0 where the run has none (a peer that cannot tell, an older file). */
size_t mg_run_parts(json_t *run, mg_run_part *parts, size_t room);
/* The part that held the most during training (derived.training_peak_part), or NULL; its bytes
 * are mg_run_derived(run, "training_peak_part_bytes"). */
const char *mg_run_training_peak_part(json_t *run);

/* section.field of a run object as a number (sections: speed, derived). */
double mg_run_figure(json_t *run, const char *section, const char *field);
/* A speed figure: the median of the run's rounds (train_ns_per_gram, lookup_hit_ns, ...). */
double mg_run_speed(json_t *run, const char *name);
/* A derived figure: per n-gram and ratios (fragmentation, peak_bytes_per_ngram_rss, ...). */
double mg_run_derived(json_t *run, const char *name);
/* Every round's value of a sampled speed (an array, borrowed), or NULL
 * where the run kept none. */
json_t *mg_run_speed_samples(json_t *run, const char *name);

/* One point of the run's timeline: a training sample or a phase's end. */
typedef struct mg_run_point {
    const char *phase; /* "?" where unnamed */
    int end;           /* the phase's end, not a sample within it */
    double grams, seconds, requested, allocated, rss;
} mg_run_point;

size_t mg_run_timeline_length(json_t *run);
/* The index-th point (index < mg_run_timeline_length). */
mg_run_point mg_run_timeline_point(json_t *run, size_t index);

/* ns of one dependent load (a pointer chase through 64 MiB) on the machine,
 * taken in the run's process before its baseline: the scale lookups are read
 * against (lookup_hit_ns / it ~ cache misses waited for in turn). */
double mg_run_dependent_load_ns(json_t *run);
/* A speed figure in ns over the run's dependent load: "hit/load". */
double mg_run_speed_in_loads(json_t *run, const char *name);

/* The machine and build a run was measured on, as far as check compares them. */
typedef struct mg_run_machine {
    const char *cpu, *compiler, *build; /* "" where unknown */
    const char *thp_enabled;            /* the transparent huge page mode; "" where unknown */
    json_t *cpus;                       /* borrowed; NULL where unknown */
} mg_run_machine;

mg_run_machine mg_run_machine_of(json_t *run);

/* The memgrams a run was measured by and the kernel it ran on, as a report shows them. */
typedef struct mg_run_origin {
    const char *version, *commit, *kernel; /* "" where unknown */
} mg_run_origin;

mg_run_origin mg_run_origin_of(json_t *run);

#endif
