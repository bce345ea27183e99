/*
 * handlers.h - every handler the route table (routes.c) dispatches to, grouped by
 * resource. A handler parses the request, calls the service layer (app/) or reads the
 * store, and answers; what handlers share is in handler_util.h.
 */
#ifndef GL_HTTP_HANDLERS_H
#define GL_HTTP_HANDLERS_H

#include "http/request.h"

int gl_h_health(struct gl_request *req, struct gl_response *res);
int gl_h_clients_list(struct gl_request *req, struct gl_response *res);
int gl_h_clients_create(struct gl_request *req, struct gl_response *res);
int gl_h_client_get(struct gl_request *req, struct gl_response *res);
int gl_h_client_patch(struct gl_request *req, struct gl_response *res);
int gl_h_client_report(struct gl_request *req, struct gl_response *res);
int gl_h_cis_list(struct gl_request *req, struct gl_response *res);
int gl_h_cis_create(struct gl_request *req, struct gl_response *res);
int gl_h_ci_get(struct gl_request *req, struct gl_response *res);
int gl_h_ci_patch(struct gl_request *req, struct gl_response *res);
int gl_h_ci_relations_list(struct gl_request *req, struct gl_response *res);
int gl_h_ci_relations_create(struct gl_request *req, struct gl_response *res);
int gl_h_ci_relation_delete(struct gl_request *req, struct gl_response *res);
int gl_h_ci_impact(struct gl_request *req, struct gl_response *res);
int gl_h_what_changed(struct gl_request *req, struct gl_response *res);
int gl_h_cis_import(struct gl_request *req, struct gl_response *res);
int gl_h_cis_export(struct gl_request *req, struct gl_response *res);
int gl_h_changes_list(struct gl_request *req, struct gl_response *res);
int gl_h_changes_create(struct gl_request *req, struct gl_response *res);
int gl_h_change_get(struct gl_request *req, struct gl_response *res);
int gl_h_change_patch(struct gl_request *req, struct gl_response *res);
int gl_h_change_action(struct gl_request *req, struct gl_response *res);
int gl_h_change_timeline(struct gl_request *req, struct gl_response *res);
int gl_h_audit_verify(struct gl_request *req, struct gl_response *res);
int gl_h_audit_export(struct gl_request *req, struct gl_response *res);
int gl_h_session_create(struct gl_request *req, struct gl_response *res);
int gl_h_session_get(struct gl_request *req, struct gl_response *res);
int gl_h_session_delete(struct gl_request *req, struct gl_response *res);
int gl_h_tokens_list(struct gl_request *req, struct gl_response *res);
int gl_h_tokens_create(struct gl_request *req, struct gl_response *res);
int gl_h_token_delete(struct gl_request *req, struct gl_response *res);
int gl_h_documents_list(struct gl_request *req, struct gl_response *res);
int gl_h_documents_create(struct gl_request *req, struct gl_response *res);
int gl_h_document_get(struct gl_request *req, struct gl_response *res);
int gl_h_document_patch(struct gl_request *req, struct gl_response *res);
int gl_h_document_versions(struct gl_request *req, struct gl_response *res);
int gl_h_document_version_get(struct gl_request *req, struct gl_response *res);
int gl_h_document_diff(struct gl_request *req, struct gl_response *res);
int gl_h_document_review(struct gl_request *req, struct gl_response *res);
int gl_h_change_documents_link(struct gl_request *req, struct gl_response *res);
/* The change calendar (h_calendar.c, h_calendar_sched.c, h_calendar_feed.c). */
int gl_h_windows_list(struct gl_request *req, struct gl_response *res);
int gl_h_windows_create(struct gl_request *req, struct gl_response *res);
int gl_h_window_get(struct gl_request *req, struct gl_response *res);
int gl_h_window_delete(struct gl_request *req, struct gl_response *res);
int gl_h_blackouts_list(struct gl_request *req, struct gl_response *res);
int gl_h_blackouts_create(struct gl_request *req, struct gl_response *res);
int gl_h_blackout_get(struct gl_request *req, struct gl_response *res);
int gl_h_blackout_delete(struct gl_request *req, struct gl_response *res);
int gl_h_calendar(struct gl_request *req, struct gl_response *res);
int gl_h_change_schedule(struct gl_request *req, struct gl_response *res);
int gl_h_change_slots(struct gl_request *req, struct gl_response *res);
int gl_h_feeds_list(struct gl_request *req, struct gl_response *res);
int gl_h_feeds_create(struct gl_request *req, struct gl_response *res);
int gl_h_feed_delete(struct gl_request *req, struct gl_response *res);
int gl_h_feed_client(struct gl_request *req, struct gl_response *res);
int gl_h_feed_user(struct gl_request *req, struct gl_response *res);

/* Approvals, templates, CAB, metrics (h_approvals.c, h_templates.c, h_cab.c, h_metrics.c). */
int gl_h_change_approvals(struct gl_request *req, struct gl_response *res);
int gl_h_changes_overdue(struct gl_request *req, struct gl_response *res);
int gl_h_emergency_overdue(struct gl_request *req, struct gl_response *res);
int gl_h_templates_list(struct gl_request *req, struct gl_response *res);
int gl_h_templates_create(struct gl_request *req, struct gl_response *res);
int gl_h_template_get(struct gl_request *req, struct gl_response *res);
int gl_h_template_patch(struct gl_request *req, struct gl_response *res);
int gl_h_template_reapprove(struct gl_request *req, struct gl_response *res);
int gl_h_template_versions(struct gl_request *req, struct gl_response *res);
int gl_h_cab_agenda(struct gl_request *req, struct gl_response *res);
int gl_h_metrics_emergency(struct gl_request *req, struct gl_response *res);
/* Risk and policy (h_risk.c, h_policy.c). */
int gl_h_change_risk(struct gl_request *req, struct gl_response *res);
int gl_h_policy_get(struct gl_request *req, struct gl_response *res);
int gl_h_policy_put(struct gl_request *req, struct gl_response *res);
int gl_h_policy_versions(struct gl_request *req, struct gl_response *res);

#endif
