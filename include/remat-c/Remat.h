/*===- Remat.h - remat's C API ------------------------------------*- C -*-===*\
|*                                                                            *|
|* A thin, text-in / text-out interface to remat for Python and other hosts:  *|
|* IR goes in as MLIR text, reports and plans come out as JSON, rewritten or  *|
|* lowered IR as MLIR text, and every diagnostic (errors, warnings, remarks,  *|
|* their notes) as text with its location. See docs/python.md.               *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef REMAT_C_REMAT_H
#define REMAT_C_REMAT_H

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define REMAT_CAPI_EXPORTED __declspec(dllexport)
#else
#define REMAT_CAPI_EXPORTED __attribute__((visibility("default")))
#endif

/* An MLIR context with every upstream dialect, pass and extension, remat's
 * dialect, passes, cost models and lowering pipelines. Calls on one context
 * are serialized; use one context per thread to run them in parallel. */
typedef struct RematContext RematContext;

typedef enum RematStatus {
  REMAT_OK = 0,
  /* The IR did not parse or verify. */
  REMAT_PARSE_ERROR = 1,
  /* A pass failed (infeasible budget, no plan, lowering error). */
  REMAT_PASS_ERROR = 2,
  /* A null argument, an unknown target, an option or pipeline that does not
   * parse. */
  REMAT_INVALID_ARGUMENT = 3,
  /* A temporary file for a pass's JSON output could not be used. */
  REMAT_IO_ERROR = 4,
} RematStatus;

REMAT_CAPI_EXPORTED RematContext *rematContextCreate(void);
REMAT_CAPI_EXPORTED void rematContextDestroy(RematContext *context);

/* Frees a string returned by this API; null is ignored. */
REMAT_CAPI_EXPORTED void rematStringFree(char *string);

/* "ok", "parse error", ...: a name for `status`. */
REMAT_CAPI_EXPORTED const char *rematStatusName(RematStatus status);

/* Whether a pass pipeline of this name (e.g. "remat-pipeline-cpu") is
 * registered. */
REMAT_CAPI_EXPORTED int rematPipelineRegistered(const char *name);

/* Conventions of the functions below.
 *
 * `ir` is a module (or a single top-level op, wrapped in a module) as MLIR
 * text; `sourceName` names it in diagnostic locations (null: "<input>").
 * Each `char **` output is set on return, whatever the status, to a
 * NUL-terminated string the caller frees with rematStringFree (empty when
 * there is nothing to return); an output pointer may be null when the caller
 * does not want that output. `diagnostics` receives every diagnostic the call
 * produced, one per line as `LOCATION: SEVERITY: MESSAGE` (SEVERITY is error,
 * warning, remark or note; a diagnostic's notes follow it). Strings such as
 * `solver` may be null for the default. `passOptions` (may be null or empty)
 * are more of the pass's options as text, as remat-opt takes them: the cost
 * model, e.g. "cost=roofline target=gpu" or
 * "cost=measured calibration=cal.json" (docs/cost-model.md). */

/* remat-report: `json` is the pass's report-file JSON, an array with one
 * object per function (peak_bytes, timeline, stashed, live_at_peak, ...). */
REMAT_CAPI_EXPORTED RematStatus rematReport(RematContext *context,
                                            const char *ir,
                                            const char *sourceName,
                                            const char *passOptions,
                                            char **json, char **diagnostics);

/* remat-checkpoint{budget= solver= time-limit=}: `planJson` is the pass's
 * plan-file JSON, an array with one object per planned function (kept,
 * recomputed, planned_peak_bytes, overhead_percent, timeline_before/after,
 * ...); `rewrittenIr` the module with its remat.recompute regions. `budget`
 * is bytes with a unit ("768MiB", "1073741824") or a fraction ("0.6"). */
REMAT_CAPI_EXPORTED RematStatus rematPlan(RematContext *context,
                                          const char *ir,
                                          const char *sourceName,
                                          const char *budget,
                                          const char *solver, double timeLimit,
                                          const char *passOptions,
                                          char **planJson, char **rewrittenIr,
                                          char **diagnostics);

/* remat-frontier{points= solver= time-limit=}: `json` is the pass's
 * report-file JSON, an array with one object per function, its Pareto points
 * under "frontier". */
REMAT_CAPI_EXPORTED RematStatus rematFrontier(RematContext *context,
                                              const char *ir,
                                              const char *sourceName,
                                              unsigned points,
                                              const char *solver,
                                              double timeLimit,
                                              const char *passOptions,
                                              char **json,
                                              char **diagnostics);

/* The registered pipeline remat-pipeline-<target> ("cpu" or "nvvm"), planning
 * first when `budget` is not null or empty; `extraOptions` (may be null) are
 * more of the pipeline's options, e.g. "chip=sm_80". `loweredIr` is the
 * result as MLIR text. */
REMAT_CAPI_EXPORTED RematStatus rematLower(RematContext *context,
                                           const char *ir,
                                           const char *sourceName,
                                           const char *target,
                                           const char *budget,
                                           const char *solver, double timeLimit,
                                           const char *extraOptions,
                                           char **loweredIr,
                                           char **diagnostics);

/* Any textual pass pipeline, as remat-opt's --pass-pipeline takes it without
 * the builtin.module(...) anchor: "canonicalize,cse",
 * "remat-checkpoint{budget=0.8},remat-inline-recompute". */
REMAT_CAPI_EXPORTED RematStatus rematRunPipeline(RematContext *context,
                                                 const char *ir,
                                                 const char *sourceName,
                                                 const char *pipeline,
                                                 char **outputIr,
                                                 char **diagnostics);

#ifdef __cplusplus
}
#endif

#endif /* REMAT_C_REMAT_H */
