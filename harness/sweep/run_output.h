/*
 * run_output.h — `memgrams run ... --output FILE|- [--timeout S] [--pass P]`:
 * a run judged by a memgrams of its own, the form `sweep --plan --out DIR`
 * prints for a job runner. It runs itself without those options as a child
 * (supervise.h), judges it as a sweep would, and writes the line whole.
 */
#ifndef MG_RUN_OUTPUT_H
#define MG_RUN_OUTPUT_H

/* Does `memgrams run` argv ask to be judged (--output, --timeout, --pass)? */
int mg_run_judged_asked(int argc, char **argv);

/* argv[0] is "run"; returns the exit status (0 ok, 1 not ok or not written, 2 usage). */
int mg_run_judged_main(int argc, char **argv);

#endif
