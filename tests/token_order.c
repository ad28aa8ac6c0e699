/* token_order.c — see token_order.h. */
#include "token_order.h"

#include <string.h>

int mgt_token_compare(const mg_token *a, const mg_token *b)
{
    if (a->bytes == NULL || b->bytes == NULL) {
        if (a->bytes == NULL && b->bytes == NULL)
            return (a->len > b->len) - (a->len < b->len);
        return a->bytes == NULL ? -1 : 1;
    }
    size_t shorter = a->len < b->len ? a->len : b->len;
    int order = shorter ? memcmp(a->bytes, b->bytes, shorter) : 0;
    return order ? order : (a->len > b->len) - (a->len < b->len);
}

int mgt_tokens_compare(const mg_token *a, const mg_token *b, int count)
{
    for (int k = 0; k < count; k++) {
        int order = mgt_token_compare(&a[k], &b[k]);
        if (order)
            return order;
    }
    return 0;
}
