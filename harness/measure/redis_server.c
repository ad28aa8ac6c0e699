/* redis_server.c — see redis_server.h. */
#include "redis_server.h"
#include "atomic_file.h"
#include "mem.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SERVER_PROGRAM "redis-server"
#define START_SECONDS 10.0 /* a server not accepting by then is taken as failed */
#define STOP_SECONDS 5.0   /* SHUTDOWN NOSAVE's grace before SIGKILL */
#define ARGUMENTS_MAX 32

/* What the signal handler needs, kept in plain static storage: it may only
 * make async-signal-safe calls. */
static volatile sig_atomic_t server_group;
static char folder_path[MG_PATH_SIZE], socket_path[MG_PATH_SIZE + 16], log_path[MG_PATH_SIZE + 16];
static volatile sig_atomic_t folder_exists;

static void remove_folder_files(void)
{
    if (!folder_exists)
        return;
    unlink(socket_path);
    unlink(log_path);
    rmdir(folder_path);
    folder_exists = 0;
}

static void kill_server_and_exit(int signal_number)
{
    pid_t group = (pid_t)server_group;
    if (group > 0) {
        kill(-group, SIGKILL);
        waitpid(group, NULL, 0);
    }
    remove_folder_files();
    signal(signal_number, SIG_DFL);
    raise(signal_number);
}

static void catch_signals(void)
{
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = kill_server_and_exit;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGHUP, &action, NULL);
    signal(SIGPIPE, SIG_IGN); /* a server gone makes a failed command, not a killed run */
}

static double now_seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

static const char *temporary_root(void)
{
    const char *root = getenv("TMPDIR");
    return root && *root ? root : "/tmp";
}

/* Removes the folders of runs that died before removing theirs. */
static void remove_stale_folders(const char *root)
{
    DIR *folder = opendir(root);
    size_t prefix_length = strlen(MG_REDIS_FOLDER_PREFIX);
    for (struct dirent *entry; folder && (entry = readdir(folder));) {
        if (strncmp(entry->d_name, MG_REDIS_FOLDER_PREFIX, prefix_length) != 0)
            continue;
        char *end;
        long owner = strtol(entry->d_name + prefix_length, &end, 10);
        if (owner <= 0 || *end != '-' || (kill((pid_t)owner, 0) != 0 && errno == ESRCH) == 0)
            continue;
        char stale[MG_PATH_SIZE], file[MG_PATH_SIZE + 16];
        snprintf(stale, sizeof stale, "%s/%s", root, entry->d_name);
        snprintf(file, sizeof file, "%s/redis.sock", stale);
        unlink(file);
        snprintf(file, sizeof file, "%s/redis.log", stale);
        unlink(file);
        rmdir(stale);
    }
    if (folder)
        closedir(folder);
}

/* The program's path on PATH: 0, or -1. */
static int find_program(char *path, size_t path_size)
{
    const char *search = getenv("PATH");
    if (!search || !*search)
        search = "/usr/local/bin:/usr/bin:/bin";
    while (*search) {
        size_t length = strcspn(search, ":");
        snprintf(path, path_size, "%.*s/%s", (int)length, search, SERVER_PROGRAM);
        if (length && access(path, X_OK) == 0)
            return 0;
        search += length + (search[length] == ':');
    }
    return -1;
}

static int make_folder(char *error, size_t error_size)
{
    char name[64];
    const char *root = temporary_root();
    remove_stale_folders(root);
    snprintf(name, sizeof name, "%s%ld-", MG_REDIS_FOLDER_PREFIX, (long)getpid());
    snprintf(folder_path, sizeof folder_path, "%s/%sXXXXXX", root, name);
    if (!mkdtemp(folder_path)) {
        snprintf(error, error_size, "cannot make a folder for redis-server in '%s': %s", root, strerror(errno));
        return -1;
    }
    snprintf(socket_path, sizeof socket_path, "%s/redis.sock", folder_path);
    snprintf(log_path, sizeof log_path, "%s/redis.log", folder_path);
    folder_exists = 1;
    return 0;
}

