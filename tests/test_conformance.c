/*
 * test_conformance.c — every registered backend (mg_backends[], never the
 * tests-only ones) and the skeleton of docs/adding-a-backend.md against an
 * independent reference, orders 1..5, on a Zipf-like text and on hostile corpora. MEMGRAMS_CONFORMANCE_BACKENDS=a,b
 * narrows the run to the backends named (while working on one).
 *
 * The reference is written here (its token order in tests/token_order.c) and
 * shares nothing with harness/corpus/tokenize.c, harness/measure/dump.c or mg_token_compare:
 * it splits the corpus bytes into lines and words itself, counts every
 * n-gram ("sort | uniq -c"), and renders the expected dump lines
 * "gram\tcount" sorted bytewise (LC_ALL=C).
 *
 * One Test per property and corpus (suite = property, name = corpus); each
 * loops over backends x orders and names the backend, order and corpus in
 * every message. Per check at most MAX_SHOWN mismatches are shown, then
 * their number.
 */
#include "support.h"
#include "token_order.h"

#include "backend.h"
#include "dump.h"
#include "generate.h"
#include "mem.h"
#include "random.h"
#include "run.h"
#include "settings.h"
#include "tokenize.h"

#include <criterion/criterion.h>

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SHOWN 4
#define TIMEOUT 600 /* seconds a test may take (sanitizers, slow machines) */

/* A word no corpus here holds (0x01 never appears in them). */
static const mg_token NEVER = {(const unsigned char *)"\x01never\x02", 7};
static const mg_token START = {NULL, MG_MARK_START};
static const mg_token END = {NULL, MG_MARK_END};

/* ---- corpora ----------------------------------------------------------------- */

typedef void corpus_builder(mgt_buffer *out);

/* A word of len varied non-separator bytes: upper case, NUL, high bytes. */
static void random_word(mgt_buffer *out, mgt_rng *rng, size_t len)
{
    static const char alphabet[] = "abcdeXYZ\0\x80\xc3\xff-_.019<>/";
    for (size_t k = 0; k < len; k++)
        mgt_buffer_append_byte(out, (unsigned char)alphabet[mgt_rng_below(rng, sizeof alphabet - 1)]);
}

/* Lines of words drawn from a small list, skewed to the first ones, so that
 * grams repeat (counts >= 2 exist for prune). */
static void lines_from(mgt_buffer *out, mgt_rng *rng, size_t lines, const char *const *words, const size_t *lens,
                       size_t word_count, size_t max_words)
{
    for (size_t line = 0; line < lines; line++) {
        size_t count = (size_t)mgt_rng_below(rng, max_words + 1);
        for (size_t k = 0; k < count; k++) {
            size_t pick = (size_t)mgt_rng_below(rng, 1 + mgt_rng_below(rng, word_count));
            if (k)
                mgt_buffer_append_byte(out, ' ');
            mgt_buffer_append(out, words[pick], lens[pick]);
        }
        mgt_buffer_append_byte(out, '\n');
    }
}

static void corpus_zipf(mgt_buffer *out) { mgt_zipf_text(out, 1, 3000, 2000); }

static void corpus_nul_bytes(mgt_buffer *out)
{
    static const char *const words[] = {"a", "a\0", "\0a", "\0", "\0\0", "a\0b", "ab", "b", "b\0\0\0", "\0A"};
    static const size_t lens[] = {1, 2, 2, 1, 2, 3, 2, 1, 4, 2};
    mgt_rng rng = mgt_rng_make(2);
    lines_from(out, &rng, 400, words, lens, 10, 7);
    mgt_buffer_append(out, "a\0\0b \0\n", 7);
}

/* A 1 MB word (three times, once as a prefix of itself), and a 2.5 MiB one
 * spanning the tokenizer's 1 MiB read-buffer boundaries. */
static void corpus_big_token(mgt_buffer *out)
{
    mgt_rng rng = mgt_rng_make(3);
    mgt_buffer big = {0}, huge = {0};
    random_word(&big, &rng, 1000000);
    random_word(&huge, &rng, (5u << 20) / 2);
    mgt_buffer_append_str(out, "x ");
    mgt_buffer_append(out, big.bytes, big.len);
    mgt_buffer_append_str(out, " y\n");
    mgt_buffer_append(out, big.bytes, big.len);
    mgt_buffer_append_str(out, "\nz ");
    mgt_buffer_append(out, big.bytes, 1000);
    mgt_buffer_append_str(out, "\nx ");
    mgt_buffer_append(out, big.bytes, big.len);
    mgt_buffer_append_str(out, " y\ny x\n");
    mgt_buffer_append_repeat(out, ' ', 5000);
    mgt_buffer_append_str(out, "q ");
    mgt_buffer_append(out, huge.bytes, huge.len);
    mgt_buffer_append_str(out, " x\ny x\nx y x y\n");
    mgt_buffer_free(&big);
    mgt_buffer_free(&huge);
}

/* CRLF line ends, \t \v \f \r runs between words, lines of whitespace only. */
static void corpus_crlf_whitespace(mgt_buffer *out)
{
    static const char *const words[] = {"the", "cat", "sat", "on", "mat", "The", "CAT", "a"};
    static const char separators[] = " \t\v\f\r";
    static const char *const blank[] = {"  \t\r\n", "\v\f\n", "\r\n", " \n", "\t\t\r\r\n"};
    mgt_rng rng = mgt_rng_make(4);
    for (int line = 0; line < 400; line++) {
        if (mgt_rng_below(&rng, 6) == 0) {
            mgt_buffer_append_str(out, blank[mgt_rng_below(&rng, 5)]);
            continue;
        }
        size_t count = 1 + (size_t)mgt_rng_below(&rng, 6);
        for (size_t k = 0; k < count; k++) {
            size_t runs = (k == 0 ? 0 : 1) + (size_t)mgt_rng_below(&rng, 3);
            for (size_t r = 0; r < runs; r++)
                mgt_buffer_append_byte(out, (unsigned char)separators[mgt_rng_below(&rng, 5)]);
            mgt_buffer_append_str(out, words[mgt_rng_below(&rng, 1 + mgt_rng_below(&rng, 8))]);
        }
        if (mgt_rng_below(&rng, 3) == 0)
            mgt_buffer_append_byte(out, (unsigned char)separators[mgt_rng_below(&rng, 5)]);
        mgt_buffer_append_str(out, mgt_rng_below(&rng, 4) ? "\r\n" : "\n");
    }
}

static void corpus_empty_lines(mgt_buffer *out)
{
    static const char *const words[] = {"a", "b", "c", "d"};
    static const size_t lens[] = {1, 1, 1, 1};
    mgt_rng rng = mgt_rng_make(5);
    mgt_buffer_append_str(out, "\n\n");
    for (int line = 0; line < 300; line++) {
        if (mgt_rng_below(&rng, 10) < 6)
            mgt_buffer_append_byte(out, '\n');
        else
            lines_from(out, &rng, 1, words, lens, 4, 3);
    }
    mgt_buffer_append_str(out, "\n\n\n");
}

static void corpus_only_newlines(mgt_buffer *out) { mgt_buffer_append_str(out, "\n\n\n"); }

static void corpus_no_final_newline(mgt_buffer *out)
{
    static const char *const words[] = {"to", "be", "or", "not", "end"};
    static const size_t lens[] = {2, 2, 2, 3, 3};
    mgt_rng rng = mgt_rng_make(6);
    lines_from(out, &rng, 60, words, lens, 5, 6);
    mgt_buffer_append_str(out, "to be or not\nlast line only here");
}

/* Bytes 0x80-0xFF and upper case letters; words that look like markers. */
static void corpus_high_bytes_upper(mgt_buffer *out)
{
    static const char *const words[] = {"\x80", "\xff", "\xc3\x84", "\xc3\xa4", "ABC", "abc", "AbC",
                                        "\xc3\x84" "BC", "<s>", "</s>", "<S>", "\xe2\x82\xac", "ZZ", "zz",
                                        "@[`{", "\xfe\xff\x80"};
    size_t lens[16];
    for (int k = 0; k < 16; k++)
        lens[k] = strlen(words[k]);
    mgt_rng rng = mgt_rng_make(7);
    lines_from(out, &rng, 300, words, lens, 16, 6);
    for (int line = 0; line < 50; line++) {
        size_t len = 1 + (size_t)mgt_rng_below(&rng, 4);
        for (size_t k = 0; k < len; k++)
            mgt_buffer_append_byte(out, (unsigned char)(0x80 + mgt_rng_below(&rng, 128)));
        mgt_buffer_append_str(out, " X\n");
    }
}

static void corpus_empty_file(mgt_buffer *out) { (void)out; }

/* ---- the reference -------------------------------------------------------------- */

/* One n-gram; positions >= order hold the start marker, so whole arrays compare. */
typedef struct rgram {
    mg_token tokens[MG_ORDER_MAX];
    uint64_t count;
} rgram;

typedef struct reference {
    int order;
    unsigned char *lowered; /* the corpus, A-Z lowered: words point into it */
    rgram *grams;           /* distinct grams, sorted by ref_gram_compare */
    size_t count;
    uint64_t words;         /* words in the corpus */
} reference;

static int ref_gram_compare(const void *left, const void *right)
{
    return mgt_tokens_compare(((const rgram *)left)->tokens, ((const rgram *)right)->tokens, MG_ORDER_MAX);
}

static bool is_separator(unsigned char byte)
{
    return byte == ' ' || byte == '\t' || byte == '\n' || byte == '\v' || byte == '\f' || byte == '\r';
}

