/*
 * absl_flat_hash.cc — what a C++ programmer reaches for today: Abseil's
 * SwissTable, absl::flat_hash_map. Words are interned to ids in a
 * flat_hash_map<std::string_view, uint32_t> over an arena; grams are their
 * id tuples in a flat_hash_map<std::array<uint32_t, n>, uint32_t> of counts.
 * Every block (tables, vectors, arena chunks) comes from mem.h through
 * mg::mem_allocator (common/mem_allocator.hh). The peer interned_hash.c must
 * beat.
 *
 * Why std::array<uint32_t, n> and not ids packed in a 64-bit key: packing
 * is exact only while n x (bits of an id) <= 64, so 21-bit ids (2 M words)
 * at order 3 and 12-bit ids (4096 words) at order 5, and gcide alone has
 * more words than that. The array is exact for every order and vocabulary;
 * at order 2 it is the same 8 bytes a packed key would be, and its 4-byte
 * alignment keeps a slot at 4 (n + 1) bytes where a uint64_t key would pad
 * the slot to 16.
 *
 * Memory layout (order 3), each block under its part (mem.h's tag):
 *
 *   vocab.words: arena chunks (4 KiB doubling to 1 MiB; a bigger word gets its own block)
 *   +------+------+-------------------------------+------+
 *   | next | size | the cat sat ...  (bytes only) | free |
 *   +------+------+-------------------------------+------+
 *   vocab.views: id -> std::string_view into the arena (16 B; ids 0, 1: markers)
 *   vocab.index: flat_hash_map<string_view, uint32_t>, the inverse (24 B slots)
 *
 *   absl.slots: flat_hash_map<array<uint32_t, 3>, uint32_t>, one allocation
 *   of capacity control bytes (+ 16 cloned), then capacity slots of 16 B
 *   +--------------------+-----+-----+-----+-------+-----+-----+-----+-------+--
 *   | ctrl: 1 B per slot | id0 | id1 | id2 | count | id0 | id1 | id2 | count |..
 *   +--------------------+-----+-----+-----+-------+-----+-----+-----+-------+--
 *   capacity 2^k - 1, grown to 2 capacity + 1 when 7/8 full, so after
 *   training the table holds between 7/16 and 7/8 of its slots.
 *
 *   successor index, built by finalize (order >= 2):
 *   successors.contexts: flat_hash_map<array<uint32_t, 2>, range> (16 B slots)
 *   successors: | c | a | t | ... |  each context's next words, one run each,
 *                  ^---^             in canonical order (mg_token_compare);
 *                                    range {begin, end}; the counts are looked
 *                                    up in `counts`
 *   totals:     | 0 | 3 | 4 | 9 | ... the counts summed in next_ids' order
 *             (common/running_totals.h, a total every entry, Elias-Fano
 *             coded: ~2 + log2(mean count) + 0.4 bits, ~3 bits a gram on
 *             gcide), so sample_successor draws with two hash lookups (the
 *             context's words and range) and a next_geq, no count read
 *   training.scratch: finalize's canonical ranks of the words, gone when it returns
 *   table: the handle (this class)
 *
 * Expected bytes requested per n-gram after finalize, for N grams of order
 * n, C contexts, V words of vocab_bytes bytes, with table(k, s) the bytes
 * of a flat_hash_map holding k items in slots of s bytes (capacity c: the
 * least 2^j - 1 with c - c/8 >= k; bytes c + 16 + c s, the control bytes
 * rounded up to the slot's alignment), part by part:
 *
 *   part                 formula                 gcide 1/4, estimate / measured
 *                                                order 1      order 3      order 5
 *   absl.slots           table(N, 4 (n+1)) / N   11.4 / 11.4  34.4 / 34.4  44.2 / 44.2
 *   successors           4 (order >= 2)          0 / 0        4.00 / 4.00  4.00 / 4.00
 *   successors.contexts  table(C, 4 (n-1) + 8) / N 0 / 0      17.2 / 17.2  44.2 / 44.2
 *   totals               T(N) / 8N               0 / 0        0.38 / 0.37  0.38 / 0.35
 *   vocab.index          table(V, 24) / N        31.6 / 31.6  6.33 / 6.33  5.53 / 5.53
 *   vocab.views          16 (V + 2) / N          16.0 / 16.0  3.20 / 3.20  2.80 / 2.80
 *   vocab.words          vocab_bytes / N         9.67 / 10.1  1.93 / 2.02  1.69 / 1.77
 *   table                this class / N          under 0.002
 *   training.scratch     0 after finalize
 *
 * where T(N) = mg_running_totals_bits(N, 1, 1.6 N): the grams' counts sum
 * to ~1.6 N (gcide, order 3). The words' arena is 4.5% above their bytes:
 * chunk headers and the tails given up when a word does not fit.
 *
 * Order 3 on a quarter of gcide (N = 1.04 M, C = 0.63 M, V = 0.21 M of mean
 * length 10): N is just past 7/8 of 2^20 slots, so the grams' table has
 * 2^21 - 1 of 17 B (1 control byte and a 16 B slot): 34 B a gram; index
 * 4 + 17 + 0.4 (totals); words 6.3 + 3.2 + 2.0: ~67 bytes. The load is not a mean: it
 * follows N through the doublings, between 7/16 and 7/8, so the figure
 * moves by up to a half of each table's part as N passes a power of two.
 *
 * Growth is done here rather than by absl: absl 20220623's resize sets the
 * new capacity before it allocates, so a refused allocation inside an
 * insert leaves a table that cannot even be destroyed. Before an insert
 * that would grow a table, the table is rebuilt into a new one, reserved
 * first: if that refuses, nothing has changed (see rebuild()).
 */