/* In the child, before exec: its own group, death with its parent, the log as stdout. */
static void exec_server(const char *program, char *const *argv, int log_fd, pid_t parent)
{
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(127);
    int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0)
        dup2(null_fd, STDIN_FILENO);
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execv(program, argv);
    _exit(127);
}

static pid_t spawn_server(const char *program, const char *const *extra, int log_fd)
{
    const char *words[ARGUMENTS_MAX] = {program, "--port", "0", "--unixsocket", socket_path,
                                        "--unixsocketperm", "700", "--save", "", "--appendonly", "no",
                                        "--dir", folder_path, "--daemonize", "no", "--logfile", ""};
    int count = 17;
    while (*extra && count + 1 < ARGUMENTS_MAX)
        words[count++] = *extra++;
    words[count] = NULL;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0)
        exec_server(program, (char *const *)words, log_fd, parent);
    if (pid > 0) {
        setpgid(pid, pid); /* also here: no race with the child's own call */
        server_group = pid;
    }
    return pid;
}

/* The log's last line, for a server that did not start. */
static void last_log_line(int log_fd, char *line, size_t line_size)
{
    char text[4096];
    ssize_t got = pread(log_fd, text, sizeof text - 1, 0);
    text[got > 0 ? got : 0] = '\0';
    size_t length = strlen(text);
    while (length && (text[length - 1] == '\n' || text[length - 1] == '\r'))
        text[--length] = '\0';
    const char *start = strrchr(text, '\n');
    snprintf(line, line_size, "%s", start ? start + 1 : text);
}

/* Connects once the server accepts: 0, or -1 (the server exited or never accepted). */
static int wait_for_socket(mg_redis_server *server)
{
    double started = now_seconds();
    while (now_seconds() - started < START_SECONDS) {
        if (waitpid(server->pid, NULL, WNOHANG) == server->pid) {
            server->pid = 0;
            server_group = 0;
            return -1;
        }
        redisContext *connection = redisConnectUnix(socket_path);
        if (connection && !connection->err) {
            server->connection = connection;
            return 0;
        }
        redisFree(connection);
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    }
    return -1;
}

