/* link.h — object files + runtime library -> executable, through the system C compiler. */
#ifndef DSC_LINK_H
#define DSC_LINK_H

#include <stdbool.h>

/* Where libdsc_rt.a is: $DSC_RUNTIME_DIR, else next to the dsc binary (build tree layout
 * build/dsc + build/runtime/), else the directory configured at build time. */
const char *link_runtime_dir(void);
/* How the C library is linked: --link=static|dynamic, or by default as link_static_default. */
typedef enum link_mode { LINK_AUTO, LINK_STATIC, LINK_DYNAMIC } link_mode;
/* LINK_AUTO's answer: static (a static PIE), unless the program resolves host names or the
 * runtime was built with sanitizers. */
bool link_static_default(bool resolves_hosts);
/* Runs `cc [-fuse-ld=mold] -o out OBJS... libdsc_rt.a -lpthread -lm [-static-pie]`; false
 * after reporting on stderr. */
bool link_executable(const char *const *objs, int nobjs, const char *out, const char *runtime_dir,
                     bool static_libc);

#endif
