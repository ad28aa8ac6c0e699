/*
 * memory_lanes.c — the memory lanes of a token-frequency fix (docs/stories.md) generalised to n-grams: one
 * sorted, packed lane of fixed-width records per key length, binary-searched;
 * new keys wait in an ordered map per lane until finalize merges them in.
 *
 * The key of a gram is its tokens' codes, one after the other:
 *
 *   start marker  0x00                 a word   LEB128(len + 1), then its bytes
 *   end marker    0x01
 *
 * A word has len >= 1, so its prefix is a value >= 2: a one-byte prefix is
 * 0x02..0x7f and a longer one starts at 0x80 or above. No word's code starts
 * with 0x00 or 0x01, so every code is self-delimiting and the key is
 * unambiguous for any bytes (NUL included). No separator byte is needed:
 * none would be safe, as a word may hold every byte. Being self-delimiting,
 * the codes make the key of a context a byte prefix of the keys of all its
 * grams, so in each sorted lane a context's successors are one contiguous
 * range.
 *
 * Memory layout (order 3, key "the cat </s>" = 04 t h e 04 c a t 01: 9 bytes):
 *
 *   lanes[k], k = 1..LANE_MAX: keys of exactly k bytes, sorted by memcmp
 *   +-----------------+-----+-----------------+-----+--
 *   | key (k bytes)   | cnt | key (k bytes)   | cnt |..   cnt: count_width
 *   +-----------------+-----+-----------------+-----+--   bytes, little-endian
 *   count_width (1..4) is the fewest bytes that hold the lane's largest
 *   count, chosen at each merge; a count outgrowing it in place widens the
 *   lane. Counts saturate at UINT32_MAX.
 *
 *   lanes[0], the overflow lane: keys longer than LANE_MAX, sorted by memcmp
 *   then length; a record is the key's offset in the overflow heap
 *   +--------+-----+--------+-----+--        heap
 *   | offset | cnt | offset | cnt |..  --->  +---------------+-------------+--
 *   +--------+-----+--------+-----+--        | LEB128(len)   | key bytes   |..
 *                                            +---------------+-------------+--
 *
 *   each lane's running totals, from finalize on: its counts summed every
 *   TOTALS_EVERY (8) records, Elias-Fano coded (common/running_totals.h,
 *   ~6 bits a total: under 1 bit a record); sample_successor reads them
 *   +-----+-------------+-------------+--
 *   |  0  | 8 counts on | 8 counts on |..
 *   +-----+-------------+-------------+--
 *
 *   each lane's map, during training: a B-tree of the lane's new keys
 *   (records key + 4-byte count; the overflow map's key is a heap offset),
 *   its nodes carved from chunks shared by all lanes:
 *   chunks: | next | size | node | node | node | ...       (4 KiB doubling
 *   node:   | used | leaf | children[cap + 1] (internal) | cap records |
 *   to 1 MiB, then 8 MiB each; freed all at once when no map is left)
 *
 * Why a B-tree for the intermediate map: the keys of a lane all have its
 * width, so a node holds its records packed exactly like a small lane: no
 * pointer, colour or heap block per key (a red-black or skip-list node would
 * add 16-40 bytes plus the allocator's rounding to every ~20-byte key), an
 * add costs one descent of a few cache misses, and an in-order walk yields
 * the sorted stream the merge needs. Nodes are ~NODE_BYTES; a full leaf
 * first lends a record to a sibling with room (B*-tree style) and splits
 * only when neither has, so leaves fill to ~80% (a plain B-tree: ~69% under
 * random inserts), and the maps cost ~1.7 times the final lanes.
 *
 * Why chunks, and 8 MiB ones: a B-tree that only grows never frees a node,
 * so nodes need no allocator header or size class; and jemalloc hands blocks
 * of 8 MiB and more (its oversize_threshold) straight back to the kernel
 * when freed, where smaller freed blocks stay resident until its decay
 * (10 s): the maps leave no resident garbage behind finalize.
 *
 * Why LANE_MAX = 64: the lanes array costs ~200 bytes a lane whether
 * used or not, while overflow records cost an 8-byte offset and a length
 * prefix more. At order 3 on gcide 98% of keys are at most 32 bytes and only
 * 0.003% exceed 64 (order 5 keys average ~30 bytes), so past 64 bytes the
 * overflow's extra 9 bytes are under 14% of a record that is rare anyway.
 *
 * Bytes requested per n-gram after finalize, by part (the names of the run
 * JSON's `parts`), for order n, N grams, V words of mean length
 * w = vocab_bytes / V:
 *
 *   part                 formula                               gcide 1/4, order 3
 *   table                sizeof(lanes_table) / N: 65 lanes       0.01
 *   lanes                n (1 + s(n) w) + COUNT_BYTES_MEAN      19.75
 *                        (lanes 1 to 64: keys and counts)
 *   lanes.overflow       keys over 64 bytes: left out, 0         0.00
 *   lanes.overflow.keys  their heap: left out, 0                 0.00
 *   totals               T / 8                                   0.09
 *   training.maps        the B-trees' node chunks, until         0
 *                        finalize merges them
 *                                                      total    19.85
 *
 * where s(n) = 0.3 + 0.7 / n and s(n) w is the mean length of the words in
 * the grams (a code prefix is 1 byte for words under 127 bytes and for
 * markers). At order 1 every word is one gram (s = 1); higher orders repeat
 * the frequent words, which are short (Zipf), and markers count as words of
 * length 0: s(n), fitted on gcide and fortunes at orders 1 to 5, falls
 * toward 0.3 (0.65, 0.53, 0.44 at orders 2, 3, 5). Counts take 1 byte in
 * lanes whose largest count is under 256, 2 in most: COUNT_BYTES_MEAN ~ 2.
 * T, the running totals' bits a gram, is mg_running_totals_bits(N, 8, 1.6 N)
 * / N for N grams whose counts sum to ~1.6 N (gcide, order 3): ~0.75. The
 * overflow lane holds 0.003% of the keys at order 3 (under 0.03 bytes a
 * gram at orders 1 to 5). At orders 1, 3 and 5 on gcide 1/4 the lanes are
 * within 4% of their measure, the totals within 20% (0.09 to 0.12 bytes a
 * gram).
 */
#include "backend.h"
#include "mem.h"
#include "random.h"
#include "common/running_totals.h"
#include "common/varint.h"

#include <stdbool.h>
#include <string.h>

/* ---- types ------------------------------------------------------------ */

/* The parts of the table, named once: tag k is lanes_parts[k - 1] (backend.h). */
enum lanes_part {
    LANES_TABLE = 1,
    LANES_LANES,
    LANES_OVERFLOW,
    LANES_OVERFLOW_KEYS,
    LANES_TOTALS,
    LANES_TRAINING_MAPS,
};
static const char *const lanes_parts[] = {
    [LANES_TABLE - 1] = "table",
    [LANES_LANES - 1] = "lanes",
    [LANES_OVERFLOW - 1] = "lanes.overflow",
    [LANES_OVERFLOW_KEYS - 1] = "lanes.overflow.keys",
    [LANES_TOTALS - 1] = "totals",
    [LANES_TRAINING_MAPS - 1] = "training.maps",
};
enum { LANES_PART_COUNT = sizeof lanes_parts / sizeof lanes_parts[0] };

