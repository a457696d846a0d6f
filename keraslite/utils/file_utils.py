"""get_file: download a file once into the Keras cache (~/.keras/datasets by default, or
$KERAS_HOME/datasets), check its hash, optionally extract it. Same cache layout and
arguments as Keras 3, so files Keras already downloaded are reused.

Owns downloading, hashing and archive extraction; the datasets in keraslite.datasets call it.
Any URL urllib understands works, file:// included (the tests use that).
"""
import hashlib
import os
import shutil
import sys
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import warnings
import zipfile

__all__ = ["get_file", "hash_file", "validate_file", "extract_archive"]


def keras_home():
    return os.path.expanduser(os.environ.get("KERAS_HOME", os.path.join("~", ".keras")))


def _hasher(algorithm, file_hash=None):
    if algorithm == "sha256" or (algorithm == "auto" and file_hash is not None and len(file_hash) == 64):
        return hashlib.sha256()
    return hashlib.md5()


def hash_file(fpath, algorithm="sha256", chunk_size=65535):
    hasher = _hasher(algorithm) if isinstance(algorithm, str) else algorithm
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(fpath, file_hash, algorithm="auto", chunk_size=65535):
    """True when the file's sha256 (64 hex digits) or md5 equals `file_hash`."""
    return hash_file(fpath, _hasher(algorithm, file_hash), chunk_size) == str(file_hash)


def _safe_members(tar, target):
    root = os.path.realpath(target)
    for member in tar.getmembers():
        dest = os.path.realpath(os.path.join(target, member.name))
        if os.path.commonpath([root, dest]) != root or member.issym() or member.islnk():
            continue  # never write outside the extraction folder
        yield member


def extract_archive(file_path, path=".", archive_format="auto"):
    """Extract a tar(.gz/.bz2/.xz) or zip archive into `path`. True if something was extracted."""
    if archive_format is None:
        return False
    formats = {"auto": ["tar", "zip"], "tar": ["tar"], "zip": ["zip"]}.get(archive_format, list(archive_format))
    for fmt in formats:
        is_fmt = tarfile.is_tarfile if fmt == "tar" else zipfile.is_zipfile
        if not is_fmt(file_path):
            continue
        os.makedirs(path, exist_ok=True)
        try:
            if fmt == "tar":
                with tarfile.open(file_path) as tar:
                    members = list(_safe_members(tar, path))
                    if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4: also refuse odd modes/devices
                        tar.extractall(path, members=members, filter="data")
                    else:
                        tar.extractall(path, members=members)
            else:
                with zipfile.ZipFile(file_path) as archive:
                    for name in archive.namelist():
                        dest = os.path.realpath(os.path.join(path, name))
                        if os.path.commonpath([os.path.realpath(path), dest]) == os.path.realpath(path):
                            archive.extract(name, path)
        except (tarfile.TarError, zipfile.BadZipFile, OSError, KeyboardInterrupt):
            if os.path.exists(path):
                shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
            raise
        return True
    return False


def _download(origin, target):
    print(f"Downloading data from {origin}", file=sys.stderr)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".download-")
    os.close(fd)
    try:
        try:
            urllib.request.urlretrieve(origin, tmp)
        except urllib.error.HTTPError as e:
            raise OSError(f"URL fetch failure on {origin}: {e.code} -- {e.msg}") from e
        except urllib.error.URLError as e:
            raise OSError(f"URL fetch failure on {origin}: {e.reason}. Check the network, or put the "
                          f"file at {target} yourself.") from e
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def get_file(fname=None, origin=None, untar=False, md5_hash=None, file_hash=None, cache_subdir="datasets",
             hash_algorithm="auto", extract=False, archive_format="auto", cache_dir=None, force_download=False):
    """Path of the cached copy of `origin`, downloading it first when missing or when its hash
    does not match. With `extract=True` the archive is extracted and the folder returned."""
    if origin is None:
        raise ValueError('get_file needs the "origin" argument (the URL of the file to download).')
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    base = os.path.expanduser(cache_dir) if cache_dir is not None else keras_home()
    os.makedirs(base, exist_ok=True)
    if not os.access(base, os.W_OK):
        base = os.path.join(tempfile.gettempdir(), ".keras")
    datadir = os.path.join(base, cache_subdir)
    os.makedirs(datadir, exist_ok=True)

    provided = fname
    fname = os.fspath(fname) if fname is not None else ""
    if not fname:
        fname = os.path.basename(urllib.parse.urlsplit(origin).path)
        if not fname:
            raise ValueError(f"Can't find a file name in origin {origin!r}; pass `fname`.")
    elif os.sep in fname or (os.altsep and os.altsep in fname):
        # Keras 2 joined the cache folder and `fname`, so an absolute path named the file itself
        # (`mnist.load_data(path=f"{os.getcwd()}/mnist.npz")`); Keras 3 refuses paths.
        target = os.path.join(datadir, os.path.expanduser(fname))
        if not (extract or untar) and os.path.isfile(target) and not force_download:
            if file_hash is not None and not validate_file(target, file_hash, hash_algorithm):
                warnings.warn(f"get_file: the hash of {target} does not match {file_hash}; using the file as it "
                              "is (a file named by its path is never replaced by a download).", stacklevel=2)
            return target
        os.makedirs(os.path.dirname(target), exist_ok=True)
        datadir, fname = os.path.dirname(target), os.path.basename(target)

    if extract or untar:
        if provided and "." in fname:
            download_target = os.path.join(datadir, fname)
            extraction_dir = os.path.join(datadir, fname[:fname.find(".")] + "_extracted")
        else:
            download_target = os.path.join(datadir, fname + "_archive")
            extraction_dir = os.path.join(datadir, fname)
    else:
        download_target = os.path.join(datadir, fname)

    download = force_download or not os.path.exists(download_target)
    if not download and file_hash is not None and not validate_file(download_target, file_hash, hash_algorithm):
        print(f"A local file was found at {download_target}, but its hash does not match {file_hash}; "
              "downloading it again.", file=sys.stderr)
        download = True
    if download:
        _download(origin, download_target)
        if file_hash is not None and not validate_file(download_target, file_hash, hash_algorithm):
            os.remove(download_target)
            raise ValueError(f"Incomplete or corrupted file downloaded from {origin}: its hash does not match "
                             f"the expected {file_hash}. Try again, or check `file_hash`.")

    if extract or untar:
        if download or not os.path.isdir(extraction_dir):
            if not extract_archive(download_target, extraction_dir, "tar" if untar else archive_format):
                raise ValueError(f"get_file: could not extract {download_target} as {archive_format!r}; "
                                 "it is not a tar or zip archive.")
        return extraction_dir
    return download_target
