"""TensorFlow 1.x names that TF1-era tutorials call and that still mean something eagerly:
`tf.logging`, the `tf.train.*Optimizer` classes (keraslite optimizers taking TF 1's argument
names, with `global_step`, `compute_gradients` and `minimize`), the global step, the TF 1
`tf.losses` functions (labels first, reduced to a scalar), and the session / graph / config
boilerplate, which does nothing here because keraslite always runs eagerly (a Session can be
built and entered, but `Session.run` raises)."""
import logging as _logging

import torch

from keraslite.compat.tf_namespace import TFNamespace
from keraslite.optimizers import SGD, Adagrad, Adam, RMSprop

# ---------------------------------------------------------------------------- tf.logging

_LEVELS = {"DEBUG": 10, "INFO": 20, "WARN": 30, "WARNING": 30, "ERROR": 40, "FATAL": 50}


def _logger():
    """The 'tensorflow' logger, with a stderr handler as TensorFlow installs one, so
    `tf.logging.info` prints once `tf.logging.set_verbosity(tf.logging.INFO)` is called."""
    logger = _logging.getLogger("tensorflow")
    if not logger.handlers:
        handler = _logging.StreamHandler()
        handler.setFormatter(_logging.Formatter("%(levelname)s:tensorflow:%(message)s"))
        logger.addHandler(handler)
    return logger


def _log_at(level):
    return lambda msg, *args, **kwargs: _logger().log(level, msg, *args, **kwargs)


logging = TFNamespace(
    "tensorflow.logging", **_LEVELS,
    set_verbosity=lambda v: _logger().setLevel(v), get_verbosity=lambda: _logger().getEffectiveLevel(),
    log=lambda level, msg, *args, **kwargs: _logger().log(level, msg, *args, **kwargs),
    debug=_log_at(10), info=_log_at(20), warn=_log_at(30), warning=_log_at(30), error=_log_at(40),
    fatal=_log_at(50))


# ---------------------------------------------------------------------------- tf.train optimizers

class _TF1Optimizer:
    """TF 1's optimizer methods on a keraslite optimizer. The class saves as the Keras optimizer
    it is (its `__name__` is the Keras one), so a model compiled with it reloads with that one."""

    def apply_gradients(self, grads_and_vars, global_step=None, name=None):
        out = super().apply_gradients(grads_and_vars)
        if global_step is not None:
            global_step.assign_add(1)
        return out

    def compute_gradients(self, loss, var_list=None, **kwargs):
        """(gradient, variable) pairs of `loss`, a callable taking no arguments (in eager mode
        TF 1 takes only a callable: there is no graph to differentiate a tensor through)."""
        from keraslite.compat.tf_autodiff import GradientTape

        if not callable(loss):
            raise TypeError(f"{type(self).__qualname__}.minimize / compute_gradients got {type(loss).__name__} "
                            "for `loss`; when eager execution is enabled (always, in keraslite) the loss must be "
                            "a callable, e.g. `opt.minimize(lambda: loss_fn(model(x), y), var_list)`.")
        with GradientTape() as tape:
            value = loss()
        if callable(var_list):
            var_list = var_list()
        variables = list(var_list) if var_list is not None else list(tape.watched_variables())
        return list(zip(tape.gradient(value, variables), variables))

    def minimize(self, loss, var_list=None, global_step=None, name=None, **kwargs):
        return self.apply_gradients(self.compute_gradients(loss, var_list), global_step=global_step)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls.__mro__[2].from_config(config)


class AdamOptimizer(_TF1Optimizer, Adam):
    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-08, use_locking=False, name="Adam"):
        super().__init__(learning_rate=learning_rate, beta_1=beta1, beta_2=beta2, epsilon=epsilon)


class GradientDescentOptimizer(_TF1Optimizer, SGD):
    def __init__(self, learning_rate, use_locking=False, name="GradientDescent"):
        super().__init__(learning_rate=learning_rate)