static void reference_build(reference *ref, const mgt_buffer *corpus, int order)
{
    memset(ref, 0, sizeof *ref);
    ref->order = order;
    ref->lowered = malloc(corpus->len + 1);
    cr_assert_not_null(ref->lowered);
    for (size_t k = 0; k < corpus->len; k++) {
        unsigned char byte = corpus->bytes[k];
        ref->lowered[k] = byte >= 'A' && byte <= 'Z' ? (unsigned char)(byte - 'A' + 'a') : byte;
    }
    const unsigned char *text = ref->lowered;
    size_t len = corpus->len;
    rgram *all = NULL;
    size_t all_count = 0, all_cap = 0;
    for (size_t line = 0; line < len;) {
        size_t end = line;
        while (end < len && text[end] != '\n')
            end++;
        mg_token window[MG_ORDER_MAX];
        for (int k = 0; k < MG_ORDER_MAX; k++)
            window[k] = START;
        for (size_t at = line;;) {
            while (at < end && is_separator(text[at]))
                at++;
            mg_token next = END;
            if (at < end) {
                size_t stop = at;
                while (stop < end && !is_separator(text[stop]))
                    stop++;
                next = (mg_token){text + at, (uint32_t)(stop - at)};
                at = stop;
                ref->words++;
            }
            memmove(window, window + 1, sizeof(mg_token) * (size_t)(order - 1));
            window[order - 1] = next;
            if (all_count == all_cap) {
                all_cap = all_cap ? 2 * all_cap : 1024;
                all = realloc(all, all_cap * sizeof *all);
                cr_assert_not_null(all);
            }
            rgram *gram = &all[all_count++];
            for (int k = 0; k < MG_ORDER_MAX; k++)
                gram->tokens[k] = k < order ? window[k] : START;
            gram->count = 1;
            if (next.bytes == NULL)
                break;
        }
        line = end < len ? end + 1 : end;
    }
    if (all_count)
        qsort(all, all_count, sizeof *all, ref_gram_compare);
    size_t distinct = 0;
    for (size_t k = 0; k < all_count; k++) {
        if (distinct && ref_gram_compare(&all[distinct - 1], &all[k]) == 0)
            all[distinct - 1].count++;
        else
            all[distinct++] = all[k];
    }
    ref->grams = all;
    ref->count = distinct;
}

static void reference_free(reference *ref)
{
    free(ref->lowered);
    free(ref->grams);
    memset(ref, 0, sizeof *ref);
}

/* Count of the gram (order tokens) in the reference, 0 when absent. */
static uint64_t reference_count(const reference *ref, const mg_token *gram)
{
    rgram key;
    for (int k = 0; k < MG_ORDER_MAX; k++)
        key.tokens[k] = k < ref->order ? gram[k] : START;
    const rgram *found = ref->count ? bsearch(&key, ref->grams, ref->count, sizeof key, ref_gram_compare) : NULL;
    return found ? found->count : 0;
}

/* [*first, *last) are the grams whose first order-1 tokens are context. */
static void reference_context_range(const reference *ref, const mg_token *context, size_t *first, size_t *last)
{
    int length = ref->order - 1;
    size_t low = 0, high = ref->count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        if (mgt_tokens_compare(ref->grams[middle].tokens, context, length) < 0)
            low = middle + 1;
        else
            high = middle;
    }
    *first = low;
    high = ref->count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        if (mgt_tokens_compare(ref->grams[middle].tokens, context, length) <= 0)
            low = middle + 1;
        else
            high = middle;
    }
    *last = low;
}

/* Distinct grams and contexts among grams with count >= min_count. */
static void reference_sizes(const reference *ref, uint64_t min_count, uint64_t *ngrams, uint64_t *contexts)
{
    *ngrams = *contexts = 0;
    const rgram *previous = NULL;
    for (size_t k = 0; k < ref->count; k++) {
        if (ref->grams[k].count < min_count)
            continue;
        (*ngrams)++;
        if (!previous || mgt_tokens_compare(previous->tokens, ref->grams[k].tokens, ref->order - 1) != 0)
            (*contexts)++;
        previous = &ref->grams[k];
    }
}

typedef struct line_span {
    size_t offset, len;
} line_span;

static const unsigned char *sort_text;

static int line_compare(const void *left, const void *right)
{
    const line_span *a = left, *b = right;
    size_t shorter = a->len < b->len ? a->len : b->len;
    int order = memcmp(sort_text + a->offset, sort_text + b->offset, shorter);
    return order ? order : (a->len > b->len) - (a->len < b->len);
}

/* The expected dump of the grams with count >= min_count. */
static void reference_dump(const reference *ref, uint64_t min_count, mgt_buffer *out)
{
    mgt_buffer lines = {0};
    line_span *spans = malloc((ref->count + 1) * sizeof *spans);
    cr_assert_not_null(spans);
    size_t span_count = 0;
    for (size_t k = 0; k < ref->count; k++) {
        const rgram *gram = &ref->grams[k];
        if (gram->count < min_count)
            continue;
        size_t start = lines.len;
        for (int position = 0; position < ref->order; position++) {
            const mg_token *token = &gram->tokens[position];
            if (position)
                mgt_buffer_append_byte(&lines, ' ');
            if (token->bytes == NULL)
                mgt_buffer_append_str(&lines, token->len == MG_MARK_START ? "<s>" : "</s>");
            else
                mgt_buffer_append(&lines, token->bytes, token->len);
        }
        mgt_buffer_appendf(&lines, "\t%" PRIu64, gram->count);
        spans[span_count++] = (line_span){start, lines.len - start};
    }
    sort_text = lines.bytes;
    if (span_count)
        qsort(spans, span_count, sizeof *spans, line_compare);
    for (size_t k = 0; k < span_count; k++) {
        mgt_buffer_append(out, lines.bytes + spans[k].offset, spans[k].len);
        mgt_buffer_append_byte(out, '\n');
    }
    free(spans);
    mgt_buffer_free(&lines);
}

/* ---- test context -------------------------------------------------------------------- */

typedef struct corpus_case {
    const char *name;
    mgt_buffer bytes;
    char *path;
    char *variants[2]; /* other temporary corpora of the test */
} corpus_case;

static corpus_case current; /* the corpus of the running test (one per process) */

static void corpus_load(const char *name, corpus_builder *build)
{
    current.name = name;
    build(&current.bytes);
    current.path = mgt_temp_file(current.bytes.bytes, current.bytes.len);
}

static void corpus_cleanup(void)
{
    mg_mem_set_limit(0);
    mgt_temp_remove(current.path);
    for (int k = 0; k < 2; k++)
        mgt_temp_remove(current.variants[k]);
    mgt_buffer_free(&current.bytes);
    memset(&current, 0, sizeof current);
}

/* docs/skeleton/skeleton_backend.c, compiled into this program only. */
extern const mg_backend mg_backend_skeleton;

/* The backends under test: every registered one and the skeleton, or only
 * those named in MEMGRAMS_CONFORMANCE_BACKENDS (a comma list), to work on one backend. */
static const mg_backend *tested[64];
static size_t tested_count;

static bool name_listed(const char *list, const char *name)
{
    size_t length = strlen(name);
    for (const char *at = list; *at; at += strcspn(at, ","), at += *at == ',')
        if (strncmp(at, name, length) == 0 && (at[length] == ',' || at[length] == '\0'))
            return true;
    return false;
}

static void tested_add(const char *only, const mg_backend *backend)
{
    if ((!only || !*only || name_listed(only, backend->name)) && tested_count < sizeof tested / sizeof tested[0])
        tested[tested_count++] = backend;
}

/* MEMGRAMS_CONFORMANCE_SETTINGS=TEXT (a normal settings text, e.g.
 * training-budget-kib=4): the backends that take it, each configured so
 * at create, stand in for the registered ones (one per create function:
 * a frozen twin trains as its base does). Their copies of the ops table
 * are named NAME:TEXT; create is wrapped to configure the table. */
enum { CONFIGURED_MAX = 16 };
static mg_backend configured[CONFIGURED_MAX];
static const mg_backend *configured_base[CONFIGURED_MAX];
static char configured_name[CONFIGURED_MAX][MG_SETTINGS_SIZE + 64];
static const char *configured_text;

static mg_table *configured_create(const mg_backend *ops, int order)
{
    size_t k = 0; /* by name: a test may copy the ops table (expect_fallback_same) */
    while (strcmp(configured[k].name, ops->name) != 0)
        k++;
    mg_table *table = configured_base[k]->create(ops, order);
    if (table && mg_settings_configure(table, configured_text) != MG_OK) {
        table->ops->destroy(table);
        return NULL;
    }
    return table;
}

static bool takes_settings(const mg_backend *backend, const char *text)
{
    mg_setting_list list = mg_backend_setting_list(backend);
    char normal[MG_SETTINGS_SIZE], error[256];
    return list.count > 0 && mg_settings_normal(&list, text, normal, sizeof normal, error, sizeof error) == 0 &&
           strcmp(normal, text) == 0;
}

static void configured_add(const char *only, const mg_backend *backend, const char *text)
{
    static size_t count;
    for (size_t k = 0; k < count; k++)
        if (configured_base[k]->create == backend->create)
            return;
    if (count == CONFIGURED_MAX || !takes_settings(backend, text))
        return;
    configured_base[count] = backend;
    configured[count] = *backend;
    configured[count].create = configured_create;
    snprintf(configured_name[count], sizeof configured_name[count], "%s:%s", backend->name, text);
    configured[count].name = configured_name[count];
    configured_text = text;
    tested_add(only, &configured[count++]);
}

static size_t backend_count(void)
{
    if (tested_count)
        return tested_count;
    const char *only = getenv("MEMGRAMS_CONFORMANCE_BACKENDS");
    const char *settings = getenv("MEMGRAMS_CONFORMANCE_SETTINGS");
    for (const mg_backend *const *backend = mg_backends; *backend; backend++)
        if (settings && *settings)
            configured_add(only, *backend, settings);
        else
            tested_add(only, *backend);
    if (!settings || !*settings)
        tested_add(only, &mg_backend_skeleton);
    cr_assert_gt(tested_count, 0, "no backend to test (MEMGRAMS_CONFORMANCE_BACKENDS=%s, MEMGRAMS_CONFORMANCE_SETTINGS=%s)",
                 only ? only : "", settings ? settings : "");
    return tested_count;
}

static void where_set(char *where, size_t size, const mg_backend *backend, int order, const char *stage)
{
    snprintf(where, size, "backend %s, order %d, corpus %s%s%s", backend->name, order, current.name,
             stage ? ", " : "", stage ? stage : "");
}

static mg_reader *reader_open(const char *path, int order)
{
    char error[256] = "";
    mg_reader *reader = mg_reader_open(path, UINT64_MAX, order, error, sizeof error);
    cr_assert_not_null(reader, "mg_reader_open(%s): %s", path, error);
    return reader;
}

