"""The one exception the package raises for a file it cannot read or write."""
import errno as _errno


class Error(OSError):
    """A PNG could not be read or written.

    `filename` is the file, `strerror` the reason as the decoder or encoder
    gave it, `debug` the element's details (what to change) or None.
    `str(error)` is one line: ``"big.png: IDAT: CRC error"``. A file that does
    not exist raises an Error that is also a FileNotFoundError, a file that
    may not be opened one that is also a PermissionError.
    """

    def __init__(self, errno, strerror, filename=None, debug=None):
        super().__init__(errno, strerror, filename)
        self.debug = debug

    def __str__(self):
        if self.filename is None:
            return str(self.strerror)
        return f"{self.filename}: {self.strerror}"


class NotFoundError(Error, FileNotFoundError):
    """The file does not exist."""


class NoPermissionError(Error, PermissionError):
    """The file may not be opened."""


def os_error(e, path):
    """The Error for an OSError `e` raised by the operating system on `path`."""
    kind = {_errno.ENOENT: NotFoundError, _errno.EACCES: NoPermissionError,
            _errno.EPERM: NoPermissionError}.get(e.errno, Error)
    return kind(e.errno, e.strerror or str(e), path)
