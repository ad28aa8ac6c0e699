/*
 * dump.h — the contract's dump: one line per n-gram, tokens joined by single
 * spaces (markers written <s> and </s>), a tab, the decimal count; lines in
 * the order `LC_ALL=C sort` gives (bytewise). Byte-identical for every backend.
 */
#ifndef MG_DUMP_H
#define MG_DUMP_H

#include "backend.h"

#include <stdio.h>

/* 0, or -1 when out of memory. */
int mg_dump_table(mg_table *table, FILE *out);

#endif
