"""Checks cpu-vectorized-elementwise.mlir's dumped results bit for bit.

    check_vectorized_elementwise.py PREFIX   (the step's --dump prefix:
        arg0.bin x 4x16, arg1.bin y 4x1, result0..4.bin, each 4x16,
        all float32)
"""
import array
import struct
import sys

ROWS, COLS = 4, 16


def floats(path):
    values = array.array('f')
    with open(path, 'rb') as f:
        values.frombytes(f.read())
    return list(values)


def f32(value):
    """`value` rounded to float32 (exact for one product or sum of two
    float32 numbers computed in float64, then rounded once)."""
    return struct.unpack('f', struct.pack('f', value))[0]


prefix = sys.argv[1]
x, y = floats(prefix + 'arg0.bin'), floats(prefix + 'arg1.bin')
cells = [(i, j) for i in range(ROWS) for j in range(COLS)]
above = [a > y[i] for a, (i, _) in zip(x, cells)]
want = [
    [1.0 if m else 0.0 for m in above],
    [a if m else 0.0 for a, m in zip(x, above)],
    [f32(a * a) for a in x],
    [float(i * j) for i, j in cells],
    [f32(a + j) for a, (_, j) in zip(x, cells)],
]
# Both sides of every comparison must occur, or a constant mask would pass.
assert 0 < sum(want[0]) < len(x), want[0]
for n, expected in enumerate(want):
    got = floats(prefix + 'result%d.bin' % n)
    bad = [k for k, (g, e) in enumerate(zip(got, expected)) if g != e]
    if bad:
        k = bad[0]
        sys.exit('result %d differs at %d of %d elements, first at %s: %r, want %r'
                 % (n, len(bad), len(got), cells[k], got[k], expected[k]))
print('all %d results exact' % len(want))