extern "C" {
#include "backend.h"
#include "common/running_totals.h"
}
#include "common/mem_allocator.hh"

#include <absl/container/flat_hash_map.h>
#include <absl/hash/hash.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <functional>
#include <numeric>
#include <string_view>
#include <vector>

namespace {

// ---- parts -------------------------------------------------------------------

enum absl_part : int {
    ABSL_TABLE = 1,      /* the handle */
    ABSL_SLOTS,          /* the grams' table: control bytes and slots */
    ABSL_VOCAB_WORDS,    /* the arena's chunks of word bytes */
    ABSL_VOCAB_INDEX,    /* word -> id: the words' table */
    ABSL_VOCAB_VIEWS,    /* id -> word: the vector of views into the arena */
    ABSL_SUCCESSORS,     /* the successor index's next ids, a run per context */
    ABSL_SUCCESSORS_CONTEXTS, /* the successor index's context -> run table */
    ABSL_TOTALS,         /* the running totals over the runs */
    ABSL_SCRATCH,        /* finalize's canonical ranks of the words, gone when it returns */
    ABSL_PART_COUNT = ABSL_SCRATCH
};

// Named in the enum's order: parts[tag - 1].
constexpr const char *absl_parts[] = {"table",      "absl.slots",          "vocab.words",
                                      "vocab.index", "vocab.views",         "successors",
                                      "successors.contexts", "totals",     "training.scratch"};
static_assert(sizeof absl_parts / sizeof absl_parts[0] == ABSL_PART_COUNT, "a name for every part");

// ---- tables that grow without losing themselves --------------------------

// A container's blocks count against the part its type names.
template <class Key, class Value, int Part>
using flat_map = absl::flat_hash_map<Key, Value, absl::Hash<Key>, std::equal_to<Key>,
                                     mg::mem_allocator<std::pair<const Key, Value>, Part>>;

template <class T, int Part>
using mem_vector = std::vector<T, mg::mem_allocator<T, Part>>;

// Items a table of `capacity` slots takes before absl grows it (7/8).
size_t growth_limit(size_t capacity)
{
    return capacity == 0 ? 0 : absl::container_internal::CapacityToGrowth(capacity);
}

// Whether inserting one more new key would make absl grow the table. A
// table that has had keys erased may hold tombstones that use up its room
// unseen, so it counts as full until rebuilt.
template <class Map>
bool full(const Map &map, bool erased)
{
    return erased || map.size() >= growth_limit(map.capacity());
}

// Moves the items that `keep` accepts into a new table made to hold `items`,
// which replaces map. Throws std::bad_alloc with map unchanged: the new
// table lives in storage of its own until its one allocation has been
// made, and a table whose allocation was refused holds no memory, so it is
// left there, never destroyed (its destructor would free what it does not
// own). Filling it then allocates nothing: it has room for `items`.
template <class Map, class Keep>
void rebuild(Map &map, size_t items, Keep keep)
{
    alignas(Map) unsigned char storage[sizeof(Map)];
    Map *fresh = new (storage) Map();
    fresh->reserve(items);
    for (const auto &item : map)
        if (keep(item))
            fresh->insert(item);
    map.swap(*fresh);
    fresh->~Map();
}

// Room for one more new key (one that map does not hold).
template <class Map>
void make_room(Map &map)
{
    rebuild(map, map.size() + 1, [](const auto &) { return true; });
}

// The flat_hash_map's bytes for `items` items in slots of slot_bytes,
// aligned to slot_align, when grown by absl's doublings: the estimate's
// table(k, s).
double table_bytes(uint64_t items, size_t slot_bytes, size_t slot_align)
{
    if (items == 0)
        return 0.0;
    size_t capacity = 1;
    while (growth_limit(capacity) < items)
        capacity = 2 * capacity + 1;
    size_t control = (capacity + 16 + slot_align - 1) / slot_align * slot_align;
    return static_cast<double>(control + capacity * slot_bytes);
}

// ---- words ----------------------------------------------------------------

enum : uint32_t { START_ID = 0, END_ID = 1, FIRST_WORD_ID = 2, NO_ID = UINT32_MAX };

// A running total every entry: no count is read to draw, for ~3 bits a gram.
constexpr uint64_t TOTALS_EVERY = 1;
// Grams a successors() walk fetches ahead of the one it reads.
constexpr uint32_t PREFETCH_AHEAD = 8;
// The counts' sum over the distinct grams, for the estimate (gcide, order 3).
constexpr double COUNT_SUM_PER_GRAM = 1.6;

// Word bytes, copied into chunks that are freed all at once.
class word_arena {
public:
    word_arena() = default;
    word_arena(const word_arena &) = delete;
    word_arena &operator=(const word_arena &) = delete;
    ~word_arena()
    {
        for (block *at = blocks_, *next; at != nullptr; at = next) {
            next = at->next;
            mg_free_in(ABSL_VOCAB_WORDS, at, sizeof(block) + at->size);
        }
    }