/* A trained table (finalized if asked); asserts every step succeeds. */
static mg_table *train_path(const mg_backend *backend, const char *path, int order, bool finalize, const char *where)
{
    mg_table *table = mg_table_create(backend, order);
    cr_assert_not_null(table, "%s: create returned NULL", where);
    cr_assert(table->ops == backend && table->order == order, "%s: create did not fill the handle", where);
    mg_reader *reader = reader_open(path, order);
    int status = mg_train(table, reader);
    cr_assert_eq(status, MG_OK, "%s: mg_train returned %d (%s)", where, status, mg_reader_error(reader));
    mg_reader_close(reader);
    if (finalize) {
        status = table->ops->finalize(table);
        cr_assert_eq(status, MG_OK, "%s: finalize returned %d", where, status);
    }
    return table;
}

static mg_table *train(const mg_backend *backend, int order, bool finalize, const char *where)
{
    return train_path(backend, current.path, order, finalize, where);
}

/* Shown in messages: a gram as text, each word cut to about 60 characters. */
static char *gram_text(char *out, size_t size, const mg_token *gram, int order)
{
    size_t used = 0;
    out[0] = '\0';
    for (int k = 0; k < order && size - used > 100; k++) {
        if (k)
            out[used++] = ' ';
        if (gram[k].bytes == NULL)
            used += (size_t)snprintf(out + used, size - used, "%s", gram[k].len == MG_MARK_START ? "<s>" : "</s>");
        else
            used += strlen(mgt_printable(out + used, 80, gram[k].bytes, gram[k].len));
    }
    return out;
}

/* ---- checks ------------------------------------------------------------------------------ */

/* dump byte-equal to the reference's (grams with count >= min_count). */
static void check_dump(mg_table *table, const reference *ref, uint64_t min_count,
                       const char *where)
{
    mgt_buffer want = {0};
    reference_dump(ref, min_count, &want);
    char *got = NULL;
    size_t got_len = 0;
    FILE *out = open_memstream(&got, &got_len);
    cr_assert_not_null(out);
    int status = mg_dump_table(table, out);
    cr_assert_eq(fclose(out), 0);
    cr_expect_eq(status, 0, "%s: mg_dump_table returned %d", where, status);
    if (got_len != want.len || (got_len && memcmp(got, want.bytes, got_len) != 0)) {
        size_t at = 0, line = 1, line_start = 0;
        while (at < got_len && at < want.len && got[at] == (char)want.bytes[at]) {
            if (got[at] == '\n') {
                line++;
                line_start = at + 1;
            }
            at++;
        }
        size_t got_end = line_start, want_end = line_start;
        while (got_end < got_len && got[got_end] != '\n')
            got_end++;
        while (want_end < want.len && want.bytes[want_end] != '\n')
            want_end++;
        char got_text[200], want_text[200];
        cr_expect(0, "%s: dump differs from the reference (%zu bytes, expected %zu) at line %zu:\n  got  \"%s\"\n  want \"%s\"",
                  where, got_len, want.len, line,
                  mgt_printable(got_text, sizeof got_text, got + line_start, got_end - line_start),
                  mgt_printable(want_text, sizeof want_text, want.bytes + line_start, want_end - line_start));
    }
    free(got);
    mgt_buffer_free(&want);
}

static void check_sizes(mg_table *table, const reference *ref, uint64_t min_count,
                        const char *where)
{
    uint64_t want_ngrams, want_contexts, ngrams = UINT64_MAX, contexts = UINT64_MAX;
    reference_sizes(ref, min_count, &want_ngrams, &want_contexts);
    table->ops->sizes(table, &ngrams, &contexts);
    cr_expect_eq(ngrams, want_ngrams, "%s: sizes gives %" PRIu64 " n-grams, expected %" PRIu64, where, ngrams,
                 want_ngrams);
    cr_expect_eq(contexts, want_contexts, "%s: sizes gives %" PRIu64 " contexts, expected %" PRIu64, where,
                 contexts, want_contexts);
}

typedef struct mismatches {
    const char *where;
    int count;
} mismatches;

static void count_expect(mg_table *table, const reference *ref, uint64_t min_count,
                         const mg_token *gram, mismatches *seen, const char *kind)
{
    uint64_t want = reference_count(ref, gram);
    if (want < min_count)
        want = 0;
    uint64_t got = table->ops->count(table, gram);
    if (got != want && seen->count++ < MAX_SHOWN) {
        char text[300];
        cr_expect(0, "%s: count(%s) = %" PRIu64 ", expected %" PRIu64 " (%s)", seen->where,
                  gram_text(text, sizeof text, gram, ref->order), got, want, kind);
    }
}

/* count of every reference gram, and of near misses built from them (a word
 * replaced by one that never occurs, cut by a byte, grown by a NUL or an 'x',
 * markers swapped, the gram reversed); every expectation comes from the
 * reference, so present and absent grams are both checked. */
static void check_counts(mg_table *table, const reference *ref, uint64_t min_count,
                         const char *where)
{
    mismatches seen = {where, 0};
    int order = ref->order;
    size_t stride = ref->count > 3000 ? ref->count / 3000 : 1;
    mgt_buffer scratch = {0};
    uint64_t absent_checked = 0;
    for (size_t index = 0; index < ref->count; index++) {
        const mg_token *gram = ref->grams[index].tokens;
        count_expect(table, ref, min_count, gram, &seen, "present");
        if (index % stride)
            continue;
        mg_token query[MG_ORDER_MAX];
        for (int k = 0; k < order; k++) {
            memcpy(query, gram, sizeof query);
            query[k] = NEVER;
            count_expect(table, ref, min_count, query, &seen, "a word that never occurs");
            absent_checked++;
            query[k] = gram[k].bytes ? START : (gram[k].len == MG_MARK_START ? END : START);
            count_expect(table, ref, min_count, query, &seen, "a marker in place of a token");
            if (gram[k].bytes == NULL)
                continue;
            if (gram[k].len > 1) {
                query[k] = (mg_token){gram[k].bytes, gram[k].len - 1};
                count_expect(table, ref, min_count, query, &seen, "a word cut by a byte");
            }
            scratch.len = 0;
            mgt_buffer_append(&scratch, gram[k].bytes, gram[k].len);
            mgt_buffer_append_byte(&scratch, '\0');
            query[k] = (mg_token){scratch.bytes, gram[k].len + 1};
            count_expect(table, ref, min_count, query, &seen, "a word grown by a NUL");
            scratch.bytes[gram[k].len] = 'x';
            count_expect(table, ref, min_count, query, &seen, "a word grown by an x");
        }
        for (int k = 0; k < order; k++)
            query[k] = gram[order - 1 - k];
        count_expect(table, ref, min_count, query, &seen, "the gram reversed");
    }
    /* grams that no corpus here can hold */
    mg_token odd[MG_ORDER_MAX];
    for (int k = 0; k < order; k++)
        odd[k] = k + 1 < order ? END : START; /* end markers, then a start marker last */
    count_expect(table, ref, min_count, odd, &seen, "markers out of place");
    for (int k = 0; k < order; k++)
        odd[k] = NEVER;
    count_expect(table, ref, min_count, odd, &seen, "never words only");
    cr_expect(ref->count == 0 || absent_checked > 0, "%s: no absent gram checked", where);
    if (seen.count > MAX_SHOWN)
        cr_expect(0, "%s: %d count mismatches in all", where, seen.count);
    mgt_buffer_free(&scratch);
}

/* Successors gathered from a backend: copies, since visited tokens live only during the call. */
typedef struct gathered {
    mgt_buffer bytes;
    struct {
        size_t offset;
        mg_token token; /* bytes fixed up after the walk */
        uint64_t count;
    } *items;
    size_t count, cap;
    int stop_with; /* return this from the first visit (0: go on) */
} gathered;

static int gather_visit(void *arg, const mg_token *next, uint64_t count)
{
    gathered *all = arg;
    if (all->count == all->cap) {
        all->cap = all->cap ? 2 * all->cap : 64;
        all->items = realloc(all->items, all->cap * sizeof *all->items);
        cr_assert_not_null(all->items);
    }
    all->items[all->count].offset = all->bytes.len;
    all->items[all->count].token = *next;
    all->items[all->count].count = count;
    all->count++;
    if (next->bytes)
        mgt_buffer_append(&all->bytes, next->bytes, next->len);
    return all->stop_with;
}

typedef struct pair {
    mg_token token;
    uint64_t count;
} pair;

static int pair_compare(const void *left, const void *right)
{
    const pair *a = left, *b = right;
    int order = mgt_token_compare(&a->token, &b->token);
    return order ? order : (a->count > b->count) - (a->count < b->count);
}

/* The gathered successors as sorted pairs (pointing into all->bytes). */
static pair *gathered_pairs(gathered *all)
{
    pair *pairs = malloc((all->count + 1) * sizeof *pairs);
    cr_assert_not_null(pairs);
    for (size_t k = 0; k < all->count; k++) {
        pairs[k].token = all->items[k].token;
        if (pairs[k].token.bytes)
            pairs[k].token.bytes = all->bytes.bytes + all->items[k].offset;
        pairs[k].count = all->items[k].count;
    }
    if (all->count)
        qsort(pairs, all->count, sizeof *pairs, pair_compare);
    return pairs;
}

static void gathered_free(gathered *all)
{
    mgt_buffer_free(&all->bytes);
    free(all->items);
    memset(all, 0, sizeof *all);
}

/* successors(context) equal, as a sorted list of (token, count), to the
 * reference's grams with that context and count >= min_count. */
static void successors_expect(mg_table *table, const reference *ref, uint64_t min_count,
                              const mg_token *context, mismatches *seen, const char *kind)
{
    size_t first, last;
    reference_context_range(ref, context, &first, &last);
    pair *want = malloc((last - first + 1) * sizeof *want);
    cr_assert_not_null(want);
    size_t want_count = 0;
    for (size_t k = first; k < last; k++)
        if (ref->grams[k].count >= min_count)
            want[want_count++] = (pair){ref->grams[k].tokens[ref->order - 1], ref->grams[k].count};
    gathered all = {0};
    int status = table->ops->successors(table, context, gather_visit, &all);
    pair *got = gathered_pairs(&all);
    bool same = status == 0 && all.count == want_count;
    for (size_t k = 0; same && k < want_count; k++)
        same = mgt_token_compare(&got[k].token, &want[k].token) == 0 && got[k].count == want[k].count;
    if (!same && seen->count++ < MAX_SHOWN) {
        char text[300], got_first[240] = "-", want_first[240] = "-";
        size_t k = 0;
        while (k < all.count && k < want_count && mgt_token_compare(&got[k].token, &want[k].token) == 0 &&
               got[k].count == want[k].count)
            k++;
        if (k < all.count)
            snprintf(got_first, sizeof got_first, "%s x%" PRIu64,
                     gram_text((char[200]){0}, 200, &got[k].token, 1), got[k].count);
        if (k < want_count)
            snprintf(want_first, sizeof want_first, "%s x%" PRIu64,
                     gram_text((char[200]){0}, 200, &want[k].token, 1), want[k].count);
        cr_expect(0,
                  "%s: successors(%s) [%s] returned %d and visited %zu, expected %zu; first difference at %zu: "
                  "got %s, want %s",
                  seen->where, ref->order > 1 ? gram_text(text, sizeof text, context, ref->order - 1) : "",
                  kind, status, all.count, want_count, k, got_first, want_first);
    }
    free(got);
    free(want);
    gathered_free(&all);
}

