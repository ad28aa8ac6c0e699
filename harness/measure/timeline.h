/*
 * timeline.h — memory over a run: requested, allocated and RSS sampled at
 * evenly spaced points of training and at every phase end.
 *
 * Training is sampled by grams added, but the gram total is known only after
 * reading, so the spacing doubles as the corpus goes on: a sample every
 * `stride` grams; when 2 x MG_TIMELINE_TRAIN_POINTS samples are held, every
 * other one is dropped and the stride doubled. Any run thus ends with between
 * MG_TIMELINE_TRAIN_POINTS and twice as many evenly spaced training points,
 * with no guess of the corpus size (a file's bytes are not its grams, and a
 * synthetic corpus has no file). The points live in the run's result, made
 * before the baseline: sampling allocates nothing.
 */
#ifndef MG_TIMELINE_H
#define MG_TIMELINE_H

#include "probe.h"

#include <stdint.h>

#define MG_TIMELINE_TRAIN_POINTS 64
#define MG_TIMELINE_PHASE_POINTS 8 /* room for every phase end */
#define MG_TIMELINE_CAPACITY (2 * MG_TIMELINE_TRAIN_POINTS + MG_TIMELINE_PHASE_POINTS)

typedef struct mg_timeline_point {
    int phase;          /* enum mg_phase the point belongs to */
    int phase_end;      /* 1: the phase's end sample; 0: a training sample */
    uint64_t grams;     /* grams added so far */
    double seconds;     /* since the baseline was sampled */
    uint64_t requested, allocated, rss; /* MG_UNKNOWN where unknown */
} mg_timeline_point;

typedef struct mg_timeline {
    mg_timeline_point points[MG_TIMELINE_CAPACITY];
    int count;
    int train_first;    /* index of the first training sample */
    uint64_t stride;    /* grams between training samples */
    uint64_t next_at;   /* grams count of the next training sample */
    double started;     /* monotonic seconds of the baseline sample */
} mg_timeline;

/* Empties the timeline; time counts from started (monotonic seconds). */
void mg_timeline_start(mg_timeline *timeline, double started);

/* Records a sample; phase_end as in mg_timeline_point. */
void mg_timeline_add(mg_timeline *timeline, int phase, int phase_end, uint64_t grams, double now,
                     const mg_memory_sample *memory);

/* During training, after each gram or chunk of a batch: samples when grams
 * reaches the next point (training adds a batch in chunks that end there, so
 * the samples stay evenly spaced). Inline because it runs once per chunk;
 * the sampling itself is out of line. */
void mg_timeline_sample_training(mg_timeline *timeline, int phase, uint64_t grams, const mg_probe *probe);
static inline void mg_timeline_tick(mg_timeline *timeline, int phase, uint64_t grams, const mg_probe *probe)
{
    if (grams >= timeline->next_at)
        mg_timeline_sample_training(timeline, phase, grams, probe);
}

/* Grams still to add, after grams, before the next training sample is due (>= 1 while training). */
static inline uint64_t mg_timeline_grams_to_sample(const mg_timeline *timeline, uint64_t grams)
{
    return timeline->next_at > grams ? timeline->next_at - grams : 1;
}

#endif