    // A copy of the bytes that lives as long as the arena. Throws
    // std::bad_alloc with nothing copied (a new, empty chunk may stay).
    std::string_view store(const unsigned char *bytes, size_t length)
    {
        size_t chunk = std::clamp(data_bytes_, CHUNK_MIN, CHUNK_MAX);
        if (length > free_ && length > chunk) { /* a block of its own */
            char *own = new_block(length);
            std::memcpy(own, bytes, length);
            return {own, length};
        }
        if (length > free_) { /* the old chunk's tail is given up */
            cursor_ = new_block(chunk);
            free_ = chunk;
        }
        std::memcpy(cursor_, bytes, length);
        std::string_view stored(cursor_, length);
        cursor_ += length;
        free_ -= length;
        return stored;
    }

private:
    struct block {
        block *next;
        size_t size; /* bytes of data after the header */
    };
    static constexpr size_t CHUNK_MIN = 4096, CHUNK_MAX = 1 << 20;

    char *new_block(size_t size)
    {
        void *memory = mg_alloc_in(ABSL_VOCAB_WORDS, sizeof(block) + size);
        if (memory == nullptr)
            throw std::bad_alloc();
        blocks_ = new (memory) block{blocks_, size};
        data_bytes_ += size;
        return reinterpret_cast<char *>(blocks_ + 1);
    }

