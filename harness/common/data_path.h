/*
 * data_path.h — where memgrams finds the files it ships and the corpora it fetches.
 *
 * A program runs either from its build folder (the executable lies under the
 * build root this build was configured with) or installed. Then:
 *   shipped files (gnuplot scripts, peers):
 *     $MEMGRAMS_DATA/{scripts,peers} when MEMGRAMS_DATA is set;
 *     else, from the build folder, the source tree's scripts/ and scripts/peers/;
 *     else the installed <prefix>/share/memgrams/{scripts,peers}.
 *   fetched corpora (NAME.txt):
 *     $MEMGRAMS_CORPORA when set;
 *     else, from the build folder, the source tree's corpora/cache;
 *     else $XDG_CACHE_HOME/memgrams/corpora (default ~/.cache/memgrams/corpora),
 *     the folder memgrams-fetch-corpus fills when run alike.
 */
#ifndef MG_DATA_PATH_H
#define MG_DATA_PATH_H

typedef enum mg_data_kind { MG_DATA_SCRIPTS, MG_DATA_PEERS } mg_data_kind;

/* The folder of that kind of shipped file (no trailing slash). */
const char *mg_data_folder(mg_data_kind kind);

/* The folder of the fetched corpora (no trailing slash). */
const char *mg_corpora_folder(void);

/* The command that fetches a named corpus: corpora/fetch from the build
 * folder, else the installed memgrams-fetch-corpus. */
const char *mg_fetch_command(void);

/* 1 when this program runs from its build folder, 0 when installed. */
int mg_runs_from_build(void);

#endif
