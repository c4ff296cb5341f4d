"""symkeras: Keras 1 on its own symbolic tensor compiler and C++/OpenMP runtime."""
import os as _os

# Idle OpenMP threads must sleep, not spin: a spinning thread costs the other core hundreds
# of microseconds per parallel region on small machines. Set before the runtime loads.
_os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')
if 'SYMKERAS_NUM_THREADS' in _os.environ:
    _os.environ['OMP_NUM_THREADS'] = _os.environ['SYMKERAS_NUM_THREADS']

__version__ = '1.2.2'