static void kill_server(mg_redis_server *server)
{
    if (server->pid > 0) {
        kill(-server->pid, SIGKILL);
        while (waitpid(server->pid, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    server->pid = 0;
    server_group = 0;
}

static int start_in_folder(mg_redis_server *server, const char *program, const char *const *extra, char *error,
                           size_t error_size)
{
    int log_fd = open(log_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (log_fd < 0) {
        snprintf(error, error_size, "cannot make redis-server's log in '%s': %s", folder_path, strerror(errno));
        return -1;
    }
    server->pid = spawn_server(program, extra, log_fd);
    int status = server->pid > 0 ? wait_for_socket(server) : -1;
    if (status != 0) {
        char line[512];
        last_log_line(log_fd, line, sizeof line);
        snprintf(error, error_size, "redis-server did not start%s%s", *line ? ": " : "", line);
        kill_server(server);
    }
    close(log_fd);
    return status;
}

static void probe_peak_reset(mg_redis_server *server)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/clear_refs", (long)server->pid);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    server->peak_resettable = fd >= 0 && write(fd, "5", 1) == 1;
    if (fd >= 0)
        close(fd);
}

int mg_redis_server_start(mg_redis_server *server, const char *const *extra_arguments, char *error,
                          size_t error_size)
{
    memset(server, 0, sizeof *server);
    char program[MG_PATH_SIZE];
    if (find_program(program, sizeof program) != 0) {
        snprintf(error, error_size, "redis-server is not on PATH (Debian: apt-get install redis-server)");
        return -1;
    }
    catch_signals();
    if (make_folder(error, error_size) != 0)
        return -1;
    int status = start_in_folder(server, program, extra_arguments, error, error_size);
    remove_folder_files();
    if (status == 0)
        probe_peak_reset(server);
    return status;
}

void mg_redis_server_stop(mg_redis_server *server)
{
    if (server->connection) {
        const char *words[] = {"SHUTDOWN", "NOSAVE"};
        freeReplyObject(redisCommandArgv(server->connection, 2, words, NULL));
        redisFree(server->connection);
        server->connection = NULL;
    }
    double started = now_seconds();
    while (server->pid > 0 && now_seconds() - started < STOP_SECONDS) {
        if (waitpid(server->pid, NULL, WNOHANG) == server->pid) {
            server->pid = 0;
            server_group = 0;
            return;
        }
        nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL);
    }
    kill_server(server);
}

redisReply *mg_redis_command(mg_redis_server *server, int argc, const char **argv, const size_t *lengths)
{
    if (!server->connection || server->connection->err)
        return NULL;
    return redisCommandArgv(server->connection, argc, argv, lengths);
}

/* ---- figures ------------------------------------------------------------------ */

/* "name:value" of an INFO text, as text; NULL when absent. */
static const char *info_field(const char *text, const char *name)
{
    size_t length = strlen(name);
    for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL)
        if (strncmp(line, name, length) == 0 && line[length] == ':')
            return line + length + 1;
    return NULL;
}

static uint64_t info_bytes(const char *text, const char *name)
{
    const char *value = info_field(text, name);
    return value ? strtoull(value, NULL, 10) : MG_UNKNOWN;
}

static double info_real(const char *text, const char *name)
{
    const char *value = info_field(text, name);
    return value ? strtod(value, NULL) : -1.0;
}

static int read_info(mg_redis_server *server, const char *section, char *text, size_t text_size)
{
    const char *words[] = {"INFO", section};
    redisReply *reply = mg_redis_command(server, 2, words, NULL);
    int status = reply && reply->type == REDIS_REPLY_STRING ? 0 : -1;
    if (status == 0)
        snprintf(text, text_size, "%.*s", (int)reply->len, reply->str);
    freeReplyObject(reply);
    return status;
}

const char *const mg_redis_part_names[MG_REDIS_PART_COUNT] = {
    [MG_REDIS_STARTUP - 1] = "redis.startup", [MG_REDIS_CLIENTS - 1] = "redis.clients",
    [MG_REDIS_KEYSPACE - 1] = "redis.keyspace", [MG_REDIS_DATASET - 1] = "redis.dataset"};

/* MEMORY STATS's figures: the top level's and the keyspace overheads summed over its db.N maps. */
typedef struct memory_stats {
    uint64_t total, startup, clients, keyspace, overhead, dataset;
    int found; /* a bit per figure of the top level met */
} memory_stats;

static void stats_keyspace(const redisReply *db, memory_stats *stats)
{
    for (size_t index = 0; db->type == REDIS_REPLY_ARRAY && index + 1 < db->elements; index += 2) {
        const redisReply *name = db->element[index], *value = db->element[index + 1];
        if (name->type == REDIS_REPLY_STRING && value->type == REDIS_REPLY_INTEGER && value->integer >= 0 &&
            (strcmp(name->str, "overhead.hashtable.main") == 0 || strcmp(name->str, "overhead.hashtable.expires") == 0))
            stats->keyspace += (uint64_t)value->integer;
    }
}

static void stats_field(const char *name, const redisReply *value, memory_stats *stats)
{
    static const struct { const char *name; size_t offset; } fields[] = {
        {"total.allocated", offsetof(memory_stats, total)},   {"startup.allocated", offsetof(memory_stats, startup)},
        {"clients.normal", offsetof(memory_stats, clients)},   {"clients.slaves", offsetof(memory_stats, clients)},
        {"overhead.total", offsetof(memory_stats, overhead)}, {"dataset.bytes", offsetof(memory_stats, dataset)},
    };
    if (strncmp(name, "db.", 3) == 0)
        stats_keyspace(value, stats);
    for (size_t index = 0; index < sizeof fields / sizeof fields[0]; index++)
        if (strcmp(name, fields[index].name) == 0 && value->type == REDIS_REPLY_INTEGER && value->integer >= 0) {
            *(uint64_t *)((char *)stats + fields[index].offset) += (uint64_t)value->integer;
            stats->found |= 1 << index;
        }
}

/* The parts of total.allocated: startup, clients and keyspace as Redis counts them, the rest of
 * its overhead.total as other, dataset.bytes (total.allocated - overhead.total) as the dataset. */
static void read_parts(mg_redis_server *server, mg_redis_figures *figures)
{
    const char *words[] = {"MEMORY", "STATS"};
    redisReply *reply = mg_redis_command(server, 2, words, NULL);
    memory_stats stats = {0};
    for (size_t index = 0; reply && reply->type == REDIS_REPLY_ARRAY && index + 1 < reply->elements; index += 2)
        if (reply->element[index]->type == REDIS_REPLY_STRING)
            stats_field(reply->element[index]->str, reply->element[index + 1], &stats);
    freeReplyObject(reply);
    uint64_t named = stats.startup + stats.clients + stats.keyspace;
    figures->parts_known = stats.found == 0x3f && named <= stats.overhead && stats.overhead + stats.dataset == stats.total;
    if (!figures->parts_known)
        return;
    figures->stats_allocated = stats.total;
    figures->parts[MG_PART_OTHER] = stats.overhead - named;
    figures->parts[MG_REDIS_STARTUP] = stats.startup;
    figures->parts[MG_REDIS_CLIENTS] = stats.clients;
    figures->parts[MG_REDIS_KEYSPACE] = stats.keyspace;
    figures->parts[MG_REDIS_DATASET] = stats.dataset;
}

int mg_redis_server_figures(mg_redis_server *server, mg_redis_figures *figures)
{
    char memory[16384], cpu[4096];
    if (read_info(server, "memory", memory, sizeof memory) != 0 || read_info(server, "cpu", cpu, sizeof cpu) != 0)
        return -1;
    *figures = (mg_redis_figures){
        .used_memory = info_bytes(memory, "used_memory"),
        .allocator_allocated = info_bytes(memory, "allocator_allocated"),
        .allocator_active = info_bytes(memory, "allocator_active"),
        .allocator_resident = info_bytes(memory, "allocator_resident"),
        .used_memory_rss = info_bytes(memory, "used_memory_rss"),
        .used_memory_dataset = info_bytes(memory, "used_memory_dataset"),
        .used_memory_overhead = info_bytes(memory, "used_memory_overhead"),
        .mem_fragmentation_ratio = info_real(memory, "mem_fragmentation_ratio"),
        .allocator_frag_ratio = info_real(memory, "allocator_frag_ratio"),
        .allocator_rss_ratio = info_real(memory, "allocator_rss_ratio"),
        .cpu_seconds = info_real(cpu, "used_cpu_user") + info_real(cpu, "used_cpu_sys"),
    };
    read_parts(server, figures);
    return 0;
}

/* kB figures of /proc/PID/status, in bytes. */
static void read_status(pid_t pid, mg_memory_sample *sample)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
    FILE *file = fopen(path, "r");
    static const struct { const char *name; size_t offset; } fields[] = {
        {"VmRSS:", offsetof(mg_memory_sample, rss)},       {"RssAnon:", offsetof(mg_memory_sample, rss_anon)},
        {"RssFile:", offsetof(mg_memory_sample, rss_file)}, {"RssShmem:", offsetof(mg_memory_sample, rss_shmem)},
        {"VmHWM:", offsetof(mg_memory_sample, hwm)},
    };
    while (file && fgets(line, sizeof line, file))
        for (size_t index = 0; index < sizeof fields / sizeof fields[0]; index++)
            if (strncmp(line, fields[index].name, strlen(fields[index].name)) == 0)
                *(uint64_t *)((char *)sample + fields[index].offset) =
                    strtoull(line + strlen(fields[index].name), NULL, 10) * 1024;
    if (file)
        fclose(file);
}

void mg_redis_server_sample(mg_redis_server *server, const mg_redis_figures *figures, mg_memory_sample *sample)
{
    uint64_t allocated = figures->parts_known ? figures->stats_allocated : figures->used_memory;
    *sample = (mg_memory_sample){MG_UNKNOWN, allocated, figures->allocator_active,
                                 figures->allocator_resident, MG_UNKNOWN, MG_UNKNOWN, MG_UNKNOWN, MG_UNKNOWN,
                                 MG_UNKNOWN};
    read_status(server->pid, sample);
}

void mg_redis_server_reset_peak(mg_redis_server *server)
{
    if (server->peak_resettable)
        probe_peak_reset(server);
}
