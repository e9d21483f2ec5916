/* program.c — what the generated module declares, and the command line that fills it in.
 *
 * dsc_gen_describe records the name, the batch interval and the parameters; rt_parse_args then
 * reads argv: parameters positionally in declaration order or as --NAME VALUE / --NAME=VALUE,
 * and the runtime's own options (which take precedence over a parameter of the same name).  The
 * parser only reports (a message in a buffer, a result code); printing and exiting are rt_main's,
 * so every rule here is unit-tested.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_internal.h"

void rt_program_init(dsc_rt_program *prog) {
  memset(prog, 0, sizeof *prog);
  prog->name = "dsc-program";
  prog->interval_ms = 1000;
}

void rt_program_free(dsc_rt_program *prog) {
  free(prog->params);
  prog->params = NULL;
  prog->nparams = prog->pcap = 0;
}

void dsc_rt_program_name(dsc_rt_program *prog, const char *name) { prog->name = name; }

void dsc_rt_program_batch(dsc_rt_program *prog, int64_t interval_ms) {
  if (interval_ms > 0) prog->interval_ms = interval_ms;
}

int32_t dsc_rt_program_param(dsc_rt_program *prog, const char *name, int32_t type,
                             const char *default_text) {
  if (prog->nparams == prog->pcap) {
    prog->pcap = prog->pcap ? prog->pcap * 2 : 8;
    prog->params = rt_xrealloc(prog->params, sizeof(rt_param) * (size_t)prog->pcap);
  }
  rt_param *p = &prog->params[prog->nparams];
  memset(p, 0, sizeof *p);
  p->name = name, p->type = type, p->default_text = default_text;
  return prog->nparams++;
}

/* ---- values ---- */

static int parse_i64(const char *s, int64_t *out) {
  if (!*s || *s == ' ' || (*s >= '\t' && *s <= '\r')) return -1;
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || *end || end == s) return -1;
  *out = v;
  return 0;
}

int rt_parse_duration(const char *s, int64_t *ms) {
  const char *p = s;
  if (*p < '0' || *p > '9') return -1;
  int64_t v = 0;
  for (; *p >= '0' && *p <= '9'; p++) {
    if (v > (INT64_MAX - 9) / 10) return -1;
    v = v * 10 + (*p - '0');
  }
  int64_t unit;
  if (!strcmp(p, "ms")) unit = 1;
  else if (!strcmp(p, "s")) unit = 1000;
  else if (!strcmp(p, "min")) unit = 60 * 1000;
  else if (!strcmp(p, "h")) unit = 3600 * 1000;
  else return -1;
  if (v <= 0 || v > INT64_MAX / unit) return -1;
  *ms = v * unit;
  return 0;
}

void rt_format_duration(int64_t ms, char *out, size_t outsz) {
  if (ms % 3600000 == 0) snprintf(out, outsz, "%" PRId64 "h", ms / 3600000);
  else if (ms % 60000 == 0) snprintf(out, outsz, "%" PRId64 "min", ms / 60000);
  else if (ms % 1000 == 0) snprintf(out, outsz, "%" PRId64 "s", ms / 1000);
  else snprintf(out, outsz, "%" PRId64 "ms", ms);
}

int rt_parse_value(rt_param *p, const char *text) {
  switch (p->type) {
  case DSC_RT_INT:
    if (parse_i64(text, &p->i)) return -1;
    break;
  case DSC_RT_FLOAT: {
    char *end;
    if (!*text || *text == ' ' || (*text >= '\t' && *text <= '\r')) return -1;
    p->f = strtod(text, &end);
    if (*end || end == text) return -1;
    break;
  }
  case DSC_RT_BOOL:
    if (!strcmp(text, "true")) p->b = 1;
    else if (!strcmp(text, "false")) p->b = 0;
    else return -1;
    break;
  default:
    p->s = text;
    break;
  }
  p->set = 1;
  return 0;
}

