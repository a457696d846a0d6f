"""MixUp / CutMix on Keras 3's dict inputs {"images", "labels"}: the labels are mixed with the
weights the images were, as Keras mixes them (the random draws themselves differ)."""
import numpy as np
import pytest

import keraslite
from compat_tests.conftest import keras


def _indicator_batch(n=4, size=10):
    """Image i is one-hot channel i everywhere, so an image's channel means are its label mix."""
    images = np.broadcast_to(np.eye(n, dtype="float32")[:, None, None, :], (n, size, size, n)).copy()
    return images, np.eye(n, dtype="float32")


@pytest.mark.parametrize("name,kwargs,tolerance", [("MixUp", {"alpha": 50.0}, 1e-6), ("CutMix", {}, 0.25)])
def test_labels_are_mixed_like_the_images(name, kwargs, tolerance):
    images, labels = _indicator_batch()
    for lib in (keras, keraslite):
        layer = getattr(lib.layers, name)(seed=3, **kwargs)
        out = layer({"images": images, "labels": labels})
        assert sorted(out) == ["images", "labels"]
        got_images = lib.ops.convert_to_numpy(out["images"])
        got_labels = lib.ops.convert_to_numpy(out["labels"])
        assert got_images.shape == images.shape and got_labels.shape == labels.shape
        np.testing.assert_allclose(got_labels.sum(axis=1), 1.0, rtol=1e-5)
        # CutMix weighs labels by the rectangle's real-valued area, the images by whole pixels
        assert np.abs(got_images.mean(axis=(1, 2)) - got_labels).max() < tolerance, lib.__name__
        still = layer({"images": images, "labels": labels}, training=False)
        np.testing.assert_array_equal(lib.ops.convert_to_numpy(still["labels"]), labels)


def test_boxes_and_masks_are_a_clear_error():
    images, labels = _indicator_batch()
    with pytest.raises(NotImplementedError, match="segmentation_masks"):
        keraslite.layers.MixUp()({"images": images, "segmentation_masks": images[..., :1]})
