# SPDX-License-Identifier: MIT
"""wechat.testing.LocalServer: a real wechat server inside this process (on 127.0.0.1, a free
port, in a temporary directory), for tests of applications and of this package."""

import ctypes

from ._native import lib
from .client import Client, _check, _text
from .errors import Error

__all__ = ["LocalServer"]


class LocalServer:
    """Starts at construction; `close()` (or the with-block's end) stops it and deletes its data.

    Example::

        with wechat.testing.LocalServer() as server, server.client(tmpdir) as client:
            client.request_code("a@example.com")
            code = server.latest_code("a@example.com")
    """

    def __init__(self, *, tls=False, allow_strangers=False):
        flags = (1 if tls else 0) | (2 if allow_strangers else 0)
        handle = ctypes.c_void_p()
        _check(lib.wc_local_server_start(flags, ctypes.byref(handle)))
        self._handle = handle.value

    @property
    def port(self):
        return lib.wc_local_server_port(self._live())

    def client(self, data_dir, **kwargs):
        """A Client of this server keeping its data in `data_dir`; keyword arguments as for
        Client (on_event, log, call_timeout, ...)."""
        options = ctypes.c_void_p()
        _check(lib.wc_local_server_client_options(self._live(), *_text(str(data_dir)),
                                                  ctypes.byref(options)))
        try:
            return Client(_options=options.value, **kwargs)
        finally:
            lib.wc_client_options_destroy(options.value)

    def latest_code(self, email):
        """The newest 6-digit code mailed to `email`, or None."""
        code = ctypes.create_string_buffer(7)
        status = lib.wc_local_server_latest_code(self._live(), *_text(email), code)
        if status == Error.NOT_FOUND:
            return None
        _check(status)
        return code.value.decode("ascii")

    def stop(self):
        """Stops serving, keeping the data: clients see the connection drop."""
        lib.wc_local_server_stop(self._live())

    def restart(self):
        """Serves again on the same data and, if still free, the same port."""
        _check(lib.wc_local_server_restart(self._live()))

    def close(self):
        handle, self._handle = self._handle, None
        if handle:
            lib.wc_local_server_destroy(handle)

    def _live(self):
        if not self._handle:
            raise ValueError("the LocalServer is closed")
        return self._handle

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001
            pass
