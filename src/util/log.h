/*
 * log.h - the one logging API of vireo.
 *
 * Every file defines LOG_TAG before including this header; messages carry
 * the tag so a log line says which part of vireo wrote it.  Output goes to
 * stderr until log_open_file() names a log file (vireo-headless uses
 * <machine folder>/Logs/vireo.log); log_set_stderr() keeps a copy on stderr.
 */
#ifndef VIREO_UTIL_LOG_H
#define VIREO_UTIL_LOG_H

#include <stdarg.h>
#include <stddef.h>

enum log_level {
	LOG_LEVEL_ERR = 0,
	LOG_LEVEL_WARN = 1,
	LOG_LEVEL_INFO = 2,
	LOG_LEVEL_DEBUG = 3,
};

#ifndef LOG_TAG
#define LOG_TAG "vireo"
#endif

#define VIREO_PRINTF(a, b) __attribute__((format(printf, a, b)))

void log_msg(enum log_level level, const char *tag, const char *fmt, ...)
    VIREO_PRINTF(3, 4);
void log_vmsg(enum log_level level, const char *tag, const char *fmt,
	      va_list ap) VIREO_PRINTF(3, 0);

/** Messages above @level are dropped.  Default: LOG_LEVEL_INFO, or the
 * value of the environment variable VIREO_LOG_LEVEL (err|warn|info|debug). */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/** Parse "err", "warn", "info", "debug"; @return 0 or -EINVAL. */
int log_parse_level(const char *name, enum log_level *out);

/** Append log lines to @path (created 0600 with its directory).
 * @return 0 or a negative errno. */
int log_open_file(const char *path);
void log_close_file(void);
/** The open log file's descriptor, or -1: a helper process started with
 * it as its stderr writes its diagnostics into the same log. */
int log_file_fd(void);
/** Whether lines also go to stderr once a file is open (default: no). */
void log_set_stderr(int on);

/** Copy @s into @out (@size bytes) for quoting inside a log line: a
 * backslash and both quote marks get a backslash, control characters
 * become a backslash, 'x' and two hex digits, and a
 * string too long ends in "...".  For every string a peer supplied (user,
 * domain, client name).  @return @out. */
const char *log_escape(char *out, size_t size, const char *s);

#define log_err(...)   log_msg(LOG_LEVEL_ERR, LOG_TAG, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LEVEL_WARN, LOG_TAG, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LEVEL_INFO, LOG_TAG, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, LOG_TAG, __VA_ARGS__)

#endif /* VIREO_UTIL_LOG_H */
