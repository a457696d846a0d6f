"""`model.summary()`: Keras 3's summary table, character for character, without `rich`.

Owns the table: which layers are listed (Sequential / Functional / subclassed), the columns
("Layer (type)", "Output Shape", "Param #", "Connected to" for non-sequential graphs,
"Trainable"), the column widths (Keras's positions, then the reduction `rich` applies to fit
padding and borders into `line_length`), word wrapping inside cells (long words cut with
"…"), the box-drawing borders, and the parameter totals with byte sizes.

Leaves to the models what they are: layers, nodes and weights come from
keraslite.models.{model,sequential,functional}.
"""
import math
import re
import shutil

import numpy as np

__all__ = ["print_summary", "count_params", "weight_memory_size", "readable_memory_size"]

_BITS = {"float16": 16, "bfloat16": 16, "float32": 32, "float64": 64, "int8": 8, "int16": 16, "int32": 32,
         "int64": 64, "uint8": 8, "uint16": 16, "uint32": 32, "uint64": 64, "bool": 1}


# ----------------------------------------------------------------------------- numbers

def _keras_shape(v):
    return tuple(getattr(v, "keras_shape", None) or tuple(v.shape))


def count_params(weights):
    return int(sum(math.prod(_keras_shape(v)) for v in weights))


def weight_memory_size(weights):
    """Bytes the weights take (each weight once), as Keras counts them (bool = 1 bit)."""
    unique = {id(w): w for w in weights}.values()
    bits = 0
    for w in unique:
        dtype = str(w.dtype).replace("torch.", "")
        bits += math.prod(_keras_shape(w)) * _BITS.get(dtype, 32)
    return bits / 8


def readable_memory_size(size):
    for unit in ["B", "KB", "MB", "GB", "TB", "PB"]:
        if size / 1024 < 1:
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} PB"


# ----------------------------------------------------------------------------- cell text

def _format_shape(shape):
    return "(" + ", ".join(str(d) for d in shape) + ")"


def _format_structure(shapes):
    """Several output shapes the way Keras prints a structure of them (quotes removed)."""
    def fmt(s):
        if isinstance(s, tuple) and all(d is None or isinstance(d, int) for d in s):
            return _format_shape(s)
        if isinstance(s, list):
            return [fmt(x) for x in s]
        if isinstance(s, tuple):
            return tuple(fmt(x) for x in s)
        if isinstance(s, dict):
            return {k: fmt(v) for k, v in s.items()}
        return str(s)

    formatted = fmt(shapes)
    from keraslite.models.functional import flatten

    flat = flatten(formatted)
    if len(flat) == 1:
        return flat[0]
    return str(formatted).replace("'", "")


def _output_shape_text(layer):
    nodes = getattr(layer, "_inbound_nodes", [])
    if nodes:
        from keraslite.models.functional import map_structure

        outputs = nodes[-1].outputs
        return _format_structure(map_structure(lambda t: tuple(t.shape), outputs))
    build_shape = getattr(layer, "_build_input_shape", None)
    if build_shape is None or not getattr(layer, "built", False):
        return "?"
    try:
        shape = layer.compute_output_shape(build_shape)
    except Exception:
        return "?"
    if isinstance(shape, list):
        shape = [tuple(s) if isinstance(s, (list, tuple)) else s for s in shape]
    return _format_structure(shape)


def _params_text(layer):
    if not hasattr(layer, "built"):
        return "0"
    if not layer.built:
        return "0 (unbuilt)"
    return f"{count_params(layer.weights):,}"


# ----------------------------------------------------------------------------- layout (as rich)

def _words(text):
    return [(m.start(), m.group(0)) for m in re.finditer(r"\s*\S+\s*", text)]


def _wrap(text, width):
    """Word-wrap one cell's text to `width` like rich: words longer than the width stay whole
    on their own line (and are cut with '…' afterwards)."""
    lines = []
    for paragraph in text.split("\n"):
        breaks = []
        offset = 0
        for start, word in _words(paragraph):
            word_len = len(word.rstrip())
            if width - offset >= word_len:
                offset += len(word)
            elif word_len > width:
                if start:
                    breaks.append(start)
                offset = len(word)
            elif offset and start:
                breaks.append(start)
                offset = len(word)
        bounds = [0] + breaks + [len(paragraph)]
        for a, b in zip(bounds[:-1], bounds[1:]):
            line = paragraph[a:b]
            if len(line) > width:  # trailing spaces beyond the width go first
                excess = len(line) - width
                stripped = line.rstrip()
                line = line[:len(line) - min(len(line) - len(stripped), excess)]
            lines.append(line)
    return lines


def _truncate(line, width):
    return line[:width - 1] + "…" if len(line) > width else line


def _justify(line, width, how):
    if how == "left":
        return _truncate(line, width).ljust(width)
    line = _truncate(line.rstrip(), width)
    if how == "right":
        return line.rjust(width)
    left = (width - len(line)) // 2
    return (" " * left + line).ljust(width)


