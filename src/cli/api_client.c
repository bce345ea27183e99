/*
 * api_client.c - libcurl requests to the Greenlight API, with problem+json reporting, and
 * the JSON side of the terminal output (records as table cells and view lines, table.h).
 *
 * One curl easy handle per gl_api, reused for every request of a command (keep-alive).
 * Answers are read into a capped gl_buf, so a misbehaving server cannot exhaust memory.
 */
#include "cli/api_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <sodium.h>

#include "cli/cli.h"
#include "cli/table.h"

#include "util/banned.h"

#define ANSWER_MAX (64u << 20)

struct gl_api {
    CURL *curl;
    char *base;  /* without trailing slash */
    char *token; /* NULL when none */
};

/* What one request collects while curl runs. */
struct exchange {
    struct gl_buf body;
    int64_t version;
};

bool gl_api_opts_take(struct gl_api_opts *o, int c, const char *arg)
{
    switch (c) {
    case GL_API_OPT_SERVER:
        o->server = arg;
        return true;
    case GL_API_OPT_TOKEN:
        o->token = arg;
        return true;
    case GL_API_OPT_JSON:
        o->json = true;
        return true;
    default:
        return false;
    }
}

static const char *first_set(const char *a, const char *env)
{
    if (a && *a)
        return a;
    const char *e = getenv(env);
    return e && *e ? e : NULL;
}

struct gl_api *gl_api_new(const struct gl_api_opts *o)
{
    const char *server = first_set(o->server, "GREENLIGHT_URL");
    const char *token = first_set(o->token, "GREENLIGHT_TOKEN");
    if (!server)
        server = GL_API_DEFAULT_URL;

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        gl_cli_fail("libcurl could not be initialised");
        return NULL;
    }
    struct gl_api *api = calloc(1, sizeof *api);
    if (!api)
        goto fail;
    api->curl = curl_easy_init();
    api->base = strdup(server);
    api->token = token ? strdup(token) : NULL;
    if (!api->curl || !api->base || (token && !api->token))
        goto fail;
    size_t n = strlen(api->base);
    while (n > 0 && api->base[n - 1] == '/')
        api->base[--n] = '\0';
    return api;
fail:
    gl_cli_fail("out of memory");
    gl_api_free(api);
    if (!api)
        curl_global_cleanup();
    return NULL;
}

void gl_api_free(struct gl_api *api)
{
    if (!api)
        return;
    if (api->curl)
        curl_easy_cleanup(api->curl);
    free(api->base);
    if (api->token)
        sodium_memzero(api->token, strlen(api->token));
    free(api->token);
    free(api);
    curl_global_cleanup();
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
    struct exchange *ex = ud;
    size_t n = size * nmemb;
    return gl_buf_append(&ex->body, p, n) < 0 ? 0 : n;
}

/* ETag: "N" (or W/"N") carries the record's version. */
static void parse_etag(struct exchange *ex, const char *v, size_t n)
{
    char tmp[32];
    size_t j = 0;
    for (size_t i = 0; i < n && j + 1 < sizeof tmp; i++)
        if (v[i] >= '0' && v[i] <= '9')
            tmp[j++] = v[i];
    tmp[j] = '\0';
    int64_t ver;
    if (j && gl_cli_parse_int(tmp, 1, INT64_MAX, &ver) == 0)
        ex->version = ver;
}

static size_t on_header(char *p, size_t size, size_t nitems, void *ud)
{
    size_t n = size * nitems;
    static const char name[] = "etag:";
    if (n > sizeof name - 1 && !strncasecmp(p, name, sizeof name - 1))
        parse_etag(ud, p + sizeof name - 1, n - (sizeof name - 1));
    return n;
}

static struct curl_slist *build_headers(const struct gl_api *api, const char *extra,
                                        const char *content_type)
{
    struct curl_slist *h = NULL, *next;
    struct gl_buf line = GL_BUF_INIT;
    h = curl_slist_append(h, "Accept: application/json");
    if (h && content_type && gl_buf_printf(&line, "Content-Type: %s", content_type) == 0 &&
        (next = curl_slist_append(h, line.data)))
        h = next;
    gl_buf_reset(&line);
    if (h && api->token && gl_buf_printf(&line, "Authorization: Bearer %s", api->token) == 0 &&
        (next = curl_slist_append(h, line.data)))
        h = next;
    if (h && extra && (next = curl_slist_append(h, extra)))
        h = next;
    if (line.data)
        sodium_memzero(line.data, line.len);
    gl_buf_release(&line);
    return h;
}

static void setup_method(CURL *c, const char *method, const char *payload, size_t len)
{
    if (!strcmp(method, "GET")) {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, NULL);
        return;
    }
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, payload ? payload : "");
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(payload ? len : 0));
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, strcmp(method, "POST") ? method : NULL);
}