enum {
    LANE_MAX = 64,         /* longest key kept in a fixed-width lane */
    OVERFLOW_LANE = 0,     /* lanes[0]: the longer keys, by heap offset */
    OFFSET_BYTES = 8,      /* an overflow record's key: its heap offset */
    MAP_COUNT_BYTES = 4,   /* counts in the maps: uint32, saturating */
    NODE_BYTES = 512,      /* target size of a map leaf: ~25 trigram records */
    CODE_MAX = 10,         /* longest LEB128 of a 64-bit value */
    CURSOR_DEPTH = 64,     /* B-tree height bound: cap >= 3 gives 2^64 records well under it */
    HEAP_MIN = 256,
    TOTALS_EVERY = 8,        /* a running total every 8 records: ~6 bits each */
    OVERFLOW_WINDOWS_MAX = 192, /* a context with more lengths of overflow successors is left to the walk */
    WINDOWS_MAX = LANE_MAX + OVERFLOW_WINDOWS_MAX,
    CHUNK_MIN = 4096,        /* node chunks: 4 KiB doubling while under CHUNK_GROWTH_END, */
    CHUNK_GROWTH_END = 1 << 20,
    CHUNK_BIG = 8 << 20,     /* then 8 MiB: what jemalloc hands back to the kernel when freed */
};

#define CODE_START 0u
#define CODE_END 1u
#define WORD_SHARE_FLOOR 0.3
#define COUNT_BYTES_MEAN 2.0
#define COUNT_SUM_PER_GRAM 1.6 /* counts' sum over distinct grams, for the estimate (gcide, order 3) */

/* A B-tree node; an internal node's children follow the header, then come
 * the records (map_width bytes each). */
typedef struct map_node {
    uint32_t used;
    uint32_t leaf;
} map_node;

typedef struct lane {
    unsigned char *records; /* held records of key_width + count_width bytes, sorted */
    size_t held;
    size_t bytes;      /* records' allocation: held * width, unless a shrink was refused */
    size_t key_width;  /* the key length, or OFFSET_BYTES for the overflow lane */
    size_t count_width;
    bool overflow;
    map_node *map_root;  /* new keys since the last merge; NULL when none */
    size_t map_cap;      /* records a node holds, odd (2t - 1) */
    mg_running_totals totals; /* of the counts, from finalize on; empty: draws sum */
} lane;

/* A block of map nodes; nodes are carved in turn and never freed one by one
 * (a B-tree that only grows never frees a node): the chunks go all at once
 * when no lane has a map left. */
typedef struct node_chunk {
    struct node_chunk *next;
    size_t size; /* bytes of the block, header included */
} node_chunk;

typedef struct lanes_table {
    mg_table base; /* first: the handle (backend.h) */
    lane lanes[LANE_MAX + 1];
    node_chunk *chunks; /* newest first */
    unsigned char *chunk_cursor;
    size_t chunk_free;
    size_t chunk_bytes; /* all chunks: sizes the next */
    unsigned char *heap; /* overflow keys: LEB128 length, then the bytes */
    size_t heap_used;
    size_t heap_cap;
    uint64_t grams;    /* held now (lanes and live map records) */
    uint64_t contexts; /* valid once finalized */
    bool finalized;
} lanes_table;

/* A key as stored: its bytes and length. */
typedef struct key_view {
    const unsigned char *bytes;
    size_t len;
} key_view;

/* A gram or context being looked for. Keys that fit a lane are encoded into
 * `buffer`; longer ones (a token may be 64 MiB) are compared token by token
 * without being copied (bytes == NULL). */
typedef struct probe {
    const unsigned char *bytes;
    size_t len;
    const mg_token *tokens;
    int count;
    unsigned char buffer[LANE_MAX];
} probe;

/* ---- codes ------------------------------------------------------------ */

static uint64_t token_code(const mg_token *token)
{
    if (mg_token_is_marker(token))
        return token->len == MG_MARK_START ? CODE_START : CODE_END;
    return (uint64_t)token->len + 1;
}

static size_t token_size(const mg_token *token)
{
    size_t size = mg_varint_size(token_code(token));
    return mg_token_is_marker(token) ? size : size + token->len;
}

static unsigned char *token_write(unsigned char *at, const mg_token *token)
{
    at = mg_varint_write(at, token_code(token));
    if (mg_token_is_marker(token))
        return at;
    memcpy(at, token->bytes, token->len);
    return at + token->len;
}

/* Decode one token; its bytes point into the key. */
static const unsigned char *token_read(const unsigned char *at, mg_token *token)
{
    uint64_t code;
    at = mg_varint_read(at, &code);
    if (code <= CODE_END) {
        *token = (mg_token){NULL, code == CODE_START ? MG_MARK_START : MG_MARK_END};
        return at;
    }
    *token = (mg_token){at, (uint32_t)(code - 1)};
    return at + token->len;
}

static void key_decode(key_view key, mg_token *tokens, int count)
{
    const unsigned char *at = key.bytes;
    for (int k = 0; k < count; k++)
        at = token_read(at, &tokens[k]);
}

/* Bytes of the first `count` tokens of a key: the key of its context. */
static size_t key_prefix_len(key_view key, int count)
{
    const unsigned char *at = key.bytes;
    mg_token token;
    for (int k = 0; k < count; k++)
        at = token_read(at, &token);
    return (size_t)(at - key.bytes);
}

/* Set up in place: bytes may point into the probe's own buffer. */
static void probe_init(probe *p, const mg_token *tokens, int count)
{
    p->bytes = NULL;
    p->len = 0;
    p->tokens = tokens;
    p->count = count;
    for (int k = 0; k < count; k++)
        p->len += token_size(&tokens[k]);
    if (p->len <= LANE_MAX) {
        unsigned char *at = p->buffer;
        for (int k = 0; k < count; k++)
            at = token_write(at, &tokens[k]);
        p->bytes = p->buffer;
    }
}

/* memcmp of keys of one width, 8 bytes at a time (read big-endian so that
 * integer order is byte order): the lanes' hot comparison, without a call. */
static inline int fixed_compare(const unsigned char *a, const unsigned char *b, size_t width)
{
    for (; width >= 8; a += 8, b += 8, width -= 8) {
        uint64_t x, y;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        if (x != y) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            x = __builtin_bswap64(x);
            y = __builtin_bswap64(y);
#endif
            return x < y ? -1 : 1;
        }
    }
    for (; width > 0; a++, b++, width--)
        if (*a != *b)
            return *a < *b ? -1 : 1;
    return 0;
}

/* Order of keys: memcmp, then the shorter first. */
static int bytes_compare(const unsigned char *a, size_t a_len, const unsigned char *b, size_t b_len)
{
    int order = memcmp(a, b, a_len < b_len ? a_len : b_len);
    if (order != 0)
        return order;
    return (a_len > b_len) - (a_len < b_len);
}

static int key_compare(key_view a, key_view b) { return bytes_compare(a.bytes, a.len, b.bytes, b.len); }

/* Compare the next `len` probe bytes with the key from *at; 1 when the key ends first. */
static int chunk_compare(const unsigned char *chunk, size_t len, key_view key, size_t *at)
{
    size_t room = key.len - *at;
    int order = memcmp(chunk, key.bytes + *at, len < room ? len : room);
    if (order != 0)
        return order;
    if (len > room)
        return 1;
    *at += len;
    return 0;
}

/* The probe's key against a stored one, in key order. */
static int probe_compare(const probe *p, key_view key)
{
    if (p->bytes && p->len == key.len)
        return fixed_compare(p->bytes, key.bytes, key.len);
    if (p->bytes)
        return bytes_compare(p->bytes, p->len, key.bytes, key.len);
    size_t at = 0;
    for (int k = 0; k < p->count; k++) {
        const mg_token *token = &p->tokens[k];
        unsigned char code[CODE_MAX];
        int order = chunk_compare(code, (size_t)(mg_varint_write(code, token_code(token)) - code), key, &at);
        if (order == 0 && !mg_token_is_marker(token))
            order = chunk_compare(token->bytes, token->len, key, &at);
        if (order != 0)
            return order;
    }
    return at < key.len ? -1 : 0;
}