class MomentumOptimizer(_TF1Optimizer, SGD):
    """TF 1's `accum = momentum accum + g; w -= lr accum` (Nesterov: `w -= lr (g + momentum accum)`),
    which Keras's SGD momentum equals for a constant learning rate."""

    def __init__(self, learning_rate, momentum, use_locking=False, name="Momentum", use_nesterov=False):
        super().__init__(learning_rate=learning_rate, momentum=momentum, nesterov=use_nesterov)


class RMSPropOptimizer(_TF1Optimizer, RMSprop):
    """TF 1's RMSProp: Keras's update (epsilon inside the square root), with the mean square
    starting at ones as TF 1's does."""

    def __init__(self, learning_rate, decay=0.9, momentum=0.0, epsilon=1e-10, use_locking=False, centered=False,
                 name="RMSProp"):
        super().__init__(learning_rate=learning_rate, rho=decay, momentum=momentum, epsilon=epsilon,
                         centered=centered)

    def _build_slots(self, params):
        super()._build_slots(params)
        with torch.no_grad():
            for v in self._slots["velocity"]:
                v.fill_(1.0)


class AdagradOptimizer(_TF1Optimizer, Adagrad):
    def __init__(self, learning_rate, initial_accumulator_value=0.1, use_locking=False, name="Adagrad"):
        if not initial_accumulator_value > 0:
            raise ValueError(f"tf.train.AdagradOptimizer: initial_accumulator_value must be positive, got "
                             f"{initial_accumulator_value}.")
        # TF 1 divides by sqrt(accumulator), with no epsilon
        super().__init__(learning_rate=learning_rate, initial_accumulator_value=initial_accumulator_value,
                         epsilon=0.0)


for _cls in (AdamOptimizer, GradientDescentOptimizer, MomentumOptimizer, RMSPropOptimizer, AdagradOptimizer):
    _cls.__name__ = _cls.__mro__[2].__name__

_GLOBAL_STEP = []


def get_or_create_global_step(graph=None):
    """The program's global step: an int64, non-trainable tf.Variable starting at 0."""
    if not _GLOBAL_STEP:
        from keraslite.compat.tf_autodiff import Variable

        _GLOBAL_STEP.append(Variable(0, trainable=False, name="global_step", dtype="int64"))
    return _GLOBAL_STEP[0]


def get_global_step(graph=None):
    return _GLOBAL_STEP[0] if _GLOBAL_STEP else None


TRAIN = dict(AdamOptimizer=AdamOptimizer, GradientDescentOptimizer=GradientDescentOptimizer,
             MomentumOptimizer=MomentumOptimizer, RMSPropOptimizer=RMSPropOptimizer, AdagradOptimizer=AdagradOptimizer,
             get_or_create_global_step=get_or_create_global_step, get_global_step=get_global_step,
             create_global_step=get_or_create_global_step)


# ---------------------------------------------------------------------------- TF 1 tf.losses

def _reduce(per_example, weights):
    """TF 1's default reduction, SUM_BY_NONZERO_WEIGHTS: the weighted sum over the number of
    nonzero weights (the mean, for the default weights=1.0)."""
    weights = torch.as_tensor(weights, dtype=per_example.dtype, device=per_example.device)
    weights = torch.broadcast_to(weights, per_example.shape)
    count = torch.count_nonzero(weights)
    total = (per_example * weights).sum()
    return torch.where(count > 0, total / count.clamp(min=1).to(total.dtype), torch.zeros_like(total))


def _tensor(x):
    from keraslite.compat.tensorflow_shim import convert_to_tensor

    return convert_to_tensor(x)


def sparse_softmax_cross_entropy(labels, logits, weights=1.0, scope=None, loss_collection=None, reduction=None):
    logits = _tensor(logits)
    labels = _tensor(labels).to(logits.device).long()
    per_example = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1),
                                                    reduction="none").reshape(labels.shape)
    return _reduce(per_example, weights)


def softmax_cross_entropy(onehot_labels, logits, weights=1.0, label_smoothing=0, scope=None, loss_collection=None,
                          reduction=None):
    logits = _tensor(logits)
    labels = _tensor(onehot_labels).to(device=logits.device, dtype=logits.dtype)
    if label_smoothing:
        labels = labels * (1 - label_smoothing) + label_smoothing / labels.shape[-1]
    per_example = -(labels * torch.log_softmax(logits, dim=-1)).sum(-1)
    return _reduce(per_example, weights)


