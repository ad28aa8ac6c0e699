/*
 * load_chase.h — what one dependent memory load costs on this machine: a
 * pointer chase through every cache line of a buffer in one random cycle,
 * so each load's address comes from the load before it (no overlap, no
 * prefetch). A lookup's time over this figure is about how many cache
 * misses it waits for one after the other.
 *
 *   buffer (mg_map, the kernel's default pages, as the backends' memory):
 *   | next | .. 56 B .. | next | .. | next | ..      one pointer per 64 B line,
 *       \________________________/                   the lines in a random cycle
 */
#ifndef MG_LOAD_CHASE_H
#define MG_LOAD_CHASE_H

#include <stddef.h>
#include <stdint.h>

enum { MG_LOAD_CHASE_LINE = 64 };

typedef struct mg_load_chase {
    void **start; /* the buffer; its first line begins the cycle */
    size_t bytes; /* a multiple of MG_LOAD_CHASE_LINE, at least two lines */
} mg_load_chase;

/* Maps `bytes` (rounded down to whole lines, at least two) and links its
 * lines into one random cycle drawn from seed (Sattolo's shuffle). 0, or -1
 * when the memory could not be had (then chase holds nothing). */
int mg_load_chase_make(mg_load_chase *chase, size_t bytes, uint64_t seed);

/* Unmaps the buffer; a chase that holds nothing is ignored. */
void mg_load_chase_free(mg_load_chase *chase);

/* Follows `loads` links from `from` (a line of the cycle); returns where it
 * stopped, to start the next walk from. */
void **mg_load_chase_walk(void **from, uint64_t loads);

/* ns of one dependent load through a chase of `bytes` made from seed,
 * walked for about `seconds` of this thread's CPU time (so a busy machine's
 * waits for a core are not counted); the buffer is unmapped before it
 * returns. NAN when the buffer could not be mapped. */
double mg_load_chase_ns(size_t bytes, uint64_t seed, double seconds);

#endif