/* Does the key start with the probe's bytes and go on past them? */
static bool probe_prefixes(const probe *p, key_view key)
{
    return key.len > p->len && probe_compare(p, (key_view){key.bytes, p->len}) == 0;
}

/* ---- records ---------------------------------------------------------- */

static inline size_t lane_width(const lane *l) { return l->key_width + l->count_width; }
/* The part a lane's records are counted against: the overflow lane's own, or the fixed-width lanes'. */
static inline int lane_part(const lane *l) { return l->overflow ? LANES_OVERFLOW : LANES_LANES; }
static inline size_t map_width(const lane *l) { return l->key_width + MAP_COUNT_BYTES; }
static inline unsigned char *lane_record(const lane *l, size_t index) { return l->records + index * lane_width(l); }

static key_view key_at(const lanes_table *t, const lane *l, const unsigned char *record)
{
    if (!l->overflow)
        return (key_view){record, l->key_width};
    uint64_t offset, len;
    memcpy(&offset, record, sizeof offset);
    const unsigned char *bytes = mg_varint_read(t->heap + offset, &len);
    return (key_view){bytes, (size_t)len};
}

static uint32_t count_read(const unsigned char *at, size_t width)
{
    uint32_t count = 0;
    for (size_t k = 0; k < width; k++)
        count |= (uint32_t)at[k] << (8 * k);
    return count;
}

static void count_write(unsigned char *at, size_t width, uint32_t count)
{
    for (size_t k = 0; k < width; k++)
        at[k] = (unsigned char)(count >> (8 * k));
}

static size_t count_width_for(uint32_t largest)
{
    size_t width = 1;
    while (width < 4 && (largest >> (8 * width)) != 0)
        width++;
    return width;
}

static inline uint32_t lane_count(const lane *l, const unsigned char *record)
{
    return count_read(record + l->key_width, l->count_width);
}

static inline uint32_t map_count(const lane *l, const unsigned char *record)
{
    uint32_t count;
    memcpy(&count, record + l->key_width, sizeof count);
    return count;
}

static inline void map_count_set(const lane *l, unsigned char *record, uint32_t count)
{
    memcpy(record + l->key_width, &count, sizeof count);
}

/* ---- the B-tree map ----------------------------------------------------- */

static inline map_node **node_children(map_node *node) { return (map_node **)(void *)(node + 1); }

static inline unsigned char *node_record(const lane *l, map_node *node, size_t index)
{
    unsigned char *records = (unsigned char *)(node + 1);
    if (!node->leaf)
        records += (l->map_cap + 1) * sizeof(map_node *);
    return records + index * map_width(l);
}

/* Rounded to 8 so that every node in a chunk stays aligned for its pointers. */
static size_t node_bytes(const lane *l, bool leaf)
{
    size_t children = leaf ? 0 : (l->map_cap + 1) * sizeof(map_node *);
    return (sizeof(map_node) + children + l->map_cap * map_width(l) + 7) & ~(size_t)7;
}

static map_node *node_new(lanes_table *t, const lane *l, bool leaf)
{
    size_t bytes = node_bytes(l, leaf);
    if (bytes > t->chunk_free) {
        size_t size = t->chunk_bytes < CHUNK_GROWTH_END ? t->chunk_bytes : CHUNK_BIG;
        size = size < CHUNK_MIN ? CHUNK_MIN : size;
        node_chunk *chunk = mg_alloc_in(LANES_TRAINING_MAPS, size);
        if (!chunk)
            return NULL;
        *chunk = (node_chunk){t->chunks, size};
        t->chunks = chunk;
        t->chunk_bytes += size;
        t->chunk_cursor = (unsigned char *)(chunk + 1); /* the old chunk's tail is given up */
        t->chunk_free = size - sizeof *chunk;
    }
    map_node *node = (map_node *)(void *)t->chunk_cursor;
    t->chunk_cursor += bytes;
    t->chunk_free -= bytes;
    *node = (map_node){0, leaf};
    return node;
}

static void chunks_free(lanes_table *t)
{
    for (node_chunk *chunk = t->chunks, *next; chunk; chunk = next) {
        next = chunk->next;
        mg_free_in(LANES_TRAINING_MAPS, chunk, chunk->size);
    }
    t->chunks = NULL;
    t->chunk_cursor = NULL;
    t->chunk_free = t->chunk_bytes = 0;
}

/* Once no lane has a map, the nodes' chunks go back. */
static void chunks_release_if_unused(lanes_table *t)
{
    for (size_t k = 0; k <= LANE_MAX; k++)
        if (t->lanes[k].map_root)
            return;
    chunks_free(t);
}

/* Index of the first of `count` sorted records (`width` bytes apart) not
 * below the probe; *found when it is equal. Lanes and map nodes alike. */
static size_t records_search(const lanes_table *t, const lane *l, const unsigned char *records, size_t count,
                             size_t width, const probe *p, bool *found)
{
    size_t low = 0, high = count;
    *found = false;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        int order = probe_compare(p, key_at(t, l, records + middle * width));
        if (order == 0) {
            *found = true;
            return middle;
        }
        if (order > 0)
            low = middle + 1;
        else
            high = middle;
    }
    return low;
}

static size_t node_search(const lanes_table *t, const lane *l, map_node *node, const probe *p, bool *found)
{
    return records_search(t, l, node_record(l, node, 0), node->used, map_width(l), p, found);
}

static unsigned char *map_find(const lanes_table *t, const lane *l, const probe *p)
{
    map_node *node = l->map_root;
    while (node) {
        bool found;
        size_t index = node_search(t, l, node, p, &found);
        if (found)
            return node_record(l, node, index);
        node = node->leaf ? NULL : node_children(node)[index];
    }
    return NULL;
}

/* Split the full child `index` of a parent that is not full: the upper half
 * moves to a new sibling, the median up into the parent. Contents do not
 * change, so a failure later in the same insert loses nothing. */
static int node_split(lanes_table *t, const lane *l, map_node *parent, size_t index)
{
    map_node *child = node_children(parent)[index];
    map_node *sibling = node_new(t, l, child->leaf);
    if (!sibling)
        return MG_ERR_NOMEM;
    size_t half = l->map_cap / 2, width = map_width(l);
    memcpy(node_record(l, sibling, 0), node_record(l, child, half + 1), half * width);
    if (!child->leaf)
        memcpy(node_children(sibling), node_children(child) + half + 1, (half + 1) * sizeof(map_node *));
    sibling->used = (uint32_t)half;
    child->used = (uint32_t)half;
    unsigned char *slot = node_record(l, parent, index);
    memmove(slot + width, slot, (parent->used - index) * width);
    memcpy(slot, node_record(l, child, half), width);
    map_node **children = node_children(parent);
    memmove(children + index + 2, children + index + 1, (parent->used - index) * sizeof *children);
    children[index + 1] = sibling;
    parent->used++;
    return MG_OK;
}

static uint64_t heap_append(lanes_table *t, const probe *p);

/* Put a new record for the probe's key, count 0, at index of a leaf with
 * room; an overflow key is copied to the heap first. */
