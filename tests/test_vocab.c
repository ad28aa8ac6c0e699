/*
 * test_vocab.c — unit tests of backends/common/vocab.h: the interner and the
 * frozen front-coded dictionary (NUL bytes, huge words, shared prefixes,
 * markers, absent words, growth with the token bytes kept in place, every id
 * round trip, the remap order, allocation failure, and requested bytes back
 * to zero).
 */
#include "support.h"

#include "backend.h"
#include "common/vocab.h"
#include "mem.h"

#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers -------------------------------------------------------------- */

static mg_token word_of(const void *bytes, size_t len)
{
    mg_token token = {bytes, (uint32_t)len};
    return token;
}

static mg_token text(const char *string) { return word_of(string, strlen(string)); }

static const mg_token START = {NULL, MG_MARK_START};

/* The tags (mem.h) the tests give the vocabulary's blocks. */
enum { INTERNER_PART = 1, WORDS_PART, INDEX_PART, SCRATCH_PART };
static const mg_vocab_parts PARTS = {WORDS_PART, INDEX_PART, SCRATCH_PART};
static const mg_token END = {NULL, MG_MARK_END};

static bool same_token(const mg_token *a, const mg_token *b)
{
    if (mg_token_is_marker(a) || mg_token_is_marker(b))
        return mg_token_is_marker(a) && mg_token_is_marker(b) && a->len == b->len;
    return a->len == b->len && memcmp(a->bytes, b->bytes, a->len) == 0;
}

static uint64_t requested(void)
{
    mg_mem_counters counters;
    mg_mem_read(&counters);
    return counters.bytes_requested;
}

static uint32_t intern(mg_interner *interner, mg_token token)
{
    uint32_t id = MG_VOCAB_NO_ID;
    cr_assert_eq(mg_interner_intern(interner, &token, &id), MG_OK);
    return id;
}

/* find_many over every window of up to MG_ORDER_MAX tokens answers as
 * find does, token by token; guess_many's guesses are find's answers when
 * exact, and otherwise a guess is the token's id exactly when is_word
 * says so, no id only for an absent token. */
static void check_find_many(const mg_vocab_dict *dict, const mg_token *tokens, size_t count)
{
    for (size_t from = 0; from < count; from++)
        for (size_t width = 1; width <= MG_ORDER_MAX && from + width <= count; width++) {
            uint32_t ids[MG_ORDER_MAX], guesses[MG_ORDER_MAX];
            mg_vocab_dict_find_many(dict, tokens + from, (int)width, ids);
            bool exact = mg_vocab_dict_guess_many(dict, tokens + from, width, guesses);
            for (size_t k = 0; k < width; k++) {
                const mg_token *token = &tokens[from + k];
                uint32_t id = mg_vocab_dict_find(dict, token);
                cr_assert_eq(ids[k], id, "find_many of token %zu", from + k);
                if (exact || guesses[k] == MG_VOCAB_NO_ID)
                    cr_assert_eq(guesses[k], id, "guess of token %zu", from + k);
                else
                    cr_assert_eq(mg_vocab_dict_is_word(dict, guesses[k], token), guesses[k] == id,
                                 "is_word of the guess of token %zu", from + k);
                if (id != MG_VOCAB_NO_ID)
                    cr_assert(mg_vocab_dict_is_word(dict, id, token), "is_word of token %zu", from + k);
                if (id != MG_VOCAB_NO_ID && id + 1 < mg_vocab_dict_count(dict)) /* a wrong guess */
                    cr_assert(!mg_vocab_dict_is_word(dict, id + 1, token), "is_word of the next id, token %zu", from + k);
            }
        }
}

/* The interner's tokens in old id order, for find_many. */
static mg_token *interner_tokens(const mg_interner *interner)
{
    uint32_t count = mg_interner_count(interner);
    mg_token *tokens = malloc(count * sizeof *tokens);
    cr_assert_not_null(tokens);
    for (uint32_t old = 0; old < count; old++)
        tokens[old] = mg_interner_token(interner, old);
    return tokens;
}

/* Freezes the interner and checks the dictionary against it: every id round
 * trips through word() and find(), ids follow mg_token_compare, the remap
 * maps each old id to the id of the same token. */
