/*
 * floor.h — `memgrams floor SPEC [--order N] [--fraction F]`: the archival
 * floor of a count table, the bytes per distinct n-gram that xz -9e needs
 * for the table and its vocabulary. Nothing queryable is plausibly smaller.
 *
 * Ids are the words' ranks in sorted (mg_token_compare) order, markers 0 and
 * 1, so the vocabulary is stored as the sorted word list alone (one word a
 * line) and needs no id column. The table's rows (n ids and the count) are
 * sorted by id tuple and delta-coded as LEB128 varints (floor.c), then fed to
 * the encoder in 64 KiB pieces: the rows are held once, in the counting
 * table itself, renumbered and sorted in place. Prints one JSON line:
 *   {"schema":"memgrams.floor/1","corpus","fraction","order","tokens","ngrams",
 *    "vocab","vocab_raw_bytes","vocab_xz_bytes","table_raw_bytes",
 *    "table_xz_bytes","bytes_per_ngram","compressor":"xz -9e","ids"}
 * bytes_per_ngram is null when the corpus holds no n-gram (an empty file).
 */
#ifndef MG_FLOOR_H
#define MG_FLOOR_H

/* argv[0] is "floor". Returns the exit status (0, 1, or 2 for bad input). */
int mg_floor_main(int argc, char **argv);

#endif