    block *blocks_ = nullptr; /* newest first */
    char *cursor_ = nullptr;  /* free space in the current chunk */
    size_t free_ = 0;
    size_t data_bytes_ = 0; /* of all blocks: sizes the next chunk */
};

class vocabulary {
public:
    vocabulary() { words_.resize(FIRST_WORD_ID); }

    // Id of the token, or NO_ID.
    uint32_t find(const mg_token &token) const
    {
        if (mg_token_is_marker(&token))
            return token.len == MG_MARK_START ? START_ID : END_ID;
        auto found = ids_.find(view_of(token));
        return found == ids_.end() ? NO_ID : found->second;
    }

    // Ids of count tokens in ids; false if one is not a known word.
    bool find_all(const mg_token *tokens, size_t count, uint32_t *ids) const
    {
        for (size_t k = 0; k < count; k++)
            if ((ids[k] = find(tokens[k])) == NO_ID)
                return false;
        return true;
    }

    // Id of the token, a new word interned. Throws std::bad_alloc with
    // nothing changed: every table is given its room before the arena
    // copy, the one step after which nothing may fail.
    uint32_t intern(const mg_token &token)
    {
        uint32_t id = find(token);
        if (id != NO_ID)
            return id;
        if (words_.size() >= NO_ID)
            throw std::bad_alloc();
        if (full(ids_, false))
            make_room(ids_);
        if (words_.size() == words_.capacity())
            words_.reserve(2 * words_.size());
        std::string_view stored = arena_.store(token.bytes, token.len);
        id = static_cast<uint32_t>(words_.size());
        words_.push_back(stored);
        ids_.emplace(stored, id);
        return id;
    }

    mg_token token(uint32_t id) const
    {
        if (id < FIRST_WORD_ID)
            return {nullptr, static_cast<uint32_t>(id == START_ID ? MG_MARK_START : MG_MARK_END)};
        std::string_view word = words_[id];
        return {reinterpret_cast<const unsigned char *>(word.data()), static_cast<uint32_t>(word.size())};
    }

    // Training is over: the id -> word vector loses its spare room (if it can).
    void trim() noexcept { words_.shrink_to_fit(); }

    // Each id's place among all ids in canonical token order (markers
    // first), so that runs sort by an integer. Throws std::bad_alloc.
    mem_vector<uint32_t, ABSL_SCRATCH> canonical_ranks() const
    {
        mem_vector<uint32_t, ABSL_SCRATCH> ids(words_.size()), ranks(words_.size());
        for (uint32_t id = 0; id < ids.size(); id++)
            ids[id] = id;
        std::sort(ids.begin(), ids.end(), [this](uint32_t a, uint32_t b) {
            mg_token first = token(a), second = token(b);
            return mg_token_compare(&first, &second) < 0;
        });
        for (uint32_t rank = 0; rank < ids.size(); rank++)
            ranks[ids[rank]] = rank;
        return ranks;
    }

private:
    static std::string_view view_of(const mg_token &word)
    {
        return {reinterpret_cast<const char *>(word.bytes), word.len};
    }

    word_arena arena_;
    mem_vector<std::string_view, ABSL_VOCAB_VIEWS> words_; /* id -> the word in the arena; markers empty */
    flat_map<std::string_view, uint32_t, ABSL_VOCAB_INDEX> ids_;
};

// ---- the table, one class per order ----------------------------------------

// What the C entry points call; the work is done by table_of_order<n>. The
// handle is the base class: C++'s spelling of "mg_table first", so that
// static_cast turns the mg_table * every op is given back into the table.
class absl_table : public mg_table {
public:
    absl_table(const mg_backend *backend, int order) : mg_table{backend, order} {}
    virtual ~absl_table() = default;
    virtual void add(const mg_token *gram) = 0; /* these two throw std::bad_alloc */
    virtual void finalize() = 0;
    virtual uint64_t count(const mg_token *gram) const noexcept = 0;
    virtual int successors(const mg_token *context, mg_successor_visit visit, void *arg) const noexcept = 0;
    virtual int sample(const mg_token *context, uint64_t draw, mg_token *next) const noexcept = 0;
    virtual int foreach(mg_gram_visit visit, void *arg) const noexcept = 0;
    virtual void sizes(uint64_t *ngrams, uint64_t *contexts) const noexcept = 0;
    virtual uint64_t prune(uint64_t min_count) noexcept = 0;
    virtual void destroy() noexcept = 0; /* destroys the table and frees its block */
};

template <size_t N>
class table_of_order final : public absl_table {
    using gram_key = std::array<uint32_t, N>;
    using context_key = std::array<uint32_t, (N > 1 ? N - 1 : 1)>;
    struct successor_range {
        uint32_t begin, end; /* in next_ids_ */
    };
    using context_map = flat_map<context_key, successor_range, ABSL_SUCCESSORS_CONTEXTS>;
    using next_id_vector = mem_vector<uint32_t, ABSL_SUCCESSORS>;

