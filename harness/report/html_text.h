/*
 * html_text.h — what report.html takes in from outside, made page text: a
 * text of the results (a backend, a corpus path, an allocator, the machine's
 * strings) escaped, a file name as a relative link, and a chart's SVG file
 * as an inline element. Results files and the SVGs beside them are read as
 * hostile: nothing from them becomes markup, script or a request.
 */
#ifndef MG_HTML_TEXT_H
#define MG_HTML_TEXT_H

#include <stddef.h>
#include <stdio.h>

/* text as HTML text or attribute value: & < > " ' as references, control bytes as '?'. */
void mg_html_put_text(FILE *page, const char *text);

/* A relative link's path: bytes other than letters, digits and "-._/" percent-encoded. */
void mg_html_put_link(FILE *page, const char *path);

/* The <svg> element of the SVG file at path, as an element of page: every id, and every
 * reference to one (url(#..), href="#.."), prefixed with prefix so that several charts' ids
 * stay apart, an id the chart repeats kept on its first element only; no script, style or foreignObject element, no on* attribute, no reference
 * outside the page; the root without its fixed size, so it scales with the page, labelled with
 * label. 0, or -1 with a one-line message (unreadable, no <svg> element, nested too deep), nothing
 * written then. */
int mg_html_put_svg(FILE *page, const char *path, const char *prefix, const char *label, char *error,
                    size_t error_size);

#endif