static void check_frozen(const mg_interner *interner)
{
    mg_vocab_dict *dict = NULL;
    uint32_t *remap = NULL;
    cr_assert_eq(mg_vocab_dict_freeze(interner, &PARTS, &dict, &remap), MG_OK);
    uint32_t count = mg_interner_count(interner);
    cr_assert_eq(mg_vocab_dict_count(dict), count);
    cr_assert_eq(remap[0], 0);
    cr_assert_eq(remap[1], 1);
    unsigned char buffer[MG_VOCAB_DECODE_MAX], previous_buffer[MG_VOCAB_DECODE_MAX];
    for (uint32_t old = 0; old < count; old++) {
        mg_token original = mg_interner_token(interner, old);
        mg_token decoded = mg_vocab_dict_word(dict, remap[old], buffer);
        cr_assert(same_token(&original, &decoded), "id %u decodes to another word", old);
        cr_assert_eq(mg_vocab_dict_find(dict, &original), remap[old], "find of old id %u", old);
    }
    mg_token *tokens = interner_tokens(interner);
    check_find_many(dict, tokens, count);
    cr_assert_eq(mg_vocab_dict_build_index(dict), MG_OK);
    for (uint32_t old = 0; old < count; old++) {
        mg_token original = mg_interner_token(interner, old);
        cr_assert_eq(mg_vocab_dict_find(dict, &original), remap[old], "indexed find of old id %u", old);
    }
    check_find_many(dict, tokens, count);
    free(tokens);
    mg_token previous = mg_vocab_dict_word(dict, 0, previous_buffer);
    for (uint32_t id = 1; id < count; id++) {
        mg_token word = mg_vocab_dict_word(dict, id, buffer);
        cr_assert_lt(mg_token_compare(&previous, &word), 0, "ids %u and %u out of token order", id - 1, id);
        if (word.bytes == buffer) {
            memcpy(previous_buffer, buffer, word.len);
            word.bytes = previous_buffer;
        }
        previous = word;
    }
    mg_vocab_remap_free(SCRATCH_PART, remap, count);
    mg_vocab_dict_destroy(dict);
}

/* ---- interner ------------------------------------------------------------- */

Test(vocab, markers_have_fixed_ids)
{
    mg_interner *interner = mg_interner_create(INTERNER_PART);
    cr_assert_not_null(interner);
    cr_expect_eq(mg_interner_find(interner, &START), MG_VOCAB_START_ID);
    cr_expect_eq(mg_interner_find(interner, &END), MG_VOCAB_END_ID);
    cr_expect_eq(intern(interner, START), MG_VOCAB_START_ID);
    cr_expect_eq(intern(interner, END), MG_VOCAB_END_ID);
    cr_expect_eq(mg_interner_count(interner), 2);
    cr_expect_eq(intern(interner, text("a")), 2);
    check_frozen(interner);
    mg_interner_destroy(interner);
}

Test(vocab, intern_is_idempotent_and_dense)
{
    uint64_t before = requested();
    mg_interner *interner = mg_interner_create(INTERNER_PART);
    cr_assert_not_null(interner);
    char word[32];
    for (int k = 0; k < 5000; k++) {
        snprintf(word, sizeof word, "w%d", k);
        cr_assert_eq(intern(interner, text(word)), (uint32_t)k + 2);
    }
    for (int k = 0; k < 5000; k++) {
        snprintf(word, sizeof word, "w%d", k);
        mg_token token = text(word);
        cr_assert_eq(intern(interner, token), (uint32_t)k + 2);
        cr_assert_eq(mg_interner_find(interner, &token), (uint32_t)k + 2);
        mg_token held = mg_interner_token(interner, (uint32_t)k + 2);
        cr_assert(same_token(&held, &token));
    }
    cr_expect_eq(mg_interner_count(interner), 5002);
    cr_expect_eq(mg_interner_bytes(interner), requested() - before);
    mg_token absent = text("absent");
    cr_expect_eq(mg_interner_find(interner, &absent), MG_VOCAB_NO_ID);
    check_frozen(interner);
    mg_interner_destroy(interner);
    cr_expect_eq(requested(), before, "the interner leaked %lld bytes", (long long)(requested() - before));
}

