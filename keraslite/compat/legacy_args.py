"""Keras 1 / early Keras 2 (and TF 2.3-2.4 preprocessing) constructor spellings, translated in one table.

Layer.__init_subclass__ wraps each layer's __init__ with `wrap_init`; the wrapper renames
old keyword arguments (init= -> kernel_initializer=, output_dim= -> units=, ...) when the
class does not take the old name itself but does take the new one, and rewrites a few
positional forms (Convolution2D(32, 3, 3)). Nothing else in keraslite knows Keras 1 names.
"""
import functools
import inspect
import warnings

# old name -> (new name, value transform or None); a tuple of new names means the first one
# the class takes (Keras 1's `init` was whichever initializer the layer had).
_DIM_ORDERING = {"tf": "channels_last", "th": "channels_first", "default": None}
_CONSUME_LESS = {"cpu": 0, "mem": 1, "gpu": 2}

RENAMES = {
    "init": (("kernel_initializer", "alpha_initializer", "embeddings_initializer"), None),
    "inner_init": ("recurrent_initializer", None),
    "inner_activation": ("recurrent_activation", None),
    "output_dim": ("units", None),
    "nb_filter": ("filters", None),
    "W_regularizer": ("kernel_regularizer", None),
    "b_regularizer": ("bias_regularizer", None),
    "U_regularizer": ("recurrent_regularizer", None),
    "W_constraint": ("kernel_constraint", None),
    "b_constraint": ("bias_constraint", None),
    "U_constraint": ("recurrent_constraint", None),
    "bias": ("use_bias", bool),
    "border_mode": ("padding", None),
    "subsample": ("strides", None),
    "subsample_length": ("strides", None),
    "filter_length": ("kernel_size", None),
    "pool_length": ("pool_size", None),
    "stride": ("strides", None),
    "dim_ordering": ("data_format", lambda v: _DIM_ORDERING.get(v, v)),
    "dropout_W": ("dropout", None),
    "dropout_U": ("recurrent_dropout", None),
    "consume_less": ("implementation", lambda v: _CONSUME_LESS.get(v, v)),
    "p": ("rate", None),
    "beta_init": ("beta_initializer", None),
    "gamma_init": ("gamma_initializer", None),
    "atrous_rate": ("dilation_rate", None),
    "upsampling": ("size", None),
    "input_dtype": ("dtype", None),
    "mode": (None, None),  # Keras 1 BatchNormalization(mode=0): dropped
    "output_shape": (None, None),  # Keras 1 Deconvolution2D: Keras 2+ computes it from the input
    # TF 2.3-2.4 experimental preprocessing layers
    "max_values": ("max_tokens", None),  # IntegerLookup
    "oov_value": ("oov_token", None),
    "mask_value": ("mask_token", None),
    "max_tokens": ("num_tokens", None),  # CategoryEncoding
}

_TAKES_OUTPUT_SHAPE = {"Conv2DTranspose"}  # Keras 1 Deconvolution2D
_OUTPUT_SHAPE_KEY = "__keras1_output_shape"
_BN_MODES = {1: "sample-wise normalization", 2: "batch statistics at inference too"}

# Keras 1 positional conv forms: Convolution2D(nb_filter, nb_row, nb_col, ...)
_POSITIONAL_KERNEL = {"Conv2D": 2, "Conv2DTranspose": 2, "SeparableConv2D": 2, "Conv3D": 3, "ConvLSTM2D": 2}


def _params(fn):
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return set(), True
    names = {p.name for p in sig.parameters.values() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    has_var_kw = any(p.kind == p.VAR_KEYWORD for p in sig.parameters.values())
    return names, has_var_kw


def _strides_positional(rank, args, kwargs):
    """Whether `Conv2D(filters, a, b)` is Keras 2/3's (filters, kernel_size, strides) rather than
    Keras 1's (nb_filter, nb_row, nb_col). Keras 2 itself refused the three integers next to
    `padding`, `strides` or `data_format` (the keywords of the new API); tf.keras and Keras 3
    read the third as the strides. So: those keywords mean strides, Keras 1 keywords mean a
    kernel, and otherwise a third integer smaller than the second (`Conv2D(64, 3, 2)`, a
    kernel of 3 and strides 2) is read as strides, since Keras 1 kernels of that shape are
    rare, while `Conv2D(32, 3, 3)` keeps the Keras 1/2 reading of a 3x3 kernel."""
    if rank != 2:
        return False  # Conv3D(f, 3, 3, 3): Keras 3 would take a padding of 3, which it refuses
    if any(k in kwargs for k in ("padding", "strides", "data_format")):
        return True
    if any(k in RENAMES for k in kwargs):
        return False
    return args[2] < args[1]


def translate(cls_name, params, args, kwargs):
    """Return (args, kwargs) with Keras 1 spellings rewritten for a class taking `params`."""
    rank = _POSITIONAL_KERNEL.get(cls_name)
    if cls_name in _TAKES_OUTPUT_SHAPE and len(args) == 4 and isinstance(args[-1], (tuple, list)):
        kwargs["output_shape"], args = args[-1], args[:-1]  # Deconvolution2D(nb_filter, rows, cols, output_shape)
    if rank and len(args) == 1 + rank and all(isinstance(a, int) for a in args) \
            and not _strides_positional(rank, args, kwargs):
        args = (args[0], tuple(args[1:]))
    elif rank == 2 and "nb_row" in kwargs and "nb_col" in kwargs:
        kwargs["kernel_size"] = (kwargs.pop("nb_row"), kwargs.pop("nb_col"))
    for old in [k for k in kwargs if k in RENAMES and k not in params]:
        new, transform = RENAMES[old]
        if isinstance(new, tuple):
            new = next((n for n in new if n in params), new[0])
        value = kwargs.pop(old)
        if old == "output_shape" and cls_name not in _TAKES_OUTPUT_SHAPE:
            kwargs[old] = value  # only Deconvolution2D had it; let the class complain
            continue
        if old == "output_shape":
            # Keras 1's Deconvolution2D: the layer picks the output_padding that gives this size
            # when it is built (see _ConvTranspose._apply_requested_output_shape).
            kwargs[_OUTPUT_SHAPE_KEY] = value
            continue
        if old == "mode" and value not in (0, None):
            warnings.warn(f"{cls_name}(mode={value!r}): Keras 1's mode {value} ({_BN_MODES.get(value, 'unknown')}) "
                          "is not reproduced; the layer normalizes as mode=0 does (batch statistics in training, "
                          "moving averages at inference).", stacklevel=3)
        if new is None or new in kwargs:
            continue
        if new not in params:
            kwargs[old] = value  # not ours to translate; let the class complain
            continue
        kwargs[new] = transform(value) if transform else value
        if new == "data_format" and kwargs[new] is None:
            kwargs.pop(new)
    return args, kwargs


def wrap_init(cls, init):
    params, _ = _params(init)
    cls_name = cls.__name__

    @functools.wraps(init)
    def __init__(self, *args, **kwargs):
        if any(k in RENAMES and k not in params for k in kwargs) or (
                cls_name in _POSITIONAL_KERNEL and (len(args) > 2 or "nb_row" in kwargs)):
            args, kwargs = translate(cls_name, params, args, kwargs)
        requested = kwargs.pop(_OUTPUT_SHAPE_KEY, None)
        init(self, *args, **kwargs)
        if requested is not None:
            self._keras1_output_shape = requested

    __init__._translates_legacy = True
    return __init__