/* Prints the one line a failed answer deserves. */
static void report_problem(long status, const json_t *body)
{
    const char *title = json_string_value(json_object_get(body, "title"));
    const char *detail = json_string_value(json_object_get(body, "detail"));
    const char *field = json_string_value(json_object_get(body, "field"));
    struct gl_buf b = GL_BUF_INIT;
    gl_buf_printf(&b, "%s", title ? title : "request failed");
    if (detail && *detail)
        gl_buf_printf(&b, ": %s", detail);
    else if (!title)
        gl_buf_printf(&b, ": HTTP status %ld", status);
    if (field && *field)
        gl_buf_printf(&b, " (field: %s)", field);
    gl_cli_fail("%s", gl_buf_str(&b));
    gl_buf_release(&b);
}

static int perform(struct gl_api *api, const char *method, const char *url, const char *payload,
                   size_t len, struct curl_slist *headers, struct exchange *ex, long *status)
{
    CURL *c = api->curl;
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, ex);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, ex);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "greenlight-cli");
    setup_method(c, method, payload, len);

    CURLcode cc = curl_easy_perform(c);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
    if (cc != CURLE_OK) {
        gl_cli_fail("cannot reach %s: %s", api->base, errbuf[0] ? errbuf : curl_easy_strerror(cc));
        return -1;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    return 0;
}

static int parse_answer(long status, const struct gl_buf *raw, json_t **out)
{
    *out = NULL;
    if (raw->len == 0)
        return 0;
    json_error_t jerr;
    *out = json_loadb(raw->data, raw->len, 0, &jerr);
    if (*out)
        return 0;
    if (status >= 400)
        return 0; /* reported as a plain HTTP failure by the caller */
    gl_cli_fail("the server answered %ld with a body that is not JSON (%s)", status, jerr.text);
    return -1;
}

static char *make_url(const struct gl_api *api, const char *path)
{
    struct gl_buf url = GL_BUF_INIT;
    if (gl_buf_printf(&url, "%s%s", api->base, path) < 0) {
        gl_buf_release(&url);
        return NULL;
    }
    return gl_buf_detach(&url);
}

int gl_api_request(struct gl_api *api, const char *method, const char *path, const json_t *body,
                   const char *extra_header, struct gl_api_response *resp)
{
    struct exchange ex = {.version = 0};
    struct curl_slist *headers = NULL;
    char *payload = NULL, *url = NULL;
    int rc = -1;
    bool sends = strcmp(method, "GET") != 0 && strcmp(method, "DELETE") != 0;

    memset(resp, 0, sizeof *resp);
    gl_buf_init(&ex.body, ANSWER_MAX);
    if (sends)
        payload = body ? json_dumps(body, JSON_COMPACT) : strdup("{}");
    url = make_url(api, path);
    headers = build_headers(api, extra_header, sends ? "application/json" : NULL);
    if ((sends && !payload) || !url || !headers) {
        gl_cli_fail("out of memory");
        goto out;
    }
    if (perform(api, method, url, payload, payload ? strlen(payload) : 0, headers, &ex,
                &resp->status) < 0)
        goto out;
    if (parse_answer(resp->status, &ex.body, &resp->body) < 0)
        goto out;
    if (resp->status >= 300) {
        report_problem(resp->status, resp->body);
        goto out;
    }
    resp->version = ex.version;
    rc = 0;
out:
    if (rc < 0)
        gl_api_response_release(resp);
    curl_slist_free_all(headers);
    free(payload);
    free(url);
    gl_buf_release(&ex.body);
    return rc;
}

int gl_api_request_raw(struct gl_api *api, const char *method, const char *path,
                       const char *content_type, const char *data, size_t len, struct gl_buf *raw,
                       struct gl_api_response *resp)
{
    struct exchange ex = {.version = 0};
    struct curl_slist *headers = NULL;
    char *url = make_url(api, path);
    int rc = -1;
    memset(resp, 0, sizeof *resp);
    gl_buf_init(&ex.body, ANSWER_MAX);
    headers = build_headers(api, NULL, data ? content_type : NULL);
    if (!url || !headers) {
        gl_cli_fail("out of memory");
        goto out;
    }
    if (perform(api, method, url, data, len, headers, &ex, &resp->status) < 0)
        goto out;
    bool pass_raw = raw && resp->status < 300;
    if (!pass_raw && parse_answer(resp->status, &ex.body, &resp->body) < 0)
        goto out;
    if (resp->status >= 300) {
        report_problem(resp->status, resp->body);
        goto out;
    }
    if (pass_raw && ex.body.len && gl_buf_append(raw, ex.body.data, ex.body.len) < 0) {
        gl_cli_fail("out of memory");
        goto out;
    }
    rc = 0;
out:
    if (rc < 0)
        gl_api_response_release(resp);
    curl_slist_free_all(headers);
    free(url);
    gl_buf_release(&ex.body);
    return rc;
}

void gl_api_response_release(struct gl_api_response *resp)
{
    if (!resp)
        return;
    json_decref(resp->body);
    resp->body = NULL;
    resp->status = 0;
    resp->version = 0;
}

static bool unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