    // created empty but for the vocabulary's two markers
    vocabulary words_;
    flat_map<gram_key, uint32_t, ABSL_SLOTS> counts_;
    bool erased_ = false;  /* counts_ has had keys erased in place (see full()) */
    bool indexed_ = false; /* contexts_ and next_ids_ index counts_ */
    context_map contexts_;
    next_id_vector next_ids_; /* next word ids, a run per context, in canonical order */
    mg_running_totals totals_{};    /* the counts in next_ids_' order; stale after index_thin */

public:
    explicit table_of_order(const mg_backend *backend) : absl_table(backend, static_cast<int>(N)) {}
    ~table_of_order() override { mg_running_totals_free(&totals_); }

    // ---- add ----

    void add(const mg_token *gram) override
    {
        gram_key key;
        for (size_t k = 0; k < N; k++)
            key[k] = words_.intern(gram[k]);
        if (full(counts_, erased_) && !counts_.contains(key)) {
            make_room(counts_);
            erased_ = false;
        }
        uint32_t &count = counts_.try_emplace(key, 0).first->second;
        if (count != UINT32_MAX) /* saturate, never wrap */
            count++;
    }

    // ---- finalize ----

    void finalize() override
    {
        words_.trim();
        index_build();
    }

    // ---- lookups ----

    uint64_t count(const mg_token *gram) const noexcept override
    {
        gram_key key;
        if (!words_.find_all(gram, N, key.data()))
            return 0;
        auto found = counts_.find(key);
        return found == counts_.end() ? 0 : found->second;
    }

    int successors(const mg_token *context, mg_successor_visit visit, void *arg) const noexcept override
    {
        gram_key key;
        if (!words_.find_all(context, N - 1, key.data()))
            return 0;
        if (N == 1 || !indexed_)
            return successors_scan(key, visit, arg);
        auto found = contexts_.find(context_of(key));
        if (found == contexts_.end())
            return 0;
        // A run is in word order, its grams' slots scattered: each slot is
        // fetched a few grams ahead so that the misses overlap.
        gram_key ahead = key;
        for (uint32_t at = found->second.begin; at < found->second.end; at++) {
            if (at + PREFETCH_AHEAD < found->second.end) {
                ahead[N - 1] = next_ids_[at + PREFETCH_AHEAD];
                counts_.prefetch(ahead);
            }
            key[N - 1] = next_ids_[at];
            mg_token next = words_.token(key[N - 1]);
            if (int stop = visit(arg, &next, counts_.find(key)->second))
                return stop;
        }
        return 0;
    }

    // From the index: the context's run is in canonical order, the start
    // marker (if there) first. Order 1 keeps no index: the generator walks.
    int sample(const mg_token *context, uint64_t draw, mg_token *next) const noexcept override
    {
        if (N == 1 || !indexed_)
            return MG_SAMPLE_WALK;
        run_counts run{this, {}};
        if (!words_.find_all(context, N - 1, run.key.data()))
            return 0;
        auto found = contexts_.find(context_of(run.key));
        if (found == contexts_.end())
            return 0;
        uint32_t first = found->second.begin + (next_ids_[found->second.begin] == START_ID);
        uint64_t chosen;
        if (!mg_running_totals_draw(&totals_, first, found->second.end, draw, run_count, &run, &chosen))
            return 0;
        *next = words_.token(next_ids_[chosen]);
        return 1;
    }