static unsigned char *leaf_insert(lanes_table *t, const lane *l, map_node *leaf, size_t index, const probe *p)
{
    unsigned char key[LANE_MAX];
    if (l->overflow) {
        uint64_t offset = heap_append(t, p);
        if (offset == UINT64_MAX)
            return NULL;
        memcpy(key, &offset, sizeof offset);
    } else {
        memcpy(key, p->bytes, l->key_width);
    }
    size_t width = map_width(l);
    unsigned char *slot = node_record(l, leaf, index);
    memmove(slot + width, slot, (leaf->used - index) * width);
    memcpy(slot, key, l->key_width);
    map_count_set(l, slot, 0);
    leaf->used++;
    return slot;
}

/* A full leaf child passes a record to a sibling leaf with room for two
 * more, through the parent's separator, instead of splitting: leaves then
 * fill to ~80% rather than ~69%, and nothing is allocated. Returns the
 * child index to descend into (-1: none could take it, split instead), or
 * sets *found to the separator equal to the probe. */
static long leaf_lend(const lanes_table *t, const lane *l, map_node *parent, size_t index, const probe *p,
                      unsigned char **found)
{
    map_node **children = node_children(parent);
    map_node *child = children[index];
    size_t width = map_width(l);
    if (index < parent->used && children[index + 1]->used + 2 <= l->map_cap) {
        map_node *right = children[index + 1];
        unsigned char *separator = node_record(l, parent, index), *first = node_record(l, right, 0);
        memmove(first + width, first, right->used * width);
        memcpy(first, separator, width);
        right->used++;
        memcpy(separator, node_record(l, child, --child->used), width);
    } else if (index > 0 && children[index - 1]->used + 2 <= l->map_cap) {
        map_node *left = children[index - 1];
        unsigned char *separator = node_record(l, parent, --index), *first = node_record(l, child, 0);
        memcpy(node_record(l, left, left->used++), separator, width);
        memcpy(separator, first, width);
        memmove(first, first + width, --child->used * width);
    } else {
        return -1;
    }
    int order = probe_compare(p, key_at(t, l, node_record(l, parent, index)));
    if (order == 0)
        *found = node_record(l, parent, index);
    return (long)index + (order > 0);
}

/* The map's record of the probe's key, a new one with count 0 when absent,
 * in one descent: full nodes are split on the way down (CLRS), so the leaf
 * reached has room. A split keeps the contents, so failing after one loses
 * nothing. NULL when out of memory. */
static unsigned char *map_upsert(lanes_table *t, lane *l, const probe *p)
{
    if (!l->map_root && !(l->map_root = node_new(t, l, true)))
        return NULL;
    if (l->map_root->used == l->map_cap) {
        map_node *top = node_new(t, l, false);
        if (!top)
            return NULL;
        node_children(top)[0] = l->map_root;
        if (node_split(t, l, top, 0) != MG_OK)
            return NULL; /* top stays unused in its chunk */
        l->map_root = top;
    }
    map_node *node = l->map_root;
    for (;;) {
        bool found;
        size_t index = node_search(t, l, node, p, &found);
        if (found)
            return node_record(l, node, index);
        if (node->leaf)
            return leaf_insert(t, l, node, index, p);
        map_node *child = node_children(node)[index];
        if (child->used == l->map_cap && child->leaf) {
            unsigned char *found_record = NULL;
            long lent = leaf_lend(t, l, node, index, p, &found_record);
            if (found_record)
                return found_record;
            if (lent >= 0) {
                node = node_children(node)[lent];
                continue;
            }
        }
        if (child->used == l->map_cap) {
            if (node_split(t, l, node, index) != MG_OK)
                return NULL;
            int order = probe_compare(p, key_at(t, l, node_record(l, node, index)));
            if (order == 0)
                return node_record(l, node, index);
            index += order > 0;
        }
        node = node_children(node)[index];
    }
}

/* In-order walk of a map: a stack of (node, next record) frames. */
typedef struct map_cursor {
    const lane *l;
    size_t depth;
    struct {
        map_node *node;
        size_t index;
    } frames[CURSOR_DEPTH];
} map_cursor;

static void cursor_descend(map_cursor *cursor, map_node *node)
{
    for (; node; node = node->leaf ? NULL : node_children(node)[0])
        cursor->frames[cursor->depth++].node = node, cursor->frames[cursor->depth - 1].index = 0;
}

static void cursor_start(map_cursor *cursor, const lane *l)
{
    cursor->l = l;
    cursor->depth = 0;
    cursor_descend(cursor, l->map_root);
}

/* The next record in key order (tombstones included), or NULL. */
static unsigned char *cursor_next(map_cursor *cursor)
{
    while (cursor->depth > 0) {
        map_node *node = cursor->frames[cursor->depth - 1].node;
        size_t index = cursor->frames[cursor->depth - 1].index;
        if (index < node->used) {
            cursor->frames[cursor->depth - 1].index = index + 1;
            if (!node->leaf)
                cursor_descend(cursor, node_children(node)[index + 1]);
            return node_record(cursor->l, node, index);
        }
        cursor->depth--;
    }
    return NULL;
}

/* The next live record (count > 0): pruning before finalize may leave
 * tombstones when it cannot merge. */
static unsigned char *cursor_next_live(map_cursor *cursor)
{
    unsigned char *record;
    while ((record = cursor_next(cursor)) && map_count(cursor->l, record) == 0)
        ;
    return record;
}

/* ---- create ----------------------------------------------------------- */

static void lane_init(lane *l, size_t key_width, bool overflow)
{
    *l = (lane){.key_width = key_width, .count_width = 1, .overflow = overflow};
    /* As many records as fill a leaf of NODE_BYTES, odd for the split. */
    size_t cap = (NODE_BYTES - sizeof(map_node)) / map_width(l);
    if (cap % 2 == 0)
        cap--;
    l->map_cap = cap < 3 ? 3 : cap;
}

static mg_table *ml_create(const mg_backend *ops, int order)
{
    lanes_table *t = mg_calloc_in(LANES_TABLE, 1, sizeof *t);
    if (!t)
        return NULL;
    t->base = (mg_table){ops, order};
    lane_init(&t->lanes[OVERFLOW_LANE], OFFSET_BYTES, true);
    for (size_t k = 1; k <= LANE_MAX; k++)
        lane_init(&t->lanes[k], k, false);
    return &t->base;
}

/* ---- add -------------------------------------------------------------- */

static lane *lane_of(lanes_table *t, const probe *p)
{
    return &t->lanes[p->len <= LANE_MAX ? p->len : OVERFLOW_LANE];
}

/* Index of the lane record equal to the probe, or of where it would go. */
static size_t lane_search(const lanes_table *t, const lane *l, const probe *p, bool *found)
{
    return records_search(t, l, l->records, l->held, lane_width(l), p, found);
}

/* Rewrite the lane with counts `count_width` bytes wide. */
static int lane_rewiden(lane *l, size_t count_width)
{
    size_t old_width = lane_width(l), new_width = l->key_width + count_width;
    unsigned char *records = mg_alloc_in(lane_part(l), l->held * new_width);
    if (!records)
        return MG_ERR_NOMEM;
    for (size_t index = 0; index < l->held; index++) {
        const unsigned char *from = l->records + index * old_width;
        unsigned char *to = records + index * new_width;
        memcpy(to, from, l->key_width);
        count_write(to + l->key_width, count_width, lane_count(l, from));
    }
    mg_free_in(lane_part(l), l->records, l->bytes);
    l->records = records;
    l->bytes = l->held * new_width;
    l->count_width = count_width;
    return MG_OK;
}