def mean_squared_error(labels, predictions, weights=1.0, scope=None, loss_collection=None, reduction=None):
    predictions = _tensor(predictions)
    labels = _tensor(labels).to(device=predictions.device, dtype=predictions.dtype)
    return _reduce((predictions - labels) ** 2, weights)


LOSSES = dict(sparse_softmax_cross_entropy=sparse_softmax_cross_entropy, softmax_cross_entropy=softmax_cross_entropy)
V1_LOSSES = dict(LOSSES, mean_squared_error=mean_squared_error)


# ---------------------------------------------------------------------------- tf.compat.v1.nn

def dropout(x, keep_prob=None, noise_shape=None, seed=None, name=None, rate=None):
    """TF 1's tf.nn.dropout: the second argument is the probability to KEEP (TF 2's is the rate
    to drop); `rate=` may be given instead, as TF 1.13+ allowed."""
    if (keep_prob is None) == (rate is None):
        raise ValueError("tf.compat.v1.nn.dropout takes exactly one of `keep_prob` (the probability to keep a "
                         f"value) and `rate` (the probability to drop it); received keep_prob={keep_prob}, "
                         f"rate={rate}.")
    rate = 1.0 - float(keep_prob) if rate is None else float(rate)
    return torch.nn.functional.dropout(_tensor(x), p=rate, training=True)


# ---------------------------------------------------------------------------- sessions and graphs

class _Options:
    """tf.ConfigProto / tf.GPUOptions: takes any keyword and attribute, and configures nothing
    (keraslite places work through torch; tf.config's memory settings are no-ops too)."""

    def __init__(self, **kwargs):
        self.__dict__.update(kwargs)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        value = _Options()
        setattr(self, name, value)
        return value


class ConfigProto(_Options):
    pass


class GPUOptions(_Options):
    pass


class Graph:
    """The default graph, eagerly: `as_default()` and `finalize()` do nothing."""

    def as_default(self):
        import contextlib

        return contextlib.nullcontext(self)

    def finalize(self):
        pass


_DEFAULT_GRAPH = Graph()


class Session:
    """tf.Session: can be built (`config=` is accepted and ignored) and used as a context
    manager, so the GPU-memory boilerplate runs. `run` raises: keraslite runs eagerly, so
    tensors already hold their values."""

    def __init__(self, target="", graph=None, config=None):
        self.graph = graph or _DEFAULT_GRAPH

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def as_default(self):
        import contextlib

        return contextlib.nullcontext(self)

    def run(self, fetches, feed_dict=None, options=None, run_metadata=None):
        raise NotImplementedError(
            "tf.Session.run: keraslite runs TensorFlow programs eagerly and has no graph to run. Tensors already "
            "hold their values (use `t.numpy()` or `np.asarray(t)`); train Keras models with model.fit and custom "
            "loops with tf.GradientTape instead of session.run.")

    def close(self):
        pass


class InteractiveSession(Session):
    pass


SESSIONS = dict(ConfigProto=ConfigProto, GPUOptions=GPUOptions, Session=Session, InteractiveSession=InteractiveSession,
                Graph=Graph, get_default_graph=lambda: _DEFAULT_GRAPH, reset_default_graph=lambda: None)


def gfile(io_gfile):
    """TF 1's tf.gfile: tf.io.gfile's functions under their TF 1 CamelCase names, and the
    snake_case ones too."""
    names = dict(vars(io_gfile))
    return TFNamespace("tensorflow.gfile", **names, Open=io_gfile.GFile, FastGFile=io_gfile.GFile,
                       Exists=io_gfile.exists, MakeDirs=io_gfile.makedirs, MkDir=io_gfile.mkdir,
                       ListDirectory=io_gfile.listdir, Glob=io_gfile.glob, IsDirectory=io_gfile.isdir,
                       Remove=io_gfile.remove, DeleteRecursively=io_gfile.rmtree, Rename=io_gfile.rename,
                       Copy=io_gfile.copy, Walk=io_gfile.walk, open=io_gfile.GFile)

