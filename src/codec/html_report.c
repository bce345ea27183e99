/*
 * html_report.c - the client report as one printable HTML page (see json_report.h).
 *
 * The page is rendered from the report's JSON and is self-contained: inline CSS (with
 * print rules: A4 margins, no page break inside a change), no scripts, no external
 * resources. Every string that comes from the report — titles, notes, names, comments,
 * even values the API generates — goes through gl_html_escape, so no stored text can
 * become markup.
 */
#include "codec/json_report.h"

#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

static const char css[] =
    "body{font:11pt/1.4 system-ui,-apple-system,'Segoe UI',sans-serif;color:#111;margin:2em}"
    "h1{font-size:18pt;margin:0 0 .2em}h2{font-size:14pt;border-bottom:1px solid #999;"
    "margin-top:1.5em}h3{font-size:12pt;margin:0 0 .4em}"
    ".meta{color:#444}table{border-collapse:collapse;margin:.4em 0}"
    "th,td{border:1px solid #bbb;padding:.2em .5em;text-align:left;vertical-align:top}"
    "th{background:#f0f0f0}.change{border:1px solid #ccc;padding:.6em .8em;margin:.8em 0}"
    ".notes{white-space:pre-wrap}.none{color:#777}"
    "@media print{body{margin:0}.change{break-inside:avoid;page-break-inside:avoid}"
    "@page{size:A4;margin:15mm}}";

int gl_html_escape(struct gl_buf *out, const char *s)
{
    if (!s)
        return 0;
    for (; *s; s++) {
        const char *rep = NULL;
        switch (*s) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default: break;
        }
        if (rep ? gl_buf_puts(out, rep) : gl_buf_putc(out, *s))
            return -1;
    }
    return 0;
}

/* A member's text: strings as they are, numbers and booleans as JSON, null as a dash. */
static int put_value(struct gl_buf *out, const json_t *v)
{
    if (!v || json_is_null(v))
        return gl_buf_puts(out, "<span class=\"none\">&#8212;</span>");
    if (json_is_string(v))
        return gl_html_escape(out, json_string_value(v));
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
    int rc = text ? gl_html_escape(out, text) : -1;
    free(text);
    return rc;
}

static int put_member(struct gl_buf *out, const json_t *obj, const char *name)
{
    return put_value(out, json_object_get(obj, name));
}

/* <tr><th>label</th><td>value</td></tr> */
static int row(struct gl_buf *out, const char *label, const json_t *v)
{
    if (gl_buf_puts(out, "<tr><th>") || gl_html_escape(out, label) ||
        gl_buf_puts(out, "</th><td>") || put_value(out, v) || gl_buf_puts(out, "</td></tr>"))
        return -1;
    return 0;
}

static int percent_row(struct gl_buf *out, const char *label, const json_t *v)
{
    if (!json_is_number(v))
        return row(out, label, NULL);
    return gl_buf_printf(out, "<tr><th>%s</th><td>%.1f%%</td></tr>", label,
                         json_number_value(v) * 100.0);
}

static int put_counts(struct gl_buf *out, const json_t *obj)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        if (row(out, key, v))
            return -1;
    }
    return 0;
}

static int put_summary(struct gl_buf *out, const json_t *s)
{
    if (gl_buf_puts(out, "<h2>Summary</h2><table class=\"summary\">") ||
        row(out, "Changes", json_object_get(s, "changes")) ||
        gl_buf_puts(out, "<tr><th colspan=\"2\">By type</th></tr>") ||
        put_counts(out, json_object_get(s, "by_type")) ||
        gl_buf_puts(out, "<tr><th colspan=\"2\">By outcome</th></tr>") ||
        put_counts(out, json_object_get(s, "by_outcome")) ||
        percent_row(out, "Emergency ratio", json_object_get(s, "emergency_ratio")) ||
        percent_row(out, "Success rate", json_object_get(s, "success_rate")) ||
        gl_buf_puts(out, "</table>"))
        return -1;
    return 0;
}

/* The risk object in short: level and score when it has them, else its JSON. */
static int put_risk(struct gl_buf *out, const json_t *risk)
{
    const json_t *level = json_object_get(risk, "level"), *score = json_object_get(risk, "score");
    if (!json_is_object(risk) || (!level && !score))
        return put_value(out, risk);
    if (put_value(out, level) || gl_buf_puts(out, " (score ") || put_value(out, score) ||
        gl_buf_puts(out, ")"))
        return -1;
    return 0;
}

