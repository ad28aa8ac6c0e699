// mem_allocator.hh — the C++ allocator of the backends that wrap C++
// containers (std_map, absl_flat_hash): every block a container asks for
// goes through mem.h, so requested bytes are exact, and counts against the
// part (mem.h's tag) the container's type names.
//
// mem_allocator<T, Part>: allocate(n) asks mg_alloc_in(Part, ...) for
// n * sizeof(T) bytes and throws std::bad_alloc when it is refused;
// deallocate(p, n) hands mg_free_in the same part and size. The part is in
// the type, not in the instance: a container rebinds its allocator to its
// nodes or slots and the rebound allocator keeps the part, so each container
// type counts against one part and the allocator holds no state (every
// instance of a type is interchangeable; moves and swaps never copy
// elements). mg_new and mg_delete place an object (a backend's table) in a
// block of its own, tagged the same way.
#ifndef MG_MEM_ALLOCATOR_HH
#define MG_MEM_ALLOCATOR_HH

extern "C" {
#include "mem.h"
}

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace mg {

template <class T, int Part>
struct mem_allocator {
    using value_type = T;
    using propagate_on_container_move_assignment = std::true_type;
    using propagate_on_container_swap = std::true_type;
    using is_always_equal = std::true_type;

    // allocator_traits cannot rebind a template with a value parameter itself.
    template <class U>
    struct rebind {
        using other = mem_allocator<U, Part>;
    };

    static_assert(alignof(T) <= alignof(std::max_align_t), "mg_alloc aligns to max_align_t only");
    static_assert(Part > MG_PART_OTHER && Part < MG_PARTS_MAX, "a container's blocks count against a named part");

    mem_allocator() noexcept = default;
    template <class U>
    mem_allocator(const mem_allocator<U, Part> &) noexcept {}

    T *allocate(std::size_t count)
    {
        if (count > static_cast<std::size_t>(-1) / sizeof(T))
            throw std::bad_alloc();
        void *block = mg_alloc_in(Part, count * sizeof(T));
        if (block == nullptr)
            throw std::bad_alloc();
        return static_cast<T *>(block);
    }

    void deallocate(T *block, std::size_t count) noexcept { mg_free_in(Part, block, count * sizeof(T)); }
};

template <class T, class U, int Part>
bool operator==(const mem_allocator<T, Part> &, const mem_allocator<U, Part> &) noexcept
{
    return true;
}

template <class T, class U, int Part>
bool operator!=(const mem_allocator<T, Part> &, const mem_allocator<U, Part> &) noexcept
{
    return false;
}

// A T constructed in a block from mg_alloc_in(part, ...); nullptr when the
// block or the constructor's own allocations are refused (nothing is then
// left allocated).
template <class T, class... Args>
T *mg_new(int part, Args &&...args) noexcept
{
    void *block = mg_alloc_in(part, sizeof(T));
    if (block == nullptr)
        return nullptr;
    try {
        return new (block) T(std::forward<Args>(args)...);
    } catch (const std::bad_alloc &) {
        mg_free_in(part, block, sizeof(T));
        return nullptr;
    }
}

// Destroys an object made by mg_new with the same part and frees its block;
// nullptr is ignored.
template <class T>
void mg_delete(int part, T *object) noexcept
{
    if (object == nullptr)
        return;
    object->~T();
    mg_free_in(part, object, sizeof(T));
}

} // namespace mg

#endif
