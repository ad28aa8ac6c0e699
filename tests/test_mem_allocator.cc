// test_mem_allocator.cc — mg::mem_allocator (backends/common/mem_allocator.hh),
// the path by which the C++ backends' containers reach mem.h: requested
// bytes are exactly what the containers' blocks should take, computed here
// from the node type's size and the key lengths, each against the part its
// container's type names (a map's nodes, rebound from its value's
// allocator, keep the map's part; its keys' buffers count against theirs),
// they go back to zero on clear and destruction, and a refused allocation
// throws std::bad_alloc and leaves the container as it was.
#include "common/mem_allocator.hh"

#include <absl/container/flat_hash_map.h>
#include <criterion/criterion.h>

#include <array>
#include <cinttypes>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace {

// The parts the test's containers count against.
enum test_part : int { KEY_PART = 1, NODE_PART, SLOT_PART, OBJECT_PART };

using key_string = std::basic_string<char, std::char_traits<char>, mg::mem_allocator<char, KEY_PART>>;
using counts_map = std::map<key_string, unsigned, std::less<key_string>,
                            mg::mem_allocator<std::pair<const key_string, unsigned>, NODE_PART>>;

// libstdc++'s node: the red-black links and the value; a string keeps up to
// 15 bytes inline and otherwise takes a heap block of its length plus a NUL.
constexpr size_t NODE_BYTES = sizeof(std::_Rb_tree_node<counts_map::value_type>);
constexpr size_t INLINE_MAX = 15;

size_t key_heap_bytes(size_t length) { return length > INLINE_MAX ? length + 1 : 0; }

mg_mem_counters counters_now()
{
    mg_mem_counters counters;
    mg_mem_read(&counters);
    return counters;
}

// Keys of every length 1..48 and a few long ones, all distinct.
std::vector<size_t> key_lengths()
{
    std::vector<size_t> lengths;
    for (size_t length = 1; length <= 48; length++)
        lengths.push_back(length);
    lengths.insert(lengths.end(), {100, 1000, 65536});
    return lengths;
}

key_string key_of_length(size_t length, char fill) { return key_string(length, fill); }

} // namespace

Test(mem_allocator, layout_as_assumed)
{
    cr_expect_eq(key_string().capacity(), INLINE_MAX, "inline capacity %zu", key_string().capacity());
    cr_expect_eq(NODE_BYTES, 72u, "node of %zu bytes", NODE_BYTES);
    mg_mem_counters before = counters_now();
    key_string inline_key = key_of_length(INLINE_MAX, 'a');
    cr_expect_eq(counters_now().bytes_requested, before.bytes_requested, "a 15-byte key allocated");
    key_string heap_key = key_of_length(INLINE_MAX + 1, 'a');
    cr_expect_eq(counters_now().bytes_requested - before.bytes_requested, INLINE_MAX + 2);
}

Test(mem_allocator, map_requests_exactly_nodes_and_key_buffers)
{
    mg_mem_counters before = counters_now();
    uint64_t want_bytes = 0, want_blocks = 0, want_key_bytes = 0;
    {
        counts_map counts;
        for (size_t length : key_lengths()) {
            counts.emplace(key_of_length(length, 'k'), 1u);
            want_bytes += NODE_BYTES + key_heap_bytes(length);
            want_key_bytes += key_heap_bytes(length);
            want_blocks += 1 + (key_heap_bytes(length) != 0);
            mg_mem_counters now = counters_now();
            cr_assert_eq(now.bytes_requested - before.bytes_requested, want_bytes,
                         "after the key of %zu bytes: %" PRIu64 " requested, %" PRIu64 " expected", length,
                         now.bytes_requested - before.bytes_requested, want_bytes);
            cr_assert_eq(now.blocks_live - before.blocks_live, want_blocks, "live blocks after %zu", length);
            cr_assert_eq(now.part_bytes[NODE_PART] - before.part_bytes[NODE_PART], counts.size() * NODE_BYTES,
                         "the nodes' part after the key of %zu bytes", length);
            cr_assert_eq(now.part_bytes[KEY_PART] - before.part_bytes[KEY_PART], want_key_bytes,
                         "the keys' part after the key of %zu bytes", length);
        }
        for (size_t length = 2; length <= 48; length += 2) { /* erase the even lengths */
            counts.erase(key_of_length(length, 'k'));
            want_bytes -= NODE_BYTES + key_heap_bytes(length);
        }
        cr_expect_eq(counters_now().bytes_requested - before.bytes_requested, want_bytes, "after erasing");
        counts.clear();
        cr_expect_eq(counters_now().bytes_requested, before.bytes_requested, "after clear");
        counts.emplace(key_of_length(40, 'z'), 1u);
    }
    mg_mem_counters after = counters_now();
    cr_expect_eq(after.bytes_requested, before.bytes_requested, "after destruction");
    cr_expect_eq(after.blocks_live, before.blocks_live, "live blocks after destruction");
    for (int part : {KEY_PART, NODE_PART})
        cr_expect_eq(after.part_bytes[part], before.part_bytes[part], "part %d after destruction", part);
}

