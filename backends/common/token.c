/* token.c — the canonical token order shared by checksums and generation. */
#include "../backend.h"

#include <string.h>

int mg_token_compare(const mg_token *a, const mg_token *b)
{
    int a_marker = mg_token_is_marker(a), b_marker = mg_token_is_marker(b);
    if (a_marker || b_marker) {
        if (a_marker && b_marker)
            return (int)a->len - (int)b->len;
        return a_marker ? -1 : 1;
    }
    uint32_t shorter = a->len < b->len ? a->len : b->len;
    int order = memcmp(a->bytes, b->bytes, shorter);
    if (order != 0)
        return order;
    return (a->len > b->len) - (a->len < b->len);
}