def _ratio_reduce(total, ratios, maximums, values):
    ratios = [r if m else 0 for r, m in zip(ratios, maximums)]
    total_ratio = sum(ratios)
    if not total_ratio:
        return list(values)
    remaining = total
    out = []
    for ratio, maximum, value in zip(ratios, maximums, values):
        if ratio and total_ratio > 0:
            distributed = min(maximum, round(ratio * remaining / total_ratio))
            out.append(value - distributed)
            remaining -= distributed
            total_ratio -= ratio
        else:
            out.append(value)
    return out


def _ratio_distribute(total, ratios):
    total_ratio = sum(ratios)
    remaining = total
    out = []
    for ratio in ratios:
        distributed = math.ceil(ratio * remaining / total_ratio) if total_ratio > 0 else remaining
        out.append(distributed)
        total_ratio -= ratio
        remaining -= distributed
    return out


def _column_widths(line_length, positions, n_columns):
    widths, current = [], 0
    for pos in positions:
        width = int(pos * line_length) - current
        if width < 4:
            raise ValueError("Insufficient console width to print summary.")
        widths.append(width)
        current += width
    widths = widths[:n_columns]  # extra positions are ignored, as Keras does
    # Each column also holds one space of padding on each side, and the borders take
    # len(widths) + 1 characters: shrink (or grow) the columns evenly to fit line_length.
    max_width = line_length - (len(widths) + 1)
    padded = [min(w + 2, max_width) for w in widths]
    total = sum(padded)
    if total > max_width:
        padded = _ratio_reduce(total - max_width, [1] * len(padded), padded, padded)
    elif total < max_width:
        padded = [w + p for w, p in zip(padded, _ratio_distribute(max_width - total, padded))]
    return padded


def _render_table(header, alignment, rows, widths):
    def rule(left, fill, mid, right):
        return left + mid.join(fill * w for w in widths) + right

    def render_row(cells, vertical, justify, bottom=False):
        wrapped = [_wrap(text, w - 2) for text, w in zip(cells, widths)]
        height = max(len(c) for c in wrapped)
        if bottom:  # header cells sit on the header's last line
            wrapped = [[""] * (height - len(c)) + c for c in wrapped]
        out = []
        for i in range(height):
            parts = []
            for lines, w, how in zip(wrapped, widths, justify):
                text = _justify(lines[i], w - 2, how) if i < len(lines) else " " * (w - 2)
                parts.append(" " + text + " ")
            out.append(vertical + vertical.join(parts) + vertical)
        return out

    lines = [rule("┏", "━", "┳", "┓")]
    lines += render_row(header, "┃", alignment, bottom=True)
    if rows:
        lines.append(rule("┡", "━", "╇", "┩"))
        for i, row in enumerate(rows):
            if i:
                lines.append(rule("├", "─", "┼", "┤"))
            lines += render_row(row, "│", alignment)
        lines.append(rule("└", "─", "┴", "┘"))
    else:
        lines.append(rule("┗", "━", "┻", "┛"))
    return lines


# ----------------------------------------------------------------------------- the summary

def _layer_range(layers, layer_range):
    if layer_range is None:
        return 0, len(layers)
    if len(layer_range) != 2:
        raise ValueError(f"layer_range must be a list or tuple of length 2. Received: layer_range = {layer_range} "
                         f"of length {len(layer_range)}")
    if not isinstance(layer_range[0], str) or not isinstance(layer_range[1], str):
        raise ValueError(f"layer_range should contain string type only. Received: {layer_range}")
    lower = [i for i, l in enumerate(layers) if re.match(layer_range[0], l.name)]
    upper = [i for i, l in enumerate(layers) if re.match(layer_range[1], l.name)]
    if not lower or not upper:
        raise ValueError(f"Passed layer_names do not match the layer names in the model. Received: {layer_range}")
    if min(lower) > max(upper):
        return min(upper), max(lower) + 1
    return min(lower), max(upper) + 1


def _is_sequential_like(model):
    graph = getattr(model, "_graph", None)
    if graph is None:
        return True
    nodes = []
    for depth_nodes in graph.nodes_by_depth.values():
        if len(depth_nodes) > 1 or (len(depth_nodes) == 1 and len(depth_nodes[0].input_tensors) > 1):
            return False
        nodes += depth_nodes
    node_ids = {id(n) for n in nodes}
    for layer in graph.operations:
        if sum(1 for n in layer._inbound_nodes if id(n) in node_ids) > 1:
            return False
    return True


