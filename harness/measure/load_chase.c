/* load_chase.c — a pointer chase over one random cycle of cache lines. */
#include "load_chase.h"

#include "mapping.h"
#include "random.h"

#include <math.h>
#include <time.h>

int mg_load_chase_make(mg_load_chase *chase, size_t bytes, uint64_t seed)
{
    size_t lines = bytes / MG_LOAD_CHASE_LINE;
    chase->start = NULL;
    chase->bytes = 0;
    if (lines < 2)
        lines = 2;
    if (lines > UINT32_MAX)
        return -1;
    uint32_t *order = mg_map(lines * sizeof *order);
    unsigned char *buffer = mg_map(lines * MG_LOAD_CHASE_LINE);
    if (!order || !buffer) {
        mg_unmap(order, lines * sizeof *order);
        mg_unmap(buffer, lines * MG_LOAD_CHASE_LINE);
        return -1;
    }
    for (size_t line = 0; line < lines; line++)
        order[line] = (uint32_t)line;
    uint64_t state = seed;
    for (size_t line = lines - 1; line > 0; line--) { /* Sattolo: a single cycle through every line */
        size_t other = (size_t)mg_random_below(&state, line);
        uint32_t held = order[line];
        order[line] = order[other];
        order[other] = held;
    }
    for (size_t line = 0; line < lines; line++) /* line order[k] links to line order[k + 1] */
        *(void **)(void *)(buffer + (size_t)order[line] * MG_LOAD_CHASE_LINE) =
            buffer + (size_t)order[(line + 1) % lines] * MG_LOAD_CHASE_LINE;
    mg_unmap(order, lines * sizeof *order);
    chase->start = (void **)(void *)buffer;
    chase->bytes = lines * MG_LOAD_CHASE_LINE;
    return 0;
}

void mg_load_chase_free(mg_load_chase *chase)
{
    mg_unmap(chase->start, chase->bytes);
    chase->start = NULL;
    chase->bytes = 0;
}

void **mg_load_chase_walk(void **from, uint64_t loads)
{
    void **at = from;
    for (uint64_t load = 0; load < loads; load++)
        at = (void **)*at;
    return at;
}

static double thread_cpu_seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

enum { CHASE_STRIDE = 4096 }; /* loads between clock reads (a system call) */

double mg_load_chase_ns(size_t bytes, uint64_t seed, double seconds)
{
    mg_load_chase chase;
    if (mg_load_chase_make(&chase, bytes, seed) != 0)
        return NAN;
    void **at = mg_load_chase_walk(chase.start, CHASE_STRIDE); /* the TLB and caches settle */
    uint64_t loads = 0;
    double started = thread_cpu_seconds(), elapsed = 0;
    while (elapsed < seconds) {
        at = mg_load_chase_walk(at, CHASE_STRIDE);
        loads += CHASE_STRIDE;
        elapsed = thread_cpu_seconds() - started;
    }
    int left_cycle = at == NULL; /* never: the walk's end is used, so it is not optimised away */
    mg_load_chase_free(&chase);
    return left_cycle ? NAN : elapsed * 1e9 / (double)loads;
}
