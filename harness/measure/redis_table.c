/* redis_table.c — see redis_table.h. */
#include "redis_table.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 1024          /* commands pipelined before their replies are read */
#define SCAN_COUNT "512"    /* keys a SCAN step asks for */
#define START_BYTE '\t'
#define END_BYTE '\n'
#define JOIN_BYTE ' '

typedef struct byte_buffer {
    char *bytes;
    size_t length, capacity;
} byte_buffer;

typedef struct redis_table {
    mg_table base;
    mg_redis_server *server;
    uint64_t ngrams;  /* HINCRBY replies of 1: grams seen the first time */
    size_t pending;   /* commands sent whose replies are unread */
    byte_buffer key, field;
    char error[256];
} redis_table;

static int buffer_append(byte_buffer *buffer, const void *bytes, size_t length)
{
    if (buffer->length + length > buffer->capacity) {
        size_t capacity = (buffer->length + length) * 2 + 64;
        char *grown = realloc(buffer->bytes, capacity);
        if (!grown)
            return -1;
        buffer->bytes = grown;
        buffer->capacity = capacity;
    }
    memcpy(buffer->bytes + buffer->length, bytes, length);
    buffer->length += length;
    return 0;
}

static int append_token(byte_buffer *buffer, const mg_token *token)
{
    if (mg_token_is_marker(token)) {
        char marker = token->len == MG_MARK_START ? START_BYTE : END_BYTE;
        return buffer_append(buffer, &marker, 1);
    }
    return buffer_append(buffer, token->bytes, token->len);
}

/* The context's key and the last token's field into the scratch buffers. */
static int encode(redis_table *table, const mg_token *gram, int context_length)
{
    table->key.length = table->field.length = 0;
    int status = 0;
    for (int position = 0; position < context_length && status == 0; position++) {
        char join = JOIN_BYTE;
        if (position > 0)
            status = buffer_append(&table->key, &join, 1);
        if (status == 0)
            status = append_token(&table->key, &gram[position]);
    }
    return status == 0 ? append_token(&table->field, &gram[context_length]) : -1;
}

static void decode_token(const char *bytes, size_t length, mg_token *token)
{
    if (length == 1 && (bytes[0] == START_BYTE || bytes[0] == END_BYTE))
        *token = (mg_token){NULL, bytes[0] == START_BYTE ? MG_MARK_START : MG_MARK_END};
    else
        *token = (mg_token){(const unsigned char *)bytes, (uint32_t)length};
}

/* A key back into its order-1 tokens. */
static void decode_key(const char *bytes, size_t length, int context_length, mg_token *tokens)
{
    for (int position = 0; position < context_length; position++) {
        const char *join = position + 1 < context_length ? memchr(bytes, JOIN_BYTE, length) : NULL;
        size_t piece = join ? (size_t)(join - bytes) : length;
        decode_token(bytes, piece, &tokens[position]);
        bytes += piece + (join != NULL);
        length -= piece + (join != NULL);
    }
}

static void keep_error(redis_table *table, const char *what, const redisReply *reply)
{
    if (table->error[0])
        return;
    redisContext *connection = table->server->connection;
    const char *why = reply && reply->type == REDIS_REPLY_ERROR ? reply->str
                    : connection && connection->err             ? connection->errstr : "no reply";
    snprintf(table->error, sizeof table->error, "redis-server: %s: %s", what, why);
}

static int read_replies(redis_table *table)
{
    int status = 0;
    for (; table->pending > 0; table->pending--) {
        redisReply *reply = NULL;
        if (redisGetReply(table->server->connection, (void **)&reply) != REDIS_OK || !reply) {
            keep_error(table, "HINCRBY", NULL);
            table->pending = 0;
            return -1;
        }
        if (reply->type == REDIS_REPLY_INTEGER)
            table->ngrams += reply->integer == 1;
        else if (status == 0) {
            keep_error(table, "HINCRBY", reply);
            status = -1;
        }
        freeReplyObject(reply);
    }
    return status;
}

int mg_redis_table_flush(mg_table *self)
{
    return read_replies((redis_table *)self) == 0 ? MG_OK : -1;
}

const char *mg_redis_table_error(mg_table *self)
{
    return ((redis_table *)self)->error;
}

static int redis_add(mg_table *self, const mg_token *gram)
{
    redis_table *table = (redis_table *)self;
    if (table->error[0] || encode(table, gram, self->order - 1) != 0)
        return MG_ERR_NOMEM;
    const char *words[] = {"HINCRBY", table->key.bytes, table->field.bytes, "1"};
    size_t lengths[] = {7, table->key.length, table->field.length, 1};
    if (redisAppendCommandArgv(table->server->connection, 4, words, lengths) != REDIS_OK) {
        keep_error(table, "HINCRBY", NULL);
        return MG_ERR_NOMEM;
    }
    if (++table->pending == BATCH && read_replies(table) != 0)
        return MG_ERR_NOMEM;
    return MG_OK;
}

static int redis_finalize(mg_table *self)
{
    return read_replies((redis_table *)self) == 0 ? MG_OK : MG_ERR_NOMEM;
}

