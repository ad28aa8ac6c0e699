/*
 * peers.h — programs measured beside the backends.
 *
 * A peer is a structure that cannot be a backend because it lives in another
 * runtime (the Python dict of dicts of docs/stories.md): a script NAME.py (data_path.h)
 * that trains on a corpus file with the contract's tokenization and prints
 * one run object (memgrams.run/1) with the fields it can know. The backend
 * registry stays the only list of backends; `sweep` resolves a name it does
 * not find there to a peer script and runs it with the Debian python3 in
 * place of `memgrams run`, so a peer is a row in every table and a line in
 * every chart, and `dump` runs it with --dump for the same lines as a
 * backend's. A peer reads files only (not synth: corpora). A script whose
 * name begins with '_' is code the peers share (_peer_common.py), never a peer.
 */
#ifndef MG_PEERS_H
#define MG_PEERS_H

#include <stddef.h>

#define MG_PEER_PYTHON "/usr/bin/python3"

/* 0 and the script's path when NAME is a peer, -1 otherwise. */
int mg_peer_script(const char *name, char *path, size_t path_size);

/* "python_dict, ..." (the scripts of the peers folder), for messages. */
void mg_peer_names_line(char *line, size_t line_size);

#define MG_PEER_NAME_SIZE 64

/* The peers' names in name order, at most max: how many. */
int mg_peer_names(char (*names)[MG_PEER_NAME_SIZE], int max);

/* The peer's one-line description, as `python3 SCRIPT --describe` prints it
 * (started without a shell, argv only, killed after a few seconds): 0, or
 * -1 with why there is none in text (python3 missing, the script failing). */
int mg_peer_describe(const char *name, char *text, size_t text_size);

#endif