/* A key already in its lane is counted in place. */
static int lane_count_up(lane *l, size_t index)
{
    uint32_t count = lane_count(l, lane_record(l, index));
    if (count == UINT32_MAX)
        return MG_OK;
    if (count_width_for(count + 1) > l->count_width && lane_rewiden(l, l->count_width + 1) != MG_OK)
        return MG_ERR_NOMEM;
    count_write(lane_record(l, index) + l->key_width, l->count_width, count + 1);
    return MG_OK;
}

/* Append the probe's key to the overflow heap; its offset, or UINT64_MAX. */
static uint64_t heap_append(lanes_table *t, const probe *p)
{
    size_t need = mg_varint_size(p->len) + p->len;
    if (need > t->heap_cap - t->heap_used) {
        size_t cap = t->heap_cap ? 2 * t->heap_cap : HEAP_MIN;
        if (cap < t->heap_used + need)
            cap = t->heap_used + need;
        unsigned char *heap = mg_realloc_in(LANES_OVERFLOW_KEYS, t->heap, t->heap_cap, cap);
        if (!heap)
            return UINT64_MAX;
        t->heap = heap;
        t->heap_cap = cap;
    }
    unsigned char *at = mg_varint_write(t->heap + t->heap_used, p->len);
    for (int k = 0; k < p->count; k++)
        at = token_write(at, &p->tokens[k]);
    uint64_t offset = t->heap_used;
    t->heap_used = (size_t)(at - t->heap);
    return offset;
}

static int ml_add(mg_table *self, const mg_token *gram)
{
    lanes_table *t = (lanes_table *)self;
    probe p;
    probe_init(&p, gram, t->base.order);
    lane *l = lane_of(t, &p);
    bool found;
    size_t index = lane_search(t, l, &p, &found);
    if (found)
        return lane_count_up(l, index);
    unsigned char *record = map_upsert(t, l, &p);
    if (!record)
        return MG_ERR_NOMEM;
    uint32_t count = map_count(l, record);
    if (count == 0)
        t->grams++; /* a new key, or a pruned one back */
    if (count != UINT32_MAX)
        map_count_set(l, record, count + 1);
    return MG_OK;
}

/* ---- finalize: the merge ------------------------------------------------ */

/* Merge the lane and its map into one new sorted lane in a linear pass,
 * keeping counts >= min_count (>= 1: tombstones go). On success the map is
 * freed and *dropped says how many grams were left out; on failure nothing
 * changes. */
static int lane_merge(const lanes_table *t, lane *l, uint64_t min_count, uint64_t *dropped)
{
    if (min_count < 1)
        min_count = 1;
    size_t kept = 0, live = 0;
    uint32_t largest = 0;
    for (size_t index = 0; index < l->held; index++) {
        uint32_t count = lane_count(l, lane_record(l, index));
        live++;
        if (count >= min_count) {
            kept++;
            largest = count > largest ? count : largest;
        }
    }
    map_cursor cursor;
    cursor_start(&cursor, l);
    for (unsigned char *record; (record = cursor_next_live(&cursor));) {
        uint32_t count = map_count(l, record);
        live++;
        if (count >= min_count) {
            kept++;
            largest = count > largest ? count : largest;
        }
    }
    size_t count_width = count_width_for(largest), width = l->key_width + count_width;
    unsigned char *records = kept ? mg_alloc_in(lane_part(l), kept * width) : NULL;
    if (kept && !records)
        return MG_ERR_NOMEM;

    unsigned char *out = records;
    size_t index = 0;
    cursor_start(&cursor, l);
    unsigned char *from_map = cursor_next_live(&cursor);
    while (index < l->held || from_map) {
        const unsigned char *from_lane = index < l->held ? lane_record(l, index) : NULL;
        bool take_lane = from_lane && (!from_map || key_compare(key_at(t, l, from_lane), key_at(t, l, from_map)) < 0);
        const unsigned char *from = take_lane ? from_lane : from_map;
        uint32_t count = take_lane ? lane_count(l, from_lane) : map_count(l, from_map);
        if (take_lane)
            index++;
        else
            from_map = cursor_next_live(&cursor);
        if (count < min_count)
            continue;
        memcpy(out, from, l->key_width);
        count_write(out + l->key_width, count_width, count);
        out += width;
    }
    mg_free_in(lane_part(l), l->records, l->bytes);
    l->map_root = NULL; /* its nodes go with the chunks */
    l->records = records;
    l->held = kept;
    l->bytes = kept * width;
    l->count_width = count_width;
    *dropped = live - kept;
    return MG_OK;
}

static size_t heap_record_size(key_view key) { return mg_varint_size(key.len) + key.len; }

/* Copy the record's key to `at` in a new heap and point the record there. */
static unsigned char *heap_move(const lanes_table *t, const lane *l, unsigned char *record,
                                unsigned char *heap, unsigned char *at)
{
    key_view key = key_at(t, l, record);
    uint64_t offset = (uint64_t)(at - heap);
    at = mg_varint_write(at, key.len);
    memcpy(at, key.bytes, key.len);
    memcpy(record, &offset, sizeof offset);
    return at + key.len;
}

/* Overflow keys as a fresh heap holding only the keys still referenced
 * (tombstones too: the map's order still needs them), exactly sized; on
 * failure the old heap, garbage and all, stays. */
static void heap_rebuild(lanes_table *t)
{
    lane *l = &t->lanes[OVERFLOW_LANE];
    size_t need = 0;
    map_cursor cursor;
    for (size_t index = 0; index < l->held; index++)
        need += heap_record_size(key_at(t, l, lane_record(l, index)));
    cursor_start(&cursor, l);
    for (unsigned char *record; (record = cursor_next(&cursor));)
        need += heap_record_size(key_at(t, l, record));
    if (need == t->heap_cap)
        return;
    unsigned char *heap = need ? mg_alloc_in(LANES_OVERFLOW_KEYS, need) : NULL, *at = heap;
    if (need && !heap)
        return;
    for (size_t index = 0; index < l->held; index++)
        at = heap_move(t, l, lane_record(l, index), heap, at);
    cursor_start(&cursor, l);
    for (unsigned char *record; (record = cursor_next(&cursor));)
        at = heap_move(t, l, record, heap, at);
    mg_free_in(LANES_OVERFLOW_KEYS, t->heap, t->heap_cap);
    t->heap = heap;
    t->heap_used = t->heap_cap = need;
}

/* ---- contexts ------------------------------------------------------------ */

/* Distinct contexts over all lanes: each lane lists its contexts in key
 * order, so a k-way merge of the lanes (a heap of one cursor per lane)
 * meets equal contexts together. Allocates nothing. */
typedef struct context_cursor {
    const lane *l;
    size_t index;
    key_view context;
} context_cursor;

static bool context_load(const lanes_table *t, context_cursor *cursor)
{
    if (cursor->index >= cursor->l->held)
        return false;
    key_view key = key_at(t, cursor->l, lane_record(cursor->l, cursor->index));
    cursor->context = (key_view){key.bytes, key_prefix_len(key, t->base.order - 1)};
    return true;
}

static void context_sift_down(context_cursor *heap, size_t size, size_t at)
{
    for (;;) {
        size_t least = at, left = 2 * at + 1, right = left + 1;
        if (left < size && key_compare(heap[left].context, heap[least].context) < 0)
            least = left;
        if (right < size && key_compare(heap[right].context, heap[least].context) < 0)
            least = right;
        if (least == at)
            return;
        context_cursor swap = heap[at];
        heap[at] = heap[least];
        heap[least] = swap;
        at = least;
    }
}

