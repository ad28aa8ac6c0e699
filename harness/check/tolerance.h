/*
 * tolerance.h — how far a figure of `memgrams check` may move before it
 * fails: the defaults, and --tolerance SPEC parsed over them.
 */
#ifndef MG_TOLERANCE_H
#define MG_TOLERANCE_H

#include <stddef.h>

/* Memory figures with a tolerance of their own. */
enum mg_check_layer { MG_CHECK_REQUESTED, MG_CHECK_ALLOCATED, MG_CHECK_ACTIVE, MG_CHECK_RESIDENT,
                      MG_CHECK_RSS, MG_CHECK_PEAK, MG_CHECK_LAYERS };
/* Their names in SPEC: requested, allocated, active, resident, rss, peak. */
extern const char *const mg_check_layer_names[MG_CHECK_LAYERS];

/* Allowed change either way: percent of the baseline figure plus bytes. */
typedef struct mg_tolerance {
    double percent, bytes;
    int off; /* not judged */
} mg_tolerance;

typedef struct mg_check_tolerances {
    mg_tolerance memory[MG_CHECK_LAYERS];
    double speed_percent; /* smallest change of the median that can fail */
    int speed_off;
    double alpha;         /* significance level of the one-sided speed tests */
} mg_check_tolerances;

/* requested=0.5%, allocated=1%, active/rss/peak=5%+256KiB, resident=off (5%+256KiB
 * when switched on without an amount of its own), speed=10%, alpha=0.001 */
void mg_check_default_tolerances(mg_check_tolerances *tolerances);

/* Applies SPEC, a comma list of FIGURE=AMOUNT, over what tolerances holds.
 * FIGURE: requested, allocated, active, resident, rss, peak, memory (all six),
 * speed, alpha. AMOUNT: off, or terms joined by '+', each N% or N with a unit
 * (B, KiB, MiB, GiB); speed takes N% or off; alpha a number in (0, 0.5].
 * 0, or -1 with a one-line message. */
int mg_check_parse_tolerances(const char *spec, mg_check_tolerances *tolerances, char *error, size_t error_size);

#endif