Test(vocab, nul_bytes_are_word_bytes)
{
    mg_interner *interner = mg_interner_create(INTERNER_PART);
    cr_assert_not_null(interner);
    uint32_t a = intern(interner, word_of("\0", 1));
    uint32_t b = intern(interner, word_of("\0\0", 2));
    uint32_t c = intern(interner, word_of("a\0b", 3));
    uint32_t d = intern(interner, word_of("a", 1));
    cr_expect(a != b && b != c && c != d && a != d);
    check_frozen(interner);
    mg_interner_destroy(interner);
}

/* Growth far past every small step (slots, offsets and records all move to
 * huge blocks, the slots double in place within theirs): every word keeps
 * its id, and the bytes of a token handed out before any growth stay where
 * they were, unchanged. */
Test(vocab, growth_keeps_ids_and_token_bytes)
{
    enum { WORDS = 300000, EARLY = 100 };
    uint64_t before = requested();
    mg_interner *interner = mg_interner_create(INTERNER_PART);
    cr_assert_not_null(interner);
    char word[32];
    mg_token early[EARLY];
    for (int k = 0; k < WORDS; k++) {
        int len = snprintf(word, sizeof word, "%d\xff%x", k, (unsigned)k * 2654435761u);
        cr_assert_eq(intern(interner, word_of(word, (size_t)len)), (uint32_t)k + 2);
        if (k < EARLY)
            early[k] = mg_interner_token(interner, (uint32_t)k + 2);
    }
    for (int k = 0; k < WORDS; k++) {
        int len = snprintf(word, sizeof word, "%d\xff%x", k, (unsigned)k * 2654435761u);
        mg_token token = word_of(word, (size_t)len);
        cr_assert_eq(mg_interner_find(interner, &token), (uint32_t)k + 2, "find of word %d", k);
        mg_token held = mg_interner_token(interner, (uint32_t)k + 2);
        cr_assert(same_token(&held, &token), "token of word %d", k);
        if (k < EARLY) {
            cr_assert_eq(held.bytes, early[k].bytes, "the bytes of word %d moved", k);
            cr_assert(same_token(&early[k], &token), "the bytes of word %d changed", k);
        }
        word[0] = 'x'; /* a word never interned, with the same length */
        cr_assert_eq(mg_interner_find(interner, &token), MG_VOCAB_NO_ID, "find of absent word %d", k);
    }
    cr_expect_eq(mg_interner_count(interner), WORDS + 2);
    cr_expect_eq(mg_interner_bytes(interner), requested() - before);
    mg_interner_destroy(interner);
    cr_expect_eq(requested(), before);
}

/* Words longer than the next small chunk, than a huge chunk and than a run
 * of them, between short ones (which then fill the rest of a long word's
 * block): each one is found and read back whole. */
Test(vocab, long_words_between_short_ones)
{
    uint64_t before = requested();
    const size_t lengths[] = {3, 5000, 4, 70000, 5, (size_t)9 << 20, 6, (size_t)17 << 20, 7, 300000, 8};
    enum { LONG_WORDS = sizeof lengths / sizeof *lengths };
    unsigned char *bytes = malloc((size_t)17 << 20);
    cr_assert_not_null(bytes);
    for (size_t at = 0; at < (size_t)17 << 20; at++)
        bytes[at] = (unsigned char)(at * 7 + (at >> 9));
    mg_interner *interner = mg_interner_create(INTERNER_PART);
    cr_assert_not_null(interner);
    char word[32];
    for (size_t k = 0; k < LONG_WORDS; k++) {
        bytes[0] = (unsigned char)k; /* no word is another's prefix-equal twin */
        cr_assert_eq(intern(interner, word_of(bytes, lengths[k])), (uint32_t)(2 + 2 * k));
        snprintf(word, sizeof word, "short%zu", k);
        cr_assert_eq(intern(interner, text(word)), (uint32_t)(3 + 2 * k));
    }
    for (size_t k = 0; k < LONG_WORDS; k++) {
        bytes[0] = (unsigned char)k;
        mg_token token = word_of(bytes, lengths[k]);
        cr_assert_eq(mg_interner_find(interner, &token), (uint32_t)(2 + 2 * k), "find of long word %zu", k);
        mg_token held = mg_interner_token(interner, (uint32_t)(2 + 2 * k));
        cr_assert(same_token(&held, &token), "long word %zu read back", k);
        snprintf(word, sizeof word, "short%zu", k);
        token = text(word);
        cr_assert_eq(mg_interner_find(interner, &token), (uint32_t)(3 + 2 * k), "find of short word %zu", k);
    }
    cr_expect_eq(mg_interner_bytes(interner), requested() - before);
    mg_interner_destroy(interner);
    free(bytes);
    cr_expect_eq(requested(), before);
}

