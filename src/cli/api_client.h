/*
 * api_client.h - the CLI's HTTP client of the Greenlight API (libcurl + jansson).
 *
 * Every API command takes the same three options, parsed in its own getopt_long loop by
 * including GL_API_LONG_OPTIONS in its option table and passing each option to
 * gl_api_opts_take: --server URL (else $GREENLIGHT_URL, else http://127.0.0.1:8080),
 * --token TOKEN (else $GREENLIGHT_TOKEN) and --json (print raw responses).
 *
 * Errors are reported here, once: a connection failure or an error answer prints one line
 * on stderr ("greenlight: <title>: <detail> (field: X)") and gl_api_request returns -1, on
 * which the command cleans up and exits 1.
 *
 * Answers are shown through table.h: gl_api_table prints a list of records as a table from
 * a description of its columns, gl_api_view one member of a record as a view line.
 */
#ifndef GL_CLI_API_CLIENT_H
#define GL_CLI_API_CLIENT_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "util/buf.h"

#define GL_API_DEFAULT_URL "http://127.0.0.1:8080"

struct gl_api_opts {
    const char *server; /* borrowed from argv; NULL = environment or default */
    const char *token;  /* borrowed from argv; NULL = environment */
    bool json;          /* print the raw JSON answer instead of a table or view */
};

enum {
    GL_API_OPT_SERVER = 0x1000,
    GL_API_OPT_TOKEN,
    GL_API_OPT_JSON,
};

#define GL_API_LONG_OPTIONS                                                                        \
    {"server", required_argument, NULL, GL_API_OPT_SERVER},                                        \
        {"token", required_argument, NULL, GL_API_OPT_TOKEN},                                      \
    {                                                                                              \
        "json", no_argument, NULL, GL_API_OPT_JSON                                                 \
    }

/* Takes getopt_long's result c when it is one of the common options; returns true then. */
bool gl_api_opts_take(struct gl_api_opts *o, int c, const char *arg);

struct gl_api;

struct gl_api_response {
    long status;
    json_t *body;    /* parsed answer, NULL when it had no body; owned (see release) */
    int64_t version; /* from the ETag header, 0 when there was none */
};

/* Resolves server and token from o and the environment. Returns NULL (message printed)
 * when libcurl cannot be set up. Free with gl_api_free (accepts NULL). */
struct gl_api *gl_api_new(const struct gl_api_opts *o);
void gl_api_free(struct gl_api *api);

/*
 * Sends `method` to `path` (absolute, e.g. "/api/v1/changes?limit=5"). body, when not
 * NULL, is sent as application/json; a POST or PATCH without one sends "{}".
 * extra_header (e.g. "If-Match: \"3\"") may be NULL. Returns 0 with resp filled for a 2xx
 * answer; otherwise prints one line and returns -1 with resp empty. resp must be released
 * with gl_api_response_release either way.
 */
int gl_api_request(struct gl_api *api, const char *method, const char *path, const json_t *body,
                   const char *extra_header, struct gl_api_response *resp);
void gl_api_response_release(struct gl_api_response *resp);
/* One request on a connection of its own (gl_api_new, gl_api_request, gl_api_free): what
 * most commands do. Returns GL_EXIT_OK, or GL_EXIT_FAIL with the reason printed. */
int gl_api_call(const struct gl_api_opts *o, const char *method, const char *path,
                const json_t *body, const char *extra_header, struct gl_api_response *resp);
/* Like gl_api_request for a body that is not JSON (a file upload): sends len bytes of data
 * (NULL: no body) as content_type. With raw, a 2xx answer's body is appended to raw
 * unparsed (an export) and resp->body stays NULL; error answers are reported as always. */
int gl_api_request_raw(struct gl_api *api, const char *method, const char *path,
                       const char *content_type, const char *data, size_t len, struct gl_buf *raw,
                       struct gl_api_response *resp);

/* Appends "?name=value" (or "&..." when path already has a query), value percent-encoded.
 * A NULL value appends nothing. Returns 0 or -1. */
int gl_api_query(struct gl_buf *path, const char *name, const char *value);
/* Appends "/" and the percent-encoded segment. Returns 0 or -1. */
int gl_api_segment(struct gl_buf *path, const char *segment);

/* Prints j indented, with a final newline, on stdout. */
void gl_api_print_json(const json_t *j);

/* Reading answers for display. */

/* obj[key] when it is a string, else NULL. Borrowed from obj. */
const char *gl_api_str(const json_t *obj, const char *key);
/* Appends obj[key] as text: strings as they are, numbers in decimal, booleans as yes/no,
 * arrays joined with ", ", null or absent as nothing. Returns 0 or -1. */
int gl_api_text(struct gl_buf *out, const json_t *obj, const char *key);
/*
 * A list of JSON records as a table (table.h) on stdout, one row per item of the array
 * items, described by its columns: each has a title, the member it shows, and how: by
 * gl_api_text, or by cell(out, item, key) when set (gl_api_cell_time for short times).
 * A cell that renders empty prints "-"; max caps the column's width (0 = none). An empty
 * list prints "(none)".
 */
struct gl_api_col {
    const char *head;
    const char *key;
    void (*cell)(struct gl_buf *out, const json_t *item, const char *key);
    size_t max;
};
void gl_api_table(const json_t *items, const struct gl_api_col *cols, size_t ncols);
#define GL_NCOLS(cols) (sizeof(cols) / sizeof((cols)[0]))
/* A cell of gl_api_table: item[key] through gl_api_short_time. */
void gl_api_cell_time(struct gl_buf *out, const json_t *item, const char *key);

/* Prints obj[key], rendered by gl_api_text, as one "Label:  value" line of a record view
 * on stdout (table.h, gl_view_line). */
void gl_api_view(const json_t *obj, const char *label, const char *key);
/* Shortens an RFC 3339 UTC time for tables: "2026-12-05T22:00:00Z" -> "2026-12-05 22:00".
 * Anything else (NULL included) is copied or left empty. out holds 32 bytes. */
void gl_api_short_time(const char *rfc3339, char out[32]);

#endif