static uint64_t contexts_count(const lanes_table *t)
{
    if (t->base.order == 1)
        return t->grams > 0;
    context_cursor heap[LANE_MAX + 1];
    size_t size = 0;
    for (size_t k = 0; k <= LANE_MAX; k++) {
        heap[size] = (context_cursor){&t->lanes[k], 0, {NULL, 0}};
        if (context_load(t, &heap[size]))
            size++;
    }
    for (size_t at = size / 2; at-- > 0;)
        context_sift_down(heap, size, at);
    uint64_t contexts = 0;
    key_view last = {NULL, 0};
    while (size > 0) {
        if (!last.bytes || key_compare(last, heap[0].context) != 0)
            contexts++;
        last = heap[0].context;
        heap[0].index++;
        if (!context_load(t, &heap[0]))
            heap[0] = heap[--size];
        context_sift_down(heap, size, 0);
    }
    return contexts;
}

/* ---- running totals ------------------------------------------------------ */

static uint64_t lane_entry_count(const void *table, uint64_t entry)
{
    const lane *l = table;
    return lane_count(l, lane_record(l, (size_t)entry));
}

/* The lane's totals made anew; without memory for them, draws sum their
 * windows (an empty mg_running_totals is read that way). */
static void totals_build(lane *l)
{
    mg_running_totals_free(&l->totals);
    if (l->held > 2 * TOTALS_EVERY)
        mg_running_totals_build_in(LANES_TOTALS, &l->totals, l->held, TOTALS_EVERY, lane_entry_count, l);
}

static uint64_t lane_sum(const lane *l, size_t first, size_t high)
{
    return mg_running_totals_sum(&l->totals, first, high, lane_entry_count, l);
}

static int ml_finalize(mg_table *self)
{
    lanes_table *t = (lanes_table *)self;
    for (size_t k = 0; k <= LANE_MAX; k++) {
        uint64_t dropped;
        if (t->lanes[k].map_root && lane_merge(t, &t->lanes[k], 1, &dropped) != MG_OK)
            return MG_ERR_NOMEM;
    }
    chunks_release_if_unused(t);
    heap_rebuild(t); /* trims the heap's growth room */
    t->finalized = true;
    t->contexts = contexts_count(t);
    for (size_t k = 0; k <= LANE_MAX; k++)
        totals_build(&t->lanes[k]);
    return MG_OK;
}

/* ---- lookups ---------------------------------------------------------- */

static uint64_t ml_count(mg_table *self, const mg_token *gram)
{
    lanes_table *t = (lanes_table *)self;
    probe p;
    probe_init(&p, gram, t->base.order);
    const lane *l = lane_of(t, &p);
    bool found;
    size_t index = lane_search(t, l, &p, &found);
    if (found)
        return lane_count(l, lane_record(l, index));
    const unsigned char *record = map_find(t, l, &p);
    return record ? map_count(l, record) : 0;
}

/* count_many: the lane searches of a group of grams advance in lockstep,
 * one halving step each a round, every gram's middle record requested
 * before the first is compared, so the group's cache misses overlap; a
 * gram not in its lane is then looked for in the lane's map, as count()
 * does. */
enum { GROUP = 16 };

typedef struct lane_search_state {
    probe p; /* set in place: its bytes may point into its own buffer */
    const lane *l;
    size_t low, high; /* the records left; low is the gram's once found */
    bool found;
} lane_search_state;

static void ml_count_many(mg_table *self, const mg_token *grams, size_t count, uint64_t *counts)
{
    lanes_table *t = (lanes_table *)self;
    size_t order = (size_t)t->base.order;
    lane_search_state at[GROUP];
    for (size_t done = 0; done < count; done += GROUP) {
        size_t size = count - done < GROUP ? count - done : GROUP;
        for (size_t i = 0; i < size; i++) {
            probe_init(&at[i].p, grams + (done + i) * order, t->base.order);
            at[i].l = lane_of(t, &at[i].p);
            at[i].low = 0;
            at[i].high = at[i].l->held;
            at[i].found = false;
        }
        for (bool searching = true; searching;) {
            searching = false;
            for (size_t i = 0; i < size; i++)
                if (!at[i].found && at[i].low < at[i].high)
                    __builtin_prefetch(lane_record(at[i].l, at[i].low + (at[i].high - at[i].low) / 2));
            for (size_t i = 0; i < size; i++) {
                if (at[i].found || at[i].low >= at[i].high)
                    continue;
                size_t middle = at[i].low + (at[i].high - at[i].low) / 2;
                int side = probe_compare(&at[i].p, key_at(t, at[i].l, lane_record(at[i].l, middle)));
                at[i].found = side == 0;
                at[i].low = side > 0 ? middle + 1 : side == 0 ? middle : at[i].low;
                at[i].high = side < 0 ? middle : at[i].high;
                searching = true;
            }
        }
        for (size_t i = 0; i < size; i++) {
            const unsigned char *record = at[i].found ? NULL : map_find(t, at[i].l, &at[i].p);
            counts[done + i] = at[i].found ? lane_count(at[i].l, lane_record(at[i].l, at[i].low))
                               : record    ? map_count(at[i].l, record)
                                           : 0;
        }
    }
}

static int visit_last(key_view key, size_t context_len, uint32_t count, mg_successor_visit visit, void *arg)
{
    mg_token next;
    token_read(key.bytes + context_len, &next);
    return visit(arg, &next, count);
}

/* The lane's successors of a context: one contiguous range from the
 * context's lower bound; then, before finalize, the map's by a walk. */
static int lane_successors(const lanes_table *t, const lane *l, const probe *context, mg_successor_visit visit,
                           void *arg)
{
    bool found;
    for (size_t index = lane_search(t, l, context, &found); index < l->held; index++) {
        const unsigned char *record = lane_record(l, index);
        key_view key = key_at(t, l, record);
        if (!probe_prefixes(context, key))
            break;
        int stop = visit_last(key, context->len, lane_count(l, record), visit, arg);
        if (stop)
            return stop;
    }
    map_cursor cursor;
    cursor_start(&cursor, l);
    for (unsigned char *record; (record = cursor_next_live(&cursor));) {
        key_view key = key_at(t, l, record);
        if (!probe_prefixes(context, key))
            continue;
        int stop = visit_last(key, context->len, map_count(l, record), visit, arg);
        if (stop)
            return stop;
    }
    return 0;
}

static int ml_successors(mg_table *self, const mg_token *context, mg_successor_visit visit, void *arg)
{
    lanes_table *t = (lanes_table *)self;
    probe p;
    probe_init(&p, context, t->base.order - 1);
    for (size_t k = 0; k <= LANE_MAX; k++) {
        const lane *l = &t->lanes[k];
        if (!l->overflow && k <= p.len)
            continue; /* too short to hold the context and a token */
        int stop = lane_successors(t, l, &p, visit, arg);
        if (stop)
            return stop;
    }
    return 0;
}

/* ---- sample_successor ------------------------------------------------------ */

/* A context's successors in one lane are a run of records whose last words
 * have one length, so in canonical order; across lanes they interleave. In
 * the overflow lane, sorted by key, a context's run is made of a group per
 * length (its code comes first), each in canonical order. A draw keeps a
 * window of the run per lane and per overflow group and narrows them all at once:
 * the middle record of the widest window is the pivot, each other window
 * is cut where the pivot would go (a binary search), and the counts below
 * the cuts (the lanes' running totals) tell on which side of the pivot the
 * drawn word lies. Every round halves the widest window. */
typedef struct draw_window {
    const lane *l;
    size_t low, high; /* the run's records still in play */
} draw_window;

