/* synth.c — see synth.h for the model and the stream's promises. */
#include "synth.h"
#include "atomic_file.h"
#include "message.h"
#include "random.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the model's parameters (fitted to gcide: docs/corpora.md) ------------- */

/* Word ids: R = floor((1 + q) U^(-1/gamma) - q), U uniform in (0, 1). gamma sets
 * Heaps' exponent (about 1/(1 + gamma)), q flattens the head ("the" near 4%). */
#define WORD_INVERSE_GAMMA_Q16 311296 /* 1/gamma = 4.75 */
#define WORD_SHIFT_Q8 7680            /* q = 30 */
/* Successor ranks within a context, the same law. */
#define RANK_INVERSE_GAMMA_Q16 131072 /* 1/gamma = 2.0 */
#define RANK_SHIFT_Q8 256             /* q = 1 */
/* Where a word comes from, out of 65536: its two-word context, its one-word
 * context, or no context at all (the rest). */
#define FROM_TWO_WORDS 29491 /* 0.45 */
#define FROM_ONE_WORD 29491  /* 0.45 */

/* gcide's lines by token count 0, 1, 2, ... (the last bin: 16 and more). */
static const uint32_t line_length_histogram[] = {
    253655, 57225, 250945, 84039, 54496, 45246, 48769, 59797, 76408,
    88250, 80919, 57220, 30609, 11732, 4290, 475, 116,
};
#define LENGTH_BINS (sizeof line_length_histogram / sizeof line_length_histogram[0])

/* Spelling: an id is a number in base SYLLABLES, each digit a consonant and a vowel. */
static const char consonants[] = "bcdfghjklmnprstvwz";
static const char vowels[] = "aeiou";
#define SYLLABLES ((sizeof consonants - 1) * (sizeof vowels - 1)) /* 90 */
#define SPELL_MULTIPLIER 37u /* digit d shifts the next one by 37 d + seed's shift */
#define WORD_BYTES_MAX 64            /* a space, the longest word (2 x 10 letters), '\n' */

/* ---- fixed-point log2 and exp2 ------------------------------------------------ */

#define TABLE_BITS 10
#define TABLE_SIZE (1u << TABLE_BITS)
#define Q32_ONE ((uint64_t)1 << 32)
#define EXPONENT_MAX 44 /* ids and ranks stay below (1 + q) 2^44 */

typedef struct fixed_tables {
    uint64_t log2_fraction[TABLE_SIZE + 1]; /* log2(1 + i/1024), Q32 */
    uint64_t exp2_fraction[TABLE_SIZE + 1]; /* 2^(i/1024), Q32 */
} fixed_tables;

/* log2(m) for m in [1, 2) given as Q62, to 32 fraction bits, by repeated squaring. */
static uint64_t log2_q62(uint64_t mantissa)
{
    uint64_t result = 0;
    for (int bit = 31; bit >= 0; bit--) {
        mantissa = (uint64_t)(((mg_uint128)mantissa * mantissa) >> 62);
        if (mantissa >= (uint64_t)1 << 63) {
            result |= (uint64_t)1 << bit;
            mantissa >>= 1;
        }
    }
    return result;
}

static uint64_t isqrt128(mg_uint128 value)
{
    mg_uint128 root = 0, bit = (mg_uint128)1 << 126;
    while (bit > value)
        bit >>= 2;
    while (bit) {
        if (value >= root + bit) {
            value -= root + bit;
            root = (root >> 1) + bit;
        } else {
            root >>= 1;
        }
        bit >>= 2;
    }
    return (uint64_t)root;
}

static void build_tables(fixed_tables *tables)
{
    for (uint64_t index = 0; index < TABLE_SIZE; index++)
        tables->log2_fraction[index] = log2_q62(((uint64_t)1 << 62) + (index << (62 - TABLE_BITS)));
    tables->log2_fraction[TABLE_SIZE] = Q32_ONE;
    uint64_t root[TABLE_BITS + 1]; /* root[k] = 2^(2^-k), Q62 */
    root[0] = (uint64_t)1 << 63;
    for (int k = 1; k <= TABLE_BITS; k++)
        root[k] = isqrt128((mg_uint128)root[k - 1] << 62);
    for (uint64_t index = 0; index < TABLE_SIZE; index++) {
        uint64_t product = (uint64_t)1 << 62;
        for (int k = 1; k <= TABLE_BITS; k++)
            if (index >> (TABLE_BITS - k) & 1)
                product = (uint64_t)(((mg_uint128)product * root[k]) >> 62);
        tables->exp2_fraction[index] = product >> 30;
    }
    tables->exp2_fraction[TABLE_SIZE] = 2 * Q32_ONE;
}

