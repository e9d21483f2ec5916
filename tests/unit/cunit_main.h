/* cunit_main.h — what every CUnit suite of the project shares: running the registered tests in
 * the basic runner's verbose mode and turning failures into the exit status.  CUnit's own
 * runner returns success even when assertions failed, and CU_cleanup_registry() resets the
 * failure count, so the count is read before cleaning up. */
#ifndef DSC_CUNIT_MAIN_H
#define DSC_CUNIT_MAIN_H

#include <CUnit/Basic.h>
#include <stdio.h>
#include <string.h>

/* CU_ASSERT_STRING_EQUAL that shows both texts when they differ. */
#define ASSERT_TEXT(got, want)                                                                  \
  do {                                                                                          \
    const char *got_ = (got), *want_ = (want);                                                  \
    CU_ASSERT_STRING_EQUAL(got_, want_);                                                        \
    if (strcmp(got_, want_) != 0)                                                               \
      fprintf(stderr, "\n--- got:\n%s\n--- want:\n%s\n", got_, want_);                        \
  } while (0)

/* Runs every registered suite; returns the process exit status (0 = all passed). */
static inline int dsc_cunit_run(void) {
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  int failed = CU_get_number_of_tests_failed() != 0 || CU_get_error() != CUE_SUCCESS;
  CU_cleanup_registry();
  return failed;
}

#endif
