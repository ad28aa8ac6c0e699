/*
 * test_xxh3_words.c — backends/common/xxh3_words.h gives XXH3_64bits of the
 * words' bytes for every count a table hashes (0 to MG_ORDER_MAX), on
 * random words and on words with every bit set or clear.
 */
#include "backend.h"
#include "common/xxh3_words.h"
#include "random.h"

#include <criterion/criterion.h>

static void expect_as_xxh3(const uint32_t *words, int count)
{
    cr_expect_eq(mg_xxh3_words(words, count), XXH3_64bits(words, (size_t)count * sizeof *words),
                 "count %d, first word %08x", count, count ? words[0] : 0);
}

Test(xxh3_words, random_words_hash_as_xxh3)
{
    uint64_t state = 1;
    for (int trial = 0; trial < 10000; trial++) {
        uint32_t words[MG_ORDER_MAX];
        for (int k = 0; k < MG_ORDER_MAX; k++)
            words[k] = (uint32_t)mg_random_next(&state);
        for (int count = 0; count <= MG_ORDER_MAX; count++)
            expect_as_xxh3(words, count);
    }
}

Test(xxh3_words, extreme_words_hash_as_xxh3)
{
    static const uint32_t patterns[] = {0, UINT32_MAX, 0x80000000u, 1};
    for (size_t p = 0; p < sizeof patterns / sizeof *patterns; p++) {
        uint32_t words[MG_ORDER_MAX];
        for (int k = 0; k < MG_ORDER_MAX; k++)
            words[k] = patterns[(p + (size_t)k) % (sizeof patterns / sizeof *patterns)];
        for (int count = 0; count <= MG_ORDER_MAX; count++)
            expect_as_xxh3(words, count);
    }
}
