/*
 * std_map.cc — the token-frequency table as a C++ programmer first writes
 * it, the "before" of the memory-lanes story: std::map<std::string, unsigned>
 * from a gram's tokens, spelled as one string, to its count, grown node by
 * node. Its nodes and its strings' heap buffers come from mem.h through
 * mg::mem_allocator (common/mem_allocator.hh).
 *
 * The key spells the gram's tokens joined by a space; the start marker is
 * spelled "\t" and the end marker "\n". A word never holds a whitespace byte
 * (backend.h), so the spelling is unambiguous, a word never spells like a
 * marker, and the keys of a context's grams are exactly those that begin
 * with the context's spelling and a space: one range of the sorted map.
 *
 *   order 3:  <s> <s> the  ->  "\t \t the"   (8 bytes)
 *             the cat </s> ->  "the cat \n"   (9 bytes)
 *
 * Memory layout (libstdc++, 64-bit):
 *
 *   table                    std_map.nodes: one red-black node per n-gram (72 B)
 *   +-----------+            +--------+--------+--------+--------+
 *   | order     |            | colour | parent | left   | right  |  32 B
 *   | counts ---+--> root -->+--------+--------+--------+--------+
 *   |  (header) |            | key: std::string                  |  32 B
 *   | contexts  |            |  pointer | length | 16 B inline   -+--> grams.keys: the
 *   | draw      |            +-----------------------------------+    key's bytes and a
 *   |  indexes -+--+         | count (unsigned, 32-bit) | pad    |  8 B  NUL, only for keys
 *   +-----------+  |         +-----------------------------------+    over 15 bytes
 *                  |
 *                  +--> successors: draw indexes, each {first node, its range's
 *                       nodes in canonical order -> | * | * | ... |, totals: EF}
 *
 * Draws (sample_successor) read a context's range in canonical order: the
 * map's order with the end marker moved first (a word may hold bytes below
 * '\n'). A range of at most 64 grams is gathered at each draw (into a
 * scratch array in the table); finalize (and a later prune) gives each
 * longer one a draw index: its nodes' values in canonical order and their
 * counts' running totals every 16 (common/running_totals), the indexes in
 * one array sorted by the address of the range's first node.
 *
 * Parts (mem.h's tags) and the expected bytes requested per n-gram, for N
 * n-grams of order n and V words of mean length w = vocab_bytes / V:
 *
 *   part           formula                                 gcide 1/4, estimate / measured
 *                                                          order 1      order 3      order 5
 *   table          this struct / N                         0.003/0.003  0.001/0.001  0.000/0.000
 *   std_map.nodes  72                                      72 / 72      72 / 72      72 / 72
 *   grams.keys     E[(L + 1) 1{L > 15}], L ~ normal        1.20 / 1.37  14.0 / 12.6  24.4 / 26.3
 *                  of mean n s(n) w + (n - 1), sd 0.4 mean
 *   successors     8 x share                               8.00 / 8.00  1.33 / 1.39  0.80 / 0.76
 *   totals         EF bits of share N totals every 16 / 8N 0.05 / 0.07  0.01 / 0.03  0.01 / 0.01
 *
 * L is a key's length: n words and n - 1 spaces, the words in grams being
 * shorter than the vocabulary's mean by s(n) = 0.3 + 0.7 / n (grams repeat
 * the frequent, short words; memory_lanes.c fits the same factor). A key
 * of up to 15 bytes sits in the string itself (the short-string buffer); a
 * longer one takes a heap block of its length plus one, so the mix of
 * inline and heap keys near 15 bytes matters: the keys' lengths are taken
 * to spread normally around L (sd 0.4 L, fitted on gcide), which leaves
 * the keys 10% high at order 3, 12% low at order 1 (long words) and 7% low
 * at order 5 (the real spread is skewed). share is the share of grams in
 * ranges of more than 64: all of them at order 1 (one context), ~0.5 / n
 * above. The totals (under 0.1 byte a gram) are low: the indexed ranges
 * are the frequent contexts, whose counts are high.
 *
 * Counts are 32-bit and saturate at UINT32_MAX. Every entry point catches
 * std::bad_alloc and returns MG_ERR_NOMEM; std::map's insert is strongly
 * exception-safe and a new key is built apart before it, so a refused add
 * leaves the table as it was.
 */