/* table[i] + (table[i + 1] - table[i]) x remainder / 2^remainder_bits */
static uint64_t interpolate(const uint64_t *table, uint64_t index, uint64_t remainder, int remainder_bits)
{
    return table[index] + (((table[index + 1] - table[index]) * remainder) >> remainder_bits);
}

/* -log2(u / 2^64) in Q32, for u >= 1. */
static uint64_t minus_log2_uniform(const fixed_tables *tables, uint64_t uniform)
{
    int exponent = 63 - __builtin_clzll(uniform);
    uint64_t fraction = (uniform << (63 - exponent)) << 1; /* bits after the leading 1 */
    uint64_t log2_mantissa = interpolate(tables->log2_fraction, fraction >> (64 - TABLE_BITS),
                                         (fraction << TABLE_BITS) >> 32, 32);
    return ((uint64_t)(64 - exponent) << 32) - log2_mantissa;
}

/* floor((1 + q) 2^y - q), y >= 0 in Q32 (capped), q in Q8; at least 1. */
static uint64_t shifted_power(const fixed_tables *tables, uint64_t exponent_q32, uint64_t shift_q8)
{
    if (exponent_q32 > (uint64_t)EXPONENT_MAX << 32) /* spread over the top octave: no pile-up on one id */
        exponent_q32 = ((uint64_t)(EXPONENT_MAX - 1) << 32) + (exponent_q32 & (Q32_ONE - 1));
    uint64_t fraction = exponent_q32 & (Q32_ONE - 1);
    uint64_t power = interpolate(tables->exp2_fraction, fraction >> (32 - TABLE_BITS),
                                 fraction & ((1u << (32 - TABLE_BITS)) - 1), 32 - TABLE_BITS);
    mg_uint128 scaled = ((mg_uint128)power << (exponent_q32 >> 32)) * (256 + shift_q8) >> 8;
    return (uint64_t)((scaled - ((mg_uint128)shift_q8 << 24)) >> 32);
}

/* R = floor((1 + q) U^(-1/gamma) - q) for the uniform u: P(R > r) = ((1 + q) / (r + 1 + q))^gamma. */
static uint64_t power_law(const fixed_tables *tables, uint64_t uniform, uint64_t inverse_gamma_q16,
                          uint64_t shift_q8)
{
    uint64_t exponent_q32 = (minus_log2_uniform(tables, uniform | 1) * inverse_gamma_q16) >> 16;
    return shifted_power(tables, exponent_q32, shift_q8);
}

/* ---- the stream ----------------------------------------------------------------- */

struct mg_synth {
    mg_synth_spec spec;
    fixed_tables tables;
    uint32_t length_cumulative[LENGTH_BINS]; /* out of 2^32 */
    uint64_t salt_one_word, salt_two_words;
    uint64_t spelling_shift; /* below SYLLABLES */
    /* position */
    uint64_t random_state;
    uint64_t tokens_written;
    uint64_t previous[2]; /* the last two word ids, 0 before a sentence's start */
    uint32_t words_left;  /* in the open sentence */
    int in_sentence, finished;
    unsigned char pending[WORD_BYTES_MAX]; /* an item that did not fit the last read */
    size_t pending_start, pending_end;
};

static void build_length_table(mg_synth *synth)
{
    uint64_t total = 0, running = 0;
    for (size_t bin = 0; bin < LENGTH_BINS; bin++)
        total += line_length_histogram[bin];
    for (size_t bin = 0; bin < LENGTH_BINS; bin++) {
        running += line_length_histogram[bin];
        synth->length_cumulative[bin] = (uint32_t)((running << 32) / total - (bin + 1 == LENGTH_BINS));
    }
}

void mg_synth_rewind(mg_synth *synth)
{
    synth->random_state = mg_mix64(synth->spec.seed ^ 0x73796e7468ULL);
    synth->tokens_written = 0;
    synth->previous[0] = synth->previous[1] = 0;
    synth->words_left = 0;
    synth->in_sentence = synth->finished = 0;
    synth->pending_start = synth->pending_end = 0;
}

mg_synth *mg_synth_open(const mg_synth_spec *spec)
{
    mg_synth *synth = calloc(1, sizeof *synth);
    if (!synth)
        return NULL;
    synth->spec = *spec;
    build_tables(&synth->tables);
    build_length_table(synth);
    synth->spelling_shift = mg_mix64(spec->seed * 3 + 1) % SYLLABLES;
    synth->salt_one_word = mg_mix64(spec->seed * 3 + 2);
    synth->salt_two_words = mg_mix64(spec->seed * 3 + 3);
    mg_synth_rewind(synth);
    return synth;
}

void mg_synth_close(mg_synth *synth)
{
    free(synth);
}