def _sequential_output_shapes(model):
    """id(layer) -> output shape text for a built Sequential, propagated from the model's input
    shape as Keras's symbolic build does: a layer built earlier on other data (a Normalization
    adapted to a 1-D column) still shows the shape it has inside this model."""
    stack = getattr(model, "_stack", None)
    shape = getattr(model, "_batch_input_shape", None)
    if stack is None or shape is None or not model.built:
        return {}
    shapes = {}
    for layer in stack:
        try:
            shape = layer.compute_output_shape(tuple(shape))
        except Exception:
            break
        shapes[id(layer)] = _format_structure(tuple(shape) if isinstance(shape, (list, tuple)) and not any(
            isinstance(s, (list, tuple)) for s in shape) else shape)
    return shapes


def summary_text(model, line_length=None, positions=None, expand_nested=False, show_trainable=False,
                 layer_range=None):
    """The summary as one string (what print_fn receives)."""
    sequential_shapes = _sequential_output_shapes(model)
    graph = getattr(model, "_graph", None)
    layers = graph.operations if graph is not None else model.layers
    sequential_like = _is_sequential_like(model)
    if sequential_like:
        default_length = 88
        positions = positions or [0.45, 0.80, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #"]
        alignment = ["left", "left", "right"]
    else:
        default_length = 108
        positions = positions or [0.3, 0.56, 0.74, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
        alignment = ["left", "left", "right", "left"]
    relevant = graph.nodes if graph is not None else set()
    if show_trainable:
        default_length += 12
        positions = [p * 0.90 for p in positions] + [1.0]
        header.append("Trainable")
        alignment.append("center")
    default_length = min(default_length, shutil.get_terminal_size().columns - 4)
    line_length = line_length or default_length
    widths = _column_widths(line_length, positions, len(header))

    def connections(layer):
        parts = []
        for node in layer._inbound_nodes:
            if relevant and id(node) not in relevant:
                continue
            for t in node.input_tensors:
                h = t._keras_history
                parts.append(f"{h[0].name}[{h[1]}][{h[2]}]")
        return ", ".join(parts) or "-"

    def fields(layer, prefix=""):
        class_name = getattr(layer, "display_class_name", type(layer).__name__)
        shape_text = sequential_shapes.get(id(layer)) if not prefix else None
        row = [f"{prefix}{layer.name} ({class_name})", shape_text or _output_shape_text(layer), _params_text(layer)]
        if not sequential_like:
            row.append(connections(layer))
        if show_trainable:
            if hasattr(layer, "weights") and len(layer.weights) > 0:
                row.append("Y" if layer.trainable else "N")
            else:
                row.append("-")
        return row

    def rows_for(layer, level=0):
        prefix = "   " * level + "└ " if level else ""
        rows = [fields(layer, prefix)]
        sub = getattr(layer, "layers", None) if expand_nested else None
        if sub:
            for inner in sub:
                rows.extend(rows_for(inner, level + 1))
        return rows

    start, stop = _layer_range(layers, layer_range)
    rows = []
    for layer in layers[start:stop]:
        rows.extend(rows_for(layer))

    trainable = model.trainable_weights
    non_trainable = model.non_trainable_weights
    trainable_count, trainable_size = count_params(trainable), weight_memory_size(trainable)
    non_trainable_count, non_trainable_size = count_params(non_trainable), weight_memory_size(non_trainable)
    optimizer = getattr(model, "optimizer", None)
    optimizer_vars = None
    if getattr(model, "compiled", False) and optimizer is not None and getattr(optimizer, "built", False):
        optimizer_vars = list(getattr(optimizer, "variables", []) or [])
    opt_count = count_params(optimizer_vars) if optimizer_vars is not None else 0
    opt_size = weight_memory_size(optimizer_vars) if optimizer_vars is not None else 0

    lines = [f'Model: "{model.name}"']
    # Keras prints through a console as wide as the terminal (80 when there is none): table
    # lines wider than that are cut at its edge.
    console_width = shutil.get_terminal_size().columns
    lines += [line[:console_width] for line in _render_table(header, alignment, rows, widths)]
    total_count = trainable_count + non_trainable_count + opt_count
    total_size = trainable_size + non_trainable_size + opt_size
    lines.append(f" Total params: {total_count:,} ({readable_memory_size(total_size)})")
    lines.append(f" Trainable params: {trainable_count:,} ({readable_memory_size(trainable_size)})")
    lines.append(f" Non-trainable params: {non_trainable_count:,} ({readable_memory_size(non_trainable_size)})")
    if optimizer_vars is not None:
        lines.append(f" Optimizer params: {opt_count:,} ({readable_memory_size(opt_size)})")
    return "\n".join(lines) + "\n"


def print_summary(model, line_length=None, positions=None, print_fn=None, expand_nested=False,
                  show_trainable=False, layer_range=None):
    """Print Keras 3's summary table of `model`; `print_fn` receives the whole text at once."""
    text = summary_text(model, line_length=line_length, positions=positions, expand_nested=expand_nested,
                        show_trainable=show_trainable, layer_range=layer_range)
    if print_fn is None:
        from keraslite.utils.io_utils import print_msg

        print_msg(text, line_break=False)
    else:
        print_fn(text)
