"""Keras 1.2.2's keras.utils.data_utils, offline: symkeras never downloads.

get_file finds a file in the Keras cache, ~/.keras/<cache_subdir>/ (KERAS_HOME moves ~/.keras;
/tmp/.keras is used when that directory cannot be written), exactly where Keras would have
downloaded it. When the file is not there, the error says where it would have come from and
the exact path to copy it to.
"""
import hashlib
import os
import shutil
import tarfile
import tempfile


def keras_home():
    """The Keras directory: $KERAS_HOME, or ~/.keras (the directory keras.json lives in)."""
    return os.environ.get('KERAS_HOME') or os.path.join(os.path.expanduser('~'), '.keras')


def cache_dir(cache_subdir='datasets', create=True):
    """The directory get_file uses: <keras_home()>/<cache_subdir>, or
    /tmp/.keras/<cache_subdir> when that cannot be created or written (as in Keras).
    With create=False it is only named, not created."""
    for base in (keras_home(), os.path.join(tempfile.gettempdir(), '.keras')):
        path = os.path.join(base, cache_subdir)
        if not _can_write(path):
            continue
        if not create:
            return path
        try:
            os.makedirs(path, exist_ok=True)
            return path
        except OSError:
            continue
    return path


def dataset_places(path, subdir):
    """Where a dataset loader looks, in order (naming them creates nothing). With `path`:
    `path` alone, plus <cache>/<path> when `path` is a bare file name that does not exist
    in the working directory (Keras 1.2.2's load_data(path=...) named a file in the cache).
    Without: $SYMKERAS_DATA/<subdir> and $SYMKERAS_DATA when that variable is set, then the
    Keras cache cache_dir('datasets')."""
    if path is not None:
        path = os.fspath(path)
        places = [path]
        if not os.path.exists(path) and os.path.basename(path) == path:
            places.append(os.path.join(cache_dir('datasets', create=False), path))
        return places
    places = []
    env = os.environ.get('SYMKERAS_DATA')
    if env:
        places += [os.path.join(env, subdir), env]
    return places + [cache_dir('datasets', create=False)]


def _can_write(path):
    """Whether path is, or could be created as, a writable directory."""
    path = os.path.abspath(path)
    while not os.path.exists(path):     # ends: the root exists
        path = os.path.dirname(path)
    return os.path.isdir(path) and os.access(path, os.W_OK)


def get_file(fname, origin, untar=False, md5_hash=None, cache_subdir='datasets'):
    """Path of `fname` in the cache directory (see cache_dir). With untar=True, `fname` is a
    directory unpacked from the archive `fname`.tar.gz in the same place: the archive is
    unpacked when the directory is missing. With md5_hash, the file (or the archive, when it
    is about to be unpacked) must have that MD5 digest. A missing file raises
    FileNotFoundError naming `origin` and the path to put the file at: symkeras does not use
    the network."""
    datadir = cache_dir(cache_subdir)
    target = os.path.join(datadir, fname)
    if untar and os.path.isdir(target):
        return target
    fpath = target + '.tar.gz' if untar else target
    if not os.path.isfile(fpath):
        also = ' (or unpack it there, as the directory %s)' % target if untar else ''
        raise FileNotFoundError(
            'get_file: %s could not be downloaded: symkeras does not use the network. '
            'Download it from %s and save it as %s%s' % (fname, origin, fpath, also))
    if md5_hash is not None and not validate_file(fpath, md5_hash):
        raise ValueError(
            'get_file: %s does not have the expected MD5 %s (it may be incomplete or '
            'outdated). Download it again from %s and save it as %s'
            % (fpath, md5_hash, origin, fpath))
    if untar:
        _untar(fpath, datadir, fname)
    return target


def validate_file(fpath, md5_hash):
    """True when the file's MD5 hex digest equals md5_hash (case-insensitive)."""
    hasher = hashlib.md5()
    with open(fpath, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            hasher.update(chunk)
    return hasher.hexdigest() == str(md5_hash).lower()


def _untar(archive, datadir, fname):
    """Unpack `archive` into datadir through a temporary directory beside it, so that an
    interrupted run leaves no half-unpacked `fname`. Entries that would land outside the
    directory (absolute paths, '..', links out) are refused."""
    tmp = tempfile.mkdtemp(prefix='.untar-', dir=datadir)
    try:
        try:
            with tarfile.open(archive, 'r:*') as tar:
                members = tar.getmembers()
                for member in members:
                    _check_member(archive, member)
                # The 'data' filter (Python 3.12 default-to-be) also drops unsafe modes.
                extra = {'filter': 'data'} if hasattr(tarfile, 'data_filter') else {}
                tar.extractall(tmp, members=members, **extra)
        except (tarfile.TarError, EOFError, OSError) as e:
            raise ValueError('get_file: cannot unpack %s: %s' % (archive, e)) from None
        for entry in os.listdir(tmp):
            if not os.path.exists(os.path.join(datadir, entry)):
                os.replace(os.path.join(tmp, entry), os.path.join(datadir, entry))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if not os.path.isdir(os.path.join(datadir, fname)):
        raise ValueError('get_file: the archive %s does not contain the directory %s/'
                         % (archive, fname))


def _check_member(archive, member):
    names = [member.name] + ([member.linkname] if member.issym() or member.islnk() else [])
    for name in names:
        if os.path.isabs(name) or '..' in name.replace('\\', '/').split('/'):
            raise ValueError('get_file: refusing to unpack %s: the entry %r (%r) could write '
                             'outside the cache directory' % (archive, member.name, name))
