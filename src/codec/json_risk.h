/*
 * json_risk.h - risk assessments on the wire and in the store.
 *
 *   {"change": "CHG-000042", "score": 42.5, "level": "moderate", "capped": false,
 *    "policy_version": 3, "assessed_at": "2026-11-25T14:00:00Z",
 *    "factors": [{"factor": "ci_criticality", "points": 16.0, "weight": 20,
 *                 "explanation": "highest criticality of the 2 affected CIs is 4 of 5"}, ...],
 *    "inputs": {"type": "normal", "affected_cis": 2, ..., "schedule": {...}}}
 *
 * The summary kept in a change's rendering is {"score", "level", "policy_version",
 * "assessed_at"}. Inputs and factors are stored as JSON by the store and read back with
 * the parsers here.
 *
 * Ownership: encoders return a new reference. Parsers borrow obj.
 */
#ifndef GL_CODEC_JSON_RISK_H
#define GL_CODEC_JSON_RISK_H

#include <jansson.h>

#include "core/risk.h"

json_t *gl_json_risk_inputs(const struct gl_risk_inputs *in);
int gl_json_risk_inputs_parse(const json_t *obj, struct gl_risk_inputs *out, struct gl_error *err);
json_t *gl_json_risk_factors(const struct gl_risk_assessment *a);
/* Fills a->factors from an array made by gl_json_risk_factors. */
int gl_json_risk_factors_parse(const json_t *arr, struct gl_risk_assessment *a,
                               struct gl_error *err);
json_t *gl_json_risk_summary(const struct gl_risk_assessment *a);
/* The change's wire form and its risk summary, as a store keeps them (core/risk.h). */
const struct gl_change_renderer *gl_json_change_renderer(void);
json_t *gl_json_risk_assessment(const struct gl_risk_assessment *a);

#endif
