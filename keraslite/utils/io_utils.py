"""Where keraslite's console messages go (`keras.utils` / `keras.config` interactive logging).

With interactive logging on (the default) the progress bar, `summary()` and callback
messages are written to standard output. `disable_interactive_logging()` sends them to the
'keraslite' logger at INFO level instead, as Keras sends its own to absl logging: a program
or a test harness can then silence them or route them to a file with `logging`.
"""
import logging
import os
import sys
import warnings

__all__ = ["print_msg", "enable_interactive_logging", "disable_interactive_logging",
           "is_interactive_logging_enabled", "warn_user"]

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def warn_user(message, category=UserWarning):
    """warnings.warn attributed to the first caller outside keraslite (the user's line), however
    many keraslite frames (wrappers, fit's loop) lie between."""
    frame, level = sys._getframe(1), 2  # stacklevel 2: warn_user's caller
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE_DIR):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)

_INTERACTIVE = True
_LOGGER = logging.getLogger("keraslite")


def enable_interactive_logging():
    global _INTERACTIVE
    _INTERACTIVE = True


def disable_interactive_logging():
    global _INTERACTIVE
    _INTERACTIVE = False


def is_interactive_logging_enabled():
    return _INTERACTIVE


def print_msg(message, line_break=True, stream=None):
    """Write `message` to `stream` (standard output by default), or log it when interactive
    logging is off."""
    if not _INTERACTIVE:
        text = message.rstrip("\n")
        if text.strip("\r\b "):
            _LOGGER.info(text.lstrip("\r\b"))
        return
    stream = stream if stream is not None else sys.stdout
    text = message + "\n" if line_break else message
    try:
        stream.write(text)
    except UnicodeEncodeError:
        stream.write(text.replace("━", "="))
    stream.flush()
