// mem_allocator.hh — the C++ allocator of the backends that wrap C++
// containers (std_map, absl_flat_hash): every block a container asks for
// goes through mem.h, so requested bytes are exact.
//
// allocate(n) asks mg_alloc for n * sizeof(T) bytes and throws std::bad_alloc
// when it is refused; deallocate(p, n) hands mg_free the same size. The
// allocator holds no state, so every instance is interchangeable and moves
// and swaps of containers never copy elements. mg_new and mg_delete place an
// object (a backend's table) in a block of its own the same way.
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

template <class T>
struct mem_allocator {
    using value_type = T;
    using propagate_on_container_move_assignment = std::true_type;
    using propagate_on_container_swap = std::true_type;
    using is_always_equal = std::true_type;

    static_assert(alignof(T) <= alignof(std::max_align_t), "mg_alloc aligns to max_align_t only");

    mem_allocator() noexcept = default;
    template <class U>
    mem_allocator(const mem_allocator<U> &) noexcept {}

    T *allocate(std::size_t count)
    {
        if (count > static_cast<std::size_t>(-1) / sizeof(T))
            throw std::bad_alloc();
        void *block = mg_alloc(count * sizeof(T));
        if (block == nullptr)
            throw std::bad_alloc();
        return static_cast<T *>(block);
    }

    void deallocate(T *block, std::size_t count) noexcept { mg_free(block, count * sizeof(T)); }
};

template <class T, class U>
bool operator==(const mem_allocator<T> &, const mem_allocator<U> &) noexcept
{
    return true;
}

template <class T, class U>
bool operator!=(const mem_allocator<T> &, const mem_allocator<U> &) noexcept
{
    return false;
}

// A T constructed in a block from mg_alloc; nullptr when the block or the
// constructor's own allocations are refused (nothing is then left allocated).
template <class T, class... Args>
T *mg_new(Args &&...args) noexcept
{
    void *block = mg_alloc(sizeof(T));
    if (block == nullptr)
        return nullptr;
    try {
        return new (block) T(std::forward<Args>(args)...);
    } catch (const std::bad_alloc &) {
        mg_free(block, sizeof(T));
        return nullptr;
    }
}

// Destroys an object made by mg_new and frees its block; nullptr is ignored.
template <class T>
void mg_delete(T *object) noexcept
{
    if (object == nullptr)
        return;
    object->~T();
    mg_free(object, sizeof(T));
}

} // namespace mg

#endif