static int put_escaped(struct gl_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (unreserved(*p)) {
            if (gl_buf_putc(b, (char)*p) < 0)
                return -1;
            continue;
        }
        char enc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
        if (gl_buf_append(b, enc, sizeof enc) < 0)
            return -1;
    }
    return 0;
}

int gl_api_query(struct gl_buf *path, const char *name, const char *value)
{
    if (!value)
        return 0;
    char sep = strchr(gl_buf_str(path), '?') ? '&' : '?';
    if (gl_buf_putc(path, sep) < 0 || put_escaped(path, name) < 0 || gl_buf_putc(path, '=') < 0)
        return -1;
    return put_escaped(path, value);
}

int gl_api_segment(struct gl_buf *path, const char *segment)
{
    if (gl_buf_putc(path, '/') < 0)
        return -1;
    return put_escaped(path, segment);
}

void gl_api_print_json(const json_t *j)
{
    if (!j) {
        puts("null");
        return;
    }
    json_dumpf(j, stdout, JSON_INDENT(2));
    putchar('\n');
}

const char *gl_api_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static int put_scalar(struct gl_buf *out, const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_STRING:
        return gl_buf_puts(out, json_string_value(v));
    case JSON_INTEGER:
        return gl_buf_printf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    case JSON_REAL:
        return gl_buf_printf(out, "%g", json_real_value(v));
    case JSON_TRUE:
        return gl_buf_puts(out, "yes");
    case JSON_FALSE:
        return gl_buf_puts(out, "no");
    case JSON_NULL:
        return 0;
    default: {
        char *s = json_dumps(v, JSON_COMPACT);
        int rc = s ? gl_buf_puts(out, s) : -1;
        free(s);
        return rc;
    }
    }
}

int gl_api_text(struct gl_buf *out, const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    if (!v)
        return 0;
    if (!json_is_array(v))
        return put_scalar(out, v);
    size_t i;
    const json_t *item;
    json_array_foreach(v, i, item)
    {
        if ((i && gl_buf_puts(out, ", ") < 0) || put_scalar(out, item) < 0)
            return -1;
    }
    return 0;
}

int gl_api_call(const struct gl_api_opts *o, const char *method, const char *path,
                const json_t *body, const char *extra_header, struct gl_api_response *resp)
{
    struct gl_api *api = gl_api_new(o);
    int rc = api && gl_api_request(api, method, path, body, extra_header, resp) == 0 ? GL_EXIT_OK
                                                                                     : GL_EXIT_FAIL;
    gl_api_free(api);
    return rc;
}

void gl_api_view(const json_t *obj, const char *label, const char *key)
{
    struct gl_buf b = GL_BUF_INIT;
    gl_api_text(&b, obj, key);
    gl_view_line(stdout, label, gl_buf_str(&b));
    gl_buf_release(&b);
}

void gl_api_short_time(const char *rfc3339, char out[32])
{
    out[0] = '\0';
    if (!rfc3339)
        return;
    size_t n = strlen(rfc3339);
    if (n == 20 && rfc3339[10] == 'T' && rfc3339[19] == 'Z') {
        snprintf(out, 32, "%.10s %.5s", rfc3339, rfc3339 + 11);
        return;
    }
    snprintf(out, 32, "%s", rfc3339);
}

void gl_api_cell_time(struct gl_buf *out, const json_t *item, const char *key)
{
    char t[32];
    gl_api_short_time(gl_api_str(item, key), t);
    gl_buf_puts(out, t);
}

/* The cells of one row, rendered into bufs; NULL for an empty one (printed "-"). */
static void table_cells(const json_t *item, const struct gl_api_col *cols, size_t ncols,
                        struct gl_buf *bufs, const char **cells)
{
    for (size_t c = 0; c < ncols; c++) {
        gl_buf_reset(&bufs[c]);
        if (cols[c].cell)
            cols[c].cell(&bufs[c], item, cols[c].key);
        else
            gl_api_text(&bufs[c], item, cols[c].key);
        cells[c] = bufs[c].len ? gl_buf_str(&bufs[c]) : NULL;
    }
}

void gl_api_table(const json_t *items, const struct gl_api_col *cols, size_t ncols)
{
    const char **head = calloc(ncols, sizeof *head);
    const char **cells = calloc(ncols, sizeof *cells);
    struct gl_buf *bufs = calloc(ncols, sizeof *bufs);
    struct gl_table *t = NULL;
    if (!head || !cells || !bufs)
        goto out;
    for (size_t c = 0; c < ncols; c++)
        head[c] = cols[c].head;
    if (!(t = gl_table_new(ncols, head)))
        goto out;
    for (size_t c = 0; c < ncols; c++)
        gl_table_set_max(t, c, cols[c].max);
    size_t i;
    const json_t *item;
    json_array_foreach(items, i, item)
    {
        table_cells(item, cols, ncols, bufs, cells);
        gl_table_add_row(t, cells);
    }
    gl_table_print(t, stdout);
out:
    gl_table_free(t);
    for (size_t c = 0; bufs && c < ncols; c++)
        gl_buf_release(&bufs[c]);
    free(bufs);
    free(cells);
    free(head);
}
