/*
 * ics.c - iCalendar feeds through libical (see ics.h).
 *
 * Invariant: every libical call runs under gl_ical_lock; text handed back is a plain
 * malloc'd copy, never a libical ring buffer.
 */
#include "cal/ics.h"

#include <stdlib.h>
#include <string.h>

#include <libical/ical.h>

#include "cal/ical_lock.h"

#include "util/banned.h"

static struct icaltimetype utc(int64_t t)
{
    return icaltime_from_timet_with_zone((time_t)t, 0, icaltimezone_get_utc_timezone());
}

static icalproperty_status status_of(const char *s)
{
    if (!s)
        return ICAL_STATUS_NONE;
    if (strcmp(s, "TENTATIVE") == 0)
        return ICAL_STATUS_TENTATIVE;
    if (strcmp(s, "CANCELLED") == 0)
        return ICAL_STATUS_CANCELLED;
    return ICAL_STATUS_CONFIRMED;
}

static icalcomponent *event(const struct gl_ics_event *e, int64_t dtstamp)
{
    icalcomponent *v = icalcomponent_new_vevent();
    icalcomponent_add_property(v, icalproperty_new_uid(e->uid));
    icalcomponent_add_property(v, icalproperty_new_dtstamp(utc(dtstamp)));
    icalcomponent_add_property(v, icalproperty_new_dtstart(utc(e->start)));
    icalcomponent_add_property(v, icalproperty_new_dtend(utc(e->end)));
    icalcomponent_add_property(v, icalproperty_new_summary(e->summary ? e->summary : ""));
    icalcomponent_add_property(v, icalproperty_new_sequence((int)e->sequence));
    if (e->description)
        icalcomponent_add_property(v, icalproperty_new_description(e->description));
    if (e->categories)
        icalcomponent_add_property(v, icalproperty_new_categories(e->categories));
    if (e->status)
        icalcomponent_add_property(v, icalproperty_new_status(status_of(e->status)));
    icalcomponent_add_property(
        v, icalproperty_new_transp(e->transparent ? ICAL_TRANSP_TRANSPARENT : ICAL_TRANSP_OPAQUE));
    return v;
}

char *gl_ics_render(const char *name, const struct gl_ics_event *ev, size_t n, int64_t dtstamp)
{
    gl_ical_lock();
    icalcomponent *cal = icalcomponent_new_vcalendar();
    icalcomponent_add_property(cal, icalproperty_new_prodid("-//Greenlight//Change calendar//EN"));
    icalcomponent_add_property(cal, icalproperty_new_version("2.0"));
    icalcomponent_add_property(cal, icalproperty_new_calscale("GREGORIAN"));
    icalcomponent_add_property(cal, icalproperty_new_method(ICAL_METHOD_PUBLISH));
    icalproperty *x = icalproperty_new_x(name ? name : "Greenlight");
    icalproperty_set_x_name(x, "X-WR-CALNAME");
    icalcomponent_add_property(cal, x);
    for (size_t i = 0; i < n; i++)
        icalcomponent_add_component(cal, event(&ev[i], dtstamp));
    char *text = icalcomponent_as_ical_string_r(cal); /* caller-owned, malloc'd by libical */
    icalcomponent_free(cal);
    gl_ical_unlock();
    if (!text)
        return NULL;
    char *copy = strdup(text);
    free(text);
    return copy;
}

static bool has(icalcomponent *c, icalproperty_kind k)
{
    return icalcomponent_get_first_property(c, k) != NULL;
}

int gl_ics_check(const char *text, size_t *nevents)
{
    gl_ical_lock();
    icalcomponent *cal = icalparser_parse_string(text);
    int rc = cal && icalcomponent_isa(cal) == ICAL_VCALENDAR_COMPONENT ? 0 : -1;
    size_t n = 0;
    if (!rc && icalcomponent_count_errors(cal) > 0)
        rc = -1;
    if (!rc && (!has(cal, ICAL_VERSION_PROPERTY) || !has(cal, ICAL_PRODID_PROPERTY)))
        rc = -1;
    for (icalcomponent *e = rc ? NULL : icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
         e; e = icalcomponent_get_next_component(cal, ICAL_VEVENT_COMPONENT)) {
        n++;
        if (!has(e, ICAL_UID_PROPERTY) || !has(e, ICAL_DTSTAMP_PROPERTY) ||
            !has(e, ICAL_DTSTART_PROPERTY))
            rc = -1;
    }
    if (cal)
        icalcomponent_free(cal);
    gl_ical_unlock();
    if (nevents)
        *nevents = n;
    return rc;
}
