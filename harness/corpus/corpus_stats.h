/*
 * corpus_stats.h — `memgrams corpus`: what a corpus spec holds.
 *
 *   memgrams corpus cat   SPEC [--fraction F]    the text the tokenizer reads
 *   memgrams corpus stats SPEC [--fraction F] [--orders L] [--json]
 */
#ifndef MG_CORPUS_STATS_H
#define MG_CORPUS_STATS_H

/* argv[0] is "corpus". Returns the exit status (0, 1, or 2 for bad input). */
int mg_corpus_main(int argc, char **argv);

#endif
