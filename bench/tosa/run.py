#!/usr/bin/env python3
"""TOSA's memory as remat counts it against its lowering (docs/memory-model.md,
"TOSA"): for each case of cases.py, the peak remat-report gives the TOSA IR and
the peak it gives the same function after --remat-lower-tosa (the program that
runs, measured to the byte), as a markdown table.

    python3 bench/tosa/run.py [--remat-opt build/bin/remat-opt]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def peak(remat_opt, path, workdir):
    report = os.path.join(workdir, 'report.json')
    proc = subprocess.run([remat_opt, path, '-o', os.devnull,
                           '--remat-report=report-file=' + report],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        return None, proc.stderr.strip().splitlines()[0]
    with open(report) as f:
        return json.load(f)[0]['peak_bytes'], ''


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--remat-opt', default=os.path.join(ROOT, 'build', 'bin', 'remat-opt'))
    opts = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as work:
        cases = os.path.join(work, 'cases')
        subprocess.run([sys.executable, os.path.join(HERE, 'cases.py'), cases], check=True)
        print('| case | TOSA IR peak B | lowered peak B | difference B | TOSA left after lowering |')
        print('|---|---|---|---|---|')
        for name in sorted(os.listdir(cases)):
            path = os.path.join(cases, name)
            tosa, error = peak(opts.remat_opt, path, work)
            lowered = os.path.join(work, 'lowered.mlir')
            proc = subprocess.run([opts.remat_opt, path, '--remat-lower-tosa', '-o', lowered],
                                  capture_output=True, text=True)
            if proc.returncode != 0:
                print('| %s | %s | lowering failed: %s | | |'
                      % (name[:-5], tosa, proc.stderr.strip().splitlines()[0]))
                continue
            with open(lowered) as f:
                left = sorted({w.split()[0] for w in f.read().split(' tosa.')[1:]
                               if not w.startswith('const_shape')})
            low, error2 = peak(opts.remat_opt, lowered, work)
            diff = low - tosa if tosa is not None and low is not None else ''
            print('| %s | %s | %s | %s | %s |' % (name[:-5], tosa if tosa is not None else error,
                                                 low if low is not None else error2, diff,
                                                 ', '.join(left)))


if __name__ == '__main__':
    main(sys.argv[1:])
