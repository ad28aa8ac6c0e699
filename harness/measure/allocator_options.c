/* allocator_options.c — see allocator_options.h. */
#include "allocator_options.h"
#include "message.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef enum value_kind {
    TAKES_BOOL,    /* the allocator's boolean words */
    TAKES_COUNT,   /* a whole number from min (0 unless set), to max if set */
    TAKES_INTEGER, /* a whole number with an optional '-', from min */
    TAKES_DECIMAL, /* digits with an optional '.' */
    TAKES_SIZE,    /* a whole number, K, M or G after it (B or iB after that) */
    TAKES_WORD,    /* one of words */
    TAKES_TEXT,    /* anything the spec's syntax lets through */
} value_kind;

typedef struct option_rule {
    const char *key;
    value_kind kind;
    long long min;          /* TAKES_COUNT, TAKES_INTEGER */
    unsigned long long max; /* TAKES_COUNT; 0: no bound */
    const char *words;      /* TAKES_WORD: the values, '|' between */
} option_rule;

#define BOOL(key) {key, TAKES_BOOL, 0, 0, NULL}
#define COUNT(key) {key, TAKES_COUNT, 0, 0, NULL}
#define COUNT_IN(key, min, max) {key, TAKES_COUNT, min, max, NULL}
#define INTEGER_FROM(key, min) {key, TAKES_INTEGER, min, 0, NULL}
#define DECIMAL(key) {key, TAKES_DECIMAL, 0, 0, NULL}
#define SIZE(key) {key, TAKES_SIZE, 0, 0, NULL}
#define WORD(key, words) {key, TAKES_WORD, 0, 0, words}
#define TEXT(key) {key, TAKES_TEXT, 0, 0, NULL}

/* Each key given alone in MALLOC_CONF to the Debian library answers nothing
 * (an unknown one prints "Invalid conf pair"); the minimums are where it
 * says "Out-of-range conf value". cache_oblivious, in the manual, is
 * refused by this build and so left out. */
static const option_rule jemalloc_rules[] = {
    /* the ones that move memory, first: a message listing the keys may be cut */
    INTEGER_FROM("dirty_decay_ms", -1), INTEGER_FROM("muzzy_decay_ms", -1), COUNT_IN("narenas", 1, UINT_MAX),
    BOOL("background_thread"), BOOL("tcache"), COUNT("tcache_max"), WORD("thp", "default|always|never"),
    WORD("metadata_thp", "disabled|auto|always"), BOOL("retain"), WORD("percpu_arena", "disabled|percpu|phycpu"),
    COUNT("oversize_threshold"), COUNT("lg_extent_max_active_fit"), BOOL("abort_conf"),
    BOOL("abort"), BOOL("confirm_conf"), BOOL("trust_madvise"), WORD("dss", "disabled|primary|secondary"),
    DECIMAL("narenas_ratio"), TEXT("bin_shards"), INTEGER_FROM("mutex_max_spin", -1), BOOL("stats_print"),
    TEXT("stats_print_opts"), INTEGER_FROM("stats_interval", -1), TEXT("stats_interval_opts"),
    WORD("junk", "true|false|alloc|free"), BOOL("zero"), BOOL("experimental_infallible_new"), COUNT("lg_tcache_max"),
    COUNT("tcache_nslots_small_min"), COUNT("tcache_nslots_small_max"), COUNT("tcache_nslots_large"),
    INTEGER_FROM("lg_tcache_nslots_mul", LLONG_MIN), COUNT("tcache_gc_incr_bytes"), COUNT("tcache_gc_delay_bytes"),
    COUNT("lg_tcache_flush_small_div"), COUNT("lg_tcache_flush_large_div"), COUNT("max_background_threads"),
    BOOL("hpa"), COUNT("hpa_slab_max_alloc"), COUNT("hpa_hugification_threshold"),
    DECIMAL("hpa_hugification_threshold_ratio"), COUNT("hpa_hugify_delay_ms"), COUNT("hpa_min_purge_interval_ms"),
    TEXT("hpa_dirty_mult"), COUNT("hpa_sec_nshards"), COUNT("hpa_sec_max_alloc"), COUNT("hpa_sec_max_bytes"),
    COUNT("hpa_sec_bytes_after_flush"), COUNT("hpa_sec_batch_fill_extra"), TEXT("slab_sizes"), BOOL("prof"),
    TEXT("prof_prefix"), BOOL("prof_active"), BOOL("prof_thread_active_init"), COUNT("lg_prof_sample"),
    BOOL("prof_accum"), INTEGER_FROM("lg_prof_interval", -1), BOOL("prof_gdump"), BOOL("prof_final"),
    BOOL("prof_leak"), BOOL("prof_leak_error"), BOOL("prof_log"), INTEGER_FROM("prof_recent_alloc_max", -1),
    BOOL("prof_stats"), BOOL("prof_sys_thread_name"), WORD("prof_time_resolution", "default|high"),
    BOOL("prof_unbias"), WORD("zero_realloc", "alloc|free|abort"), COUNT("san_guard_small"),
    COUNT("san_guard_large"),
};

