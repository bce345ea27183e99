/*
 * demo.h - the demo data set: a small, realistic MSP with three clients, their CIs (with
 * attributes and a relationship graph over shared storage and backup), maintenance
 * windows and blackouts, versioned documents, and a dozen changes spread over every type
 * and most states, the open ones risk-assessed.
 *
 * Everything is written through the store (audit actor "demo"), and every change reaches
 * its state by applying the lifecycle step by step from draft, so records and timelines
 * are exactly what real use would have produced. Times are relative to `now`.
 */
#ifndef GL_CLI_DEMO_H
#define GL_CLI_DEMO_H

#include <stdint.h>

#include "core/error.h"
#include "store/store.h"

/* Loads the data set into st. Returns 0 or the gl_errcode of the first failing write
 * (err says which record); the caller decides whether the database is empty enough. */
int gl_demo_load(struct gl_store *st, int64_t now, struct gl_error *err);

#endif
