//===- Policies.h - A user's save / recompute choices -----------*- C++ -*-===//
//
// What a user says about single forward ops, read into the planning problem
// as Node::policy (docs/user-guide.md, "From torch.utils.checkpoint to
// remat"):
//
//   remat.policy = "save"        its results are kept for backward;
//   remat.policy = "recompute"   its results are never stashed: backward
//                                recomputes them;
//   remat.checkpoint = <integer> one torch.utils.checkpoint(fn, x) call
//                                (non-reentrant): inside the ops of one id
//                                nothing is stashed, the values they read
//                                from outside are kept.
//
//===----------------------------------------------------------------------===//
#ifndef REMAT_TRANSFORMS_POLICIES_H
#define REMAT_TRANSFORMS_POLICIES_H

#include "remat/Analysis/PlanningProblem.h"

namespace remat {

inline constexpr llvm::StringLiteral kPolicyAttrName = "remat.policy";
inline constexpr llvm::StringLiteral kCheckpointAttrName = "remat.checkpoint";

/// Sets the policy of every node of `problem` from the attributes of its ops,
/// or, with `segments` > 0, as torch.utils.checkpoint_sequential would with
/// that many segments (forward nodes split in program order into segments of
/// equal forward FLOPs; all but the last are checkpoint regions). An explicit
/// remat.policy overrides what a region implies. Fails, with an error at the
/// op, on an unknown policy, a non-integer checkpoint id, a policy or id on a
/// backward op, ops of one buffer with different policies, "recompute" on an
/// op that cannot be recomputed, or `segments` with checkpoint ids in the IR.
/// `pass` prefixes the diagnostics.
mlir::LogicalResult readPolicies(const TrainingGraph &graph,
                                 PlanningProblem &problem, unsigned segments,
                                 llvm::StringRef pass);

/// "save", "recompute", or "" for planner::Policy::Free.
llvm::StringRef policyName(planner::Policy policy);

} // namespace remat

#endif // REMAT_TRANSFORMS_POLICIES_H
