# SPDX-License-Identifier: MIT
"""libwechat for Python: a ctypes binding over the C ABI (include/wechat/c.h).

    import wechat
    with wechat.Client(data_dir, host="chat.example.com") as client:
        client.login("alice", "secret-password")
        ...

The shared library is found through WECHAT_LIBRARY, next to this package, or on the system's
library path (see wechat._native). `wechat.__version__` is the loaded library's version.
"""

from . import errors, events, testing, types
from ._native import lib as _lib, library_path
from .client import Client
from .errors import *  # noqa: F401,F403 - Error, WechatError and one subclass per code
from .errors import __all__ as _error_names
from .events import *  # noqa: F401,F403
from .events import __all__ as _event_names
from .types import *  # noqa: F401,F403
from .types import __all__ as _type_names


def version():
    """The version of the libwechat in use, e.g. "0.1.0"."""
    return _lib.wc_version().decode("ascii")


__version__ = version()

__all__ = (["Client", "version", "library_path", "errors", "events", "testing", "types"] +
           list(_error_names) + list(_event_names) + list(_type_names))
