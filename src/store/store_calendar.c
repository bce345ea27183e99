/*
 * store_calendar.c - releasing the calendar's lists (store.h); backend-independent.
 * Every release accepts NULL and leaves the list empty.
 */
#include "store/store.h"

#include <stdlib.h>

#include "util/banned.h"

void gl_cal_window_list_release(struct gl_cal_window_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->len; i++)
        gl_cal_window_release(&l->items[i]);
    free(l->items);
    *l = (struct gl_cal_window_list){0};
}

void gl_cal_blackout_list_release(struct gl_cal_blackout_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->len; i++)
        gl_cal_blackout_release(&l->items[i]);
    free(l->items);
    *l = (struct gl_cal_blackout_list){0};
}

void gl_cal_change_list_release(struct gl_cal_change_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->len; i++) {
        free(l->items[i].client_key);
        free(l->items[i].title);
        free(l->items[i].schedule_flags);
    }
    free(l->items);
    *l = (struct gl_cal_change_list){0};
}

void gl_feed_token_list_release(struct gl_feed_token_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->len; i++)
        free(l->items[i].client_key);
    free(l->items);
    *l = (struct gl_feed_token_list){0};
}
