"""tf.image's non-max suppression functions against hand-worked selections (three clusters of
overlapping unit boxes, TensorFlow's own test layout)."""
import numpy as np
import pytest
import torch

BOXES = np.array([[0, 0, 1, 1], [0, 0.1, 1, 1.1], [0, -0.1, 1, 0.9],
                  [0, 10, 1, 11], [0, 10.1, 1, 11.1], [0, 100, 1, 101]], "float32")
SCORES = np.array([0.9, 0.75, 0.6, 0.95, 0.5, 0.3], "float32")


def arr(t):
    return t.detach().cpu().numpy()


def test_non_max_suppression_keeps_the_best_box_of_each_cluster(tf):
    out = tf.image.non_max_suppression(BOXES, SCORES, 3, iou_threshold=0.5)
    assert out.dtype == torch.int32
    np.testing.assert_array_equal(arr(out), [3, 0, 5])
    np.testing.assert_array_equal(arr(tf.image.non_max_suppression(BOXES, SCORES, 2)), [3, 0])  # at most 2
    flipped = BOXES[:, [2, 3, 0, 1]]  # corners in the other order
    np.testing.assert_array_equal(arr(tf.image.non_max_suppression(flipped, SCORES, 3)), [3, 0, 5])
    # Boxes scoring <= score_threshold are never candidates.
    np.testing.assert_array_equal(arr(tf.image.non_max_suppression(BOXES, SCORES, 6, 0.5, score_threshold=0.4)),
                                  [3, 0])
    # IoU of box 1 with box 0 is 0.9 / 1.1 = 0.818: kept when the threshold is above that.
    np.testing.assert_array_equal(arr(tf.image.non_max_suppression(BOXES, SCORES, 6, 0.85)), [3, 0, 1, 2, 4, 5])
    # Equal scores: the lower index first.
    np.testing.assert_array_equal(arr(tf.image.non_max_suppression(BOXES[[5, 3]], [0.5, 0.5], 2)), [0, 1])
    assert arr(tf.image.non_max_suppression(np.zeros((0, 4), "float32"), np.zeros(0, "float32"), 5)).shape == (0,)


def test_non_max_suppression_checks_its_arguments(tf):
    with pytest.raises(ValueError, match="iou_threshold"):
        tf.image.non_max_suppression(BOXES, SCORES, 3, iou_threshold=1.5)
    with pytest.raises(ValueError, match=r"\[num_boxes, 4\]"):
        tf.image.non_max_suppression(BOXES[:, :3], SCORES, 3)
    with pytest.raises(ValueError, match="scores"):
        tf.image.non_max_suppression(BOXES, SCORES[:4], 3)


def test_yolo_eval_style_gather_of_the_kept_boxes(tf):
    from keraslite import backend as K

    index = tf.image.non_max_suppression(tf.constant(BOXES), tf.constant(SCORES), tf.constant(10, tf.int32),
                                         iou_threshold=0.5)
    np.testing.assert_allclose(arr(K.gather(tf.constant(BOXES), index)), BOXES[[3, 0, 5]])
    np.testing.assert_allclose(arr(K.gather(tf.constant(SCORES), index)), SCORES[[3, 0, 5]])


def test_soft_nms_decays_overlapping_scores(tf):
    indices, scores = tf.image.non_max_suppression_with_scores(BOXES, SCORES, 6, iou_threshold=0.5,
                                                               score_threshold=0.0, soft_nms_sigma=0.5)
    np.testing.assert_array_equal(arr(indices), [3, 0, 1, 5, 4, 2])
    # box 1: 0.75 * exp(-(0.9 / 1.1) ** 2), its IoU with box 0; box 2 also overlaps box 1.
    iou01 = 0.9 / 1.1
    iou12 = 0.8 / 1.2
    expected = [0.95, 0.9, 0.75 * np.exp(-iou01 ** 2), 0.3, 0.5 * np.exp(-iou01 ** 2),
                0.6 * np.exp(-iou01 ** 2) * np.exp(-iou12 ** 2)]
    np.testing.assert_allclose(arr(scores), expected, rtol=1e-5)
    indices, scores = tf.image.non_max_suppression_with_scores(BOXES, SCORES, 6)  # sigma 0: hard NMS
    np.testing.assert_array_equal(arr(indices), [3, 0, 5])
    np.testing.assert_allclose(arr(scores), [0.95, 0.9, 0.3])


def test_padded_and_combined_non_max_suppression(tf):
    indices, valid = tf.image.non_max_suppression_padded(BOXES, SCORES, 5, pad_to_max_output_size=True)
    np.testing.assert_array_equal(arr(indices), [3, 0, 5, 0, 0])
    assert int(valid) == 3
    indices, valid = tf.image.non_max_suppression_padded(np.stack([BOXES, BOXES]), np.stack([SCORES, SCORES[::-1]]),
                                                         4, pad_to_max_output_size=True)
    np.testing.assert_array_equal(arr(indices), [[3, 0, 5, 0], [2, 5, 4, 0]])
    np.testing.assert_array_equal(arr(valid), [3, 3])
    with pytest.raises(ValueError, match="pad_to_max_output_size"):
        tf.image.non_max_suppression_padded(np.stack([BOXES, BOXES]), np.stack([SCORES, SCORES]), 4)

    # Two classes sharing the boxes (q = 1): class 1 prefers the cluster at x = 100.
    boxes = BOXES[None, :, None, :] / 100.0
    scores = np.stack([SCORES, np.array([0.1, 0.1, 0.1, 0.1, 0.1, 0.99], "float32")], axis=-1)[None]
    nmsed_boxes, nmsed_scores, nmsed_classes, valid = tf.image.combined_non_max_suppression(
        boxes, scores, max_output_size_per_class=2, max_total_size=4)
    np.testing.assert_allclose(arr(nmsed_scores), [[0.99, 0.95, 0.9, 0.1]])
    np.testing.assert_array_equal(arr(nmsed_classes), [[1, 0, 0, 1]])
    np.testing.assert_allclose(arr(nmsed_boxes)[0, :3], np.clip(BOXES[[5, 3, 0]] / 100.0, 0, 1))
    np.testing.assert_array_equal(arr(valid), [4])
    _, nmsed_scores, _, valid = tf.image.combined_non_max_suppression(boxes, scores, 1, 6, pad_per_class=True)
    assert nmsed_scores.shape == (1, 2) and int(valid[0]) == 2