static int put_approvals(struct gl_buf *out, const json_t *list)
{
    size_t i;
    json_t *a;
    if (!json_array_size(list))
        return gl_buf_puts(out, "<p class=\"none\">No approval decisions recorded.</p>");
    if (gl_buf_puts(out, "<table class=\"approvals\"><tr><th>Decision</th><th>By</th>"
                         "<th>At</th><th>Comment</th></tr>"))
        return -1;
    json_array_foreach(list, i, a)
    {
        if (gl_buf_puts(out, "<tr><td>") || put_member(out, a, "decision") ||
            gl_buf_puts(out, "</td><td>") || put_member(out, a, "actor") ||
            gl_buf_puts(out, "</td><td>") || put_member(out, a, "at") ||
            gl_buf_puts(out, "</td><td class=\"notes\">") || put_member(out, a, "comment") ||
            gl_buf_puts(out, "</td></tr>"))
            return -1;
    }
    return gl_buf_puts(out, "</table>");
}

static int put_documents(struct gl_buf *out, const json_t *list)
{
    size_t i;
    json_t *d;
    if (!json_array_size(list))
        return gl_buf_puts(out, "<p class=\"none\">No documentation linked.</p>");
    if (gl_buf_puts(out, "<table class=\"documents\"><tr><th>Document</th><th>Title</th>"
                         "<th>Versions</th></tr>"))
        return -1;
    json_array_foreach(list, i, d)
    {
        if (gl_buf_puts(out, "<tr><td>") || put_member(out, d, "document") ||
            gl_buf_puts(out, "</td><td>") || put_member(out, d, "title") ||
            gl_buf_puts(out, "</td><td>"))
            return -1;
        int rc = json_is_true(json_object_get(d, "no_doc_affected"))
                     ? gl_buf_puts(out, "no documentation affected")
                     : (put_member(out, d, "base_version") || gl_buf_puts(out, " &#8594; ") ||
                        put_member(out, d, "result_version"));
        if (rc || gl_buf_puts(out, "</td></tr>"))
            return -1;
    }
    return gl_buf_puts(out, "</table>");
}

static int put_change(struct gl_buf *out, const json_t *c)
{
    if (gl_buf_puts(out, "<section class=\"change\"><h3>") || put_member(out, c, "id") ||
        gl_buf_puts(out, " &#8212; ") || put_member(out, c, "title") ||
        gl_buf_puts(out, "</h3><table class=\"facts\">") ||
        row(out, "Type", json_object_get(c, "type")) ||
        row(out, "State", json_object_get(c, "state")) ||
        row(out, "Planned start", json_object_get(c, "planned_start")) ||
        row(out, "Planned end", json_object_get(c, "planned_end")) ||
        row(out, "Actual start", json_object_get(c, "actual_start")) ||
        row(out, "Actual end", json_object_get(c, "actual_end")) ||
        row(out, "Outcome", json_object_get(c, "outcome")) ||
        gl_buf_puts(out, "<tr><th>Outcome notes</th><td class=\"notes\">") ||
        put_member(out, c, "outcome_notes") || gl_buf_puts(out, "</td></tr><tr><th>Risk</th><td>") ||
        put_risk(out, json_object_get(c, "risk")) || gl_buf_puts(out, "</td></tr></table>") ||
        gl_buf_puts(out, "<h4>Approvals</h4>") ||
        put_approvals(out, json_object_get(c, "approvals")) ||
        gl_buf_puts(out, "<h4>Documentation</h4>") ||
        put_documents(out, json_object_get(c, "documents")) || gl_buf_puts(out, "</section>"))
        return -1;
    return 0;
}

static int put_page(struct gl_buf *out, const json_t *r)
{
    const json_t *client = json_object_get(r, "client"), *changes = json_object_get(r, "changes");
    size_t i;
    json_t *c;
    if (gl_buf_puts(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                         "<meta name=\"viewport\" content=\"width=device-width\"><title>"
                         "Change report: ") ||
        put_member(out, client, "name") || gl_buf_puts(out, "</title><style>") ||
        gl_buf_puts(out, css) || gl_buf_puts(out, "</style></head><body><h1>Change report: ") ||
        put_member(out, client, "name") || gl_buf_puts(out, "</h1><p class=\"meta\">Client ") ||
        put_member(out, client, "key") || gl_buf_puts(out, " &#183; from ") ||
        put_member(out, r, "from") || gl_buf_puts(out, " to ") || put_member(out, r, "to") ||
        gl_buf_puts(out, " (UTC, end excluded) &#183; generated ") ||
        put_member(out, r, "generated_at") || gl_buf_puts(out, "</p>") ||
        put_summary(out, json_object_get(r, "summary")) || gl_buf_puts(out, "<h2>Changes</h2>"))
        return -1;
    if (!json_array_size(changes) &&
        gl_buf_puts(out, "<p class=\"none\">No changes in this period.</p>"))
        return -1;
    json_array_foreach(changes, i, c)
    {
        if (put_change(out, c))
            return -1;
    }
    return gl_buf_puts(out, "</body></html>\n");
}

char *gl_html_report(const json_t *report, size_t *len)
{
    struct gl_buf out = GL_BUF_INIT;
    if (put_page(&out, report)) {
        gl_buf_release(&out);
        return NULL;
    }
    *len = out.len;
    return gl_buf_detach(&out);
}
