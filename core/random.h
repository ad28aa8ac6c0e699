/* random.h — small deterministic generators (splitmix64): same seed, same run. */
#ifndef MG_RANDOM_H
#define MG_RANDOM_H

#include <stdint.h>

__extension__ typedef unsigned __int128 mg_uint128;

static inline uint64_t mg_mix64(uint64_t value)
{
    value += 0x9e3779b97f4a7c15ULL;
    value = (value ^ (value >> 30)) * 0xbf58476d1ce4e5b9ULL;
    value = (value ^ (value >> 27)) * 0x94d049bb133111ebULL;
    return value ^ (value >> 31);
}

/* Next value of a splitmix64 stream whose state is *state. */
static inline uint64_t mg_random_next(uint64_t *state)
{
    uint64_t value = mg_mix64(*state);
    *state += 0x9e3779b97f4a7c15ULL;
    return value;
}

/* value (uniform over 64 bits) scaled into [0, bound) by multiply-shift:
 * (value * bound) >> 64, the top half of the 128-bit product. */
static inline uint64_t mg_scale_below(uint64_t value, uint64_t bound)
{
    return (uint64_t)(((mg_uint128)value * bound) >> 64);
}

/* Uniform in [0, bound) (bound > 0). */
static inline uint64_t mg_random_below(uint64_t *state, uint64_t bound)
{
    return mg_scale_below(mg_random_next(state), bound);
}

#endif