static void check_successors(mg_table *table, const reference *ref, uint64_t min_count,
                             const char *where)
{
    mismatches seen = {where, 0};
    int length = ref->order - 1;
    mg_token context[MG_ORDER_MAX] = {START, START, START, START, START};
    if (length == 0) {
        successors_expect(table, ref, min_count, context, &seen, "order 1: every unigram");
    } else {
        size_t contexts = 0;
        for (size_t k = 0; k < ref->count; k++)
            if (k == 0 || mgt_tokens_compare(ref->grams[k - 1].tokens, ref->grams[k].tokens, length) != 0)
                contexts++;
        size_t stride = contexts > 4000 ? contexts / 4000 : 1, seen_contexts = 0;
        for (size_t k = 0; k < ref->count; k++) {
            if (k && mgt_tokens_compare(ref->grams[k - 1].tokens, ref->grams[k].tokens, length) == 0)
                continue;
            const mg_token *present = ref->grams[k].tokens;
            successors_expect(table, ref, min_count, present, &seen, "a trained context");
            if (seen_contexts++ % stride)
                continue;
            for (int position = 0; position < length; position++) {
                memcpy(context, present, sizeof context);
                context[position] = NEVER;
                successors_expect(table, ref, min_count, context, &seen, "a word that never occurs");
                context[position] = present[position].bytes ? END : present[position];
                successors_expect(table, ref, min_count, context, &seen, "an end marker in the context");
            }
            for (int position = 0; position < length; position++)
                context[position] = present[length - 1 - position];
            successors_expect(table, ref, min_count, context, &seen, "the context reversed");
        }
        for (int position = 0; position < length; position++)
            context[position] = NEVER;
        successors_expect(table, ref, min_count, context, &seen, "never words only");
    }
    if (seen.count > MAX_SHOWN)
        cr_expect(0, "%s: %d successors mismatches in all", where, seen.count);
}

/* A visitor's non-zero return stops the walk and is returned by the op. */
static int count_and_stop(void *arg, const mg_token *next, uint64_t count)
{
    (void)next, (void)count;
    ++*(int *)arg;
    return 7;
}

static int count_and_stop_gram(void *arg, const mg_token *gram, uint64_t count)
{
    (void)gram, (void)count;
    ++*(int *)arg;
    return 9;
}

static void check_visitor_stops(mg_table *table, const reference *ref, const char *where)
{
    if (ref->count == 0)
        return;
    int calls = 0;
    int status = table->ops->foreach(table, count_and_stop_gram, &calls);
    cr_expect(status == 9 && calls == 1, "%s: foreach with a visitor returning 9 returned %d after %d visits", where,
              status, calls);
    calls = 0;
    status = table->ops->successors(table, ref->grams[0].tokens, count_and_stop, &calls);
    cr_expect(status == 7 && calls == 1, "%s: successors with a visitor returning 7 returned %d after %d visits",
              where, status, calls);
}

/* ---- properties ---------------------------------------------------------------------------- */

typedef void property(const reference *ref, const mg_backend *backend, const char *where);

/* Runs the property for every backend and order on the current corpus. */
static void for_each_backend_and_order(property *check)
{
    size_t backends = backend_count();
    for (int order = 1; order <= MG_ORDER_MAX; order++) {
        reference ref;
        reference_build(&ref, &current.bytes, order);
        for (size_t b = 0; b < backends; b++) {
            char where[256];
            where_set(where, sizeof where, tested[b], order, NULL);
            check(&ref, tested[b], where);
        }
        reference_free(&ref);
    }
}

static void property_dump(const reference *ref, const mg_backend *backend, const char *where)
{
    mg_table *table = train(backend, ref->order, true, where);
    check_dump(table, ref, 1, where);
    check_visitor_stops(table, ref, where);
    table->ops->destroy(table);
}

static void property_sizes(const reference *ref, const mg_backend *backend, const char *where)
{
    mg_table *table = train(backend, ref->order, true, where);
    check_sizes(table, ref, 1, where);
    table->ops->destroy(table);
}

static void property_count(const reference *ref, const mg_backend *backend, const char *where)
{
    char stage[300];
    mg_table *table = train(backend, ref->order, false, where);
    snprintf(stage, sizeof stage, "%s, before finalize", where);
    check_counts(table, ref, 1, stage);
    cr_assert_eq(table->ops->finalize(table), MG_OK, "%s: finalize failed", where);
    snprintf(stage, sizeof stage, "%s, after finalize", where);
    check_counts(table, ref, 1, stage);
    table->ops->destroy(table);
}

static void property_successors(const reference *ref, const mg_backend *backend, const char *where)
{
    mg_table *table = train(backend, ref->order, true, where);
    check_successors(table, ref, 1, where);
    table->ops->destroy(table);
}

static uint64_t reference_below(const reference *ref, uint64_t min_count)
{
    uint64_t below = 0;
    for (size_t k = 0; k < ref->count; k++)
        below += ref->grams[k].count < min_count;
    return below;
}

static void check_all(mg_table *table, const reference *ref, uint64_t min_count,
                      const char *where)
{
    check_dump(table, ref, min_count, where);
    check_sizes(table, ref, min_count, where);
    check_counts(table, ref, min_count, where);
    check_successors(table, ref, min_count, where);
}

static void expect_pruned(mg_table *table, const reference *ref, uint64_t min_count,
                          uint64_t already_below, const char *where)
{
    uint64_t want = reference_below(ref, min_count) - already_below;
    uint64_t dropped = table->ops->prune(table, min_count);
    cr_expect_eq(dropped, want, "%s: prune(%" PRIu64 ") returned %" PRIu64 ", expected %" PRIu64, where, min_count,
                 dropped, want);
}

static void property_prune(const reference *ref, const mg_backend *backend, const char *where)
{
    char stage[300];
    /* before finalize */
    mg_table *table = train(backend, ref->order, false, where);
    snprintf(stage, sizeof stage, "%s, prune(2) before finalize", where);
    expect_pruned(table, ref, 2, 0, stage);
    expect_pruned(table, ref, 2, reference_below(ref, 2), stage); /* again: nothing */
    cr_assert_eq(table->ops->finalize(table), MG_OK, "%s: finalize failed", stage);
    check_all(table, ref, 2, stage);
    table->ops->destroy(table);

    /* after finalize, then harder */
    table = train(backend, ref->order, true, where);
    snprintf(stage, sizeof stage, "%s, prune(1) after finalize", where);
    expect_pruned(table, ref, 1, 0, stage);
    snprintf(stage, sizeof stage, "%s, prune(2) after finalize", where);
    expect_pruned(table, ref, 2, 0, stage);
    check_all(table, ref, 2, stage);
    snprintf(stage, sizeof stage, "%s, prune(3) after prune(2)", where);
    expect_pruned(table, ref, 3, reference_below(ref, 2), stage);
    check_all(table, ref, 3, stage);
    snprintf(stage, sizeof stage, "%s, prune(max) after prune(3)", where);
    expect_pruned(table, ref, UINT64_MAX, reference_below(ref, 3), stage);
    check_all(table, ref, UINT64_MAX, stage);
    table->ops->destroy(table);
}

/* -- sample_successor: draws on every cumulative boundary, against the reference -- */

/* The smallest draw whose r = (draw * total) >> 64 is r (r < total). */
static uint64_t draw_for(uint64_t r, uint64_t total)
{
    return (uint64_t)((((mg_uint128)r << 64) + total - 1) / total);
}

/* sample_successor(context, draw) against the reference's grams [first, last)
 * (the context's, in canonical order) with count >= min_count. */
static void sample_expect(mg_table *table, const reference *ref, size_t first, size_t last, uint64_t min_count,
                          uint64_t draw, mismatches *seen, uint64_t *served)
{
    const mg_token *context = ref->grams[first].tokens, *want = NULL;
    uint64_t total = 0, below = 0;
    for (size_t index = first; index < last; index++)
        total += ref->grams[index].count >= min_count ? ref->grams[index].count : 0;
    uint64_t r = mg_scale_below(draw, total);
    for (size_t index = first; index < last && !want; index++) {
        below += ref->grams[index].count >= min_count ? ref->grams[index].count : 0;
        if (below > r)
            want = &ref->grams[index].tokens[ref->order - 1];
    }
    mg_token got = {NULL, UINT32_MAX};
    int found = table->ops->sample_successor(table, context, draw, &got);
    if (found == MG_SAMPLE_WALK) /* left to the generator: cross_backend checks its text */
        return;
    ++*served;
    bool right = want ? found == 1 && mgt_token_compare(&got, want) == 0 : found == 0;
    if (!right && seen->count++ < MAX_SHOWN) {
        char text[300], got_text[120], want_text[120];
        cr_expect(0, "%s: sample_successor(%s, draw %016" PRIx64 ", r %" PRIu64 " of %" PRIu64 ") = %d \"%s\", expected \"%s\"",
                  seen->where, gram_text(text, sizeof text, context, ref->order - 1), draw, r, total, found,
                  found == 1 ? gram_text(got_text, sizeof got_text, &got, 1) : "-",
                  want ? gram_text(want_text, sizeof want_text, want, 1) : "no successor");
    }
}

/* Every context of the reference: draws 0 and UINT64_MAX, and the draws whose
 * r lands on each cumulative boundary and one below it; a context of an
 * unknown word has no successor. With must_serve (a table with all the
 * memory it asked for), orders 2 up are not left to the walk. */