/* ---- dictionary ----------------------------------------------------------- */

Test(vocab, prefix_sharing_words)
{
    mg_interner *interner = mg_interner_create(INTERNER_PART);
    cr_assert_not_null(interner);
    /* prefixes of prefixes, crossing bucket boundaries, in shuffled order */
    char word[300];
    mgt_rng rng = mgt_rng_make(7);
    for (int k = 0; k < 700; k++) {
        size_t len = 1 + mgt_rng_below(&rng, 60);
        memset(word, 'a', len);
        word[len - 1] = (char)('a' + mgt_rng_below(&rng, 3));
        intern(interner, word_of(word, len));
    }
    for (size_t len = 1; len <= 280; len++) { /* some past MG_VOCAB_FRONT_MAX */
        memset(word, 'b', len);
        intern(interner, word_of(word, len));
    }
    check_frozen(interner);
    mg_interner_destroy(interner);
}

/* Entries on both sides of the one-byte header's limits (shared 14 or
 * more, suffix 15 or more), in one bucket and across buckets. */
Test(vocab, header_limits)
{
    mg_interner *interner = mg_interner_create(INTERNER_PART);
    cr_assert_not_null(interner);
    char word[64];
    for (size_t shared = 12; shared <= 17; shared++)
        for (size_t suffix = 0; suffix <= 18; suffix++) {
            memset(word, 'p', shared);
            memset(word + shared, (int)('a' + suffix % 26), suffix);
            intern(interner, word_of(word, shared + suffix));
            word[shared] = 'z'; /* one byte past the shared prefix */
            intern(interner, word_of(word, shared + (suffix ? suffix : 1)));
        }
    check_frozen(interner);
    mg_interner_destroy(interner);
}

Test(vocab, huge_words)
{
    uint64_t before = requested();
    size_t huge = (size_t)1 << 20;
    unsigned char *bytes = malloc(huge + 1);
    cr_assert_not_null(bytes);
    memset(bytes, 'h', huge + 1);
    mg_interner *interner = mg_interner_create(INTERNER_PART);
    cr_assert_not_null(interner);
    intern(interner, word_of(bytes, huge));
    intern(interner, word_of(bytes, huge + 1)); /* shares 1 MiB with the one before */
    intern(interner, word_of(bytes, 1));
    intern(interner, word_of(bytes, 2));
    bytes[huge] = '\0';
    intern(interner, word_of(bytes, huge + 1));
    intern(interner, text("i"));
    check_frozen(interner);
    mg_interner_destroy(interner);
    free(bytes);
    cr_expect_eq(requested(), before);
}

Test(vocab, absent_words)
{
    mg_interner *interner = mg_interner_create(INTERNER_PART);
    cr_assert_not_null(interner);
    const char *words[] = {"banana", "band", "bandana", "can", "cane", "zebra"};
    for (size_t k = 0; k < sizeof words / sizeof *words; k++)
        intern(interner, text(words[k]));
    mg_vocab_dict *dict = NULL;
    uint32_t *remap = NULL;
    cr_assert_eq(mg_vocab_dict_freeze(interner, &PARTS, &dict, &remap), MG_OK);
    uint32_t count = mg_interner_count(interner);
    mg_interner_destroy(interner); /* the dictionary stands alone */
    const char *absent[] = {"a", "ban", "bananas", "bandanas", "c", "cand", "zebras", "zz", "\xff"};
    for (size_t k = 0; k < sizeof absent / sizeof *absent; k++) {
        mg_token token = text(absent[k]);
        cr_expect_eq(mg_vocab_dict_find(dict, &token), MG_VOCAB_NO_ID, "%s found", absent[k]);
    }
    mg_token mixed[] = {text("a"), text("band"), START, text("bananas"), text("zebra"), END, text("can"), text("zz")};
    for (int indexed = 0; indexed < 2; indexed++) {
        for (size_t k = 0; k < sizeof absent / sizeof *absent; k++) {
            mg_token token = text(absent[k]);
            cr_expect_eq(mg_vocab_dict_find(dict, &token), MG_VOCAB_NO_ID, "%s found", absent[k]);
        }
        check_find_many(dict, mixed, sizeof mixed / sizeof *mixed);
        cr_assert_eq(mg_vocab_dict_build_index(dict), MG_OK);
    }
    mg_token nul = word_of("ban\0", 4);
    cr_expect_eq(mg_vocab_dict_find(dict, &nul), MG_VOCAB_NO_ID);
    mg_token band = text("band");
    cr_expect_eq(mg_vocab_dict_find(dict, &band), 3); /* banana 2, band 3 */
    cr_expect_eq(mg_vocab_dict_find(dict, &START), 0);
    cr_expect_eq(mg_vocab_dict_find(dict, &END), 1);
    mg_vocab_remap_free(SCRATCH_PART, remap, count);
    mg_vocab_dict_destroy(dict);
}

