/*
 * routes.c - the route table and the matcher (see routes.h).
 */
#include "http/routes.h"

#include "http/handlers.h"

#include <stdlib.h>
#include <string.h>

#include "util/banned.h"

static const struct gl_route routes[] = {
    {"GET", "/healthz", gl_h_health, GL_ROUTE_PUBLIC},

    {"POST", "/api/v1/session", gl_h_session_create, GL_ROUTE_PUBLIC},
    {"GET", "/api/v1/session", gl_h_session_get, 0},
    {"DELETE", "/api/v1/session", gl_h_session_delete, 0},
    {"GET", "/api/v1/tokens", gl_h_tokens_list, 0},
    {"POST", "/api/v1/tokens", gl_h_tokens_create, 0},
    {"DELETE", "/api/v1/tokens/{}", gl_h_token_delete, 0},

    {"GET", "/api/v1/clients", gl_h_clients_list, 0},
    {"POST", "/api/v1/clients", gl_h_clients_create, 0},
    {"GET", "/api/v1/clients/{}", gl_h_client_get, 0},
    {"PATCH", "/api/v1/clients/{}", gl_h_client_patch, 0},
    {"GET", "/api/v1/clients/{}/report", gl_h_client_report, 0},
    {"GET", "/api/v1/clients/{}/report.html", gl_h_client_report, 0},

    {"GET", "/api/v1/cis", gl_h_cis_list, 0},
    {"POST", "/api/v1/cis", gl_h_cis_create, 0},
    {"POST", "/api/v1/cis/import", gl_h_cis_import, GL_ROUTE_BULK},
    {"GET", "/api/v1/cis/export", gl_h_cis_export, 0},
    {"GET", "/api/v1/cis/{}", gl_h_ci_get, 0},
    {"PATCH", "/api/v1/cis/{}", gl_h_ci_patch, 0},
    {"GET", "/api/v1/cis/{}/relations", gl_h_ci_relations_list, 0},
    {"POST", "/api/v1/cis/{}/relations", gl_h_ci_relations_create, 0},
    {"DELETE", "/api/v1/cis/{}/relations/{}/{}", gl_h_ci_relation_delete, 0},
    {"GET", "/api/v1/cis/{}/impact", gl_h_ci_impact, 0},
    {"GET", "/api/v1/what-changed", gl_h_what_changed, 0},

    {"GET", "/api/v1/changes", gl_h_changes_list, 0},
    {"POST", "/api/v1/changes", gl_h_changes_create, 0},
    {"GET", "/api/v1/changes/{}", gl_h_change_get, 0},
    {"PATCH", "/api/v1/changes/{}", gl_h_change_patch, 0},
    {"GET", "/api/v1/changes/{}/timeline", gl_h_change_timeline, 0},
    {"GET", "/api/v1/changes/{}/schedule", gl_h_change_schedule, 0},
    {"GET", "/api/v1/changes/{}/slots", gl_h_change_slots, 0},
    {"GET", "/api/v1/changes/{}/approvals", gl_h_change_approvals, 0},
    {"GET", "/api/v1/changes/{}/risk", gl_h_change_risk, 0},
    {"POST", "/api/v1/changes/{}/documents", gl_h_change_documents_link, 0}, /* before actions */
    {"POST", "/api/v1/changes/{}/{}", gl_h_change_action, 0},

    {"GET", "/api/v1/documents", gl_h_documents_list, 0},
    {"POST", "/api/v1/documents", gl_h_documents_create, 0},
    {"GET", "/api/v1/documents/{}", gl_h_document_get, 0},
    {"PATCH", "/api/v1/documents/{}", gl_h_document_patch, 0},
    {"GET", "/api/v1/documents/{}/versions", gl_h_document_versions, 0},
    {"GET", "/api/v1/documents/{}/versions/{}", gl_h_document_version_get, 0},
    {"GET", "/api/v1/documents/{}/diff", gl_h_document_diff, 0},
    {"POST", "/api/v1/documents/{}/review", gl_h_document_review, 0},

    {"GET", "/api/v1/templates", gl_h_templates_list, 0},
    {"POST", "/api/v1/templates", gl_h_templates_create, 0},
    {"GET", "/api/v1/templates/{}", gl_h_template_get, 0},
    {"PATCH", "/api/v1/templates/{}", gl_h_template_patch, 0},
    {"POST", "/api/v1/templates/{}/reapprove", gl_h_template_reapprove, 0},
    {"GET", "/api/v1/templates/{}/versions", gl_h_template_versions, 0},
    {"GET", "/api/v1/cab/agenda", gl_h_cab_agenda, 0},
    {"GET", "/api/v1/emergency/overdue", gl_h_emergency_overdue, 0},
    {"GET", "/api/v1/metrics/emergency", gl_h_metrics_emergency, 0},

    {"GET", "/api/v1/policy", gl_h_policy_get, 0},
    {"PUT", "/api/v1/policy", gl_h_policy_put, 0},
    {"GET", "/api/v1/policy/versions", gl_h_policy_versions, 0},

    {"GET", "/api/v1/clients/{}/windows", gl_h_windows_list, 0},
    {"POST", "/api/v1/clients/{}/windows", gl_h_windows_create, 0},
    {"GET", "/api/v1/windows/{}", gl_h_window_get, 0},
    {"DELETE", "/api/v1/windows/{}", gl_h_window_delete, 0},
    {"GET", "/api/v1/blackouts", gl_h_blackouts_list, 0},
    {"POST", "/api/v1/blackouts", gl_h_blackouts_create, 0},
    {"GET", "/api/v1/blackouts/{}", gl_h_blackout_get, 0},
    {"DELETE", "/api/v1/blackouts/{}", gl_h_blackout_delete, 0},
    {"GET", "/api/v1/calendar", gl_h_calendar, 0},
    {"GET", "/api/v1/calendar/feeds", gl_h_feeds_list, 0},
    {"POST", "/api/v1/calendar/feeds", gl_h_feeds_create, 0},
    {"DELETE", "/api/v1/calendar/feeds/{}", gl_h_feed_delete, 0},
    /* iCalendar feeds: authenticated by their own ?token= (h_calendar_feed.c). */
    {"GET", "/calendar/users/{}", gl_h_feed_user, GL_ROUTE_PUBLIC},
    {"GET", "/calendar/{}", gl_h_feed_client, GL_ROUTE_PUBLIC},

    {"GET", "/api/v1/audit/verify", gl_h_audit_verify, 0},
    {"GET", "/api/v1/audit/export", gl_h_audit_export, 0},
};

