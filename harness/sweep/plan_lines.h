/*
 * plan_lines.h — `sweep --plan`: every run's command line quoted for sh,
 * one a line, in the order the sweep would start them, for a job runner
 * (GNU parallel, a batch system). With --out DIR each line judges itself
 * into DIR/cells/ (DIR/against/cells/ for the other build), or onto stdout
 * with --out -.
 */
#ifndef MG_PLAN_LINES_H
#define MG_PLAN_LINES_H

#include "plan.h"

/* The plan, whole or not at all (every line is made before any is printed),
 * exe being this memgrams: 0, or the exit status after one line on stderr. */
int mg_sweep_print_plan(const char *exe, const mg_sweep_plan *plan);

#endif
