/*
 * banned.h - functions that must not appear in Greenlight's code.
 *
 * Each of these has an unbounded or stateful failure mode. Use gl_buf (util/buf.h) or
 * snprintf with an explicit size instead. Included last by every translation unit
 * through util/common.h, so a use becomes a compile error.
 */
#ifndef GL_BANNED_H
#define GL_BANNED_H

#define GL_BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) GL_BANNED(strcpy)
#undef strcat
#define strcat(x, y) GL_BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) GL_BANNED(strncpy)
#undef sprintf
#define sprintf(...) GL_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) GL_BANNED(vsprintf)
#undef strtok
#define strtok(x, y) GL_BANNED(strtok)
#undef gets
#define gets(x) GL_BANNED(gets)
#undef gmtime
#define gmtime(x) GL_BANNED(gmtime)
#undef localtime
#define localtime(x) GL_BANNED(localtime)

#endif