/* `ld.so --list-tunables`, glibc.malloc.* with their bounds. */
static const option_rule glibc_rules[] = {
    COUNT_IN("check", 0, 3), COUNT("top_pad"), COUNT_IN("perturb", 0, 255), COUNT("mmap_threshold"),
    COUNT("trim_threshold"), COUNT_IN("mmap_max", 0, INT_MAX), COUNT_IN("arena_max", 1, 0),
    COUNT_IN("arena_test", 1, 0), COUNT("tcache_max"), COUNT("tcache_count"), COUNT("tcache_unsorted_limit"),
    COUNT("mxfast"), COUNT("hugetlb"),
};

/* The names MIMALLOC_VERBOSE=1 lists, less the deprecated placeholders. */
static const option_rule mimalloc_rules[] = {
    BOOL("show_errors"), BOOL("show_stats"), BOOL("verbose"), BOOL("eager_commit"), BOOL("large_os_pages"),
    COUNT("reserve_huge_os_pages"), INTEGER_FROM("reserve_huge_os_pages_at", -1), SIZE("reserve_os_memory"),
    BOOL("page_reset"), BOOL("abandoned_page_decommit"), COUNT("eager_commit_delay"), COUNT("decommit_delay"),
    COUNT("use_numa_nodes"), BOOL("limit_os_alloc"), COUNT("os_tag"), COUNT("max_errors"), COUNT("max_warnings"),
    COUNT("max_segment_reclaim"), BOOL("allow_decommit"), COUNT("segment_decommit_delay"),
    COUNT("decommit_extend_delay"), BOOL("destroy_on_exit"),
};

/* The TCMALLOC_* names libtcmalloc_minimal.so.4 holds. */
static const option_rule tcmalloc_rules[] = {
    BOOL("aggressive_decommit"), COUNT("devmem_limit"), COUNT("devmem_start"), BOOL("disable_memory_release"),
    COUNT("heap_limit_mb"), COUNT("large_alloc_report_threshold"), COUNT("max_total_thread_cache_bytes"),
    BOOL("memfs_abort_on_fail"), BOOL("memfs_disable_fallback"), BOOL("memfs_ignore_mmap_fail"),
    COUNT("memfs_limit_mb"), TEXT("memfs_malloc_path"), BOOL("memfs_map_private"), DECIMAL("release_rate"),
    BOOL("skip_mmap"), BOOL("skip_sbrk"), COUNT("transfer_num_obj"),
};

typedef struct allocator_rules {
    const char *allocator;
    const option_rule *rules;
    size_t count;
    const char *booleans; /* the words its booleans take, '|' between */
    int any_case;         /* the library reads values in any case */
} allocator_rules;

#define RULES(table) table, sizeof table / sizeof table[0]
static const allocator_rules allocators[] = {
    {"jemalloc", RULES(jemalloc_rules), "true|false", 0},
    {"glibc", RULES(glibc_rules), NULL, 0},
    {"mimalloc", RULES(mimalloc_rules), "1|0|true|false|yes|no|on|off", 1},
    {"tcmalloc", RULES(tcmalloc_rules), "t|f|true|false|y|n|yes|no|1|0", 1},
};

/* ---- values --------------------------------------------------------------------------- */

static int is_word_of(const char *words, const char *value, int any_case)
{
    size_t length = strlen(value);
    for (const char *word = words; *word; word += strcspn(word, "|") + (word[strcspn(word, "|")] == '|')) {
        size_t word_length = strcspn(word, "|");
        int same = any_case ? strncasecmp(word, value, length) == 0 : strncmp(word, value, length) == 0;
        if (word_length == length && same)
            return 1;
    }
    return 0;
}

/* A whole number (a leading '-' if signed) within the rule's bounds. */
static int is_number_in(const option_rule *rule, const char *value, int is_signed)
{
    const char *digits = value + (is_signed && value[0] == '-');
    if (!digits[0] || strspn(digits, "0123456789") != strlen(digits))
        return 0;
    errno = 0;
    if (value[0] == '-') {
        long long number = strtoll(value, NULL, 10);
        return errno == 0 && number >= rule->min;
    }
    unsigned long long number = strtoull(value, NULL, 10);
    int above_min = rule->min <= 0 || number >= (unsigned long long)rule->min;
    return errno == 0 && above_min && (rule->max == 0 || number <= rule->max);
}