/* Word number `serial` over {NUL, a, b}: all words of length 1 first, then
 * of length 2, ... up to TIED_MAX bytes (serial < TIED_WORDS). */
enum { TIED_MAX = 6, TIED_WORDS = 3 + 9 + 27 + 81 + 243 + 729 };

static mg_token tied_word(uint32_t serial, unsigned char *word)
{
    size_t len = 1;
    uint32_t codes = 3;
    for (; serial >= codes; codes *= 3, len++)
        serial -= codes;
    static const unsigned char alphabet[] = {'\0', 'a', 'b'};
    for (size_t k = 0; k < len; k++, serial /= 3)
        word[k] = alphabet[serial % 3];
    return word_of(word, len);
}

/* Every word over {NUL, a, b} up to 6 bytes, every third one left out: bucket
 * heads tie on their first 4 bytes (a NUL byte and the padding alike), and
 * each word left out lies between words kept, so find must tell them apart
 * inside the tied buckets and inside a bucket. */
Test(vocab, absent_words_between_tied_heads)
{
    mg_interner *interner = mg_interner_create(INTERNER_PART);
    cr_assert_not_null(interner);
    unsigned char word[TIED_MAX];
    for (uint32_t serial = 0; serial < TIED_WORDS; serial++)
        if (serial % 3 != 0)
            intern(interner, tied_word(serial, word));
    mg_vocab_dict *dict = NULL;
    uint32_t *remap = NULL;
    cr_assert_eq(mg_vocab_dict_freeze(interner, &PARTS, &dict, &remap), MG_OK);
    for (uint32_t serial = 0; serial < TIED_WORDS; serial++) {
        mg_token token = tied_word(serial, word);
        uint32_t held = mg_interner_find(interner, &token);
        cr_assert_eq(held == MG_VOCAB_NO_ID, serial % 3 == 0);
        cr_assert_eq(mg_vocab_dict_find(dict, &token), held == MG_VOCAB_NO_ID ? MG_VOCAB_NO_ID : remap[held],
                     "word %u", serial);
    }
    mg_vocab_remap_free(SCRATCH_PART, remap, mg_interner_count(interner));
    mg_vocab_dict_destroy(dict);
    check_frozen(interner);
    mg_interner_destroy(interner);
}

Test(vocab, empty_vocabulary)
{
    mg_interner *interner = mg_interner_create(INTERNER_PART);
    cr_assert_not_null(interner);
    check_frozen(interner);
    mg_vocab_dict *dict = NULL;
    uint32_t *remap = NULL;
    cr_assert_eq(mg_vocab_dict_freeze(interner, &PARTS, &dict, &remap), MG_OK);
    mg_token word = text("x");
    cr_expect_eq(mg_vocab_dict_find(dict, &word), MG_VOCAB_NO_ID);
    mg_vocab_remap_free(SCRATCH_PART, remap, 2);
    mg_vocab_dict_destroy(dict);
    mg_interner_destroy(interner);
}

