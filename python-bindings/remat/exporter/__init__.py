"""Export a PyTorch training step to one MLIR `func.func @train_step` for remat.

    from remat.exporter import export_training_step
    mlir = export_training_step(model, loss_fn, (x, y))

The model is called with the first `num_model_inputs` example inputs, the loss is
`loss_fn(output, *rest)`; the function takes the parameters, the buffers, then the
example inputs, and returns the loss then one gradient per parameter (with
`buffer_updates=True`, then the new value of each buffer the step updates, such
as batch norm's running statistics, in `model.named_buffers()` order). Random
draws (dropout's and stochastic depth's masks in training mode, rand_like and
randn_like noise) are arguments after the batch: trace_training_step(...)
.random_inputs describes them and draws them (RandomInput.draw). See
docs/pytorch.md.
"""

from .emit import ExportError, emit_step
from .trace import RandomInput, trace_training_step

__all__ = ['ExportError', 'RandomInput', 'export_training_step', 'trace_training_step',
           'emit_step']


def export_training_step(model, loss_fn, example_inputs, num_model_inputs=1,
                         title='train_step', comment=None, return_counts=False,
                         buffer_updates=False):
    """MLIR text of one training step of `model` (static shapes, f32). With
    `buffer_updates`, the step also returns the updated buffers (see the module
    doc); trace_training_step(...).updated_buffers names them."""
    step = trace_training_step(model, loss_fn, example_inputs, num_model_inputs,
                               buffer_updates=buffer_updates)
    text, counts = emit_step(step, title=title, comment=comment)
    return (text, counts) if return_counts else text
