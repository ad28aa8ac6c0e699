/* dump.c — see dump.h. Not measured: it allocates freely. */
#include "dump.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

typedef struct dump_line {
    char *bytes;
    size_t length;
} dump_line;

typedef struct dump_lines {
    int order;
    dump_line *lines;
    size_t count, capacity;
} dump_lines;

static size_t token_text_length(const mg_token *token)
{
    if (!mg_token_is_marker(token))
        return token->len;
    return token->len == MG_MARK_START ? 3 : 4;
}

static char *append_token(char *cursor, const mg_token *token)
{
    if (mg_token_is_marker(token)) {
        const char *text = token->len == MG_MARK_START ? "<s>" : "</s>";
        memcpy(cursor, text, strlen(text));
        return cursor + strlen(text);
    }
    memcpy(cursor, token->bytes, token->len);
    return cursor + token->len;
}

static int collect_line(void *arg, const mg_token *gram, uint64_t count)
{
    dump_lines *all = arg;
    if (all->count == all->capacity) {
        size_t capacity = all->capacity ? all->capacity * 2 : 1024;
        dump_line *grown = realloc(all->lines, capacity * sizeof *grown);
        if (!grown)
            return -1;
        all->lines = grown;
        all->capacity = capacity;
    }
    char count_text[24];
    int count_length = snprintf(count_text, sizeof count_text, "%" PRIu64, count);
    size_t length = (size_t)all->order + (size_t)count_length; /* separators and tab */
    for (int position = 0; position < all->order; position++)
        length += token_text_length(&gram[position]);
    char *line = malloc(length), *cursor = line;
    if (!line)
        return -1;
    for (int position = 0; position < all->order; position++) {
        cursor = append_token(cursor, &gram[position]);
        *cursor++ = position + 1 < all->order ? ' ' : '\t';
    }
    memcpy(cursor, count_text, (size_t)count_length);
    all->lines[all->count++] = (dump_line){line, length};
    return 0;
}

/* LC_ALL=C sort: unsigned bytes, a prefix first. */
static int compare_lines(const void *left, const void *right)
{
    const dump_line *a = left, *b = right;
    size_t shorter = a->length < b->length ? a->length : b->length;
    int order = memcmp(a->bytes, b->bytes, shorter);
    return order ? order : (a->length > b->length) - (a->length < b->length);
}

int mg_dump_table(mg_table *table, FILE *out)
{
    dump_lines all = {.order = table->order};
    int status = table->ops->foreach(table, collect_line, &all) == 0 ? 0 : -1;
    if (status == 0 && all.count) {
        qsort(all.lines, all.count, sizeof *all.lines, compare_lines);
        for (size_t index = 0; index < all.count; index++) {
            fwrite(all.lines[index].bytes, 1, all.lines[index].length, out);
            fputc('\n', out);
        }
    }
    for (size_t index = 0; index < all.count; index++)
        free(all.lines[index].bytes);
    free(all.lines);
    return status;
}
