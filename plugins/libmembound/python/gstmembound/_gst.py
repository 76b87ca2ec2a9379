"""GStreamer through introspection, loaded and initialised once.

Every other module takes Gst, GstApp, GstVideo and GstMembound from here, so
the version requirements and gst_init() live in one place.
"""
import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstApp", "1.0")
gi.require_version("GstVideo", "1.0")


def _require_membound():
    """Finds the GstMembound typelib: on the usual search path (the build tree
    sets GI_TYPELIB_PATH), else where `meson install` put it, which is not on
    the default path when the prefix is not /usr."""
    try:
        gi.require_version("GstMembound", "1.0")
        return
    except ValueError:
        pass
    try:
        from . import _installed
    except ImportError:
        raise ImportError("the GstMembound-1.0 typelib was not found: build gst-membound and run "
                          "inside `meson devenv`, or `meson install` it") from None
    gi.require_version("GIRepository", "2.0")
    from gi.repository import GIRepository
    GIRepository.Repository.prepend_search_path(_installed.TYPELIB_DIR)
    GIRepository.Repository.prepend_library_path(_installed.LIB_DIR)
    gi.require_version("GstMembound", "1.0")


_require_membound()

from gi.repository import Gst, GstApp, GstVideo, GstMembound  # noqa: E402

Gst.init(None)

__all__ = ["Gst", "GstApp", "GstVideo", "GstMembound"]
