"""Checks cpu-erf.mlir's dumped results against the exact GELU in float64.

    check_gelu.py PREFIX   (the step's --dump prefix: arg0.bin w, arg1.bin x,
                            result0.bin the loss, result1.bin dloss/dw)
"""
import array
import math
import sys

TOLERANCE = 1e-5


def floats(path):
    values = array.array('f')
    with open(path, 'rb') as f:
        values.frombytes(f.read())
    return values


prefix = sys.argv[1]
w, x = floats(prefix + 'arg0.bin'), floats(prefix + 'arg1.bin')
loss, dw = floats(prefix + 'result0.bin'), floats(prefix + 'result1.bin')
h = [a * b for a, b in zip(x, w)]
cdf = [0.5 * (1 + math.erf(v / math.sqrt(2))) for v in h]
want_loss = sum(v * c for v, c in zip(h, cdf))
want_dw = [xx * (c + v * math.exp(-v * v / 2) / math.sqrt(2 * math.pi))
           for xx, v, c in zip(x, h, cdf)]
# The inputs must reach erf's curved part, or a linear erf would pass too.
assert max(abs(v) for v in h) > 0.5, h
errors = [abs(loss[0] - want_loss) / max(1.0, abs(want_loss))]
errors += [abs(a - b) / max(1.0, abs(b)) for a, b in zip(dw, want_dw)]
if max(errors) > TOLERANCE:
    sys.exit('gelu mismatch: largest relative error %g' % max(errors))
print('gelu loss and gradient match float64 within %g' % TOLERANCE)