/* Matches path against pattern segment by segment; on success stores the "{}" segments
 * in caps (borrowed pointers into path are not kept: segments are copied). */
static bool pattern_match(const char *pattern, const char *path, char **caps, size_t *ncaps)
{
    size_t n = 0;
    while (*pattern && *path) {
        if (*pattern != '/' || *path != '/')
            goto fail;
        pattern++;
        path++;
        const char *seg_end = strchr(path, '/');
        size_t seg_len = seg_end ? (size_t)(seg_end - path) : strlen(path);
        if (strncmp(pattern, "{}", 2) == 0 && (pattern[2] == '/' || pattern[2] == '\0')) {
            if (seg_len == 0 || n == GL_ROUTE_MAX_CAPTURES)
                goto fail;
            caps[n++] = strndup(path, seg_len);
            pattern += 2;
        } else {
            const char *pat_end = strchr(pattern, '/');
            size_t pat_len = pat_end ? (size_t)(pat_end - pattern) : strlen(pattern);
            if (pat_len != seg_len || memcmp(pattern, path, seg_len) != 0)
                goto fail;
            pattern += pat_len;
        }
        path += seg_len;
    }
    if (*pattern == '\0' && *path == '\0') {
        *ncaps = n;
        return true;
    }
fail:
    while (n)
        free(caps[--n]);
    return false;
}

const struct gl_route *gl_route_match(struct gl_request *req, unsigned *status, char *allow,
                                      size_t allow_size)
{
    struct gl_buf methods;
    gl_buf_init(&methods, allow_size - 1);
    *status = 404;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        char *caps[GL_ROUTE_MAX_CAPTURES];
        size_t ncaps = 0;
        if (!pattern_match(routes[i].pattern, req->path, caps, &ncaps))
            continue;
        if (strcmp(routes[i].method, req->method) == 0) {
            memcpy(req->captures, caps, ncaps * sizeof caps[0]);
            req->ncaptures = ncaps;
            gl_buf_release(&methods);
            return &routes[i];
        }
        while (ncaps)
            free(caps[--ncaps]);
        *status = 405;
        if (methods.len)
            gl_buf_puts(&methods, ", ");
        gl_buf_puts(&methods, routes[i].method);
    }
    memcpy(allow, gl_buf_str(&methods), methods.len + 1);
    gl_buf_release(&methods);
    return NULL;
}

size_t gl_route_body_max(const char *method, const char *path, size_t dflt)
{
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        char *caps[GL_ROUTE_MAX_CAPTURES];
        size_t ncaps = 0;
        if (strcmp(routes[i].method, method) != 0 ||
            !pattern_match(routes[i].pattern, path, caps, &ncaps))
            continue;
        while (ncaps)
            free(caps[--ncaps]);
        return (routes[i].flags & GL_ROUTE_BULK) && dflt < GL_BULK_BODY_MAX ? GL_BULK_BODY_MAX
                                                                            : dflt;
    }
    return dflt;
}