static uint64_t redis_count(mg_table *self, const mg_token *gram)
{
    redis_table *table = (redis_table *)self;
    if (encode(table, gram, self->order - 1) != 0)
        return 0;
    const char *words[] = {"HGET", table->key.bytes, table->field.bytes};
    size_t lengths[] = {4, table->key.length, table->field.length};
    redisReply *reply = mg_redis_command(table->server, 3, words, lengths);
    uint64_t count = reply && reply->type == REDIS_REPLY_STRING ? strtoull(reply->str, NULL, 10) : 0;
    if (!reply || reply->type == REDIS_REPLY_ERROR)
        keep_error(table, "HGET", reply);
    freeReplyObject(reply);
    return count;
}

/* Visits the fields of an HGETALL reply; tokens[0..context_length) already hold the context. */
static int visit_hash(const redisReply *reply, mg_token *tokens, int context_length, mg_gram_visit visit, void *arg)
{
    if (reply->type != REDIS_REPLY_ARRAY)
        return 0;
    for (size_t index = 0; index + 1 < reply->elements; index += 2) {
        const redisReply *field = reply->element[index], *value = reply->element[index + 1];
        decode_token(field->str, field->len, &tokens[context_length]);
        int stop = visit(arg, tokens, strtoull(value->str, NULL, 10));
        if (stop)
            return stop;
    }
    return 0;
}

typedef struct successor_walk {
    mg_successor_visit visit;
    void *arg;
    int context_length;
} successor_walk;

static int visit_successor(void *arg, const mg_token *gram, uint64_t count)
{
    successor_walk *walk = arg;
    return walk->visit(walk->arg, &gram[walk->context_length], count);
}

static int redis_successors(mg_table *self, const mg_token *context, mg_successor_visit visit, void *arg)
{
    redis_table *table = (redis_table *)self;
    mg_token gram[MG_ORDER_MAX + 1];
    memcpy(gram, context, (size_t)(self->order - 1) * sizeof gram[0]);
    gram[self->order - 1] = (mg_token){NULL, MG_MARK_END}; /* encode needs a last token: unused */
    if (encode(table, gram, self->order - 1) != 0)
        return 0;
    const char *words[] = {"HGETALL", table->key.bytes};
    size_t lengths[] = {7, table->key.length};
    redisReply *reply = mg_redis_command(table->server, 2, words, lengths);
    if (!reply || reply->type == REDIS_REPLY_ERROR) {
        keep_error(table, "HGETALL", reply);
        freeReplyObject(reply);
        return 0;
    }
    successor_walk walk = {visit, arg, self->order - 1};
    int stop = visit_hash(reply, gram, self->order - 1, visit_successor, &walk);
    freeReplyObject(reply);
    return stop;
}

/* ---- walks over every hash ---------------------------------------------------- */

/* Called with each SCAN step's keys and their HGETALL replies. */
typedef int (*hash_visit)(redis_table *table, const redisReply *key, const redisReply *hash, void *arg);

/* The step's HGETALL replies are all read before any is visited, so that a
 * visit may send commands of its own on the connection. */
static int hashes_of_keys(redis_table *table, const redisReply *keys, hash_visit visit, void *arg)
{
    redisContext *connection = table->server->connection;
    redisReply **hashes = calloc(keys->elements + 1, sizeof *hashes);
    if (!hashes) {
        snprintf(table->error, sizeof table->error, "out of memory reading the server's hashes");
        return -1;
    }
    for (size_t index = 0; index < keys->elements; index++) {
        const char *words[] = {"HGETALL", keys->element[index]->str};
        size_t lengths[] = {7, keys->element[index]->len};
        redisAppendCommandArgv(connection, 2, words, lengths);
    }
    int stop = 0;
    for (size_t index = 0; index < keys->elements && !stop; index++)
        if (redisGetReply(connection, (void **)&hashes[index]) != REDIS_OK || !hashes[index]) {
            keep_error(table, "HGETALL", NULL);
            stop = -1;
        }
    for (size_t index = 0; index < keys->elements && !stop; index++)
        stop = visit(table, keys->element[index], hashes[index], arg);
    for (size_t index = 0; index < keys->elements; index++)
        freeReplyObject(hashes[index]);
    free(hashes);
    return stop;
}

/* SCAN's walk: every key present throughout it is visited, with its hash. */
static int every_hash(redis_table *table, hash_visit visit, void *arg)
{
    char cursor[32] = "0";
    int stop = 0;
    do {
        const char *words[] = {"SCAN", cursor, "COUNT", SCAN_COUNT};
        redisReply *reply = mg_redis_command(table->server, 4, words, NULL);
        if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) {
            keep_error(table, "SCAN", reply);
            freeReplyObject(reply);
            return -1;
        }
        snprintf(cursor, sizeof cursor, "%.*s", (int)reply->element[0]->len, reply->element[0]->str);
        stop = hashes_of_keys(table, reply->element[1], visit, arg);
        freeReplyObject(reply);
    } while (!stop && strcmp(cursor, "0") != 0);
    return stop;
}