static void check_samples(mg_table *table, const reference *ref, uint64_t min_count, bool must_serve,
                          const char *where)
{
    mismatches seen = {where, 0};
    uint64_t served = 0;
    for (size_t first = 0, last; first < ref->count; first = last) {
        size_t start;
        reference_context_range(ref, ref->grams[first].tokens, &start, &last);
        uint64_t total = 0;
        for (size_t index = first; index < last; index++)
            total += ref->grams[index].count >= min_count ? ref->grams[index].count : 0;
        sample_expect(table, ref, first, last, min_count, 0, &seen, &served);
        sample_expect(table, ref, first, last, min_count, UINT64_MAX, &seen, &served);
        uint64_t below = 0;
        for (size_t index = first; index < last && total > 0; index++) {
            if (ref->grams[index].count < min_count)
                continue;
            below += ref->grams[index].count;
            if (below < total)
                sample_expect(table, ref, first, last, min_count, draw_for(below, total), &seen, &served);
            sample_expect(table, ref, first, last, min_count, draw_for(below - 1, total), &seen, &served);
        }
    }
    if (ref->order > 1) {
        mg_token context[MG_ORDER_MAX];
        for (int k = 0; k < ref->order - 1; k++)
            context[k] = k == ref->order - 2 ? NEVER : START;
        mg_token got;
        int found = table->ops->sample_successor(table, context, 0, &got);
        cr_expect(found == 0 || found == MG_SAMPLE_WALK, "%s: sample_successor found a successor of an unknown word",
                  where);
        cr_expect(!must_serve || ref->count == 0 || served > 0, "%s: sample_successor left every draw to the walk",
                  where);
    }
    if (seen.count > MAX_SHOWN)
        cr_expect(0, "%s: %d sample_successor mismatches in all", where, seen.count);
}

static void property_sample(const reference *ref, const mg_backend *backend, const char *where)
{
    if (!backend->sample_successor)
        return;
    mg_table *table = train(backend, ref->order, true, where);
    check_samples(table, ref, 1, true, where);
    table->ops->prune(table, 2);
    char stage[300];
    snprintf(stage, sizeof stage, "%s, after prune(2)", where);
    check_samples(table, ref, 2, true, stage);
    table->ops->destroy(table);
}

/* -- cross-backend: checksum and generation -- */

typedef struct sentence_sink {
    mgt_buffer record;   /* every sentence: per word its length (4 bytes) and bytes; 0xffffffff ends one */
    mgt_buffer words;    /* the current sentence's words */
    size_t offsets[MG_SENTENCE_WORDS_MAX + 1];
    uint32_t lens[MG_SENTENCE_WORDS_MAX + 1];
    size_t word_count;
    int ends, bad;
} sentence_sink;

static void sink_word(void *arg, const mg_token *word, int end_of_sentence)
{
    sentence_sink *sink = arg;
    if (end_of_sentence) {
        sink->ends++;
        uint32_t mark = UINT32_MAX;
        mgt_buffer_append(&sink->record, &mark, sizeof mark);
        return;
    }
    if (word == NULL || word->bytes == NULL || sink->word_count > MG_SENTENCE_WORDS_MAX) {
        sink->bad++;
        return;
    }
    sink->offsets[sink->word_count] = sink->words.len;
    sink->lens[sink->word_count++] = word->len;
    mgt_buffer_append(&sink->words, word->bytes, word->len);
    mgt_buffer_append(&sink->record, &word->len, sizeof word->len);
    mgt_buffer_append(&sink->record, word->bytes, word->len);
}

/* The word the generation rule (generate.h) draws after context, worked out from the
 * reference: its successors are contiguous and in canonical order there. */
static mg_token reference_draw(const reference *ref, const mg_token *context, uint64_t seed, uint64_t sentence,
                               uint64_t position)
{
    size_t first, last;
    reference_context_range(ref, context, &first, &last);
    uint64_t total = 0;
    for (size_t index = first; index < last; index++)
        total += ref->grams[index].count;
    uint64_t draw = mg_mix64(seed ^ mg_mix64(sentence * 0x100000001b3ULL + position));
    uint64_t r = (uint64_t)(((mg_uint128)draw * total) >> 64), below = 0;
    for (size_t index = first; index < last; index++) {
        below += ref->grams[index].count;
        if (below > r)
            return ref->grams[index].tokens[ref->order - 1];
    }
    return (mg_token){NULL, UINT32_MAX}; /* no successor: matches no token */
}

/* Generates sentences, checks each against the reference, and appends them to sink->record. */
static void generate_checked(mg_table *table, const reference *ref, uint64_t seed,
                             int sentences, sentence_sink *sink, uint64_t *total_words, const char *where)
{
    mg_generator *generator = mg_generator_create(seed);
    cr_assert_not_null(generator, "%s: mg_generator_create failed", where);
    int order = ref->order, shown = 0;
    for (int sentence = 0; sentence < sentences; sentence++) {
        sink->words.len = 0;
        sink->word_count = 0;
        sink->ends = sink->bad = 0;
        int64_t words = mg_generate_sentence(generator, table, (uint64_t)sentence, sink_word, sink);
        cr_expect(words >= 0 && (size_t)words == sink->word_count && sink->ends == 1 && sink->bad == 0,
                  "%s: seed %" PRIu64 " sentence %d: returned %" PRId64 ", sink got %zu words, %d ends, %d bad",
                  where, seed, sentence, words, sink->word_count, sink->ends, sink->bad);
        cr_expect_leq(sink->word_count, MG_SENTENCE_WORDS_MAX, "%s: sentence too long", where);
        *total_words += sink->word_count;
        if (ref->count == 0) {
            cr_expect_eq(sink->word_count, 0, "%s: words generated from an empty table", where);
            continue;
        }
        /* every window of the padded sentence was trained; the last one ends
         * with </s> unless the sentence was cut at MG_SENTENCE_WORDS_MAX */
        size_t windows = sink->word_count + (sink->word_count < MG_SENTENCE_WORDS_MAX);
        for (size_t end = 0; end < windows; end++) {
            mg_token gram[MG_ORDER_MAX];
            for (int k = 0; k < order; k++) {
                long position = (long)end - (order - 1) + k;
                if (position < 0)
                    gram[k] = START;
                else if ((size_t)position == sink->word_count)
                    gram[k] = END;
                else
                    gram[k] = (mg_token){sink->words.bytes + sink->offsets[position], sink->lens[position]};
            }
            if (reference_count(ref, gram) == 0 && shown++ < MAX_SHOWN) {
                char text[300];
                cr_expect(0, "%s: seed %" PRIu64 " sentence %d: generated window \"%s\" was never trained", where,
                          seed, sentence, gram_text(text, sizeof text, gram, order));
            }
            mg_token expected = reference_draw(ref, gram, seed, (uint64_t)sentence, end);
            if (mgt_token_compare(&expected, &gram[order - 1]) != 0 && shown++ < MAX_SHOWN) {
                char text[300];
                cr_expect(0, "%s: seed %" PRIu64 " sentence %d: window \"%s\" is not the cumulative draw", where,
                          seed, sentence, gram_text(text, sizeof text, gram, order));
            }
        }
    }
    mg_generator_destroy(generator);
}

/* The corpus's lines in reverse order, each ended by '\n': the same sentences. */
static void reversed_lines(const mgt_buffer *in, mgt_buffer *out)
{
    size_t end = in->len;
    if (end && in->bytes[end - 1] == '\n')
        end--;
    if (in->len == 0)
        return;
    for (;;) {
        size_t start = end;
        while (start > 0 && in->bytes[start - 1] != '\n')
            start--;
        mgt_buffer_append(out, in->bytes + start, end - start);
        mgt_buffer_append_byte(out, '\n');
        if (start == 0)
            break;
        end = start - 1;
    }
}

/* The backend with its sample_successor taken away generates, through the
 * generator's gather-and-sort, the text it generated with it. */
static void expect_fallback_same(const mg_backend *backend, const reference *ref, const sentence_sink *with,
                                 const char *where)
{
    mg_backend without = *backend;
    without.sample_successor = NULL;
    mg_table *table = train(&without, ref->order, true, where);
    sentence_sink sink = {0};
    uint64_t total_words = 0;
    generate_checked(table, ref, 12345, 32, &sink, &total_words, where);
    generate_checked(table, ref, 99, 4, &sink, &total_words, where);
    bool same = sink.record.len == with->record.len &&
                (sink.record.len == 0 || memcmp(sink.record.bytes, with->record.bytes, sink.record.len) == 0);
    cr_expect(same, "%s: generated text differs without sample_successor (%zu and %zu record bytes)", where,
              sink.record.len, with->record.len);
    table->ops->destroy(table);
    mgt_buffer_free(&sink.record);
    mgt_buffer_free(&sink.words);
}

static uint64_t checksum_of_path(const mg_backend *backend, const char *path, int order, const char *where)
{
    mg_table *table = train_path(backend, path, order, true, where);
    uint64_t checksum = mg_table_checksum(table);
    table->ops->destroy(table);
    return checksum;
}