static int is_decimal(const char *value)
{
    size_t whole = strspn(value, "0123456789"), part = 0;
    if (value[whole] == '.')
        part = strspn(value + whole + 1, "0123456789");
    return whole + part > 0 && strlen(value) == whole + (value[whole] == '.') + part;
}

static int is_size(const char *value)
{
    size_t digits = strspn(value, "0123456789");
    const char *unit = value + digits;
    if (digits == 0)
        return 0;
    if (*unit && strchr("kKmMgG", *unit))
        unit++;
    return !*unit || strcasecmp(unit, "b") == 0 || strcasecmp(unit, "ib") == 0;
}

static int value_fits(const allocator_rules *allocator, const option_rule *rule, const char *value)
{
    switch (rule->kind) {
    case TAKES_BOOL:
        return is_word_of(allocator->booleans, value, allocator->any_case);
    case TAKES_COUNT:
        return is_number_in(rule, value, 0);
    case TAKES_INTEGER:
        return is_number_in(rule, value, 1);
    case TAKES_DECIMAL:
        return is_decimal(value);
    case TAKES_SIZE:
        return is_size(value);
    case TAKES_WORD:
        return is_word_of(rule->words, value, allocator->any_case);
    default:
        return 1;
    }
}

/* "a whole number from 1 to 3", "true or false", ... into text. */
static void describe_value(const allocator_rules *allocator, const option_rule *rule, char *text, size_t text_size)
{
    const char *words = rule->kind == TAKES_BOOL ? allocator->booleans : rule->words;
    if (rule->kind == TAKES_BOOL || rule->kind == TAKES_WORD) {
        size_t used = (size_t)snprintf(text, text_size, "one of ");
        for (const char *word = words; *word && used < text_size; word++)
            used += (size_t)snprintf(text + used, text_size - used, *word == '|' ? ", " : "%c", *word);
        return;
    }
    if (rule->kind == TAKES_COUNT && rule->max)
        snprintf(text, text_size, "a whole number from %lld to %llu", rule->min, rule->max);
    else if (rule->min == LLONG_MIN)
        snprintf(text, text_size, "a whole number, '-' allowed");
    else if (rule->min != 0)
        snprintf(text, text_size, "a whole number from %lld", rule->min);
    else if (rule->kind == TAKES_COUNT)
        snprintf(text, text_size, "a whole number");
    else if (rule->kind == TAKES_DECIMAL)
        snprintf(text, text_size, "a decimal number");
    else
        snprintf(text, text_size, "a size: a whole number of bytes, or of K, M or G");
}

/* ---- keys ----------------------------------------------------------------------------- */

/* "allocator option 'KEY' is not a NAME option (valid: a, b, ...)", the list
 * cut where the buffer ends with a pointer to the full one. */
static void unknown_key(const allocator_rules *allocator, const char *key, char *error, size_t error_size)
{
    static const char cut[] = ", ... in docs/allocators.md)";
    size_t used = (size_t)snprintf(error, error_size, "allocator option '%s' is not a %s option (valid: ",
                                   mg_show(key).text, allocator->allocator);
    for (size_t index = 0; index < allocator->count && used < error_size; index++) {
        const char *name = allocator->rules[index].key;
        size_t room = error_size - used, needed = strlen(name) + 2 + sizeof cut;
        if (needed > room) {
            snprintf(error + used, room, "%s", cut + (index == 0 ? 2 : 0));
            return;
        }
        used += (size_t)snprintf(error + used, room, "%s%s", index ? ", " : "", name);
    }
    if (used < error_size)
        snprintf(error + used, error_size - used, ")");
}

int mg_allocator_option_check(const char *allocator_name, const char *key, const char *value, char *error,
                              size_t error_size)
{
    const allocator_rules *allocator = NULL;
    for (size_t index = 0; index < sizeof allocators / sizeof allocators[0]; index++)
        if (strcmp(allocators[index].allocator, allocator_name) == 0)
            allocator = &allocators[index];
    if (!allocator) {
        snprintf(error, error_size, "allocator '%s' takes no options", mg_show(allocator_name).text);
        return -1;
    }
    const option_rule *rule = NULL;
    for (size_t index = 0; index < allocator->count && !rule; index++)
        if (strcmp(allocator->rules[index].key, key) == 0)
            rule = &allocator->rules[index];
    if (!rule) {
        unknown_key(allocator, key, error, error_size);
        return -1;
    }
    if (value_fits(allocator, rule, value))
        return 0;
    char takes[160];
    describe_value(allocator, rule, takes, sizeof takes);
    snprintf(error, error_size, "allocator option '%s=%s': %s's %s takes %s", mg_show(key).text, mg_show(value).text,
             allocator->allocator, rule->key, takes);
    return -1;
}
