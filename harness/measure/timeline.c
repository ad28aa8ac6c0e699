/* timeline.c — see timeline.h. */
#include "timeline.h"

#include <string.h>
#include <time.h>

static double monotonic_seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

void mg_timeline_start(mg_timeline *timeline, double started)
{
    timeline->count = timeline->train_first = 0;
    timeline->stride = timeline->next_at = 1;
    timeline->started = started;
}

void mg_timeline_add(mg_timeline *timeline, int phase, int phase_end, uint64_t grams, double now,
                     const mg_memory_sample *memory)
{
    if (timeline->count == MG_TIMELINE_CAPACITY)
        return;
    timeline->points[timeline->count++] = (mg_timeline_point){
        phase, phase_end, grams, now - timeline->started, memory->requested, memory->allocated, memory->rss};
    if (phase_end)
        timeline->train_first = timeline->count; /* training samples, if any, come after */
}

/* Keeps the training samples at even multiples of the stride, and doubles it. */
static void halve_training(mg_timeline *timeline)
{
    int kept = timeline->train_first;
    for (int index = timeline->train_first + 1; index < timeline->count; index += 2)
        timeline->points[kept++] = timeline->points[index];
    timeline->count = kept;
    timeline->stride *= 2;
}

void mg_timeline_sample_training(mg_timeline *timeline, int phase, uint64_t grams, const mg_probe *probe)
{
    mg_memory_sample memory;
    mg_probe_sample(probe, &memory);
    mg_timeline_add(timeline, phase, 0, grams, monotonic_seconds(), &memory);
    if (timeline->count - timeline->train_first == 2 * MG_TIMELINE_TRAIN_POINTS)
        halve_training(timeline); /* the last sample, at 2K x stride, is kept */
    timeline->next_at = grams + timeline->stride;
}
