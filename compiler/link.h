/* link.h — object files + runtime library -> executable, through the system C compiler. */
#ifndef DSC_LINK_H
#define DSC_LINK_H

#include <stdbool.h>

/* Where libdsc_rt.a is: $DSC_RUNTIME_DIR, else next to the dsc binary (build tree layout
 * build/dsc + build/runtime/), else the directory configured at build time. */
const char *link_runtime_dir(void);
/* Runs `cc -o out OBJS... libdsc_rt.a -lpthread -lm`; false after reporting on stderr. */
bool link_executable(const char *const *objs, int nobjs, const char *out, const char *runtime_dir);

#endif
