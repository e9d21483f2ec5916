/* main.c — the entry point of every generated program, and the only runtime file that names
 * dsc_gen_*.  It is alone here so the unit tests, which have their own main, never pull it (or
 * an undefined dsc_gen_*) out of libdsc_rt.a.
 */
#include "rt_internal.h"

int main(int argc, char **argv) {
  return rt_main(argc, argv, dsc_gen_describe, dsc_gen_start, dsc_gen_batch, dsc_gen_early);
}
