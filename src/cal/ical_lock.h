/*
 * ical_lock.h - the one lock every libical call in src/cal/ runs under (recur.c owns
 * it): libical's time-zone tables and its temporary-string ring are shared state.
 */
#ifndef GL_CAL_ICAL_LOCK_H
#define GL_CAL_ICAL_LOCK_H

void gl_ical_lock(void);
void gl_ical_unlock(void);

#endif
