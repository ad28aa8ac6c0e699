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
 *   std_map_table            red-black tree, one node per n-gram (72 B)
 *   +-----------+            +--------+--------+--------+--------+
 *   | order     |            | colour | parent | left   | right  |  32 B
 *   | counts ---+--> root -->+--------+--------+--------+--------+
 *   |  (header) |            | key: std::string                  |  32 B
 *   | contexts  |            |  pointer | length | 16 B inline   -+--> heap: the key's
 *   +-----------+            +-----------------------------------+    bytes and a NUL,
 *                            | count (unsigned, 32-bit) | pad    |  8 B  only for keys
 *                            +-----------------------------------+    over 15 bytes
 *
 * A key of up to 15 bytes sits in the string itself (the short-string
 * buffer); a longer one takes a heap block of its length plus one.
 *
 * Expected bytes requested per n-gram, for order n and V words of mean
 * length w = vocab_bytes / V:
 *
 *     72 + (L > 15 ? L + 1 : 0),    L = n s(n) w + (n - 1)
 *
 * L is the mean key length: n words and n - 1 spaces, the words in grams
 * being shorter than the vocabulary's mean by s(n) = 0.3 + 0.7 / n (grams
 * repeat the frequent, short words; memory_lanes.c fits the same factor).
 * Order 3 on gcide (w ~ 9.8): L ~ 17.7, so 72 + 18.7 ~ 91 bytes a trigram.
 * Keys near 15 bytes make the real mix of inline and heap keys matter, so
 * the figure is rougher than the node's exact 72.
 *
 * Counts are 32-bit and saturate at UINT32_MAX. Every entry point catches
 * std::bad_alloc and returns MG_ERR_NOMEM; std::map's insert is strongly
 * exception-safe and a new key is built apart before it, so a refused add
 * leaves the table as it was.
 */
extern "C" {
#include "backend.h"
}
#include "common/mem_allocator.hh"

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace {

// ---- keys ----------------------------------------------------------------

constexpr char SEPARATOR = ' ';
constexpr char START_SPELLING = '\t';
constexpr char END_SPELLING = '\n';

using key_string = std::basic_string<char, std::char_traits<char>, mg::mem_allocator<char>>;

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

using gram_counts = std::map<key_string, unsigned, key_order, mg::mem_allocator<std::pair<const key_string, unsigned>>>;

// libstdc++'s red-black node header before the value: colour, parent, left, right.
constexpr size_t NODE_HEADER_BYTES = 32;
constexpr size_t NODE_BYTES = NODE_HEADER_BYTES + sizeof(gram_counts::value_type);

// The handle is the base class: C++'s spelling of "mg_table first", so that
// static_cast turns the mg_table * every op is given back into the table.
struct std_map_table : mg_table {
    std_map_table(const mg_backend *backend, int order) : mg_table{backend, order} {}
    gram_counts counts;
    uint64_t contexts = 0; /* distinct contexts, counted by finalize and prune */
};

std_map_table *table_of(mg_table *self) { return static_cast<std_map_table *>(self); }

// ---- create --------------------------------------------------------------

mg_table *sm_create(const mg_backend *ops, int order) noexcept { return mg::mg_new<std_map_table>(ops, order); }

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

// The map is always sorted: nothing to merge; only the contexts are counted.
int sm_finalize(mg_table *self) noexcept
{
    std_map_table *t = table_of(self);
    t->contexts = contexts_counted(t);
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
    for (auto at = t->counts.begin(); at != t->counts.end();) {
        if (at->second < min_count) {
            at = t->counts.erase(at);
            dropped++;
        } else {
            ++at;
        }
    }
    t->contexts = contexts_counted(t);
    return dropped;
}

// ---- destroy -------------------------------------------------------------

void sm_destroy(mg_table *self) noexcept { mg::mg_delete(table_of(self)); }

// ---- estimate ------------------------------------------------------------

double sm_estimate(const mg_table_shape *shape) noexcept
{
    if (shape->ngrams == 0)
        return 0.0;
    double order = shape->order;
    double word = shape->vocab ? static_cast<double>(shape->vocab_bytes) / static_cast<double>(shape->vocab) : 0.0;
    double key_length = order * (0.3 + 0.7 / order) * word + (order - 1);
    double inline_capacity = static_cast<double>(key_string().capacity());
    return static_cast<double>(NODE_BYTES) + (key_length > inline_capacity ? key_length + 1 : 0.0);
}

// ---- ops table -----------------------------------------------------------

constexpr mg_backend std_map_ops()
{
    mg_backend ops{};
    ops.version = MG_BACKEND_VERSION;
    ops.name = "std_map";
    ops.summary = "std::map<std::string, unsigned>: one red-black node per n-gram, its tokens joined as the key";
    ops.layout_version = 1;
    ops.create = sm_create;
    ops.add = sm_add;
    ops.finalize = sm_finalize;
    ops.count = sm_count;
    ops.successors = sm_successors;
    ops.foreach = sm_foreach;
    ops.sizes = sm_sizes;
    ops.prune = sm_prune;
    ops.destroy = sm_destroy;
    ops.estimate_bytes_per_ngram = sm_estimate;
    return ops;
}

} // namespace

extern "C" const mg_backend mg_backend_std_map = std_map_ops();
