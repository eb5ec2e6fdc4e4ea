/*===- StepMain.h - the step a remat-run executable runs ----------*- C -*-===//
 *
 * remat-run generates a small C file that defines these for one step
 * function; StepMain.c is the generic main that feeds and runs it.
 *
 *===----------------------------------------------------------------------===*/
#ifndef REMAT_RUN_STEPMAIN_H
#define REMAT_RUN_STEPMAIN_H

#include <stdint.h>

enum { kRematMaxRank = 8 };

/* i1 is kRematBool: one byte holding 0 or 1. */
typedef enum { kRematFloat, kRematInt, kRematBool } RematElementKind;

/* A statically shaped tensor argument or result of the step. */
typedef struct {
  const char *type; /* as written in the source, e.g. "tensor<8x16xf32>" */
  int rank;
  int64_t sizes[kRematMaxRank];
  RematElementKind kind;
  int elementBytes;
} RematTensorType;

extern const char *const remat_step_name;
extern const int remat_step_argument_count;
extern const RematTensorType remat_step_arguments[];
extern const int remat_step_result_count;
extern const RematTensorType remat_step_results[];
/* The simulator's peak for this step, or -1 when unknown. */
extern const int64_t remat_step_predicted_peak;
/* Calls _mlir_ciface_<step>(results, args[0], ...): `results` holds the
 * result descriptors one after the other, each args[i] points to one. */
void remat_call_step(void *results, void **args);

#endif /* REMAT_RUN_STEPMAIN_H */
