/*
 * varint.h — LEB128 variable-length integers (7 bits a byte, low group
 * first, high bit set on every byte but the last): the length prefixes of
 * words in the backends' arenas, dictionaries and keys. Small values, the
 * common case, take one byte.
 */
#ifndef MG_VARINT_H
#define MG_VARINT_H

#include <stddef.h>
#include <stdint.h>

/* Bytes mg_varint_write takes for value (1..10). */
static inline size_t mg_varint_size(uint64_t value)
{
    size_t size = 1;
    for (; value >= 0x80; value >>= 7)
        size++;
    return size;
}

/* Writes value at `at`; returns the byte after it. */
static inline unsigned char *mg_varint_write(unsigned char *at, uint64_t value)
{
    for (; value >= 0x80; value >>= 7)
        *at++ = (unsigned char)(value | 0x80);
    *at++ = (unsigned char)value;
    return at;
}

/* Reads a value written by mg_varint_write; returns the byte after it. */
static inline const unsigned char *mg_varint_read(const unsigned char *at, uint64_t *value)
{
    uint64_t result = 0;
    for (int shift = 0;; shift += 7) {
        unsigned char byte = *at++;
        result |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80))
            break;
    }
    *value = result;
    return at;
}

/* mg_varint_read for a value that was written from a uint32_t. */
static inline const unsigned char *mg_varint_read32(const unsigned char *at, uint32_t *value)
{
    uint64_t wide;
    at = mg_varint_read(at, &wide);
    *value = (uint32_t)wide;
    return at;
}

#endif