typedef struct gram_walk {
    mg_gram_visit visit;
    void *arg;
} gram_walk;

static int visit_grams_of_hash(redis_table *table, const redisReply *key, const redisReply *hash, void *arg)
{
    gram_walk *walk = arg;
    mg_token gram[MG_ORDER_MAX];
    decode_key(key->str, key->len, table->base.order - 1, gram);
    return visit_hash(hash, gram, table->base.order - 1, walk->visit, walk->arg);
}

static int redis_foreach(mg_table *self, mg_gram_visit visit, void *arg)
{
    gram_walk walk = {visit, arg};
    int stop = every_hash((redis_table *)self, visit_grams_of_hash, &walk);
    return stop < 0 ? 0 : stop;
}

static void redis_sizes(mg_table *self, uint64_t *ngrams, uint64_t *contexts)
{
    redis_table *table = (redis_table *)self;
    const char *words[] = {"DBSIZE"};
    redisReply *reply = mg_redis_command(table->server, 1, words, NULL);
    *ngrams = table->ngrams;
    *contexts = reply && reply->type == REDIS_REPLY_INTEGER ? (uint64_t)reply->integer : 0;
    freeReplyObject(reply);
}

typedef struct prune_walk {
    uint64_t min_count, removed;
    const char **words;
    size_t *lengths;
} prune_walk;

/* HDEL of the hash's fields under min_count, one command per hash. */
static int prune_hash(redis_table *table, const redisReply *key, const redisReply *hash, void *arg)
{
    prune_walk *walk = arg;
    int count = 0;
    walk->words[count] = "HDEL", walk->lengths[count++] = 4;
    walk->words[count] = key->str, walk->lengths[count++] = key->len;
    for (size_t index = 0; index + 1 < hash->elements; index += 2)
        if (strtoull(hash->element[index + 1]->str, NULL, 10) < walk->min_count) {
            walk->words[count] = hash->element[index]->str;
            walk->lengths[count++] = hash->element[index]->len;
        }
    if (count == 2)
        return 0;
    redisReply *reply = mg_redis_command(table->server, count, walk->words, walk->lengths);
    if (reply && reply->type == REDIS_REPLY_INTEGER)
        walk->removed += (uint64_t)reply->integer;
    else
        keep_error(table, "HDEL", reply);
    freeReplyObject(reply);
    return 0;
}

/* The largest hash's field count: the room HDEL's arguments need. */
static int widest_hash(redis_table *table, const redisReply *key, const redisReply *hash, void *arg)
{
    (void)table;
    (void)key;
    size_t *widest = arg;
    if (hash->elements / 2 > *widest)
        *widest = hash->elements / 2;
    return 0;
}

static uint64_t redis_prune(mg_table *self, uint64_t min_count)
{
    redis_table *table = (redis_table *)self;
    size_t widest = 0;
    every_hash(table, widest_hash, &widest);
    prune_walk walk = {min_count, 0, malloc((widest + 2) * sizeof(char *)), malloc((widest + 2) * sizeof(size_t))};
    if (walk.words && walk.lengths)
        every_hash(table, prune_hash, &walk);
    else
        snprintf(table->error, sizeof table->error, "out of memory listing the grams to prune");
    free(walk.words);
    free(walk.lengths);
    table->ngrams -= walk.removed;
    return walk.removed;
}

/* Frees the table; the scratch buffers always hold bytes, so a key is never a NULL pointer. */
static void redis_destroy_buffers(redis_table *table)
{
    free(table->key.bytes);
    free(table->field.bytes);
    free(table);
}

static void redis_destroy(mg_table *self)
{
    redis_table *table = (redis_table *)self;
    const char *words[] = {"FLUSHALL"};
    freeReplyObject(mg_redis_command(table->server, 1, words, NULL));
    redis_destroy_buffers(table);
}

static double redis_estimate(const mg_table_shape *shape)
{
    (void)shape;
    return NAN;
}

const mg_backend mg_redis_client = {
    .version = MG_BACKEND_VERSION,
    .name = "redis",
    .summary = "a private redis-server: one hash per context (measured from outside)",
    .layout_version = 1,
    .add = redis_add,
    .finalize = redis_finalize,
    .count = redis_count,
    .successors = redis_successors,
    .foreach = redis_foreach,
    .sizes = redis_sizes,
    .prune = redis_prune,
    .destroy = redis_destroy,
    .estimate_bytes_per_ngram = redis_estimate,
    .parts = mg_redis_part_names,
    .part_count = MG_REDIS_PART_COUNT,
};

mg_table *mg_redis_table_create(mg_redis_server *server, int order)
{
    redis_table *table = calloc(1, sizeof *table);
    if (!table)
        return NULL;
    table->base = (mg_table){&mg_redis_client, order};
    table->server = server;
    if (buffer_append(&table->key, "", 1) != 0 || buffer_append(&table->field, "", 1) != 0) {
        redis_destroy_buffers(table);
        return NULL;
    }
    return &table->base;
}