static const char *type_name(int32_t type) {
  switch (type) {
  case DSC_RT_INT: return "int";
  case DSC_RT_FLOAT: return "float";
  case DSC_RT_BOOL: return "bool";
  default: return "string";
  }
}

/* ---- argv ---- */

static int fail(char *err, size_t errsz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errsz, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errsz, fmt, ap);
  va_end(ap);
  return RT_ARGS_ERROR;
}

static int set_param(rt_param *p, const char *text, char *err, size_t errsz) {
  if (rt_parse_value(p, text))
    return fail(err, errsz, "invalid %s value '%s' for parameter '%s'", type_name(p->type), text,
                p->name);
  return RT_ARGS_OK;
}

enum { OPT_FLAG, OPT_VALUE };
static const struct {
  const char *name; /* without the leading -- */
  int kind;         /* OPT_FLAG or OPT_VALUE */
} options[] = {
    {"help", OPT_FLAG},        {"version", OPT_FLAG}, {"manual-clock", OPT_FLAG},
    {"stop-at-eof", OPT_FLAG}, {"batch", OPT_VALUE},  {"start-time", OPT_VALUE},
    {"threads", OPT_VALUE},    {"max-line-bytes", OPT_VALUE}, {"stats", OPT_FLAG},
    {"early-bytes", OPT_VALUE}, {"no-mmap", OPT_FLAG},    {"min-task-bytes", OPT_VALUE},
    {"mmap", OPT_FLAG},        {"early-share-bytes", OPT_VALUE}, {"batch-tasks", OPT_VALUE},
};

static int apply_option(const char *name, const char *val, rt_options *opt, char *err,
                        size_t errsz) {
  int64_t v;
  if (!strcmp(name, "help")) return RT_ARGS_HELP;
  if (!strcmp(name, "version")) return RT_ARGS_VERSION;
  if (!strcmp(name, "manual-clock")) opt->manual_clock = 1;
  else if (!strcmp(name, "stop-at-eof")) opt->stop_at_eof = 1;
  else if (!strcmp(name, "stats")) opt->stats = 1;
  else if (!strcmp(name, "mmap")) opt->mmap = 1;
  else if (!strcmp(name, "no-mmap")) opt->mmap = 0;
  else if (!strcmp(name, "batch")) {
    if (rt_parse_duration(val, &opt->interval_ms))
      return fail(err, errsz, "invalid duration '%s' for --batch (expected e.g. 500ms, 2s, 1min)", val);
  } else if (!strcmp(name, "start-time")) {
    if (parse_i64(val, &opt->start_time_ms))
      return fail(err, errsz, "invalid value '%s' for --start-time (expected epoch milliseconds)", val);
  } else if (!strcmp(name, "threads")) {
    if (parse_i64(val, &v) || v < 1 || v > 1024)
      return fail(err, errsz, "invalid value '%s' for --threads (expected 1..1024)", val);
    opt->threads = v;
  } else if (!strcmp(name, "max-line-bytes")) {
    if (parse_i64(val, &v) || v < 1)
      return fail(err, errsz, "invalid value '%s' for --max-line-bytes (expected a positive number)", val);
    opt->max_line_bytes = v;
  } else if (!strcmp(name, "early-bytes")) {
    if (parse_i64(val, &v) || v < 0)
      return fail(err, errsz, "invalid value '%s' for --early-bytes (expected 0 or a positive number)", val);
    opt->early_bytes = v;
  } else if (!strcmp(name, "min-task-bytes")) {
    if (parse_i64(val, &v) || v < 1)
      return fail(err, errsz, "invalid value '%s' for --min-task-bytes (expected a positive number)", val);
    opt->min_task_bytes = v;
  } else if (!strcmp(name, "early-share-bytes")) {
    if (parse_i64(val, &v) || v < 1 || v > ((int64_t)1 << 40))
      return fail(err, errsz, "invalid value '%s' for --early-share-bytes (expected 1..2^40)", val);
    opt->share_bytes = v;
  } else if (!strcmp(name, "batch-tasks")) {
    if (parse_i64(val, &v) || v < 1 || v > 1024)
      return fail(err, errsz, "invalid value '%s' for --batch-tasks (expected 1..1024)", val);
    opt->batch_tasks = v;
  }
  return RT_ARGS_OK;
}

