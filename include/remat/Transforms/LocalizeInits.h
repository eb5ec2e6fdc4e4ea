//===- LocalizeInits.h - One fresh destination per writer -------*- C++ -*-===//
#ifndef REMAT_TRANSFORMS_LOCALIZEINITS_H
#define REMAT_TRANSFORMS_LOCALIZEINITS_H

#include "mlir/IR/Block.h"

namespace remat {

/// Gives every destination-style op of `block` whose destination is a fresh
/// one (a `tensor.empty`, maybe filled from arguments and constants only, as
/// a `linalg.fill` of a scalar or a broadcast of a bias, maybe reshaped) a
/// copy of that destination of its own, placed right before it; the originals
/// go when nothing reads them any more. Returns whether `block` changed.
///
/// Frontends and CSE share one fill (or bias broadcast) between several
/// matmuls: bufferization then copies it for every writer but the last and
/// keeps it alive until the last, and the writers of one buffer are spread
/// over the program. Re-made next to its writer, each destination is
/// allocated right before it, written in place, and belongs to one node of
/// the planning problem.
bool localizeInits(mlir::Block &block);

} // namespace remat

#endif // REMAT_TRANSFORMS_LOCALIZEINITS_H
