/* peers.c — see peers.h. */
#include "peers.h"
#include "data_path.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define PEER_FOLDER mg_data_folder(MG_DATA_PEERS)

/* Peer names are plain words: no path can be smuggled through one. A name
 * beginning with '_' is a module the peers share, not a peer (peers.h). */
static int is_plain_name(const char *name)
{
    if (!*name || *name == '_')
        return 0;
    for (const char *cursor = name; *cursor; cursor++)
        if (!((*cursor >= 'a' && *cursor <= 'z') || (*cursor >= '0' && *cursor <= '9') || *cursor == '_'))
            return 0;
    return 1;
}

int mg_peer_script(const char *name, char *path, size_t path_size)
{
    if (!is_plain_name(name))
        return -1;
    snprintf(path, path_size, "%s/%s.py", PEER_FOLDER, name);
    return access(path, R_OK) == 0 ? 0 : -1;
}

void mg_peer_names_line(char *line, size_t line_size)
{
    line[0] = '\0';
    DIR *folder = opendir(PEER_FOLDER);
    if (!folder)
        return;
    for (struct dirent *entry; (entry = readdir(folder));) {
        size_t length = strlen(entry->d_name), used = strlen(line);
        if (length > 3 && strcmp(entry->d_name + length - 3, ".py") == 0 && entry->d_name[0] != '_')
            snprintf(line + used, line_size - used, "%s%.*s", used ? ", " : "", (int)(length - 3), entry->d_name);
    }
    closedir(folder);
}