static uint32_t draw_sentence_length(mg_synth *synth)
{
    uint32_t draw = (uint32_t)(mg_random_next(&synth->random_state) >> 32), length = 0;
    while (length + 1 < LENGTH_BINS && draw >= synth->length_cumulative[length])
        length++;
    if (length + 1 == LENGTH_BINS) /* the open-ended bin: 16 (2 in 3), 17, ... */
        length += (uint32_t)power_law(&synth->tables, mg_random_next(&synth->random_state), 43691, 0) - 1;
    return length;
}

/* The next word's id, from the mixture of contexts. */
static uint64_t draw_word(mg_synth *synth)
{
    const fixed_tables *tables = &synth->tables;
    uint64_t choice = mg_random_next(&synth->random_state) >> 48;
    uint64_t uniform = mg_random_next(&synth->random_state);
    if (choice < FROM_TWO_WORDS + FROM_ONE_WORD) {
        uint64_t context = choice < FROM_TWO_WORDS
                               ? mg_mix64(mg_mix64(synth->salt_two_words ^ synth->previous[0]) ^ synth->previous[1])
                               : mg_mix64(synth->salt_one_word ^ synth->previous[1]);
        uint64_t rank = power_law(tables, uniform, RANK_INVERSE_GAMMA_Q16, RANK_SHIFT_Q8);
        uniform = mg_mix64(context + rank * 0x9e3779b97f4a7c15ULL);
    }
    return power_law(tables, uniform, WORD_INVERSE_GAMMA_Q16, WORD_SHIFT_Q8);
}

/* Writes the spelling of id (>= 1): its length class k (the ids below are
 * spelled with fewer syllables), then its index among the SYLLABLES^k words of
 * that class as k base-SYLLABLES digits, each shifted by the seed and by the
 * digit before it (a bijection: a distinct id is a distinct word) so that
 * spelling order is not frequency order. Returns the bytes written. */
static size_t spell(const mg_synth *synth, uint64_t id, unsigned char *out)
{
    uint64_t index = id - 1, class_size = SYLLABLES;
    size_t syllables = 1;
    while (index >= class_size) {
        index -= class_size;
        class_size *= SYLLABLES;
        syllables++;
    }
    uint64_t carry = synth->spelling_shift;
    for (size_t at = 0; at < syllables; at++) {
        uint64_t digit = (index % SYLLABLES + carry) % SYLLABLES;
        index /= SYLLABLES;
        carry = digit * SPELL_MULTIPLIER + synth->spelling_shift;
        out[2 * at] = (unsigned char)consonants[digit / (sizeof vowels - 1)];
        out[2 * at + 1] = (unsigned char)vowels[digit % (sizeof vowels - 1)];
    }
    return 2 * syllables;
}

/* The next item (a word with its leading space, or a line end) into out
 * (WORD_BYTES_MAX bytes); its length, 0 at the end of the stream. */
static size_t next_item(mg_synth *synth, unsigned char *out)
{
    if (synth->finished)
        return 0;
    if (!synth->in_sentence) {
        synth->in_sentence = 1;
        synth->words_left = draw_sentence_length(synth);
        synth->previous[0] = synth->previous[1] = 0;
    }
    if (synth->words_left == 0 || synth->tokens_written == synth->spec.tokens) {
        synth->in_sentence = 0;
        synth->finished = synth->tokens_written == synth->spec.tokens;
        out[0] = '\n';
        return 1;
    }
    size_t length = 0;
    if (synth->previous[1] != 0)
        out[length++] = ' ';
    uint64_t id = draw_word(synth);
    length += spell(synth, id, out + length);
    synth->previous[0] = synth->previous[1];
    synth->previous[1] = id;
    synth->words_left--;
    synth->tokens_written++;
    return length;
}

size_t mg_synth_read(mg_synth *synth, unsigned char *buffer, size_t size)
{
    size_t filled = 0;
    while (filled < size) {
        if (synth->pending_start < synth->pending_end) {
            size_t take = synth->pending_end - synth->pending_start;
            if (take > size - filled)
                take = size - filled;
            memcpy(buffer + filled, synth->pending + synth->pending_start, take);
            synth->pending_start += take;
            filled += take;
        } else if (size - filled >= WORD_BYTES_MAX) {
            size_t length = next_item(synth, buffer + filled);
            if (length == 0)
                break;
            filled += length;
        } else {
            synth->pending_start = 0;
            synth->pending_end = next_item(synth, synth->pending);
            if (synth->pending_end == 0)
                break;
        }
    }
    return filled;
}