    int foreach(mg_gram_visit visit, void *arg) const noexcept override
    {
        mg_token gram[N];
        for (const auto &[key, count] : counts_) {
            for (size_t k = 0; k < N; k++)
                gram[k] = words_.token(key[k]);
            if (int stop = visit(arg, gram, count))
                return stop;
        }
        return 0;
    }

    void sizes(uint64_t *ngrams, uint64_t *contexts) const noexcept override
    {
        *ngrams = counts_.size();
        *contexts = N == 1 ? !counts_.empty() : contexts_.size();
    }

    // ---- prune ----

    // The grams table is rebuilt to the survivors' size, or thinned in place
    // when that cannot be had; a finalized table's index likewise
    // (index_thin allocates nothing), so prune never fails.
    uint64_t prune(uint64_t min_count) noexcept override
    {
        auto passes = [min_count](const auto &item) { return item.second >= min_count; };
        size_t survivors = static_cast<size_t>(std::count_if(counts_.begin(), counts_.end(), passes));
        uint64_t dropped = counts_.size() - survivors;
        if (dropped == 0)
            return 0;
        try {
            rebuild(counts_, survivors, passes);
            erased_ = false;
        } catch (const std::bad_alloc &) {
            for (auto at = counts_.begin(); at != counts_.end();)
                if (passes(*at))
                    ++at;
                else
                    counts_.erase(at++);
            erased_ = true;
        }
        if (indexed_) {
            try {
                index_build();
            } catch (const std::bad_alloc &) {
                index_thin();
            }
        }
        return dropped;
    }

    // ---- destroy ----

    void destroy() noexcept override { mg::mg_delete(ABSL_TABLE, this); }

private:
    // A context's run as running_totals reads it: the count of entry e is
    // that of the gram (key's context, next_ids_[e]).
    struct run_counts {
        const table_of_order *table;
        gram_key key;
    };

    static uint64_t run_count(const void *arg, uint64_t entry)
    {
        const run_counts *run = static_cast<const run_counts *>(arg);
        gram_key key = run->key;
        key[N - 1] = run->table->next_ids_[entry];
        return run->table->counts_.find(key)->second;
    }

    // The same over all runs at once, in order (as the totals are built):
    // the context advances as the entries pass its run's end.
    struct runs_in_order {
        const table_of_order *table;
        const context_map *contexts;
        const next_id_vector *next_ids;
        mutable typename context_map::const_iterator at; /* the run of the last entry read */
    };

    static uint64_t runs_count(const void *arg, uint64_t entry)
    {
        const runs_in_order *runs = static_cast<const runs_in_order *>(arg);
        if (entry == 0)
            runs->at = runs->contexts->begin();
        while (entry >= runs->at->second.end)
            ++runs->at;
        gram_key key;
        std::copy_n(runs->at->first.begin(), N - 1, key.begin());
        key[N - 1] = (*runs->next_ids)[entry];
        return runs->table->counts_.find(key)->second;
    }

    static context_key context_of(const gram_key &key)
    {
        context_key context{};
        std::copy_n(key.begin(), N - 1, context.begin());
        return context;
    }

    static bool in_context(const gram_key &key, const gram_key &context)
    {
        return std::equal(key.begin(), key.begin() + (N - 1), context.begin());
    }

    // Without an index (order 1, or before finalize): every gram is looked at.
    int successors_scan(const gram_key &context, mg_successor_visit visit, void *arg) const noexcept
    {
        for (const auto &[key, count] : counts_) {
            if (!in_context(key, context))
                continue;
            mg_token next = words_.token(key[N - 1]);
            if (int stop = visit(arg, &next, count))
                return stop;
        }
        return 0;
    }

