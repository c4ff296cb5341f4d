"""keras.utils.data_utils, offline: get_file finds cached files and never downloads."""
import hashlib
import io
import os
import tarfile
import tempfile

import pytest

from symkeras.utils import data_utils
from symkeras.utils.data_utils import cache_dir, get_file, keras_home, validate_file

ORIGIN = 'https://example.invalid/data/thing.bin'


@pytest.fixture
def home(tmp_path, monkeypatch):
    """An empty KERAS_HOME, and a private temp dir for the /tmp/.keras fallback."""
    monkeypatch.setenv('KERAS_HOME', str(tmp_path / 'kh'))
    monkeypatch.setattr(tempfile, 'tempdir', str(tmp_path / 'tmp'))
    os.makedirs(str(tmp_path / 'tmp'))
    return tmp_path / 'kh'


def md5(data):
    return hashlib.md5(data).hexdigest()


def make_tar(path, files):
    """A .tar.gz at path holding {name: bytes}."""
    with tarfile.open(str(path), 'w:gz') as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_keras_home(monkeypatch):
    monkeypatch.setenv('KERAS_HOME', '/somewhere/kh')
    assert keras_home() == '/somewhere/kh'
    monkeypatch.delenv('KERAS_HOME')
    assert keras_home() == os.path.join(os.path.expanduser('~'), '.keras')


def test_cache_dir_creates_under_keras_home(home):
    assert cache_dir(create=False) == str(home / 'datasets')
    assert not os.path.exists(str(home))
    assert cache_dir() == str(home / 'datasets')
    assert os.path.isdir(str(home / 'datasets'))
    assert cache_dir('models') == str(home / 'models')


def test_cache_dir_falls_back_to_tmp(home, tmp_path, monkeypatch):
    blocker = tmp_path / 'file'
    blocker.write_text('not a directory')
    monkeypatch.setenv('KERAS_HOME', str(blocker / 'kh'))
    fallback = str(tmp_path / 'tmp' / '.keras' / 'datasets')
    assert cache_dir(create=False) == fallback
    assert cache_dir() == fallback and os.path.isdir(fallback)


def test_cache_dir_relative_keras_home(home, tmp_path, monkeypatch):
    monkeypatch.chdir(str(tmp_path))
    monkeypatch.setenv('KERAS_HOME', 'rel_home')
    assert cache_dir() == os.path.join('rel_home', 'datasets')
    assert os.path.isdir(str(tmp_path / 'rel_home' / 'datasets'))


def test_cache_dir_when_creation_fails(home, tmp_path, monkeypatch):
    """A directory that looks writable but cannot be created: the next candidate is used;
    if none can be, the last one is named (get_file then reports the missing file there)."""
    real_makedirs = os.makedirs
    refused = [str(home)]

    def makedirs(path, *args, **kwargs):
        if any(path.startswith(r) for r in refused):
            raise PermissionError(13, 'Permission denied', path)
        return real_makedirs(path, *args, **kwargs)
    monkeypatch.setattr(os, 'makedirs', makedirs)
    fallback = str(tmp_path / 'tmp' / '.keras' / 'datasets')
    assert cache_dir() == fallback
    refused.append(str(tmp_path / 'tmp'))
    os.rmdir(fallback)
    assert cache_dir() == fallback and not os.path.exists(fallback)
    with pytest.raises(FileNotFoundError, match=r'save it as %s' % fallback):
        get_file('thing.bin', ORIGIN)


def test_get_file_returns_cached_path(home):
    path = home / 'datasets' / 'thing.bin'
    path.parent.mkdir(parents=True)
    path.write_bytes(b'abc')
    assert get_file('thing.bin', ORIGIN) == str(path)
    assert get_file('thing.bin', ORIGIN, md5_hash=md5(b'abc')) == str(path)
    assert get_file('thing.bin', ORIGIN, md5_hash=md5(b'abc').upper()) == str(path)


def test_get_file_cache_subdir(home):
    path = home / 'models' / 'w.h5'
    path.parent.mkdir(parents=True)
    path.write_bytes(b'')
    assert get_file('w.h5', ORIGIN, cache_subdir='models') == str(path)


def test_get_file_missing_says_where_to_put_it(home):
    expected = os.path.join(str(home), 'datasets', 'thing.bin')
    with pytest.raises(FileNotFoundError) as info:
        get_file('thing.bin', ORIGIN)
    message = str(info.value)
    assert 'could not be downloaded' in message and 'does not use the network' in message
    assert ORIGIN in message and message.endswith('save it as ' + expected)
    assert os.path.isdir(os.path.dirname(expected))     # ready to receive the file


