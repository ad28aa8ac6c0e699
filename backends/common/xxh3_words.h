/*
 * xxh3_words.h — XXH3_64bits (seed 0) of a few 32-bit words laid end to end
 * in little-endian order, computed from the words in registers.
 *
 * A table hashes a tuple of word hashes or ids it has just stored, 4 bytes
 * each; XXH3 of 12 or 16 bytes reads them back as 8-byte loads, and a load
 * spanning two of those stores cannot be forwarded from them: the core
 * waits until the stores reach the cache, many cycles a hash. Here 1 to 4
 * words are read as words and fed to the same arithmetic as XXH3's 4-8 and
 * 9-16 byte paths, so the value is XXH3's (tests/test_xxh3_words.c checks
 * it against XXH3_64bits); more words go through XXH3_64bits itself.
 */
#ifndef MG_XXH3_WORDS_H
#define MG_XXH3_WORDS_H

#ifndef XXH_INLINE_ALL
#define XXH_INLINE_ALL /* the internal steps used below are static inline */
#endif
#include <xxhash.h>

#include <stdint.h>

static inline uint64_t mg_xxh3_words(const uint32_t *words, int count)
{
    const xxh_u8 *secret = XXH3_kSecret;
    switch (count) {
    case 1:
    case 2: { /* XXH3_len_4to8_64b: the first and the last 4 bytes */
        uint64_t bitflip = XXH_readLE64(secret + 8) ^ XXH_readLE64(secret + 16);
        uint64_t input64 = words[count - 1] + ((uint64_t)words[0] << 32);
        return XXH3_rrmxmx(input64 ^ bitflip, (uint64_t)count * 4);
    }
    case 3:
    case 4: { /* XXH3_len_9to16_64b: the first and the last 8 bytes */
        uint64_t bitflip1 = XXH_readLE64(secret + 24) ^ XXH_readLE64(secret + 32);
        uint64_t bitflip2 = XXH_readLE64(secret + 40) ^ XXH_readLE64(secret + 48);
        uint64_t low = ((uint64_t)words[1] << 32 | words[0]) ^ bitflip1;
        uint64_t high = ((uint64_t)words[count - 1] << 32 | words[count - 2]) ^ bitflip2;
        uint64_t acc = (uint64_t)count * 4 + XXH_swap64(low) + high + XXH3_mul128_fold64(low, high);
        return XXH3_avalanche(acc);
    }
    default:
        return XXH3_64bits(words, (size_t)count * sizeof *words);
    }
}

#endif