int rt_parse_args(dsc_rt_program *prog, int argc, char **argv, rt_options *opt, char *err,
                  size_t errsz) {
  memset(opt, 0, sizeof *opt);
  opt->interval_ms = prog->interval_ms;
  opt->max_line_bytes = RT_DEFAULT_MAX_LINE;
  opt->early_bytes = RT_DEFAULT_EARLY_BYTES;
  opt->min_task_bytes = RT_DEFAULT_MIN_TASK_BYTES;
  opt->share_bytes = RT_DEFAULT_SHARE_BYTES;
  for (int32_t i = 0; i < prog->nparams; i++) prog->params[i].set = 0;
  int32_t positional = 0;
  int only_positional = 0, result = RT_ARGS_OK;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (only_positional || a[0] != '-' || a[1] != '-') {
      if (!only_positional && a[0] == '-' && a[1] && (a[1] < '0' || a[1] > '9') && a[1] != '.')
        return fail(err, errsz, "unknown option '%s'", a);
      if (positional >= prog->nparams)
        return fail(err, errsz, "too many arguments: '%s' (the program takes %d parameter%s)", a,
                    prog->nparams, prog->nparams == 1 ? "" : "s");
      int r = set_param(&prog->params[positional++], a, err, errsz);
      if (r) return r;
      continue;
    }
    if (!a[2]) {
      only_positional = 1;
      continue;
    }
    const char *name = a + 2, *eq = strchr(name, '=');
    size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
    const char *val = eq ? eq + 1 : NULL;
    int found = 0;
    for (size_t k = 0; k < sizeof options / sizeof options[0] && !found; k++) {
      if (strlen(options[k].name) != nlen || strncmp(options[k].name, name, nlen)) continue;
      found = 1;
      if (options[k].kind == OPT_FLAG && val)
        return fail(err, errsz, "option '--%s' takes no value", options[k].name);
      if (options[k].kind == OPT_VALUE && !val) {
        if (i + 1 >= argc) return fail(err, errsz, "option '--%s' needs a value", options[k].name);
        val = argv[++i];
      }
      int r = apply_option(options[k].name, val, opt, err, errsz);
      if (r == RT_ARGS_ERROR) return r;
      if (r != RT_ARGS_OK && result == RT_ARGS_OK) result = r;
    }
    for (int32_t k = 0; k < prog->nparams && !found; k++) {
      rt_param *p = &prog->params[k];
      if (strlen(p->name) != nlen || strncmp(p->name, name, nlen)) continue;
      found = 1;
      if (!val) {
        if (i + 1 >= argc) return fail(err, errsz, "parameter '--%s' needs a value", p->name);
        val = argv[++i];
      }
      int r = set_param(p, val, err, errsz);
      if (r) return r;
    }
    if (!found) return fail(err, errsz, "unknown option '--%.*s'", (int)nlen, name);
  }
  if (result != RT_ARGS_OK) return result;
  for (int32_t k = 0; k < prog->nparams; k++) {
    rt_param *p = &prog->params[k];
    if (p->set) continue;
    if (!p->default_text) return fail(err, errsz, "missing required parameter '%s'", p->name);
    if (rt_parse_value(p, p->default_text))
      return fail(err, errsz, "invalid default '%s' for parameter '%s'", p->default_text, p->name);
  }
  return RT_ARGS_OK;
}