static mg_token window_token(const lanes_table *t, const draw_window *w, size_t index, size_t context_len)
{
    mg_token token;
    token_read(key_at(t, w->l, lane_record(w->l, index)).bytes + context_len, &token);
    return token;
}

/* The end of the run of records from `low` on that extend the context. */
static size_t run_end(const lanes_table *t, const lane *l, const probe *context, size_t low)
{
    size_t high = l->held;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        if (probe_prefixes(context, key_at(t, l, lane_record(l, middle))))
            low = middle + 1;
        else
            high = middle;
    }
    return low;
}

/* Does the fixed lane's record start with the context's bytes? */
static bool record_extends(const lane *l, size_t index, const probe *context)
{
    return fixed_compare(lane_record(l, index), context->bytes, context->len) == 0;
}

/* The end of the fixed lane's run from `low`, its first record: steps
 * doubling while the run goes on, then halving; most runs are short. */
static size_t fixed_run_end(const lane *l, const probe *context, size_t low)
{
    size_t in = low, out = l->held; /* [low, in) extend the context; out does not (or is the end) */
    for (size_t step = 1; in < out; step *= 2) {
        size_t at = in + step - 1 < out ? in + step - 1 : out - 1;
        if (!record_extends(l, at, context)) {
            out = at;
            break;
        }
        in = at + 1;
    }
    while (in < out) {
        size_t middle = in + (out - in) / 2;
        if (record_extends(l, middle, context))
            in = middle + 1;
        else
            out = middle;
    }
    return in;
}

/* Where the context's run begins in each fixed lane longer than it: the
 * lanes' binary searches advance in lockstep, one halving step a round,
 * every lane's middle record requested before the first is compared, so
 * that their cache misses overlap. */
static void fixed_runs_begin(const lanes_table *t, const probe *context, size_t *lows)
{
    size_t highs[LANE_MAX + 1];
    for (size_t k = context->len + 1; k <= LANE_MAX; k++) {
        lows[k] = 0;
        highs[k] = t->lanes[k].held;
    }
    for (bool searching = true; searching;) {
        searching = false;
        for (size_t k = context->len + 1; k <= LANE_MAX; k++)
            if (lows[k] < highs[k])
                __builtin_prefetch(lane_record(&t->lanes[k], lows[k] + (highs[k] - lows[k]) / 2));
        for (size_t k = context->len + 1; k <= LANE_MAX; k++) {
            if (lows[k] >= highs[k])
                continue;
            size_t middle = lows[k] + (highs[k] - lows[k]) / 2;
            if (fixed_compare(lane_record(&t->lanes[k], middle), context->bytes, context->len) < 0)
                lows[k] = middle + 1;
            else
                highs[k] = middle;
            searching = true;
        }
    }
}

static bool is_start(const mg_token *token) { return mg_token_is_marker(token) && token->len == MG_MARK_START; }

/* The end of the group of records from `low` on (before high) whose last
 * token's code is the one at low's: one length. */
static size_t group_end(const lanes_table *t, const lane *l, size_t context_len, size_t low, size_t high)
{
    const unsigned char *code = key_at(t, l, lane_record(l, low)).bytes + context_len;
    uint64_t value;
    size_t code_len = (size_t)(mg_varint_read(code, &value) - code);
    for (size_t first = low + 1; first < high;) {
        size_t middle = first + (high - first) / 2;
        if (memcmp(key_at(t, l, lane_record(l, middle)).bytes + context_len, code, code_len) == 0)
            first = middle + 1;
        else
            high = middle;
    }
    return high;
}

/* The context's successors as windows, the start marker left out; false
 * when they hold more than OVERFLOW_WINDOWS_MAX lengths of overflow words. */
static bool context_windows(const lanes_table *t, const probe *context, draw_window *windows, size_t *count)
{
    *count = 0;
    size_t lows[LANE_MAX + 1];
    fixed_runs_begin(t, context, lows);
    for (size_t k = context->len + 1; k <= LANE_MAX; k++) {
        draw_window w = {&t->lanes[k], lows[k], fixed_run_end(&t->lanes[k], context, lows[k])};
        if (w.low < w.high) {
            mg_token first = window_token(t, &w, w.low, context->len);
            w.low += is_start(&first);
        }
        if (w.low < w.high)
            windows[(*count)++] = w;
    }
    const lane *overflow = &t->lanes[OVERFLOW_LANE];
    bool found;
    size_t low = lane_search(t, overflow, context, &found), high = run_end(t, overflow, context, low);
    for (size_t end; low < high; low = end) {
        end = group_end(t, overflow, context->len, low, high);
        draw_window w = {overflow, low, end};
        mg_token token = window_token(t, &w, low, context->len);
        if (is_start(&token))
            continue;
        if (*count == WINDOWS_MAX)
            return false;
        windows[(*count)++] = w;
    }
    return true;
}

/* The first record of the window at or after the pivot in canonical order. */
static size_t window_cut(const lanes_table *t, const draw_window *w, const mg_token *pivot, size_t context_len)
{
    size_t low = w->low, high = w->high;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        mg_token token = window_token(t, w, middle, context_len);
        if (mg_token_compare(&token, pivot) < 0)
            low = middle + 1;
        else
            high = middle;
    }
    return low;
}

/* The widest window, the empty ones dropped from the array. */
static size_t widest_window(draw_window *windows, size_t *count)
{
    size_t widest = 0, kept = 0;
    for (size_t i = 0; i < *count; i++) {
        if (windows[i].low == windows[i].high)
            continue;
        windows[kept] = windows[i];
        if (windows[kept].high - windows[kept].low > windows[widest].high - windows[widest].low)
            widest = kept;
        kept++;
    }
    *count = kept;
    return widest;
}

/* The pivot of a round in the window: on even rounds the record where the
 * window's own counts reach the share of the target in all the windows'
 * (r - below of weight), which lands near the drawn word when the lanes
 * interleave evenly; on odd rounds the middle, which halves the window
 * whatever they do. */
static size_t pivot_of(const draw_window *w, unsigned round, uint64_t target, uint64_t weight)
{
    size_t pivot = w->low + (w->high - w->low) / 2;
    if (round % 2 == 0) {
        uint64_t share = (uint64_t)(((mg_uint128)target << 64) / weight);
        uint64_t chosen;
        if (mg_running_totals_draw(&w->l->totals, w->low, w->high, share, lane_entry_count, w->l, &chosen))
            pivot = (size_t)chosen;
    }
    return pivot;
}

/* The record (window and index) whose cumulative count, in canonical order
 * over all windows, first exceeds r (r < weight, the windows' sum). */
static void windows_select(const lanes_table *t, draw_window *windows, size_t count, size_t context_len,
                           uint64_t r, uint64_t weight, const draw_window **chosen, size_t *index)
{
    uint64_t below = 0; /* counts of the records left of every window */
    size_t cuts[WINDOWS_MAX];
    for (unsigned round = 0;; round++) {
        size_t widest = widest_window(windows, &count);
        draw_window *pivot_window = &windows[widest];
        size_t middle = pivot_of(pivot_window, round, r - below, weight);
        mg_token pivot = window_token(t, pivot_window, middle, context_len);
        uint64_t before = below;
        for (size_t i = 0; i < count; i++) {
            cuts[i] = i == widest ? middle : window_cut(t, &windows[i], &pivot, context_len);
            before += lane_sum(windows[i].l, windows[i].low, cuts[i]);
        }
        uint64_t pivot_count = lane_count(pivot_window->l, lane_record(pivot_window->l, middle));
        if (before <= r && r < before + pivot_count) {
            *chosen = pivot_window;
            *index = middle;
            return;
        }
        for (size_t i = 0; i < count; i++) {
            if (before > r)
                windows[i].high = cuts[i];
            else
                windows[i].low = cuts[i];
        }
        if (before > r) {
            weight = before - below;
        } else {
            pivot_window->low = middle + 1;
            weight -= before + pivot_count - below;
            below = before + pivot_count;
        }
    }
}

