"""The summary table's shape and content (the exact text is checked against Keras in
compat_tests/test_parity_summary.py)."""
import numpy as np
import pytest

import keraslite
from keraslite import layers
from keraslite.utils.summary import readable_memory_size, weight_memory_size


def text_of(model, **kwargs):
    out = []
    model.summary(print_fn=out.append, **kwargs)
    assert len(out) == 1
    return out[0]


def seq():
    return keraslite.Sequential([keraslite.Input((4,)), layers.Dense(8, name="a_name_much_longer_than_its_column"),
                                 layers.Dense(2, name="out")], name="seq")


def test_table_lines_are_line_length_wide():
    text = text_of(seq(), line_length=70)
    table = [l for l in text.splitlines() if l[:1] in "┏┃┡│├└"]
    assert table and all(len(l) == 70 for l in table)
    assert table[0].startswith("┏") and table[-1].startswith("└")
    assert text.startswith('Model: "seq"\n')


def test_params_and_sizes():
    text = text_of(seq())
    # Dense(8) on 4 inputs: 40 params, Dense(2) on 8: 18; float32 = 4 bytes each.
    assert " Total params: 58 (232.00 B)" in text
    assert " Trainable params: 58 (232.00 B)" in text
    assert " Non-trainable params: 0 (0.00 B)" in text
    rows = [l for l in text.splitlines() if "a_name" in l or "out (Dense)" in l]
    assert rows[0].endswith(" 40 │") and rows[1].endswith(" 18 │")


def test_long_names_are_cut_with_ellipsis_and_class_wraps():
    lines = text_of(seq()).splitlines()
    row = [l for l in lines if "a_name" in l][0]
    assert "…" in row
    following = lines[lines.index(row) + 1]
    assert "(Dense)" in following


def test_non_sequential_graph_has_connected_to_column():
    a, b = keraslite.Input((2,), name="a"), keraslite.Input((2,), name="b")
    model = keraslite.Model([a, b], layers.Add(name="sum")([a, b]), name="m")
    text = text_of(model)
    assert "Connected to" in text
    assert "a[0][0], b[0][0]" in text


def test_frozen_layers_count_as_non_trainable():
    i = keraslite.Input((3,))
    frozen = layers.Dense(2)
    frozen.trainable = False
    model = keraslite.Model(i, layers.Dense(1)(frozen(i)))
    text = text_of(model, show_trainable=True)
    assert " Trainable params: 3 (12.00 B)" in text
    assert " Non-trainable params: 8 (32.00 B)" in text
    assert "Trainable" in text.splitlines()[2] or "Trai…" in text.splitlines()[2]


def test_layer_range_selects_rows_and_checks_arguments():
    text = text_of(seq(), layer_range=["out", "out"])
    assert "out (Dense)" in text and "a_name" not in text
    with pytest.raises(ValueError, match="length 2"):
        text_of(seq(), layer_range=["out"])
    with pytest.raises(ValueError, match="do not match"):
        text_of(seq(), layer_range=["nothing", "out"])


def test_too_narrow_is_an_error():
    with pytest.raises(ValueError, match="Insufficient console width"):
        text_of(seq(), line_length=8)


def test_unbuilt_layers_show_question_mark():
    model = keraslite.Sequential([layers.Dense(2)], name="lazy")
    text = text_of(model)
    assert "│ ?" in text and "0 (unbuilt)" in text


def test_summary_prints_to_stdout(capsys):
    seq().summary()
    assert capsys.readouterr().out.startswith('Model: "seq"\n┏')


def test_memory_sizes():
    assert readable_memory_size(196) == "196.00 B"
    assert readable_memory_size(1260) == "1.23 KB"
    assert readable_memory_size(5 * 1024 ** 2) == "5.00 MB"
    w = keraslite.Variable(__import__("torch").zeros(10, 10))
    assert weight_memory_size([w, w]) == 400