extern "C" {
#include "backend.h"
#include "common/running_totals.h"
#include "mem.h"
#include "random.h"
}
#include "common/mem_allocator.hh"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <numeric>
#include <string>
#include <string_view>

namespace {

// ---- keys ----------------------------------------------------------------

constexpr char SEPARATOR = ' ';
constexpr char START_SPELLING = '\t';
constexpr char END_SPELLING = '\n';

// ---- parts ---------------------------------------------------------------

enum std_map_part : int {
    STD_MAP_TABLE = 1,  /* the handle, with its scratch array of a draw */
    STD_MAP_NODES,      /* the red-black tree's nodes (keys up to 15 bytes inside) */
    STD_MAP_KEYS,       /* the heap buffers of keys over 15 bytes */
    STD_MAP_SUCCESSORS, /* the draw indexes and their nodes in canonical order */
    STD_MAP_TOTALS,     /* the draw indexes' running totals */
    STD_MAP_PART_COUNT = STD_MAP_TOTALS
};

// Named in the enum's order: parts[tag - 1].
constexpr const char *std_map_parts[] = {"table", "std_map.nodes", "grams.keys", "successors", "totals"};
static_assert(sizeof std_map_parts / sizeof std_map_parts[0] == STD_MAP_PART_COUNT, "a name for every part");

using key_string = std::basic_string<char, std::char_traits<char>, mg::mem_allocator<char, STD_MAP_KEYS>>;

// A run of tokens as its key would spell them, without spelling it: a gram,
// or a context followed by a separator (the prefix of its grams' keys).
struct spelled_tokens {
    const mg_token *tokens;
    int count;
    bool separator_after;
};

std::string_view spelling_of(const mg_token &token)
{
    static constexpr char markers[] = {START_SPELLING, END_SPELLING};
    if (mg_token_is_marker(&token))
        return {&markers[token.len == MG_MARK_START ? 0 : 1], 1};
    return {reinterpret_cast<const char *>(token.bytes), token.len};
}

mg_token token_of(std::string_view spelling)
{
    if (spelling.size() == 1 && spelling[0] == START_SPELLING)
        return {nullptr, MG_MARK_START};
    if (spelling.size() == 1 && spelling[0] == END_SPELLING)
        return {nullptr, MG_MARK_END};
    return {reinterpret_cast<const unsigned char *>(spelling.data()), static_cast<uint32_t>(spelling.size())};
}

// Calls piece(text) for each piece of the spelling in turn; a non-zero
// return stops the walk and is returned.
template <class Piece>
int for_each_piece(const spelled_tokens &spelled, Piece piece)
{
    static constexpr std::string_view separator(&SEPARATOR, 1);
    for (int k = 0; k < spelled.count; k++) {
        if (int stop = k > 0 ? piece(separator) : 0)
            return stop;
        if (int stop = piece(spelling_of(spelled.tokens[k])))
            return stop;
    }
    return spelled.separator_after ? piece(separator) : 0;
}

size_t spelled_length(const spelled_tokens &spelled)
{
    size_t length = 0;
    for_each_piece(spelled, [&](std::string_view piece) {
        length += piece.size();
        return 0;
    });
    return length;
}

// The key itself, its heap buffer (if any) exactly its length plus one.
key_string spelled_key(const spelled_tokens &spelled)
{
    key_string key(spelled_length(spelled), '\0');
    size_t at = 0;
    for_each_piece(spelled, [&](std::string_view piece) {
        std::copy(piece.begin(), piece.end(), key.begin() + static_cast<std::ptrdiff_t>(at));
        at += piece.size();
        return 0;
    });
    return key;
}

// key compared with the spelling of tokens, as std::string compares (by
// unsigned bytes, a prefix first): < 0, 0 or > 0.
int compare_spelling(std::string_view key, const spelled_tokens &spelled)
{
    size_t at = 0;
    int order = for_each_piece(spelled, [&](std::string_view piece) {
        size_t take = std::min(piece.size(), key.size() - at);
        if (int byte_order = std::char_traits<char>::compare(key.data() + at, piece.data(), take))
            return byte_order;
        at += take;
        return take < piece.size() ? -1 : 0; /* the key ended first */
    });
    return order != 0 ? order : at < key.size();
}

// std::less<key_string>'s order; it also compares keys with unspelled
// tokens, so that lookups build no string.
struct key_order {
    using is_transparent = void;
    bool operator()(const key_string &a, const key_string &b) const noexcept { return a < b; }
    bool operator()(const key_string &a, const spelled_tokens &b) const noexcept
    {
        return compare_spelling(a, b) < 0;
    }
    bool operator()(const spelled_tokens &a, const key_string &b) const noexcept
    {
        return compare_spelling(b, a) > 0;
    }
};

static_assert(sizeof(unsigned) == 4, "counts are 32-bit");

using gram_counts =
    std::map<key_string, unsigned, key_order, mg::mem_allocator<std::pair<const key_string, unsigned>, STD_MAP_NODES>>;

// libstdc++'s red-black node header before the value: colour, parent, left, right.
constexpr size_t NODE_HEADER_BYTES = 32;
constexpr size_t NODE_BYTES = NODE_HEADER_BYTES + sizeof(gram_counts::value_type);

using gram_value = gram_counts::value_type;

constexpr size_t DRAW_GATHERED_MAX = 64; /* ranges of up to this many grams are gathered at each draw */
constexpr uint64_t DRAW_TOTALS_EVERY = 16;
constexpr double DRAW_INDEXED_SHARE_X_ORDER = 0.5; /* the estimate's share of grams in longer ranges, times n */
constexpr double DRAW_COUNT_SUM_PER_GRAM = 1.6;    /* the estimate's mean count of an indexed gram */
constexpr double KEY_LENGTH_SPREAD = 0.4;          /* the estimate's key lengths: sd / mean */

// A range of more than DRAW_GATHERED_MAX grams, in canonical order.
struct draw_index {
    const gram_value *first; /* the range's first node in the map: the lookup key */
    const gram_value **sorted; /* count entries allocated, the first held used */
    size_t count, held;
    mg_running_totals totals;
};

// The handle is the base class: C++'s spelling of "mg_table first", so that
// static_cast turns the mg_table * every op is given back into the table.
struct std_map_table : mg_table {
    std_map_table(const mg_backend *backend, int order) : mg_table{backend, order} {}
    ~std_map_table();
    gram_counts counts;
    uint64_t contexts = 0; /* distinct contexts, counted by finalize and prune */
    bool finalized = false;
    draw_index *draw_indexes = nullptr; /* sorted by first; none before finalize or when out of memory */
    size_t draw_index_count = 0;
    const gram_value *gathered[DRAW_GATHERED_MAX]; /* a short range, in canonical order, for a draw */
};

std_map_table *table_of(mg_table *self) { return static_cast<std_map_table *>(self); }

// ---- create --------------------------------------------------------------

mg_table *sm_create(const mg_backend *ops, int order) noexcept { return mg::mg_new<std_map_table>(STD_MAP_TABLE, ops, order); }

// ---- add -----------------------------------------------------------------

int sm_add(mg_table *self, const mg_token *gram) noexcept
{
    std_map_table *t = table_of(self);
    spelled_tokens spelled{gram, t->order, false};
    auto at = t->counts.lower_bound(spelled);
    if (at != t->counts.end() && !t->counts.key_comp()(spelled, at->first)) {
        if (at->second != UINT32_MAX) /* saturate, never wrap */
            at->second++;
        return MG_OK;
    }
    try {
        t->counts.emplace_hint(at, spelled_key(spelled), 1u);
    } catch (const std::bad_alloc &) {
        return MG_ERR_NOMEM;
    }
    return MG_OK;
}

// ---- finalize ------------------------------------------------------------

// A gram's context is its key up to the last separator (order >= 2); the
// grams of one context are neighbours in the map.
uint64_t contexts_counted(const std_map_table *t)
{
    if (t->order == 1)
        return !t->counts.empty();
    uint64_t contexts = 0;
    std::string_view previous;
    for (const auto &[key, count] : t->counts) {
        std::string_view context = std::string_view(key).substr(0, key.rfind(SEPARATOR));
        contexts += contexts == 0 || context != previous;
        previous = context;
    }
    return contexts;
}

// ---- draws ---------------------------------------------------------------

void draw_indexes_free(std_map_table *t) noexcept
{
    for (size_t i = 0; i < t->draw_index_count; i++) {
        mg_free_in(STD_MAP_SUCCESSORS, t->draw_indexes[i].sorted, t->draw_indexes[i].count * sizeof(const gram_value *));
        mg_running_totals_free(&t->draw_indexes[i].totals);
    }
    mg_free_in(STD_MAP_SUCCESSORS, t->draw_indexes, t->draw_index_count * sizeof(draw_index));
    t->draw_indexes = nullptr;
    t->draw_index_count = 0;
}

std_map_table::~std_map_table() { draw_indexes_free(this); }

// The context part of a key: up to its last separator (order 1: empty).
std::string_view context_of(const std_map_table *t, std::string_view key)
{
    return t->order == 1 ? std::string_view() : key.substr(0, key.rfind(SEPARATOR));
}

std::string_view last_of(const std_map_table *t, std::string_view key)
{
    return t->order == 1 ? key : key.substr(key.rfind(SEPARATOR) + 1);
}

// The grams of [from, to) in canonical order into out (the end marker
// first, the start marker left out); their number.
size_t canonical_range(const std_map_table *t, gram_counts::const_iterator from, gram_counts::const_iterator to,
                       const gram_value **out)
{
    size_t count = 0;
    for (auto at = from; at != to; ++at) {
        std::string_view last = last_of(t, at->first);
        if (last.size() == 1 && last[0] == START_SPELLING)
            continue;
        if (last.size() == 1 && last[0] == END_SPELLING) {
            std::copy_backward(out, out + count, out + count + 1);
            out[0] = &*at;
        } else {
            out[count] = &*at;
        }
        count++;
    }
    return count;
}

uint64_t sorted_count(const void *index, uint64_t entry)
{
    return static_cast<const draw_index *>(index)->sorted[entry]->second;
}

// Calls range(from, to, size) for each context's range, in map order.
template <class Range>
void for_each_range(const std_map_table *t, Range range)
{
    for (auto from = t->counts.begin(); from != t->counts.end();) {
        std::string_view context = context_of(t, from->first);
        size_t size = 0;
        auto to = from;
        for (; to != t->counts.end() && context_of(t, to->first) == context; ++to)
            size++;
        range(from, to, size);
        from = to;
    }
}

bool draw_index_make(const std_map_table *t, draw_index *index, gram_counts::const_iterator from,
                     gram_counts::const_iterator to, size_t size) noexcept
{
    index->first = &*from;
    index->sorted = static_cast<const gram_value **>(mg_alloc_in(STD_MAP_SUCCESSORS, size * sizeof(const gram_value *)));
    if (!index->sorted)
        return false;
    index->count = size;
    index->held = canonical_range(t, from, to, index->sorted);
    return mg_running_totals_build_in(STD_MAP_TOTALS, &index->totals, index->held, DRAW_TOTALS_EVERY, sorted_count,
                                      index) == MG_OK;
}

// A draw index for every range of more than DRAW_GATHERED_MAX grams; when
// memory runs out none stays (their draws are left to the walk).
void draw_indexes_build(std_map_table *t) noexcept
{
    draw_indexes_free(t);
    size_t wanted = 0;
    for_each_range(t, [&](auto, auto, size_t size) { wanted += size > DRAW_GATHERED_MAX; });
    if (wanted == 0 || !(t->draw_indexes = static_cast<draw_index *>(mg_calloc_in(STD_MAP_SUCCESSORS, wanted, sizeof(draw_index)))))
        return;
    t->draw_index_count = wanted; /* the ones not made yet are zeroed: freeing them is harmless */
    size_t made = 0;
    bool failed = false;
    for_each_range(t, [&](auto from, auto to, size_t size) {
        if (!failed && size > DRAW_GATHERED_MAX)
            failed = !draw_index_make(t, &t->draw_indexes[made++], from, to, size);
    });
    if (failed)
        draw_indexes_free(t);
    else
        std::sort(t->draw_indexes, t->draw_indexes + t->draw_index_count,
                  [](const draw_index &a, const draw_index &b) { return std::less<>()(a.first, b.first); });
}

const draw_index *draw_index_find(const std_map_table *t, const gram_value *first)
{
    const draw_index *begin = t->draw_indexes, *end = begin + t->draw_index_count;
    const draw_index *found = std::lower_bound(
        begin, end, first, [](const draw_index &a, const gram_value *b) { return std::less<>()(a.first, b); });
    return found != end && found->first == first ? found : nullptr;
}

// The gram of sorted[0, count) that draw picks by cumulative count, or nullptr.
const gram_value *draw_among(const gram_value *const *sorted, size_t count, uint64_t draw)
{
    uint64_t total = 0, below = 0;
    for (size_t i = 0; i < count; i++)
        total += sorted[i]->second;
    if (total == 0)
        return nullptr;
    uint64_t r = mg_scale_below(draw, total);
    for (size_t i = 0; i < count; i++)
        if ((below += sorted[i]->second) > r)
            return sorted[i];
    return nullptr;
}

// A short range is gathered and put in canonical order; a long one read
// from its draw index (none before finalize: the walk then draws).
int sm_sample_successor(mg_table *self, const mg_token *context, uint64_t draw, mg_token *next) noexcept
{
    std_map_table *t = table_of(self);
    spelled_tokens prefix{context, t->order - 1, t->order > 1};
    size_t prefix_length = spelled_length(prefix);
    auto first = t->counts.lower_bound(prefix);
    auto in_range = [&](gram_counts::const_iterator at) {
        return at != t->counts.end() && at->first.size() >= prefix_length &&
               compare_spelling(std::string_view(at->first).substr(0, prefix_length), prefix) == 0;
    };
    if (!in_range(first))
        return 0;
    const gram_value *chosen = nullptr;
    if (const draw_index *index = draw_index_find(t, &*first)) {
        uint64_t at;
        if (mg_running_totals_draw(&index->totals, 0, index->held, draw, sorted_count, index, &at))
            chosen = index->sorted[at];
    } else {
        auto end = first;
        size_t size = 0;
        for (; in_range(end); ++end)
            if (++size > DRAW_GATHERED_MAX)
                return MG_SAMPLE_WALK;
        chosen = draw_among(t->gathered, canonical_range(t, first, end, t->gathered), draw);
    }
    if (!chosen)
        return 0;
    *next = token_of(std::string_view(chosen->first).substr(prefix_length));
    return 1;
}

// The map is always sorted: nothing to merge; the contexts are counted and
// the long ranges get their draw indexes.
int sm_finalize(mg_table *self) noexcept
{
    std_map_table *t = table_of(self);
    t->contexts = contexts_counted(t);
    t->finalized = true;
    draw_indexes_build(t);
    return MG_OK;
}

// ---- lookups -------------------------------------------------------------

uint64_t sm_count(mg_table *self, const mg_token *gram) noexcept
{
    const std_map_table *t = table_of(self);
    auto found = t->counts.find(spelled_tokens{gram, t->order, false});
    return found == t->counts.end() ? 0 : found->second;
}

// The grams of a context: the range of keys that begin with its spelling
// and a separator (order 1: the empty prefix, every key).
int sm_successors(mg_table *self, const mg_token *context, mg_successor_visit visit, void *arg) noexcept
{
    const std_map_table *t = table_of(self);
    spelled_tokens prefix{context, t->order - 1, t->order > 1};
    size_t prefix_length = spelled_length(prefix);
    for (auto at = t->counts.lower_bound(prefix); at != t->counts.end(); ++at) {
        std::string_view key = at->first;
        if (key.size() < prefix_length || compare_spelling(key.substr(0, prefix_length), prefix) != 0)
            break;
        mg_token next = token_of(key.substr(prefix_length));
        if (int stop = visit(arg, &next, at->second))
            return stop;
    }
    return 0;
}

int sm_foreach(mg_table *self, mg_gram_visit visit, void *arg) noexcept
{
    const std_map_table *t = table_of(self);
    mg_token gram[MG_ORDER_MAX];
    for (const auto &[key, count] : t->counts) {
        std::string_view rest = key;
        for (int k = 0; k + 1 < t->order; k++) {
            size_t separator = rest.find(SEPARATOR);
            gram[k] = token_of(rest.substr(0, separator));
            rest.remove_prefix(separator + 1);
        }
        gram[t->order - 1] = token_of(rest);
        if (int stop = visit(arg, gram, count))
            return stop;
    }
    return 0;
}

void sm_sizes(mg_table *self, uint64_t *ngrams, uint64_t *contexts) noexcept
{
    const std_map_table *t = table_of(self);
    *ngrams = t->counts.size();
    *contexts = t->contexts;
}

// ---- prune ---------------------------------------------------------------

// Erasing allocates nothing, so prune cannot fail.
uint64_t sm_prune(mg_table *self, uint64_t min_count) noexcept
{
    std_map_table *t = table_of(self);
    uint64_t dropped = 0;
    draw_indexes_free(t); /* they point at nodes about to go */
    for (auto at = t->counts.begin(); at != t->counts.end();) {
        if (at->second < min_count) {
            at = t->counts.erase(at);
            dropped++;
        } else {
            ++at;
        }
    }
    t->contexts = contexts_counted(t);
    if (t->finalized)
        draw_indexes_build(t);
    return dropped;
}

// ---- destroy -------------------------------------------------------------

void sm_destroy(mg_table *self) noexcept { mg::mg_delete(STD_MAP_TABLE, table_of(self)); }

// ---- estimate ------------------------------------------------------------

// Mean heap bytes of a key, its length spread normally (mean, sd): the
// keys longer than the inline capacity take their length plus a NUL,
// E[(L + 1) 1{L > capacity}] (a length is whole, so the cut is half a byte up).
double heap_key_bytes(double mean, double sd, double inline_capacity)
{
    if (sd <= 0)
        return mean > inline_capacity ? mean + 1 : 0.0;
    double z = (inline_capacity + 0.5 - mean) / sd;
    double density = std::exp(-z * z / 2) / std::sqrt(2 * M_PI), above = std::erfc(z / std::sqrt(2.0)) / 2;
    return (mean + 1) * above + sd * density;
}

// The formula at the top of the file, part by part (bytes per n-gram).
void sm_estimate_parts(const mg_table_shape *shape, double *bytes_per_ngram) noexcept
{
    std::fill(bytes_per_ngram, bytes_per_ngram + STD_MAP_PART_COUNT, 0.0);
    if (shape->ngrams == 0)
        return;
    double ngrams = static_cast<double>(shape->ngrams), order = shape->order;
    double word = shape->vocab ? static_cast<double>(shape->vocab_bytes) / static_cast<double>(shape->vocab) : 0.0;
    double key_length = order * (0.3 + 0.7 / order) * word + (order - 1);
    double inline_capacity = static_cast<double>(key_string().capacity());
    double share = shape->order == 1 ? 1.0 : DRAW_INDEXED_SHARE_X_ORDER / order; /* order 1: one range */
    double indexed = share * ngrams;
    bytes_per_ngram[STD_MAP_TABLE - 1] = sizeof(std_map_table) / ngrams;
    bytes_per_ngram[STD_MAP_NODES - 1] = static_cast<double>(NODE_BYTES);
    bytes_per_ngram[STD_MAP_KEYS - 1] = heap_key_bytes(key_length, KEY_LENGTH_SPREAD * key_length, inline_capacity);
    bytes_per_ngram[STD_MAP_SUCCESSORS - 1] = sizeof(const gram_value *) * share;
    bytes_per_ngram[STD_MAP_TOTALS - 1] =
        mg_running_totals_bits(indexed, DRAW_TOTALS_EVERY, DRAW_COUNT_SUM_PER_GRAM * indexed) / 8.0 / ngrams;
}

// ---- ops table -----------------------------------------------------------

constexpr mg_backend std_map_ops()
{
    mg_backend ops{};
    ops.version = MG_BACKEND_VERSION;
    ops.name = "std_map";
    ops.summary = "std::map<std::string, unsigned>: one red-black node per n-gram, its tokens joined as the key";
    ops.layout_version = 3; /* 3: keys spread around their mean length, the share indexed by order */
    ops.create = sm_create;
    ops.add = sm_add;
    ops.finalize = sm_finalize;
    ops.count = sm_count;
    ops.successors = sm_successors;
    ops.foreach = sm_foreach;
    ops.sizes = sm_sizes;
    ops.prune = sm_prune;
    ops.destroy = sm_destroy;
    ops.parts = std_map_parts;
    ops.part_count = STD_MAP_PART_COUNT;
    ops.estimate_parts = sm_estimate_parts;
    ops.sample_successor = sm_sample_successor;
    return ops;
}

} // namespace

extern "C" const mg_backend mg_backend_std_map = std_map_ops();