/* Before finalize (the maps hold keys) and for a context or successors too
 * long for the lanes' windows, the generator walks. */
static int ml_sample_successor(mg_table *self, const mg_token *context, uint64_t draw, mg_token *next)
{
    lanes_table *t = (lanes_table *)self;
    if (!t->finalized)
        return MG_SAMPLE_WALK;
    probe p;
    probe_init(&p, context, t->base.order - 1);
    draw_window windows[WINDOWS_MAX];
    size_t count;
    if (!p.bytes || !context_windows(t, &p, windows, &count))
        return MG_SAMPLE_WALK;
    uint64_t total = 0;
    for (size_t i = 0; i < count; i++)
        total += lane_sum(windows[i].l, windows[i].low, windows[i].high);
    if (total == 0)
        return 0;
    const draw_window *chosen;
    size_t index;
    windows_select(t, windows, count, p.len, mg_scale_below(draw, total), total, &chosen, &index);
    *next = window_token(t, chosen, index, p.len);
    return 1;
}

static int visit_gram(const lanes_table *t, key_view key, uint32_t count, mg_gram_visit visit, void *arg)
{
    mg_token gram[MG_ORDER_MAX];
    key_decode(key, gram, t->base.order);
    return visit(arg, gram, count);
}

static int ml_foreach(mg_table *self, mg_gram_visit visit, void *arg)
{
    lanes_table *t = (lanes_table *)self;
    for (size_t k = 0; k <= LANE_MAX; k++) {
        const lane *l = &t->lanes[k];
        for (size_t index = 0; index < l->held; index++) {
            const unsigned char *record = lane_record(l, index);
            int stop = visit_gram(t, key_at(t, l, record), lane_count(l, record), visit, arg);
            if (stop)
                return stop;
        }
        map_cursor cursor;
        cursor_start(&cursor, l);
        for (unsigned char *record; (record = cursor_next_live(&cursor));) {
            int stop = visit_gram(t, key_at(t, l, record), map_count(l, record), visit, arg);
            if (stop)
                return stop;
        }
    }
    return 0;
}

static void ml_sizes(mg_table *self, uint64_t *ngrams, uint64_t *contexts)
{
    const lanes_table *t = (const lanes_table *)self;
    *ngrams = t->grams;
    *contexts = t->contexts;
}

/* ---- prune ------------------------------------------------------------ */

/* Drop the lane's records below min_count in place, then give the tail back
 * (a refused shrink keeps the bigger block). Returns how many went. */
static uint64_t lane_filter_in_place(lane *l, uint64_t min_count)
{
    size_t width = lane_width(l), kept = 0;
    for (size_t index = 0; index < l->held; index++) {
        const unsigned char *record = lane_record(l, index);
        if (lane_count(l, record) < min_count)
            continue;
        memmove(l->records + kept * width, record, width);
        kept++;
    }
    uint64_t dropped = l->held - kept;
    l->held = kept;
    if (dropped == 0)
        return 0;
    if (kept == 0) {
        mg_free_in(lane_part(l), l->records, l->bytes);
        l->records = NULL;
        l->bytes = 0;
    } else {
        unsigned char *shrunk = mg_realloc_in(lane_part(l), l->records, l->bytes, kept * width);
        if (shrunk) {
            l->records = shrunk;
            l->bytes = kept * width;
        }
    }
    return dropped;
}

/* When the merge cannot be had: map records below min_count become
 * tombstones (count 0), skipped by every walk and revived by add. */
static uint64_t map_tombstone(lane *l, uint64_t min_count)
{
    uint64_t dropped = 0;
    map_cursor cursor;
    cursor_start(&cursor, l);
    for (unsigned char *record; (record = cursor_next_live(&cursor));)
        if (map_count(l, record) < min_count) {
            map_count_set(l, record, 0);
            dropped++;
        }
    return dropped;
}

static uint64_t ml_prune(mg_table *self, uint64_t min_count)
{
    lanes_table *t = (lanes_table *)self;
    if (min_count <= 1)
        return 0;
    uint64_t dropped = 0;
    for (size_t k = 0; k <= LANE_MAX; k++) {
        lane *l = &t->lanes[k];
        uint64_t merged;
        if (l->map_root && lane_merge(t, l, min_count, &merged) == MG_OK) {
            dropped += merged;
            continue;
        }
        dropped += lane_filter_in_place(l, min_count) + map_tombstone(l, min_count);
    }
    t->grams -= dropped;
    chunks_release_if_unused(t);
    if (dropped)
        heap_rebuild(t);
    if (t->finalized) {
        t->contexts = contexts_count(t);
        for (size_t k = 0; k <= LANE_MAX; k++)
            totals_build(&t->lanes[k]);
    }
    return dropped;
}

/* ---- destroy ---------------------------------------------------------- */

static void ml_destroy(mg_table *self)
{
    lanes_table *t = (lanes_table *)self;
    if (!t)
        return;
    for (size_t k = 0; k <= LANE_MAX; k++) {
        mg_free_in(lane_part(&t->lanes[k]), t->lanes[k].records, t->lanes[k].bytes);
        mg_running_totals_free(&t->lanes[k].totals);
    }
    chunks_free(t);
    mg_free_in(LANES_OVERFLOW_KEYS, t->heap, t->heap_cap);
    mg_free_in(LANES_TABLE, t, sizeof *t);
}

/* ---- estimate --------------------------------------------------------- */

/* The formula at the top of the file, part by part. */
static void ml_estimate_parts(const mg_table_shape *shape, double *bytes_per_ngram)
{
    for (int part = 0; part < LANES_PART_COUNT; part++)
        bytes_per_ngram[part] = 0.0;
    if (shape->ngrams == 0 || shape->vocab == 0)
        return;
    double word_len = (double)shape->vocab_bytes / (double)shape->vocab;
    double share = WORD_SHARE_FLOOR + (1.0 - WORD_SHARE_FLOOR) / shape->order;
    double grams = (double)shape->ngrams;
    bytes_per_ngram[LANES_TABLE - 1] = sizeof(lanes_table) / grams;
    bytes_per_ngram[LANES_LANES - 1] = shape->order * (1.0 + share * word_len) + COUNT_BYTES_MEAN;
    bytes_per_ngram[LANES_TOTALS - 1] =
        mg_running_totals_bits(grams, TOTALS_EVERY, COUNT_SUM_PER_GRAM * grams) / 8.0 / grams;
}

/* ---- ops table -------------------------------------------------------- */

const mg_backend mg_backend_memory_lanes = {
    .version = MG_BACKEND_VERSION,
    .name = "memory_lanes",
    .summary = "memory lanes: sorted fixed-width records per key length, B-tree maps until finalize",
    .layout_version = 2, /* 2: running totals per lane */
    .create = ml_create,
    .add = ml_add,
    .finalize = ml_finalize,
    .count = ml_count,
    .successors = ml_successors,
    .foreach = ml_foreach,
    .sizes = ml_sizes,
    .prune = ml_prune,
    .destroy = ml_destroy,
    .count_many = ml_count_many,
    .sample_successor = ml_sample_successor,
    .parts = lanes_parts,
    .part_count = LANES_PART_COUNT,
    .estimate_parts = ml_estimate_parts,
};
