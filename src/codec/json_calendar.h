/*
 * json_calendar.h - the wire form of the change calendar: windows, blackouts, feed
 * tokens, calendar changes and the explained findings of a schedule check.
 *
 * Ownership: encoders return a new reference (json_decref it) or, for *_dump, a malloc'd
 * string (NULL when encoding fails).
 */
#ifndef GL_CODEC_JSON_CALENDAR_H
#define GL_CODEC_JSON_CALENDAR_H

#include <jansson.h>

#include "core/calendar.h"

json_t *gl_json_cal_window(const struct gl_cal_window *w);
char *gl_json_cal_window_dump(const struct gl_cal_window *w);
json_t *gl_json_cal_blackout(const struct gl_cal_blackout *b);
char *gl_json_cal_blackout_dump(const struct gl_cal_blackout *b);
json_t *gl_json_cal_change(const struct gl_cal_change *c);
json_t *gl_json_feed_token(const struct gl_feed_token *t);
/* {"planned": ..., "in_blackout": ..., "blackouts": [...], "conflicts": [...], ...}. */
json_t *gl_json_cal_check(const struct gl_cal_check *k);
/* The findings alone as an array of {"kind", "detail", ...}: what the audit keeps. */
json_t *gl_json_cal_findings(const struct gl_cal_check *k);
/* "blackout_override,outside_window,..." for k (malloc'd; "" when nothing to flag).
 * emergency_override: k has blackouts and the change went ahead as an emergency. */
char *gl_cal_flags(const struct gl_cal_check *k, bool emergency_override);

#endif