namespace {
struct two_keys {
    key_string first, second;
    explicit two_keys(size_t length) : first(length, 'a'), second(length, 'b') {}
};
} // namespace

// mg_new's block counts against the part it is given; what the object's
// constructor allocates, against its own containers' parts; mg_delete
// gives both back.
Test(mem_allocator, mg_new_tags_the_object_and_its_members_keep_theirs)
{
    mg_mem_counters before = counters_now();
    two_keys *keys = mg::mg_new<two_keys>(OBJECT_PART, size_t{40});
    cr_assert_not_null(keys);
    mg_mem_counters now = counters_now();
    cr_expect_eq(now.part_bytes[OBJECT_PART] - before.part_bytes[OBJECT_PART], sizeof(two_keys));
    cr_expect_eq(now.part_bytes[KEY_PART] - before.part_bytes[KEY_PART], 2 * key_heap_bytes(40));
    cr_expect_eq(now.part_bytes[MG_PART_OTHER], before.part_bytes[MG_PART_OTHER], "an untagged byte");
    mg::mg_delete(OBJECT_PART, keys);
    mg_mem_counters after = counters_now();
    for (int part : {KEY_PART, OBJECT_PART})
        cr_expect_eq(after.part_bytes[part], before.part_bytes[part], "part %d after mg_delete", part);
    cr_expect_eq(after.bytes_requested, before.bytes_requested);
}

Test(mem_allocator, refused_allocation_throws_and_leaves_the_map)
{
    counts_map counts;
    for (size_t length : key_lengths())
        counts.emplace(key_of_length(length, 'k'), static_cast<unsigned>(length));
    key_string new_key = key_of_length(30, 'n'); /* built before the budget */
    mg_mem_counters before = counters_now();

    mg_mem_set_limit(before.bytes_requested + NODE_BYTES - 1); /* a node does not fit */
    cr_expect_throw(counts.emplace(std::move(new_key), 1u), std::bad_alloc);
    cr_expect_throw(key_of_length(100, 'x'), std::bad_alloc);
    mg_mem_set_limit(0);

    mg_mem_counters after = counters_now();
    cr_expect_gt(after.failures_total, before.failures_total);
    cr_expect_eq(after.bytes_requested, before.bytes_requested, "a refused insert kept bytes");
    cr_expect_eq(after.blocks_live, before.blocks_live);
    cr_assert_eq(counts.size(), key_lengths().size());
    for (size_t length : key_lengths()) {
        auto found = counts.find(key_of_length(length, 'k'));
        cr_assert(found != counts.end() && found->second == length, "key of %zu bytes lost", length);
    }
    cr_expect(counts.find(key_of_length(30, 'n')) == counts.end());
    counts.emplace(key_of_length(30, 'n'), 30u); /* the map still works */
    cr_expect_eq(counts.size(), key_lengths().size() + 1);
}

// absl's table: one block of control bytes (capacity + 16, rounded up to the
// slot's alignment) and capacity slots, as absl_flat_hash's estimate counts it.
Test(mem_allocator, flat_hash_map_requests_one_block_of_control_and_slots)
{
    using slot = std::pair<const std::array<uint32_t, 3>, uint32_t>;
    mg_mem_counters before = counters_now();
    {
        absl::flat_hash_map<std::array<uint32_t, 3>, uint32_t, absl::Hash<std::array<uint32_t, 3>>,
                            std::equal_to<std::array<uint32_t, 3>>, mg::mem_allocator<slot, SLOT_PART>>
            counts;
        for (uint32_t id = 0; id < 1000; id++) {
            counts[{id, id + 1, id + 2}] = id;
            size_t capacity = counts.capacity();
            size_t control = (capacity + 16 + alignof(slot) - 1) / alignof(slot) * alignof(slot);
            mg_mem_counters now = counters_now();
            cr_assert_eq(now.bytes_requested - before.bytes_requested, control + capacity * sizeof(slot),
                         "%u items, capacity %zu", id + 1, capacity);
            cr_assert_eq(now.blocks_live - before.blocks_live, 1u);
            cr_assert_eq(now.part_bytes[SLOT_PART] - before.part_bytes[SLOT_PART], control + capacity * sizeof(slot),
                         "the slots' part at %u items", id + 1);
        }
    }
    cr_expect_eq(counters_now().bytes_requested, before.bytes_requested, "after destruction");
}