/* Per order, over all backends at once: checksums and generated text must agree. */
static void cross_backend_all(void)
{
    size_t backends = backend_count();
    mgt_buffer reversed = {0}, changed = {0};
    reversed_lines(&current.bytes, &reversed);
    mgt_buffer_append(&changed, current.bytes.bytes, current.bytes.len);
    mgt_buffer_append_str(&changed, "\nmemgrams extra line\n");
    char *reversed_path = current.variants[0] = mgt_temp_file(reversed.bytes, reversed.len);
    char *changed_path = current.variants[1] = mgt_temp_file(changed.bytes, changed.len);
    uint64_t *checksums = calloc(backends, sizeof *checksums), *pruned = calloc(backends, sizeof *pruned);
    sentence_sink *sinks = calloc(backends, sizeof *sinks);
    cr_assert(checksums && pruned && sinks);
    for (int order = 1; order <= MG_ORDER_MAX; order++) {
        reference ref;
        reference_build(&ref, &current.bytes, order);
        for (size_t b = 0; b < backends; b++) {
            const mg_backend *backend = tested[b];
            char where[256];
            where_set(where, sizeof where, backend, order, NULL);
            mg_table *table = train(backend, order, true, where);
            checksums[b] = mg_table_checksum(table);
            uint64_t total_words = 0;
            sinks[b].record.len = 0;
            generate_checked(table, &ref, 12345, 32, &sinks[b], &total_words, where);
            generate_checked(table, &ref, 99, 4, &sinks[b], &total_words, where);
            if (ref.words > 0)
                cr_expect_gt(total_words, 0, "%s: 36 sentences and not one word", where);
            if (backend->sample_successor)
                expect_fallback_same(backend, &ref, &sinks[b], where);
            uint64_t dropped = table->ops->prune(table, 2);
            pruned[b] = mg_table_checksum(table);
            if (dropped > 0)
                cr_expect_neq(pruned[b], checksums[b], "%s: checksum unchanged by a prune that dropped %" PRIu64,
                              where, dropped);
            table->ops->destroy(table);

            /* the same sentences in another order: the same table */
            uint64_t reordered = checksum_of_path(backend, reversed_path, order, where);
            cr_expect_eq(reordered, checksums[b], "%s: checksum %016" PRIx64 " with the lines reversed, %016" PRIx64
                         " as read", where, reordered, checksums[b]);
            /* one line more: another table */
            uint64_t other = checksum_of_path(backend, changed_path, order, where);
            cr_expect_neq(other, checksums[b], "%s: checksum unchanged by an added line", where);

            if (b == 0)
                continue;
            cr_expect_eq(checksums[b], checksums[0], "%s: checksum %016" PRIx64 ", but %016" PRIx64 " from %s",
                         where, checksums[b], checksums[0], tested[0]->name);
            cr_expect_eq(pruned[b], pruned[0], "%s: checksum after prune(2) %016" PRIx64 ", but %016" PRIx64
                         " from %s", where, pruned[b], pruned[0], tested[0]->name);
            bool same = sinks[b].record.len == sinks[0].record.len &&
                        (sinks[b].record.len == 0 ||
                         memcmp(sinks[b].record.bytes, sinks[0].record.bytes, sinks[0].record.len) == 0);
            cr_expect(same, "%s: generated text differs from %s's (%zu and %zu record bytes)", where,
                      tested[0]->name, sinks[b].record.len, sinks[0].record.len);
        }
        reference_free(&ref);
    }
    for (size_t b = 0; b < backends; b++) {
        mgt_buffer_free(&sinks[b].record);
        mgt_buffer_free(&sinks[b].words);
    }
    free(sinks);
    free(checksums);
    free(pruned);
    mgt_buffer_free(&reversed);
    mgt_buffer_free(&changed);
}

/* -- memory: destroy gives everything back; allocation failure is survived -- */

static mg_mem_counters counters_now(void)
{
    mg_mem_counters counters;
    mg_mem_read(&counters);
    return counters;
}

static void expect_back(const mg_mem_counters *before, const char *where, const char *stage)
{
    mg_mem_counters now = counters_now();
    cr_expect_eq(now.bytes_requested, before->bytes_requested,
                 "%s: %s: requested %" PRIu64 " bytes, %" PRId64 " from before create", where, stage,
                 now.bytes_requested, (int64_t)(now.bytes_requested - before->bytes_requested));
    cr_expect_eq(now.blocks_live, before->blocks_live, "%s: %s: %" PRId64 " live blocks from before create", where,
                 stage, (int64_t)(now.blocks_live - before->blocks_live));
    /* a block freed under another tag than it was made with leaves one part up, another down */
    for (int tag = 0; tag < MG_PARTS_MAX; tag++)
        cr_expect_eq(now.part_bytes[tag], before->part_bytes[tag], "%s: %s: part %d holds %" PRId64 " bytes from before create",
                     where, stage, tag, (int64_t)(now.part_bytes[tag] - before->part_bytes[tag]));
}

/* Allow budget bytes more than requested now. A limit of 0 means none, so
 * a zero budget with nothing allocated is taken as one byte. */
static void set_budget(uint64_t budget)
{
    uint64_t limit = counters_now().bytes_requested + budget;
    mg_mem_set_limit(limit ? limit : 1);
}

/* Trains with every gram through add (not mg_train), so that a refused add
 * can be retried: the limit is lifted at the first MG_ERR_NOMEM, the same
 * gram added again, and training goes on. Returns whether a refusal came. */
static bool train_through_refusal(mg_table *table, mg_reader *reader, const char *where)
{
    const mg_token *gram;
    bool refused = false;
    int more;
    while ((more = mg_reader_next(reader, &gram)) == 1) {
        int status = table->ops->add(table, gram);
        if (status == MG_ERR_NOMEM && !refused) {
            refused = true;
            mg_mem_set_limit(0);
            status = table->ops->add(table, gram);
        }
        cr_assert_eq(status, MG_OK, "%s: add returned %d%s", where, status, refused ? " after the limit was lifted" : "");
    }
    cr_assert_eq(more, 0, "%s: read error", where);
    mg_mem_set_limit(0);
    return refused;
}

static void property_memory(const reference *ref, const mg_backend *backend, const char *where)
{
    int order = ref->order;
    mg_mem_set_limit(0);

    /* destroy gives back everything, at every stage */
    mg_mem_counters before = counters_now();
    mg_table *table = mg_table_create(backend, order);
    cr_assert_not_null(table, "%s: create returned NULL", where);
    table->ops->destroy(table);
    expect_back(&before, where, "destroy after create");

    table = train(backend, order, false, where);
    if (ref->count)
        cr_expect_gt(counters_now().bytes_requested, before.bytes_requested,
                     "%s: a trained table requested no bytes through mem.h", where);
    table->ops->destroy(table);
    expect_back(&before, where, "destroy after training");

    mg_mem_reset_peak();
    table = train(backend, order, false, where);
    uint64_t train_peak = counters_now().bytes_requested_peak - before.bytes_requested;
    mg_mem_counters trained = counters_now();
    mg_mem_reset_peak();
    cr_assert_eq(table->ops->finalize(table), MG_OK);
    uint64_t finalize_peak = counters_now().bytes_requested_peak - trained.bytes_requested;
    uint64_t checksum = mg_table_checksum(table);
    uint64_t want_dropped = reference_below(ref, 2);
    cr_expect_eq(table->ops->prune(table, 2), want_dropped);
    uint64_t checksum_pruned = mg_table_checksum(table);
    table->ops->destroy(table);
    expect_back(&before, where, "destroy after finalize and prune");

    /* budgets: small ones byte by byte (create, the first grams), then
     * growing geometrically to the training peak (about 20 steps), then the
     * peak itself and one byte less */
    uint64_t budgets[128];
    size_t budget_count = 0;
    for (uint64_t budget = 1; budget <= 512 && budget < train_peak; budget += budget < 256 ? 8 - budget % 8 : 32)
        budgets[budget_count++] = budget;
    double factor = pow((double)train_peak / 600.0, 1.0 / 20.0);
    if (factor < 1.25)
        factor = 1.25;
    for (double budget = 600; budget < (double)train_peak && budget_count < 120; budget *= factor)
        budgets[budget_count++] = (uint64_t)budget;
    if (train_peak > 1)
        budgets[budget_count++] = train_peak - 1;
    budgets[budget_count++] = train_peak;

    mg_reader *reader = reader_open(current.path, order);
    int nomem_seen = 0, create_failed = 0;
    for (size_t k = 0; k < budget_count; k++) {
        uint64_t budget = budgets[k];
        char stage[64];
        snprintf(stage, sizeof stage, "budget %" PRIu64 " of %" PRIu64, budget, train_peak);
        before = counters_now();
        set_budget(budget);
        table = mg_table_create(backend, order);
        if (!table) {
            mg_mem_set_limit(0);
            create_failed++;
            cr_expect_gt(counters_now().failures_total, before.failures_total,
                         "%s, %s: create returned NULL with no allocation refused", where, stage);
            expect_back(&before, where, stage);
            continue;
        }
        cr_assert_eq(mg_reader_rewind(reader), 0);
        int status = mg_train(table, reader);
        mg_mem_set_limit(0);
        bool refused = counters_now().failures_total > before.failures_total;
        cr_expect(status == MG_OK || status == MG_ERR_NOMEM, "%s, %s: mg_train returned %d", where, stage, status);
        if (status == MG_ERR_NOMEM) {
            nomem_seen++;
            cr_expect(refused, "%s, %s: MG_ERR_NOMEM with no allocation refused", where, stage);
        } else if (status == MG_OK) {
            /* enough room, or refusals absorbed: the table must be whole */
            cr_expect(budget >= train_peak || refused, "%s, %s: training under the peak passed without a refusal",
                      where, stage);
            if (budget >= train_peak)
                cr_expect(!refused, "%s, %s: an allocation was refused within the measured peak", where, stage);
            cr_expect_eq(table->ops->finalize(table), MG_OK, "%s, %s: finalize", where, stage);
            cr_expect_eq(mg_table_checksum(table), checksum,
                         "%s, %s: the table trained under a budget differs", where, stage);
            check_sizes(table, ref, 1, where);
        }
        table->ops->destroy(table);
        expect_back(&before, where, stage);

        /* a refused add leaves the table as it was: retry it without a limit
         * and the table comes out whole (every third budget) */
        if (k % 4 != 0 && budget != train_peak - 1)
            continue;
        before = counters_now();
        table = mg_table_create(backend, order);
        cr_assert_not_null(table, "%s: create returned NULL", where);
        set_budget(budget > 256 ? budget - 256 : 0);
        cr_assert_eq(mg_reader_rewind(reader), 0);
        bool was_refused = train_through_refusal(table, reader, where);
        cr_assert_eq(table->ops->finalize(table), MG_OK, "%s, %s: finalize after a refused add", where, stage);
        cr_expect_eq(mg_table_checksum(table), checksum,
                     "%s, %s: the table differs after a refused add (%s) was retried", where, stage,
                     was_refused ? "refused" : "none refused");
        check_sizes(table, ref, 1, where);
        if (k == budget_count / 2)
            check_all(table, ref, 1, where);
        table->ops->destroy(table);
        expect_back(&before, where, stage);
    }
    mg_reader_close(reader);
    if (train_peak > 0)
        cr_expect_gt(nomem_seen + create_failed, 0, "%s: no budget made training fail", where);

    /* finalize under a budget: MG_OK with a whole table, or MG_ERR_NOMEM; destroy works either way */
    uint64_t finalize_budgets[] = {0, 1, 64, 1024, 16384, 262144, finalize_peak ? finalize_peak - 1 : 0,
                                   finalize_peak};
    uint64_t last_tried = 0;
    for (size_t k = 0; k < sizeof finalize_budgets / sizeof finalize_budgets[0]; k++) {
        uint64_t budget = finalize_budgets[k];
        if (budget > finalize_peak || (k > 0 && budget <= last_tried))
            continue; /* beyond the peak, or tried already */
        last_tried = budget;
        char stage[80];
        snprintf(stage, sizeof stage, "finalize budget %" PRIu64 " of %" PRIu64, budget, finalize_peak);
        before = counters_now();
        table = train(backend, order, false, where);
        mg_mem_counters start = counters_now();
        set_budget(budget);
        int status = table->ops->finalize(table);
        mg_mem_set_limit(0);
        bool refused = counters_now().failures_total > start.failures_total;
        cr_expect(status == MG_OK || status == MG_ERR_NOMEM, "%s, %s: finalize returned %d", where, stage, status);
        if (status == MG_ERR_NOMEM)
            cr_expect(refused, "%s, %s: MG_ERR_NOMEM with no allocation refused", where, stage);
        if (status == MG_OK) {
            if (budget == finalize_peak)
                cr_expect(!refused, "%s, %s: refused within the measured peak", where, stage);
            cr_expect_eq(mg_table_checksum(table), checksum, "%s, %s: table differs", where, stage);
            check_sizes(table, ref, 1, where);
        }
        table->ops->destroy(table);
        expect_back(&before, where, stage);
    }

    /* prune under a budget: it may keep its old layout, never lose grams that pass */
    uint64_t prune_budgets[] = {0, 8, 64, 4096, 1 << 20};
    for (size_t k = 0; k < sizeof prune_budgets / sizeof prune_budgets[0]; k++) {
        char stage[80];
        snprintf(stage, sizeof stage, "prune(2) under a budget of %" PRIu64, prune_budgets[k]);
        char full[400];
        snprintf(full, sizeof full, "%s, %s", where, stage);
        before = counters_now();
        table = train(backend, order, true, where);
        set_budget(prune_budgets[k]);
        uint64_t dropped = table->ops->prune(table, 2);
        mg_mem_set_limit(0);
        cr_expect_eq(dropped, want_dropped, "%s: prune returned %" PRIu64 ", expected %" PRIu64, full, dropped,
                     want_dropped);
        cr_expect_eq(mg_table_checksum(table), checksum_pruned, "%s: table differs", full);
        check_sizes(table, ref, 2, full);
        if (k == 0)
            check_successors(table, ref, 2, full);
        if (k == 0 && backend->sample_successor)
            check_samples(table, ref, 2, false, full);
        table->ops->destroy(table);
        expect_back(&before, where, stage);
    }
    mg_mem_set_limit(0);
}

