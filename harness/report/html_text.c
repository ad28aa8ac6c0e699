/* html_text.c — see html_text.h. */
#include "html_text.h"
#include "message.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void mg_html_put_text(FILE *page, const char *text)
{
    for (const unsigned char *at = (const unsigned char *)text; *at; at++) {
        switch (*at) {
        case '&': fputs("&amp;", page); break;
        case '<': fputs("&lt;", page); break;
        case '>': fputs("&gt;", page); break;
        case '"': fputs("&quot;", page); break;
        case '\'': fputs("&#39;", page); break;
        default: fputc(*at < 0x20 || *at == 0x7f ? '?' : *at, page);
        }
    }
}

static int is_ascii_alnum(unsigned char byte)
{
    return (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') || (byte >= '0' && byte <= '9');
}

void mg_html_put_link(FILE *page, const char *path)
{
    for (const unsigned char *at = (const unsigned char *)path; *at; at++) {
        if (is_ascii_alnum(*at) || *at == '-' || *at == '.' || *at == '_' || *at == '/')
            fputc(*at, page);
        else
            fprintf(page, "%%%02X", *at);
    }
}

/* ---- a chart's SVG, inline -------------------------------------------------------------------- */

#define SVG_SIZE_MAX (64L << 20) /* far above any chart gnuplot draws: a bigger file is not one */
#define SVG_DEPTH_MAX 64
#define SVG_NAME_MAX 32

/* The elements a chart is drawn with. Any other (script, style, foreignObject, animate and set,
 * which can rewrite an href, anything unknown) is left out with all it holds. */
static const char *const drawing_elements[] = {
    "svg", "g", "defs", "title", "desc", "path", "circle", "ellipse", "line", "polyline", "polygon", "rect",
    "text", "tspan", "textPath", "use", "symbol", "clipPath", "mask", "pattern", "marker", "linearGradient",
    "radialGradient", "stop", "filter", "feFlood", "feComposite", "feOffset", "feGaussianBlur", "feMerge",
    "feMergeNode", "feBlend", "feColorMatrix", "image", "a",
};

typedef struct svg_name {
    const char *text;
    size_t length;
} svg_name;

typedef struct svg_copy {
    FILE *page;
    const char *at, *end;
    const char *prefix;
    char open[SVG_DEPTH_MAX][SVG_NAME_MAX]; /* the elements open, outermost first */
    int depth;
    svg_name *ids; /* the ids kept so far (gnuplot's multiplot repeats some) */
    size_t id_count, id_room;
    int out_of_memory;
} svg_copy;

static int is_name_byte(unsigned char byte)
{
    return is_ascii_alnum(byte) || byte == ':' || byte == '-' || byte == '_' || byte == '.';
}

static int is_space(unsigned char byte)
{
    return byte == ' ' || byte == '\t' || byte == '\n' || byte == '\r' || byte == '\f';
}

static int name_is(svg_name name, const char *word)
{
    return name.length == strlen(word) && strncasecmp(name.text, word, name.length) == 0;
}

static int is_drawing_element(svg_name name)
{
    for (size_t index = 0; index < sizeof drawing_elements / sizeof drawing_elements[0]; index++)
        if (name_is(name, drawing_elements[index]))
            return 1;
    return 0;
}

static svg_name read_name(svg_copy *copy)
{
    svg_name name = {copy->at, 0};
    while (copy->at < copy->end && is_name_byte((unsigned char)*copy->at))
        copy->at++, name.length++;
    return name;
}

/* Where text next starts at or after from, or NULL; case-insensitive when told. */
static const char *find(const char *from, const char *end, const char *text, int any_case)
{
    size_t length = strlen(text);
    for (const char *at = from; at + length <= end; at++)
        if (any_case ? strncasecmp(at, text, length) == 0 : memcmp(at, text, length) == 0)
            return at;
    return NULL;
}

/* Moves past the next text, or to the end when there is none. */
static void skip_past(svg_copy *copy, const char *text)
{
    const char *found = find(copy->at, copy->end, text, 0);
    copy->at = found ? found + strlen(text) : copy->end;
}

/* ---- attributes ---- */

typedef struct svg_attribute {
    svg_name name;
    const char *value; /* NULL when the attribute has none */
    size_t value_length;
} svg_attribute;

static void skip_spaces(svg_copy *copy)
{
    while (copy->at < copy->end && is_space((unsigned char)*copy->at))
        copy->at++;
}

/* Reads the next attribute of a tag: 1, or 0 at the tag's end (copy->at on '>' or "/>"). */
static int read_attribute(svg_copy *copy, svg_attribute *attribute)
{
    skip_spaces(copy);
    if (copy->at == copy->end || *copy->at == '>' || (*copy->at == '/' && copy->at + 1 < copy->end && copy->at[1] == '>'))
        return 0;
    attribute->name = (svg_name){copy->at, 0};
    while (copy->at < copy->end && !is_space((unsigned char)*copy->at) && !strchr("=>/", *copy->at))
        copy->at++, attribute->name.length++;
    if (attribute->name.length == 0)
        copy->at++; /* a stray '/' or '=' */
    attribute->value = NULL;
    attribute->value_length = 0;
    const char *after_name = copy->at;
    skip_spaces(copy); /* XML allows them around '=' (gnuplot writes fill = '...') */
    if (copy->at == copy->end || *copy->at != '=') {
        copy->at = after_name;
        return 1;
    }
    copy->at++;
    skip_spaces(copy);
    char quote = copy->at < copy->end && (*copy->at == '"' || *copy->at == '\'') ? *copy->at++ : 0;
    attribute->value = copy->at;
    while (copy->at < copy->end && (quote ? *copy->at != quote : !is_space((unsigned char)*copy->at) && *copy->at != '>'))
        copy->at++;
    attribute->value_length = (size_t)(copy->at - attribute->value);
    if (quote && copy->at < copy->end)
        copy->at++;
    return 1;
}

static int name_valid(svg_name name)
{
    for (size_t index = 0; index < name.length; index++)
        if (!is_name_byte((unsigned char)name.text[index]))
            return 0;
    return name.length > 0;
}

static int value_starts(const svg_attribute *attribute, const char *text)
{
    size_t length = strlen(text);
    return attribute->value_length >= length && strncasecmp(attribute->value, text, length) == 0;
}

/* Does every url( of the value name an element of this chart: url(#id), url('#id'), url("#id")? */
static int urls_stay_in_page(const char *value, size_t length)
{
    const char *end = value + length;
    for (const char *url = find(value, end, "url(", 1); url; url = find(url + 4, end, "url(", 1)) {
        const char *at = url + 4;
        char quote = at < end && (*at == '\'' || *at == '"') ? *at++ : 0;
        if (at == end || *at++ != '#')
            return 0;
        while (at < end && is_name_byte((unsigned char)*at))
            at++;
        if (quote && (at == end || *at++ != quote))
            return 0;
        if (at == end || *at != ')')
            return 0;
    }
    return 1;
}

/* Is the value safe to keep as written: no reference a browser would fetch or run? An entity or a
 * CSS escape could spell one in disguise, so a value holding '&' or '\' is not kept either. */
static int value_keepable(const svg_attribute *attribute)
{
    if (!attribute->value)
        return 1;
    for (size_t index = 0; index < attribute->value_length; index++)
        if (attribute->value[index] == '&' || attribute->value[index] == '\\' || attribute->value[index] == '<')
            return 0;
    return urls_stay_in_page(attribute->value, attribute->value_length);
}

/* Is at just after "url(" or "url(" and a quote? */
static int follows_url(const char *value, const char *at)
{
    if (at > value && (at[-1] == '\'' || at[-1] == '"'))
        at--;
    return at - value >= 4 && strncasecmp(at - 4, "url(", 4) == 0;
}

/* The value for double quotes, with the prefix after every "url(#" (and its quoted forms). */
static void put_value(svg_copy *copy, const char *value, size_t length)
{
    const char *end = value + length;
    for (const char *at = value; at < end; at++) {
        if (*at == '"')
            fputs("&quot;", copy->page);
        else
            fputc(*at, copy->page);
        if (*at == '#' && follows_url(value, at))
            fputs(copy->prefix, copy->page);
    }
}

/* A reference the page may keep: to an element of this chart, or an inline PNG (gnuplot's images). */
static int reference_kept(const svg_attribute *attribute)
{
    return value_starts(attribute, "#") || value_starts(attribute, "data:image/png;base64,");
}

static int name_ends(svg_name name, const char *word)
{
    size_t length = strlen(word);
    return name.length >= length && strncasecmp(name.text + name.length - length, word, length) == 0;
}

/* Is the id new in this chart? An id seen before is left out: a reference meant the first
 * element of that id, as it still does, and an HTML page holds each id once. */
static int id_is_new(svg_copy *copy, const svg_attribute *attribute)
{
    svg_name id = {attribute->value, attribute->value_length};
    for (size_t index = 0; index < copy->id_count; index++)
        if (copy->ids[index].length == id.length && memcmp(copy->ids[index].text, id.text, id.length) == 0)
            return 0;
    if (copy->id_count == copy->id_room) {
        size_t room = copy->id_room ? 2 * copy->id_room : 256;
        svg_name *ids = realloc(copy->ids, room * sizeof *ids);
        if (!ids) {
            copy->out_of_memory = 1;
            return 0;
        }
        copy->ids = ids, copy->id_room = room;
    }
    copy->ids[copy->id_count++] = id;
    return 1;
}

typedef struct root_size {
    svg_attribute width, height;
    int has_view_box;
} root_size;

/* One attribute as the page keeps it, or nothing: event handlers, style (CSS can fetch), a
 * reference outside the chart, a disguised value, and the root's fixed size are left out. */
static void put_attribute(svg_copy *copy, const svg_attribute *attribute, root_size *root)
{
    svg_name name = attribute->name;
    if (!name_valid(name) || (name.length >= 2 && strncasecmp(name.text, "on", 2) == 0) || name_is(name, "style") ||
        !value_keepable(attribute))
        return;
    if (root && (name_is(name, "width") || name_is(name, "height"))) {
        *(name_is(name, "width") ? &root->width : &root->height) = *attribute;
        return;
    }
    if (name_is(name, "id") && (!attribute->value || !id_is_new(copy, attribute)))
        return;
    if (root && name_is(name, "viewBox"))
        root->has_view_box = 1;
    int reference = name_ends(name, "href") || name_is(name, "src");
    if (reference && (!attribute->value || !reference_kept(attribute)))
        return;
    fprintf(copy->page, " %.*s", (int)name.length, name.text);
    if (!attribute->value)
        return;
    int to_element = reference && *attribute->value == '#', skip = to_element ? 1 : 0;
    fprintf(copy->page, "=\"%s%s", to_element ? "#" : "", to_element || name_is(name, "id") ? copy->prefix : "");
    put_value(copy, attribute->value + skip, attribute->value_length - (size_t)skip);
    fputc('"', copy->page);
}

/* A plain number of the root's width or height, for the viewBox it lacks; 0 when not one. */
static double size_figure(const svg_attribute *attribute)
{
    char text[32];
    if (!attribute->value || attribute->value_length == 0 || attribute->value_length >= sizeof text)
        return 0;
    memcpy(text, attribute->value, attribute->value_length);
    text[attribute->value_length] = '\0';
    char *rest;
    double figure = strtod(text, &rest);
    return (*rest == '\0' || strcmp(rest, "px") == 0) && figure > 0 && figure < 1e6 ? figure : 0;
}

/* The root scales with the page: its own viewBox, or one of its fixed size; labelled. */
static void put_root_extras(svg_copy *copy, const root_size *root, const char *label)
{
    double width = size_figure(&root->width), height = size_figure(&root->height);
    if (!root->has_view_box && width > 0 && height > 0)
        fprintf(copy->page, " viewBox=\"0 0 %g %g\"", width, height);
    fputs(" width=\"100%\" role=\"img\" aria-label=\"", copy->page);
    mg_html_put_text(copy->page, label);
    fputc('"', copy->page);
}

/* ---- elements ---- */

/* Moves past an element left out and everything it holds. */
static void skip_element(svg_copy *copy, svg_name name)
{
    svg_attribute attribute;
    while (read_attribute(copy, &attribute))
        ;
    if (copy->at < copy->end && *copy->at == '/') {
        copy->at += 2;
        return;
    }
    for (const char *close = find(copy->at, copy->end, "</", 0); close; close = find(close + 2, copy->end, "</", 0)) {
        if ((size_t)(copy->end - close - 2) >= name.length && strncasecmp(close + 2, name.text, name.length) == 0 &&
            (close + 2 + name.length == copy->end || !is_name_byte((unsigned char)close[2 + name.length]))) {
            copy->at = close + 2;
            skip_past(copy, ">");
            return;
        }
    }
    copy->at = copy->end;
}

/* A start tag, copy->at just after '<' and on its name: 0, or -1 when the elements nest too deep. */
static int copy_start_tag(svg_copy *copy, const char *label)
{
    svg_name name = read_name(copy);
    if (!is_drawing_element(name)) {
        skip_element(copy, name);
        return 0;
    }
    if (copy->depth == SVG_DEPTH_MAX)
        return -1;
    root_size root = {0};
    int is_root = copy->depth == 0;
    fprintf(copy->page, "<%.*s", (int)name.length, name.text);
    svg_attribute attribute;
    while (read_attribute(copy, &attribute))
        put_attribute(copy, &attribute, is_root ? &root : NULL);
    if (is_root)
        put_root_extras(copy, &root, label);
    int empty = copy->at < copy->end && *copy->at == '/';
    copy->at += copy->at == copy->end ? 0 : empty ? 2 : 1;
    fputs(empty ? "/>" : ">", copy->page);
    if (!empty)
        snprintf(copy->open[copy->depth++], SVG_NAME_MAX, "%.*s", (int)name.length, name.text);
    return 0;
}

/* An end tag closes its element and any left open inside it; one of nothing open is dropped. */
static void copy_end_tag(svg_copy *copy)
{
    svg_name name = read_name(copy);
    skip_past(copy, ">");
    int match = copy->depth - 1;
    while (match >= 0 && !name_is(name, copy->open[match]))
        match--;
    while (match >= 0 && copy->depth > match)
        fprintf(copy->page, "</%s>", copy->open[--copy->depth]);
}

/* Character data as text: escaped, since it is not markup. */
static void copy_cdata(svg_copy *copy)
{
    const char *start = copy->at, *close = find(start, copy->end, "]]>", 0);
    const char *stop = close ? close : copy->end;
    for (const char *at = start; at < stop; at++) {
        char byte[2] = {*at, '\0'};
        if (*at == '&' || *at == '<' || *at == '>')
            mg_html_put_text(copy->page, byte);
        else
            fputc(*at, copy->page);
    }
    copy->at = close ? close + 3 : copy->end;
}

/* Copies the root element from copy->at (on its '<'): 0, or -1 when it nests too deep. */
static int copy_root(svg_copy *copy, const char *label)
{
    do {
        const char *tag = memchr(copy->at, '<', (size_t)(copy->end - copy->at));
        const char *text_end = tag ? tag : copy->end;
        fwrite(copy->at, 1, (size_t)(text_end - copy->at), copy->page);
        copy->at = text_end;
        if (!tag)
            break;
        copy->at++;
        if (find(tag, copy->end, "<!--", 0) == tag)
            skip_past(copy, "-->");
        else if (find(tag, copy->end, "<![CDATA[", 0) == tag)
            copy->at = tag + 9, copy_cdata(copy);
        else if (*copy->at == '!' || *copy->at == '?')
            skip_past(copy, ">");
        else if (*copy->at == '/')
            copy->at++, copy_end_tag(copy);
        else if (copy->at < copy->end && is_name_byte((unsigned char)*copy->at)) {
            if (copy_start_tag(copy, label) != 0)
                return -1;
        } else
            fputs("&lt;", copy->page);
    } while (copy->depth > 0 && copy->at < copy->end);
    while (copy->depth > 0)
        fprintf(copy->page, "</%s>", copy->open[--copy->depth]);
    return 0;
}

/* The root element's '<' in text: the first "<svg" followed by a space, '>' or '/'. */
static const char *find_root(const char *text, const char *end)
{
    for (const char *at = find(text, end, "<svg", 1); at; at = find(at + 4, end, "<svg", 1))
        if (at + 4 < end && (is_space((unsigned char)at[4]) || at[4] == '>' || at[4] == '/'))
            return at;
    return NULL;
}

static char *read_whole(const char *path, long *length, char *error, size_t error_size)
{
    FILE *file = fopen(path, "rb");
    if (!file) {
        snprintf(error, error_size, "cannot read the chart '%s': %s", mg_show(path).text, strerror(errno));
        return NULL;
    }
    char *text = NULL;
    const char *why = NULL;
    if (fseek(file, 0, SEEK_END) != 0 || (*length = ftell(file)) < 0 || fseek(file, 0, SEEK_SET) != 0)
        why = strerror(errno);
    else if (*length > SVG_SIZE_MAX)
        why = "larger than any chart";
    else if (!(text = malloc((size_t)*length + 1)))
        why = MG_OUT_OF_MEMORY;
    else if (fread(text, 1, (size_t)*length, file) != (size_t)*length) {
        why = ferror(file) ? strerror(errno) : "it shrank while read";
        free(text);
        text = NULL;
    }
    fclose(file);
    if (why)
        snprintf(error, error_size, "cannot read the chart '%s': %s", mg_show(path).text, why);
    return text;
}

/* Copies the chart's root element into element (a stream of its own): 0, or -1 with the message. */
static int copy_chart(FILE *element, const char *text, long length, const char *path, const char *prefix,
                      const char *label, char *error, size_t error_size)
{
    const char *root = find_root(text, text + length);
    if (!root) {
        snprintf(error, error_size, "the chart '%s' has no <svg> element", mg_show(path).text);
        return -1;
    }
    svg_copy *copy = calloc(1, sizeof *copy);
    if (!copy) {
        snprintf(error, error_size, MG_OUT_OF_MEMORY);
        return -1;
    }
    *copy = (svg_copy){.page = element, .at = root, .end = text + length, .prefix = prefix};
    int status = copy_root(copy, label);
    if (status != 0)
        snprintf(error, error_size, "the chart '%s' nests elements deeper than %d", mg_show(path).text,
                 SVG_DEPTH_MAX);
    else if (copy->out_of_memory)
        snprintf(error, error_size, MG_OUT_OF_MEMORY);
    status = status == 0 && !copy->out_of_memory ? 0 : -1;
    free(copy->ids);
    free(copy);
    return status;
}

int mg_html_put_svg(FILE *page, const char *path, const char *prefix, const char *label, char *error,
                    size_t error_size)
{
    long length = 0;
    char *text = read_whole(path, &length, error, error_size);
    if (!text)
        return -1;
    /* the element goes to the page whole, or nothing of it when the chart is refused */
    char *element = NULL;
    size_t element_length = 0;
    FILE *stream = open_memstream(&element, &element_length);
    int status = -1;
    if (!stream)
        snprintf(error, error_size, MG_OUT_OF_MEMORY);
    else {
        status = copy_chart(stream, text, length, path, prefix, label, error, error_size);
        if (fclose(stream) != 0 && status == 0) {
            snprintf(error, error_size, MG_OUT_OF_MEMORY);
            status = -1;
        }
    }
    if (status == 0)
        fwrite(element, 1, element_length, page);
    free(element);
    free(text);
    return status;
}