    // The successor index of the grams held now, built aside and swapped in:
    // contexts counted, their runs laid out in the context table's order,
    // next ids placed. Throws std::bad_alloc with the old index kept.
    void index_build()
    {
        if (N == 1)
            return;
        if (counts_.size() > UINT32_MAX)
            throw std::bad_alloc();
        context_map contexts;
        for (const auto &item : counts_) {
            context_key context = context_of(item.first);
            if (full(contexts, false) && !contexts.contains(context))
                make_room(contexts);
            contexts.try_emplace(context, successor_range{0, 0}).first->second.end++;
        }
        uint32_t offset = 0;
        for (auto &[context, range] : contexts) {
            range.begin = offset;
            offset += range.end;
            range.end = range.begin; /* the fill cursor */
        }
        next_id_vector next_ids(counts_.size());
        for (const auto &item : counts_)
            next_ids[contexts.find(context_of(item.first))->second.end++] = item.first[N - 1];
        runs_sort(contexts, next_ids);
        mg_running_totals totals;
        runs_in_order runs{this, &contexts, &next_ids, contexts.begin()};
        if (mg_running_totals_build_in(ABSL_TOTALS, &totals, next_ids.size(), TOTALS_EVERY, runs_count, &runs) != MG_OK)
            throw std::bad_alloc();
        contexts_.swap(contexts);
        next_ids_.swap(next_ids);
        mg_running_totals_free(&totals_);
        totals_ = totals;
        indexed_ = true;
    }

    // Each context's run in canonical order of its next words.
    void runs_sort(const context_map &contexts, next_id_vector &next_ids) const
    {
        mem_vector<uint32_t, ABSL_SCRATCH> ranks = words_.canonical_ranks();
        for (const auto &[context, range] : contexts)
            std::sort(next_ids.begin() + range.begin, next_ids.begin() + range.end,
                      [&ranks](uint32_t a, uint32_t b) { return ranks[a] < ranks[b]; });
    }