/* -- batches: count_many and add_many against the single ops -- */

/* Grams laid end to end (order tokens each), their words copied out. */
typedef struct gram_run {
    mg_token *tokens;
    size_t count, cap;
    int order;
    mgt_buffer bytes; /* word bytes; tokens hold offsets into it until gram_run_fix */
} gram_run;

static void gram_run_push(gram_run *run, const mg_token *gram)
{
    if (run->count == run->cap) {
        run->cap = run->cap ? 2 * run->cap : 256;
        run->tokens = realloc(run->tokens, run->cap * (size_t)run->order * sizeof *run->tokens);
        cr_assert_not_null(run->tokens);
    }
    for (int k = 0; k < run->order; k++) {
        mg_token token = gram[k];
        if (token.bytes) {
            size_t offset = run->bytes.len;
            mgt_buffer_append(&run->bytes, token.bytes, token.len);
            token.bytes = (const unsigned char *)(uintptr_t)(offset + 1); /* non-NULL: a word */
        }
        run->tokens[run->count * (size_t)run->order + (size_t)k] = token;
    }
    run->count++;
}

/* Turns the offsets into pointers, once every gram is in. */
static void gram_run_fix(gram_run *run)
{
    for (size_t k = 0; k < run->count * (size_t)run->order; k++)
        if (run->tokens[k].bytes)
            run->tokens[k].bytes = run->bytes.bytes + ((uintptr_t)run->tokens[k].bytes - 1);
}

static void gram_run_free(gram_run *run)
{
    free(run->tokens);
    mgt_buffer_free(&run->bytes);
}

/* Every gram the tokenizer makes of the corpus, in order. */
static void grams_of_corpus(gram_run *run, int order)
{
    *run = (gram_run){.order = order};
    mg_reader *reader = reader_open(current.path, order);
    const mg_token *gram;
    int more;
    while ((more = mg_reader_next(reader, &gram)) == 1)
        gram_run_push(run, gram);
    cr_assert_eq(more, 0, "read error: %s", mg_reader_error(reader));
    mg_reader_close(reader);
    gram_run_fix(run);
}

/* Hits and misses mixed: reference grams, each followed by itself with a
 * word that never occurs and by itself reversed; then one gram many times. */
static void grams_to_count(gram_run *run, const reference *ref)
{
    int order = ref->order;
    *run = (gram_run){.order = order};
    size_t stride = ref->count > 1500 ? ref->count / 1500 : 1;
    for (size_t index = 0; index < ref->count; index += stride) {
        const mg_token *gram = ref->grams[index].tokens;
        gram_run_push(run, gram);
        mg_token query[MG_ORDER_MAX];
        memcpy(query, gram, sizeof query);
        query[index % (size_t)order] = NEVER;
        gram_run_push(run, query);
        for (int k = 0; k < order; k++)
            query[k] = gram[order - 1 - k];
        gram_run_push(run, query);
    }
    mg_token odd[MG_ORDER_MAX];
    for (int k = 0; k < order; k++)
        odd[k] = NEVER;
    for (int repeat = 0; repeat < 5; repeat++) {
        gram_run_push(run, odd);
        if (ref->count)
            gram_run_push(run, ref->grams[ref->count / 2].tokens);
    }
    gram_run_fix(run);
}

static const size_t batch_sizes[] = {1, 2, 63, 64, 65, 1000};
#define BATCH_SIZES (sizeof batch_sizes / sizeof batch_sizes[0])

/* count_many over batches of each size equals count per gram. */
static void check_count_many(mg_table *table, const gram_run *queries, const char *where)
{
    uint64_t *counts = malloc((queries->count + 1) * sizeof *counts), *wants = malloc((queries->count + 1) * sizeof *wants);
    cr_assert(counts && wants);
    size_t order = (size_t)queries->order;
    for (size_t i = 0; i < queries->count; i++)
        wants[i] = table->ops->count(table, queries->tokens + i * order);
    for (size_t s = 0; s < BATCH_SIZES; s++) {
        int shown = 0;
        for (size_t first = 0; first < queries->count; first += batch_sizes[s]) {
            size_t size = queries->count - first < batch_sizes[s] ? queries->count - first : batch_sizes[s];
            mg_table_count_many(table, queries->tokens + first * order, size, counts);
            for (size_t i = 0; i < size; i++) {
                const mg_token *gram = queries->tokens + (first + i) * order;
                uint64_t want = wants[first + i];
                if (counts[i] != want && shown++ < MAX_SHOWN) {
                    char text[300];
                    cr_expect(0, "%s: batches of %zu: count_many gives %" PRIu64 " for %s, count %" PRIu64, where,
                              batch_sizes[s], counts[i], gram_text(text, sizeof text, gram, queries->order), want);
                }
            }
        }
    }
    free(counts);
    free(wants);
}

static void property_count_many(const reference *ref, const mg_backend *backend, const char *where)
{
    char stage[300];
    gram_run queries;
    grams_to_count(&queries, ref);
    mg_table *table = train(backend, ref->order, false, where);
    snprintf(stage, sizeof stage, "%s, before finalize", where);
    check_count_many(table, &queries, stage);
    cr_assert_eq(table->ops->finalize(table), MG_OK, "%s: finalize failed", where);
    snprintf(stage, sizeof stage, "%s, after finalize", where);
    check_count_many(table, &queries, stage);
    table->ops->prune(table, 2);
    snprintf(stage, sizeof stage, "%s, after prune(2)", where);
    check_count_many(table, &queries, stage);
    table->ops->destroy(table);
    gram_run_free(&queries);
}

/* Batch sizes cycled through while training: small, around the harness's, large. */
static const size_t add_sizes[] = {1, 2, 63, 64, 65, 1000, 3, 17, 128};
#define ADD_SIZES (sizeof add_sizes / sizeof add_sizes[0])

/* Adds grams [from, to) in batches; on MG_ERR_NOMEM, *failed_at is the
 * gram that was refused (the batch's start + added). MG_OK or MG_ERR_NOMEM. */
static int add_in_batches(mg_table *table, const gram_run *grams, size_t from, size_t to, size_t *failed_at,
                          const char *where)
{
    size_t order = (size_t)grams->order;
    for (size_t at = from, turn = 0; at < to; turn++) {
        size_t size = to - at < add_sizes[turn % ADD_SIZES] ? to - at : add_sizes[turn % ADD_SIZES];
        size_t added = SIZE_MAX;
        int status = mg_table_add_many(table, grams->tokens + at * order, size, &added);
        cr_assert(status == MG_OK || status == MG_ERR_NOMEM, "%s: add_many returned %d", where, status);
        if (status != MG_OK) {
            cr_assert_lt(added, size, "%s: add_many failed with %zu of %zu added", where, added, size);
            *failed_at = at + added;
            return status;
        }
        cr_assert_eq(added, size, "%s: add_many gave MG_OK with %zu of %zu added", where, added, size);
        at += size;
    }
    return MG_OK;
}

static uint64_t finalized_checksum(mg_table *table, const char *where)
{
    cr_assert_eq(table->ops->finalize(table), MG_OK, "%s: finalize failed", where);
    return mg_table_checksum(table);
}

