/*
 * token_order.h — the contract's order of tokens (backend.h), written apart
 * from mg_token_compare, for the references of the conformance suite and
 * the fuzz targets: start marker < end marker < words; words by unsigned
 * bytes, a prefix first.
 */
#ifndef MG_TEST_TOKEN_ORDER_H
#define MG_TEST_TOKEN_ORDER_H

#include "backend.h"

int mgt_token_compare(const mg_token *a, const mg_token *b);
/* The first count tokens of a and b, position by position. */
int mgt_tokens_compare(const mg_token *a, const mg_token *b, int count);

#endif