    // Drops the pruned grams from the index in place: runs stay in the
    // context table's order (erasing moves no item), so each is packed
    // toward the front; a context left with no gram is erased.
    void index_thin() noexcept
    {
        uint32_t kept = 0;
        gram_key key;
        for (auto at = contexts_.begin(); at != contexts_.end();) {
            std::copy_n(at->first.begin(), N - 1, key.begin());
            uint32_t begin = kept;
            for (uint32_t next = at->second.begin; next < at->second.end; next++) {
                key[N - 1] = next_ids_[next];
                if (counts_.contains(key))
                    next_ids_[kept++] = key[N - 1];
            }
            at->second = successor_range{begin, kept};
            if (begin == kept)
                contexts_.erase(at++);
            else
                ++at;
        }
        next_ids_.resize(kept);
        totals_.stale = true; /* the runs moved: draws sum their run */
    }
};

absl_table *table_of(mg_table *self) { return static_cast<absl_table *>(self); }

// ---- the C entry points ------------------------------------------------------

template <size_t N>
absl_table *table_new(const mg_backend *ops) noexcept
{
    return mg::mg_new<table_of_order<N>>(ABSL_TABLE, ops);
}

mg_table *af_create(const mg_backend *ops, int order) noexcept
{
    absl_table *table = nullptr;
    switch (order) {
    case 1: table = table_new<1>(ops); break;
    case 2: table = table_new<2>(ops); break;
    case 3: table = table_new<3>(ops); break;
    case 4: table = table_new<4>(ops); break;
    case 5: table = table_new<5>(ops); break;
    default: break;
    }
    return table;
}

int af_add(mg_table *self, const mg_token *gram) noexcept
{
    try {
        table_of(self)->add(gram);
    } catch (const std::bad_alloc &) {
        return MG_ERR_NOMEM;
    }
    return MG_OK;
}

int af_finalize(mg_table *self) noexcept
{
    try {
        table_of(self)->finalize();
    } catch (const std::bad_alloc &) {
        return MG_ERR_NOMEM;
    }
    return MG_OK;
}

uint64_t af_count(mg_table *self, const mg_token *gram) noexcept { return table_of(self)->count(gram); }

int af_successors(mg_table *self, const mg_token *context, mg_successor_visit visit, void *arg) noexcept
{
    return table_of(self)->successors(context, visit, arg);
}

int af_sample_successor(mg_table *self, const mg_token *context, uint64_t draw, mg_token *next) noexcept
{
    return table_of(self)->sample(context, draw, next);
}

int af_foreach(mg_table *self, mg_gram_visit visit, void *arg) noexcept { return table_of(self)->foreach(visit, arg); }

void af_sizes(mg_table *self, uint64_t *ngrams, uint64_t *contexts) noexcept { table_of(self)->sizes(ngrams, contexts); }

uint64_t af_prune(mg_table *self, uint64_t min_count) noexcept { return table_of(self)->prune(min_count); }

void af_destroy(mg_table *self) noexcept
{
    if (self != nullptr)
        table_of(self)->destroy();
}

// ---- estimate ------------------------------------------------------------------

// The handle's bytes at each order.
double handle_bytes(int order)
{
    switch (order) {
    case 1: return sizeof(table_of_order<1>);
    case 2: return sizeof(table_of_order<2>);
    case 3: return sizeof(table_of_order<3>);
    case 4: return sizeof(table_of_order<4>);
    default: return sizeof(table_of_order<5>);
    }
}

// The formula at the top of the file, part by part (bytes per n-gram).
void af_estimate_parts(const mg_table_shape *shape, double *bytes_per_ngram) noexcept
{
    std::fill(bytes_per_ngram, bytes_per_ngram + ABSL_PART_COUNT, 0.0);
    if (shape->ngrams == 0)
        return;
    uint64_t order = static_cast<uint64_t>(shape->order);
    double ngrams = static_cast<double>(shape->ngrams);
    bytes_per_ngram[ABSL_TABLE - 1] = handle_bytes(shape->order) / ngrams;
    bytes_per_ngram[ABSL_SLOTS - 1] = table_bytes(shape->ngrams, 4 * (order + 1), 4) / ngrams;
    bytes_per_ngram[ABSL_VOCAB_WORDS - 1] = static_cast<double>(shape->vocab_bytes) / ngrams;
    bytes_per_ngram[ABSL_VOCAB_INDEX - 1] =
        table_bytes(shape->vocab, sizeof(std::pair<const std::string_view, uint32_t>), 8) / ngrams;
    bytes_per_ngram[ABSL_VOCAB_VIEWS - 1] =
        static_cast<double>(sizeof(std::string_view) * (shape->vocab + FIRST_WORD_ID)) / ngrams;
    if (order == 1)
        return;
    bytes_per_ngram[ABSL_SUCCESSORS - 1] = sizeof(uint32_t);
    bytes_per_ngram[ABSL_SUCCESSORS_CONTEXTS - 1] = table_bytes(shape->contexts, 4 * (order - 1) + 8, 4) / ngrams;
    bytes_per_ngram[ABSL_TOTALS - 1] =
        mg_running_totals_bits(ngrams, TOTALS_EVERY, COUNT_SUM_PER_GRAM * ngrams) / 8.0 / ngrams;
}

// ---- ops table -------------------------------------------------------------------

constexpr mg_backend absl_flat_hash_ops()
{
    mg_backend ops{};
    ops.version = MG_BACKEND_VERSION;
    ops.name = "absl_flat_hash";
    ops.summary = "absl::flat_hash_map (SwissTable): interned word ids, id tuples as keys";
    ops.layout_version = 2; /* 2: canonical runs and their running totals */
    ops.create = af_create;
    ops.add = af_add;
    ops.finalize = af_finalize;
    ops.count = af_count;
    ops.successors = af_successors;
    ops.sample_successor = af_sample_successor;
    ops.foreach = af_foreach;
    ops.sizes = af_sizes;
    ops.prune = af_prune;
    ops.destroy = af_destroy;
    ops.parts = absl_parts;
    ops.part_count = ABSL_PART_COUNT;
    ops.estimate_parts = af_estimate_parts;
    return ops;
}

} // namespace

extern "C" const mg_backend mg_backend_absl_flat_hash = absl_flat_hash_ops();