void rt_usage(const dsc_rt_program *prog, dsc_rt_buf *out) {
  char line[512], dur[32];
  snprintf(line, sizeof line, "usage: %s", prog->name);
  rt_buf_cstr(out, line);
  for (int32_t k = 0; k < prog->nparams; k++) {
    const rt_param *p = &prog->params[k];
    snprintf(line, sizeof line, p->default_text ? " [%s]" : " %s", p->name);
    rt_buf_cstr(out, line);
  }
  rt_buf_cstr(out, " [--NAME VALUE]... [options]\n");
  if (prog->nparams) {
    rt_buf_cstr(out, "\nparameters (positional in this order, or --NAME VALUE):\n");
    for (int32_t k = 0; k < prog->nparams; k++) {
      const rt_param *p = &prog->params[k];
      if (p->default_text)
        snprintf(line, sizeof line, "  %-20s %-7s default: %s\n", p->name, type_name(p->type),
                 p->default_text[0] ? p->default_text : "''");
      else
        snprintf(line, sizeof line, "  %-20s %-7s required\n", p->name, type_name(p->type));
      rt_buf_cstr(out, line);
    }
  }
  rt_format_duration(prog->interval_ms, dur, sizeof dur);
  snprintf(line, sizeof line,
           "\noptions:\n"
           "  --batch DURATION       batch interval, e.g. 500ms, 2s, 1min, 1h (default: %s)\n",
           dur);
  rt_buf_cstr(out, line);
  rt_buf_cstr(out,
              "  --manual-clock         batches end at input lines '@batch', not on the clock\n"
              "  --start-time MS        manual clock: time zero in epoch ms (default: 0)\n"
              "  --threads N            worker threads (default: number of CPUs)\n"
              "  --stop-at-eof          a socket source ends when the server closes it\n"
              "  --max-line-bytes N     longer lines are truncated (default: 67108864)\n"
              "  --early-bytes N        once N bytes of the next batch are in, start its first\n"
              "                         stage while the rest arrives (default: 262144; 0: never)\n"
              "  --mmap                 map a regular input file instead of reading it with\n"
              "                         read(2) (--no-mmap: read it, the default)\n"
              "  --min-task-bytes N     a batch's stage runs one task per N bytes of input, up\n"
              "                         to --threads (default: 65536)\n"
              "  --early-share-bytes N  with more threads, once the source is 2N a thread ahead,\n"
              "                         an early start runs on every thread, N bytes each\n"
              "                         (default: 4194304)\n"
              "  --batch-tasks N        a batch's stage runs at most N tasks after its early\n"
              "                         start, which may have run more (default: --threads)\n"
              "  --stats                at exit, print batches, records and peak memory on stderr\n"
              "  --help                 this text\n"
              "  --version              the runtime version\n");
}

/* ---- parameter values (inside dsc_gen_start) ---- */

static rt_param *param(dsc_rt_ctx *ctx, int32_t index, int32_t type) {
  if (index < 0 || index >= ctx->prog->nparams || ctx->prog->params[index].type != type) {
    fprintf(stderr, "%s: fatal: parameter %d read with the wrong type\n", rt_progname(ctx), index);
    abort();
  }
  return &ctx->prog->params[index];
}

int64_t dsc_rt_param_int(dsc_rt_ctx *ctx, int32_t index) { return param(ctx, index, DSC_RT_INT)->i; }

double dsc_rt_param_float(dsc_rt_ctx *ctx, int32_t index) {
  return param(ctx, index, DSC_RT_FLOAT)->f;
}

int32_t dsc_rt_param_bool(dsc_rt_ctx *ctx, int32_t index) {
  return param(ctx, index, DSC_RT_BOOL)->b;
}

void dsc_rt_param_string(dsc_rt_ctx *ctx, int32_t index, dsc_str *out) {
  const char *s = param(ctx, index, DSC_RT_STRING)->s;
  out->ptr = s;
  out->len = (int64_t)strlen(s);
}
