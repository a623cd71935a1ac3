/* The Python programs that run inside the sandbox to execute and judge code
 * (sources in suites/code/drivers/, embedded at build time). */
#ifndef EB_CODE_DRIVERS_H
#define EB_CODE_DRIVERS_H

extern const char eb_code_driver_humaneval_check[];
extern const char eb_code_driver_evalplus[];
extern const char eb_code_driver_lcb_prelude[];
extern const char eb_code_driver_lcb_stdin[];
extern const char eb_code_driver_lcb_functional[];

#endif