static void property_add_many(const reference *ref, const mg_backend *backend, const char *where)
{
    gram_run grams;
    grams_of_corpus(&grams, ref->order);
    mg_table *single = train(backend, ref->order, true, where);
    uint64_t checksum = mg_table_checksum(single);
    single->ops->destroy(single);

    mg_mem_counters before = counters_now();
    mg_mem_reset_peak();
    mg_table *table = mg_table_create(backend, ref->order);
    cr_assert_not_null(table, "%s: create returned NULL", where);
    size_t failed_at;
    cr_assert_eq(add_in_batches(table, &grams, 0, grams.count, &failed_at, where), MG_OK);
    uint64_t train_peak = counters_now().bytes_requested_peak - before.bytes_requested;
    cr_expect_eq(finalized_checksum(table, where), checksum, "%s: trained by add_many, the checksum differs", where);
    check_dump(table, ref, 1, where);
    table->ops->destroy(table);

    /* Under a budget: the grams before the refused one are in, it and the
     * rest are not, so adding from it on without the limit makes the whole table. */
    for (uint64_t budget = 1; budget < train_peak; budget = budget * 6 + 7) {
        char stage[300];
        snprintf(stage, sizeof stage, "%s, add_many under a budget of %" PRIu64 " of %" PRIu64, where, budget,
                 train_peak);
        before = counters_now();
        table = mg_table_create(backend, ref->order);
        cr_assert_not_null(table, "%s: create returned NULL", stage);
        set_budget(budget);
        size_t resume = grams.count;
        int status = add_in_batches(table, &grams, 0, grams.count, &resume, stage);
        mg_mem_set_limit(0);
        if (status == MG_ERR_NOMEM) {
            cr_expect_gt(counters_now().failures_total, before.failures_total,
                         "%s: MG_ERR_NOMEM with no allocation refused", stage);
            cr_assert_eq(add_in_batches(table, &grams, resume, grams.count, &failed_at, stage), MG_OK);
        }
        cr_expect_eq(finalized_checksum(table, stage), checksum, "%s: the table differs (refused at gram %zu of %zu)",
                     stage, resume, grams.count);
        table->ops->destroy(table);
        expect_back(&before, where, stage);
    }
    gram_run_free(&grams);
}

/* -- parts: every byte of a finalized table is tagged with one of its backend's parts -- */

/* Bytes of tags other than the backend's parts (MG_PART_OTHER and any past part_count) over before. */
static void expect_all_tagged(const mg_backend *backend, const mg_mem_counters *before, const char *where,
                              const char *stage)
{
    mg_mem_counters now = counters_now();
    uint64_t sum = 0;
    for (int tag = 0; tag < MG_PARTS_MAX; tag++) {
        sum += now.part_bytes[tag];
        if (tag == MG_PART_OTHER || tag > (int)backend->part_count)
            cr_expect_eq(now.part_bytes[tag], before->part_bytes[tag],
                         "%s: %s: %" PRId64 " bytes under tag %d, which is none of its %zu parts", where, stage,
                         (int64_t)(now.part_bytes[tag] - before->part_bytes[tag]), tag, backend->part_count);
    }
    cr_expect_eq(sum, now.bytes_requested, "%s: %s: the parts sum to %" PRIu64 ", requested is %" PRIu64, where, stage,
                 sum, now.bytes_requested);
}

static void property_parts(const reference *ref, const mg_backend *backend, const char *where)
{
    mg_mem_set_limit(0);
    mg_mem_counters before = counters_now();
    mg_table *table = train(backend, ref->order, false, where);
    cr_assert_eq(table->ops->finalize(table), MG_OK, "%s: finalize", where);
    expect_all_tagged(backend, &before, where, "after finalize");
    table->ops->prune(table, 2);
    expect_all_tagged(backend, &before, where, "after prune");
    table->ops->destroy(table);
    expect_back(&before, where, "destroy");
}

/* ---- the tests: one per property and corpus --------------------------------------------- */

static void run_dump(void) { for_each_backend_and_order(property_dump); }
static void run_sizes(void) { for_each_backend_and_order(property_sizes); }
static void run_count(void) { for_each_backend_and_order(property_count); }
static void run_successors(void) { for_each_backend_and_order(property_successors); }
static void run_prune(void) { for_each_backend_and_order(property_prune); }
static void run_memory(void) { for_each_backend_and_order(property_memory); }
static void run_cross_backend(void) { cross_backend_all(); }
static void run_sample(void) { for_each_backend_and_order(property_sample); }
static void run_count_many(void) { for_each_backend_and_order(property_count_many); }
static void run_add_many(void) { for_each_backend_and_order(property_add_many); }
static void run_parts(void) { for_each_backend_and_order(property_parts); }

#define CORPUS_TEST(suite, corpus)                                                                \
    Test(suite, corpus, .fini = corpus_cleanup, .timeout = TIMEOUT)                               \
    {                                                                                             \
        corpus_load(#corpus, corpus_##corpus);                                                    \
        run_##suite();                                                                            \
    }

#define PROPERTY_TESTS(suite)                                                                     \
    CORPUS_TEST(suite, zipf)                                                                      \
    CORPUS_TEST(suite, nul_bytes)                                                                 \
    CORPUS_TEST(suite, big_token)                                                                 \
    CORPUS_TEST(suite, crlf_whitespace)                                                           \
    CORPUS_TEST(suite, empty_lines)                                                               \
    CORPUS_TEST(suite, only_newlines)                                                             \
    CORPUS_TEST(suite, no_final_newline)                                                          \
    CORPUS_TEST(suite, high_bytes_upper)                                                          \
    CORPUS_TEST(suite, empty_file)

PROPERTY_TESTS(dump)
PROPERTY_TESTS(sizes)
PROPERTY_TESTS(count)
PROPERTY_TESTS(successors)
PROPERTY_TESTS(sample)
PROPERTY_TESTS(prune)
PROPERTY_TESTS(cross_backend)
PROPERTY_TESTS(memory)
PROPERTY_TESTS(count_many)
PROPERTY_TESTS(add_many)
PROPERTY_TESTS(parts)

/* The ops table's own fields: the interface version the harness was built
 * for, a layout version the run JSON can record, a name and a summary. */
Test(ops_table, every_backend_fills_its_versions)
{
    size_t backends = backend_count();
    for (size_t b = 0; b < backends; b++) {
        const mg_backend *backend = tested[b];
        cr_expect_eq(backend->version, MG_BACKEND_VERSION, "%s: interface version %d", backend->name,
                     backend->version);
        cr_expect_geq(backend->layout_version, 1, "%s: layout version %d", backend->name, backend->layout_version);
        cr_expect(backend->summary && *backend->summary, "%s: no summary", backend->name);
    }
}

/* Words of lower-case letters and digits (and the bytes of word_extra) joined by single bytes
 * of joiners, starting with a letter. */
static int joined_words(const char *name, const char *joiners, const char *word_extra)
{
    if (!name || !(*name >= 'a' && *name <= 'z'))
        return 0;
    for (const char *at = name; *at; at++) {
        int plain = (*at >= 'a' && *at <= 'z') || (*at >= '0' && *at <= '9') || strchr(word_extra, *at);
        if (!plain && !(strchr(joiners, *at) && at[1] && !strchr(joiners, at[1])))
            return 0;
    }
    return 1;
}

/* A lower-kebab-case name: lower-case letters and digits in words joined by single '-'. */
static int kebab_name(const char *name) { return joined_words(name, "-", ""); }

/* A part name: dotted lower case, words of lower-case letters, digits and '_' joined by single '.' or '-'. */
static int part_name_ok(const char *name) { return joined_words(name, ".-", "_") && strlen(name) <= 64; }

/* The parts a backend declares (backend.h): some, each named once, none called "other", and
 * an estimate for each. */
Test(ops_table, every_backend_names_its_parts_and_estimates_them)
{
    size_t backends = backend_count();
    for (size_t b = 0; b < backends; b++) {
        const mg_backend *backend = tested[b];
        cr_expect(backend->part_count >= 1 && backend->part_count < MG_PARTS_MAX, "%s: %zu parts", backend->name,
                  backend->part_count);
        cr_expect(backend->estimate_parts != NULL, "%s: no estimate_parts", backend->name);
        for (size_t k = 0; backend->parts && k < backend->part_count && k < MG_PARTS_MAX; k++) {
            const char *name = backend->parts[k];
            cr_expect(part_name_ok(name), "%s: part %zu is named '%s'", backend->name, k + 1, name ? name : "(null)");
            cr_expect(name && strcmp(name, "other") != 0, "%s: a part is named other", backend->name);
            for (size_t j = 0; name && j < k; j++)
                cr_expect(strcmp(backend->parts[j], name) != 0, "%s: two parts are named '%s'", backend->name, name);
        }
    }
}

/* The settings a backend declares (backend.h): each named, summarized and in
 * range of its own fallback, configure present iff there are settings, no name twice. */
Test(ops_table, every_backend_declares_its_settings_whole)
{
    size_t backends = backend_count();
    for (size_t b = 0; b < backends; b++) {
        const mg_backend *backend = tested[b];
        size_t count = backend->settings ? backend->setting_count : 0;
        cr_expect_eq(count, backend->setting_count, "%s: setting_count without settings", backend->name);
        cr_expect_eq(count > 0, backend->configure != NULL, "%s: configure and settings disagree", backend->name);
        for (size_t index = 0; index < count; index++) {
            const mg_backend_setting *setting = &backend->settings[index];
            cr_expect(kebab_name(setting->name), "%s: setting %zu's name is not lower-kebab-case", backend->name, index);
            cr_expect(setting->summary && *setting->summary, "%s: setting %zu has no summary", backend->name, index);
            cr_expect(setting->min <= setting->fallback && setting->fallback <= setting->max && setting->min >= 0,
                      "%s: %s's fallback %lld is outside %lld..%lld", backend->name, setting->name,
                      setting->fallback, setting->min, setting->max);
            for (size_t other = 0; other < index; other++)
                cr_expect(strcmp(setting->name, backend->settings[other].name) != 0, "%s: %s declared twice",
                          backend->name, setting->name);
        }
    }
}

/* The reference itself, on a corpus small enough to write out by hand: a
 * wrong reference would make every test above meaningless. */
Test(reference, hand_checked)
{
    mgt_buffer corpus = {0}, dump = {0};
    mgt_buffer_append_str(&corpus, "B a\r\n\nA b a");
    reference ref;
    reference_build(&ref, &corpus, 2);
    reference_dump(&ref, 1, &dump);
    mgt_buffer_append_byte(&dump, '\0');
    cr_expect_str_eq((const char *)dump.bytes,
                     "<s> </s>\t1\n<s> a\t1\n<s> b\t1\na </s>\t2\na b\t1\nb a\t2\n");
    uint64_t ngrams, contexts;
    reference_sizes(&ref, 1, &ngrams, &contexts);
    cr_expect(ngrams == 6 && contexts == 3, "sizes %" PRIu64 " %" PRIu64, ngrams, contexts);
    reference_sizes(&ref, 2, &ngrams, &contexts);
    cr_expect(ngrams == 2 && contexts == 2, "sizes after prune %" PRIu64 " %" PRIu64, ngrams, contexts);
    reference_free(&ref);
    mgt_buffer_free(&dump);
    mgt_buffer_free(&corpus);
}