uint64_t mg_synth_stream_bytes(const mg_synth_spec *spec)
{
    enum { SCRATCH_BYTES = 1 << 20 };
    mg_synth *synth = mg_synth_open(spec);
    unsigned char *scratch = malloc(SCRATCH_BYTES);
    uint64_t total = 0;
    size_t got;
    while (synth && scratch && (got = mg_synth_read(synth, scratch, SCRATCH_BYTES)) > 0)
        total += got;
    free(scratch);
    mg_synth_close(synth);
    return total;
}

int mg_synth_write_file(const mg_synth_spec *spec, const char *path, char *error, size_t error_size)
{
    enum { SCRATCH_BYTES = 1 << 20 };
    mg_atomic_file out;
    if (mg_atomic_begin(&out, path, error, error_size) != 0)
        return -1;
    mg_synth *synth = mg_synth_open(spec);
    unsigned char *scratch = malloc(SCRATCH_BYTES);
    int failed = !synth || !scratch;
    size_t got;
    while (!failed && (got = mg_synth_read(synth, scratch, SCRATCH_BYTES)) > 0)
        failed = fwrite(scratch, 1, got, out.file) != got;
    free(scratch);
    mg_synth_close(synth);
    if (failed) {
        snprintf(error, error_size, "cannot write the synthetic corpus to '%s': %s", mg_show(path).text,
                 errno ? strerror(errno) : "out of memory");
        mg_atomic_abandon(&out);
        return -1;
    }
    return mg_atomic_commit(&out, error, error_size);
}

/* ---- the spec ------------------------------------------------------------------- */

int mg_synth_is_spec(const char *text)
{
    return strncmp(text, MG_SYNTH_PREFIX, strlen(MG_SYNTH_PREFIX)) == 0;
}

static int parse_value(const char *text, const char *key, const char *value, size_t value_length,
                       uint64_t *number, char *error, size_t error_size)
{
    char digits[32];
    char *end = NULL;
    if (value_length == 0 || value_length >= sizeof digits || value[0] < '0' || value[0] > '9') {
        snprintf(error, error_size, "corpus '%s': %s must be a whole number", mg_show(text).text, key);
        return -1;
    }
    memcpy(digits, value, value_length);
    digits[value_length] = '\0';
    errno = 0;
    unsigned long long parsed = strtoull(digits, &end, 10);
    if (*end || errno) {
        snprintf(error, error_size, "corpus '%s': %s must be a whole number", mg_show(text).text, key);
        return -1;
    }
    *number = parsed;
    return 0;
}

int mg_synth_parse(const char *text, mg_synth_spec *spec, char *error, size_t error_size)
{
    *spec = (mg_synth_spec){.tokens = 0, .seed = 1};
    int seen_tokens = 0, seen_seed = 0;
    const char *item = text + strlen(MG_SYNTH_PREFIX);
    for (;;) {
        size_t item_length = strcspn(item, ",");
        const char *equals = memchr(item, '=', item_length);
        size_t key_length = equals ? (size_t)(equals - item) : item_length;
        int is_tokens = key_length == 6 && strncmp(item, "tokens", 6) == 0;
        int is_seed = key_length == 4 && strncmp(item, "seed", 4) == 0;
        if (!equals || !(is_tokens || is_seed) || (is_tokens ? seen_tokens : seen_seed)) {
            char got[MG_SHOWN_MAX];
            snprintf(got, sizeof got, "%.*s", (int)item_length, item);
            snprintf(error, error_size, "corpus '%s': expected synth:tokens=N[,seed=S], got '%s'", mg_show(text).text,
                     mg_show(got).text);
            return -1;
        }
        uint64_t *number = is_tokens ? &spec->tokens : &spec->seed;
        *(is_tokens ? &seen_tokens : &seen_seed) = 1;
        if (parse_value(text, is_tokens ? "tokens" : "seed", equals + 1, item_length - key_length - 1, number,
                        error, error_size) != 0)
            return -1;
        if (item[item_length] == '\0')
            break;
        item += item_length + 1;
    }
    if (!seen_tokens || spec->tokens < 1 || spec->tokens > MG_SYNTH_TOKENS_MAX) {
        snprintf(error, error_size, "corpus '%s': tokens=N must be given, 1 <= N <= %llu", mg_show(text).text,
                 (unsigned long long)MG_SYNTH_TOKENS_MAX);
        return -1;
    }
    return 0;
}

mg_synth *mg_synth_open_text(const char *text, char *error, size_t error_size)
{
    mg_synth_spec spec;
    if (mg_synth_parse(text, &spec, error, error_size) != 0)
        return NULL;
    mg_synth *synth = mg_synth_open(&spec);
    if (!synth)
        snprintf(error, error_size, MG_OUT_OF_MEMORY " opening corpus '%s'", mg_show(text).text);
    return synth;
}