def test_get_file_md5_mismatch(home):
    path = home / 'datasets' / 'thing.bin'
    path.parent.mkdir(parents=True)
    path.write_bytes(b'partial')
    with pytest.raises(ValueError, match=r'does not have the expected MD5 0123abc .*incomplete '
                                         r'or outdated.*example\.invalid.*thing\.bin'):
        get_file('thing.bin', ORIGIN, md5_hash='0123abc')


def test_get_file_untar(home):
    datasets = home / 'datasets'
    datasets.mkdir(parents=True)
    data = {'batches/a.txt': b'first', 'batches/sub/b.txt': b'second'}
    make_tar(datasets / 'batches.tar.gz', data)
    with open(str(datasets / 'batches.tar.gz'), 'rb') as f:
        digest = md5(f.read())
    out = get_file('batches', ORIGIN, untar=True, md5_hash=digest)
    assert out == str(datasets / 'batches')
    assert (datasets / 'batches' / 'sub' / 'b.txt').read_bytes() == b'second'
    assert [n for n in os.listdir(str(datasets)) if n.startswith('.')] == []   # no leftovers
    # Unpacked once: later calls use the directory even without the archive.
    os.remove(str(datasets / 'batches.tar.gz'))
    (datasets / 'batches' / 'a.txt').write_bytes(b'edited')
    assert get_file('batches', ORIGIN, untar=True) == out
    assert (datasets / 'batches' / 'a.txt').read_bytes() == b'edited'


def test_get_file_untar_missing_archive(home):
    with pytest.raises(FileNotFoundError, match=r'save it as .*batches\.tar\.gz \(or unpack it '
                                                r'there, as the directory .*batches\)'):
        get_file('batches', ORIGIN, untar=True)


def test_get_file_untar_checks_md5_of_archive(home):
    datasets = home / 'datasets'
    datasets.mkdir(parents=True)
    make_tar(datasets / 'batches.tar.gz', {'batches/a': b'x'})
    with pytest.raises(ValueError, match=r'batches\.tar\.gz does not have the expected MD5'):
        get_file('batches', ORIGIN, untar=True, md5_hash='ffff')
    assert not (datasets / 'batches').exists()


def test_get_file_untar_archive_without_the_directory(home):
    datasets = home / 'datasets'
    datasets.mkdir(parents=True)
    make_tar(datasets / 'batches.tar.gz', {'other/a': b'x'})
    with pytest.raises(ValueError, match=r'does not contain the directory batches/'):
        get_file('batches', ORIGIN, untar=True)


@pytest.mark.parametrize('name', ['../escape.txt', '/abs/escape.txt', 'batches/../../x'])
def test_get_file_untar_refuses_unsafe_entries(home, name):
    datasets = home / 'datasets'
    datasets.mkdir(parents=True)
    make_tar(datasets / 'batches.tar.gz', {'batches/ok': b'x', name: b'evil'})
    with pytest.raises(ValueError, match=r'refusing to unpack .*could write outside the cache'):
        get_file('batches', ORIGIN, untar=True)
    assert not (datasets / 'batches').exists()
    assert not (home / 'escape.txt').exists()


def test_get_file_untar_refuses_links_out(home):
    datasets = home / 'datasets'
    datasets.mkdir(parents=True)
    with tarfile.open(str(datasets / 'batches.tar.gz'), 'w:gz') as tar:
        link = tarfile.TarInfo('batches/link')
        link.type = tarfile.SYMTYPE
        link.linkname = '/etc/passwd'
        tar.addfile(link)
    with pytest.raises(ValueError, match=r"entry 'batches/link' \('/etc/passwd'\)"):
        get_file('batches', ORIGIN, untar=True)


def test_get_file_untar_corrupt_archive(home):
    datasets = home / 'datasets'
    datasets.mkdir(parents=True)
    (datasets / 'batches.tar.gz').write_bytes(b'\x1f\x8b not really gzip')
    with pytest.raises(ValueError, match=r'cannot unpack .*batches\.tar\.gz'):
        get_file('batches', ORIGIN, untar=True)


def test_validate_file(tmp_path):
    path = tmp_path / 'f'
    path.write_bytes(b'hello' * 300000)          # several read chunks
    digest = md5(b'hello' * 300000)
    assert validate_file(str(path), digest) is True
    assert validate_file(str(path), digest.upper()) is True
    assert validate_file(str(path), md5(b'other')) is False


def test_module_has_no_network_code():
    with open(data_utils.__file__) as f:
        source = f.read()
    for word in ('urllib', 'urlretrieve', 'socket', 'http.client', 'requests'):
        assert word not in source
