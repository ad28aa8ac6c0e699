/*
 * results_append.h — appending runs to a results file that sweeps share
 * (make bench's two lanes append to one): each line whole, with one write,
 * under the file's lock, and a file that ends in an unfinished line (a write
 * cut short) has that line set aside before anything is appended.
 */
#ifndef MG_RESULTS_APPEND_H
#define MG_RESULTS_APPEND_H

#include <jansson.h>
#include <stddef.h>

/* Waits for the results file's lock: sweeps that share one append under it,
 * so a short write is cut back without cutting another sweep's line, and an
 * unfinished line is never one being written. */
void mg_results_lock(int fd);

/* Appends the run's line whole, under the lock: 0, or -1 with errno set. */
int mg_results_append_line(int fd, json_t *run);

/* A results file that does not end in '\n' ends in a line whose write did
 * not finish: its bytes are appended to PATH.partial (nothing is dropped)
 * and cut off, so the next line does not join them. A last line that is
 * whole JSON only lacks its newline, which is added. Call under the lock.
 * 0, or -1 with error set. */
int mg_results_set_aside_partial(int fd, const char *path, char *error, size_t error_size);

#endif
