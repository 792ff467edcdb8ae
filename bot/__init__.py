"""httpcode: explains HTTP status codes and failures to engineers mid-incident."""

__version__ = "0.1.0"