Test(vocab, remap_orders_random_words)
{
    mg_interner *interner = mg_interner_create(INTERNER_PART);
    cr_assert_not_null(interner);
    mgt_rng rng = mgt_rng_make(42);
    unsigned char word[40];
    for (int k = 0; k < 20000; k++) {
        size_t len = 1 + mgt_rng_below(&rng, sizeof word);
        for (size_t at = 0; at < len; at++)
            word[at] = (unsigned char)mgt_rng_below(&rng, 4); /* NULs included, many shared prefixes */
        intern(interner, word_of(word, len));
    }
    check_frozen(interner);
    mg_interner_destroy(interner);
}

Test(vocab, out_of_memory_leaves_everything_usable)
{
    uint64_t before = requested();
    mg_interner *interner = mg_interner_create(INTERNER_PART);
    cr_assert_not_null(interner);
    char word[32];
    int interned = 0;
    mg_mem_set_limit(requested() + 6000);
    for (int k = 0; k < 2000; k++) {
        snprintf(word, sizeof word, "word%d", k);
        mg_token token = text(word);
        uint32_t id;
        uint32_t count = mg_interner_count(interner);
        if (mg_interner_intern(interner, &token, &id) != MG_OK) {
            cr_expect_eq(mg_interner_count(interner), count);
            cr_expect_eq(mg_interner_find(interner, &token), MG_VOCAB_NO_ID);
            continue;
        }
        interned++;
    }
    cr_expect_gt(interned, 0);
    cr_expect_lt(interned, 2000);
    mg_vocab_dict *dict = NULL;
    uint32_t *remap = NULL;
    mg_mem_set_limit(requested() + 16);
    cr_expect_eq(mg_vocab_dict_freeze(interner, &PARTS, &dict, &remap), MG_ERR_NOMEM);
    mg_mem_set_limit(0);
    check_frozen(interner);
    mg_interner_destroy(interner);
    cr_expect_eq(requested(), before);
}

/* ---- parts ---------------------------------------------------------------- */

static uint64_t part_bytes(int part)
{
    mg_mem_counters counters;
    mg_mem_read(&counters);
    return counters.part_bytes[part];
}

/* Each tag holds exactly the blocks of the structure given it, and nothing
 * once that is freed; no byte goes untagged. */
Test(vocab, parts_hold_exactly_their_blocks)
{
    uint64_t other = part_bytes(MG_PART_OTHER);
    mg_interner *interner = mg_interner_create(INTERNER_PART);
    cr_assert_not_null(interner);
    char word[32];
    for (int k = 0; k < 3000; k++) {
        snprintf(word, sizeof word, "word%d", k);
        intern(interner, text(word));
    }
    cr_expect_eq(part_bytes(INTERNER_PART), mg_interner_bytes(interner));
    mg_vocab_dict *dict = NULL;
    uint32_t *remap = NULL;
    cr_assert_eq(mg_vocab_dict_freeze(interner, &PARTS, &dict, &remap), MG_OK);
    cr_expect_gt(part_bytes(WORDS_PART), 0);
    cr_expect_gt(part_bytes(INDEX_PART), 0);
    cr_expect_eq(part_bytes(WORDS_PART) + part_bytes(INDEX_PART), mg_vocab_dict_bytes(dict));
    cr_expect_geq(part_bytes(SCRATCH_PART), mg_interner_count(interner) * sizeof *remap, "the remap is scratch");
    mg_vocab_remap_free(SCRATCH_PART, remap, mg_interner_count(interner));
    cr_expect_eq(part_bytes(SCRATCH_PART), 0);
    uint64_t words = part_bytes(WORDS_PART), index = part_bytes(INDEX_PART);
    cr_assert_eq(mg_vocab_dict_build_index(dict), MG_OK);
    cr_expect_eq(part_bytes(WORDS_PART), words, "the hash index is no word bytes");
    cr_expect_gt(part_bytes(INDEX_PART), index);
    cr_expect_eq(part_bytes(WORDS_PART) + part_bytes(INDEX_PART), mg_vocab_dict_bytes(dict));
    mg_interner_destroy(interner);
    cr_expect_eq(part_bytes(INTERNER_PART), 0);
    mg_vocab_dict_destroy(dict);
    cr_expect_eq(part_bytes(WORDS_PART), 0);
    cr_expect_eq(part_bytes(INDEX_PART), 0);
    cr_expect_eq(part_bytes(MG_PART_OTHER), other);
}
