"""Every program in examples/ runs through `python -m keraslite` the way a user would run it:
a fresh process, CI=true, no stdin, its own working folder. Each must exit 0 and print what
shows it did its job. (The seeds' parameter counts are checked against real Keras in
compat_tests/test_parity_utils.py.)"""
import glob
import os
import re
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = sorted(glob.glob(os.path.join(ROOT, "examples", "*.py")))

# What each program must print besides exiting 0 (regular expressions).
EXPECTED = {
    "seed_000_dense_class.py": [r"<SVG image/svg\+xml: \d+ bytes>|<IPython\.core\.display\.SVG", r"Total params: "],
    "seed_001_mlp_layer_talk.py": [r"<SVG image/svg\+xml: \d+ bytes>|<IPython\.core\.display\.SVG", r"Total params: "],
    "seed_002_fully_connected.py": [r"Total params: "],
    "seed_003_layer_types.py": [r"<SVG image/svg\+xml: \d+ bytes>|<IPython\.core\.display\.SVG", r"Total params: "],
    "seed_004_ann_structure.py": [r"Total params: ", r"Epoch 200/200", r"reloaded: \[\(100, 64\)",
                                  r"test loss, accuracy: \[[\d.]+, [\d.]+\]"],
    "keras1_mlp_cnn.py": [r"Epoch 5/5", r"mlp loss [\d.]+ acc [\d.]+", r"cnn predictions: \(2, 2\)"],
    "tf_keras2_cnn.py": [r"TensorFlow 2\.", r"Epoch 2/2", r"val_loss", r"test loss [\d.]+ accuracy [\d.]+",
                         r"predicted classes: \[[\d ]+\]"],
    "tf_keras2_data_pipeline.py": [r"element_spec: \(TensorSpec\(shape=\(None, 24, 24, 3\), dtype=tf\.float32",
                                   r"rescaling \(Rescaling\)", r"Epoch 3/3", r"val_loss",
                                   r"checkpoint written: True", r"reloaded checkpoint: val loss [\d.]+ val accuracy [\d.]+",
                                   r"probabilities sum to 1: True", r"prediction accuracy (0\.[3-9]|1\.0)"],
    "tf_keras2_guide_custom_steps.py": [r"Epoch 4/4", r"custom train_step history keys: \['loss', 'mae'\]",
                                        r"weighted loss went down: True",
                                        r"custom test_step evaluate keys: \['loss', 'mae'\] mae below 0\.5: True",
                                        r"own-metrics epochs: 3 reset per epoch: True",
                                        r"endpoint layer\.metrics: \['binary_accuracy'\] accuracy after one call: 0\.50",
                                        r"endpoint model history keys: \['binary_accuracy', 'loss'\] "
                                        r"final accuracy above 0\.9: True",
                                        r"epoch 2: last batch loss [\d.]+, train mae [\d.]+, val mae [\d.]+",
                                        r"penalty terms per forward pass: 1 optimizer steps: 30"],
    "tf_keras2_guide_saving_transfer.py": [r"running total: \[6\.0, 6\.0\] trainable weights: 0 non-trainable: 1",
                                           r"affine config round trip: 8 affine_probe",
                                           r"subclassed model reloaded, same predictions: True",
                                           r"checkpoint restored into the base layers of a model with a new head: True",
                                           r"config and json rebuild: \['Dense', 'Dense'\] True",
                                           r"frozen base: trainable weights 2 base unchanged: True",
                                           r"unfrozen: trainable weights 8", r"normalized mean -?0\.00 std 1\.00",
                                           r"string lookup: \[\[3, 0, 1\]\]",
                                           r"end-to-end string model output shape: \(1, 1\)"],
    "tf_keras2_custom_loop_tf_function.py": [r"Epoch 5, Loss: [\d.]+, Accuracy: [\d.]+, Test Loss: [\d.]+, "
                                             r"Test Accuracy: (9\d|100)\.\d\d, lr: 0\.00328, grad norm: [\d.]+",
                                             r"optimizer steps: 80", r"restored predictions equal: True"],
    "tf_keras2_functional_multi_io.py": [r"plot_model (wrote multi\.png: True|unavailable)", r"Epoch 6/6",
                                         r"val_department_accuracy",
                                         r"evaluate: \{'department_accuracy': [\d.]+, 'department_loss': [\d.]+, "
                                         r"'loss': [\d.]+, 'priority_accuracy': [\d.]+, 'priority_loss': [\d.]+\}",
                                         r"loss is the weighted sum: True", r"prediction shapes: \(150, 1\) \(150, 3\)",
                                         r"json clone layers: 9 same predictions: True"],
    "tf2_custom_training_loop.py": [r"linear fit: w=(2\.9|3\.0)\d b=(1\.9|2\.0)\d", r"element_spec: \(TensorSpec\(shape=\(None, 16\)",
                                    r"Epoch 3, Loss: [\d.]+, Accuracy: [\d.]+, Test Loss", r"Epoch 2/2",
                                    r"val_loss", r"evaluate on tf\.data: loss [\d.]+ accuracy [\d.]+",
                                    r"predicted classes: \[[\d ]+\]"],
    "keras3_multi_output_config.py": [r"backend: torch", r"Epoch 8/8", r"val_value_mae",
                                      r"history keys: \['category_accuracy', 'category_loss', 'loss', "
                                      r"'val_category_accuracy'",
                                      r"evaluate dict keys: \['category_accuracy', 'category_loss', 'loss', "
                                      r"'value_loss', 'value_mae'\]", r"category accuracy > 0\.8: True",
                                      r"prediction keys: \['category', 'value'\]",
                                      r"clone layers: \['features', 'trunk_1', 'trunk_2', 'category', 'value'\]",
                                      r"clone has new weights: True", r"float64 kernel: (torch\.)?float64",
                                      r"epochs run under the cap: 2"],
    "keras3_vit_patches.py": [r"patches of one image: \(1, 16, 48\)", r"Epoch 6/6", r"val_top-2-accuracy",
                              r"test accuracy: [\d.]+ top-2: [\d.]+", r"learned the quadrant rule: True",
                              r"reloaded model gives the same predictions: True"],
    "keras3_guide_model_building.py": [r"weights before the first call: \[\]",
                                       r"weight shapes after it: \[\(4, 3\), \(3,\)\]",
                                       r"max_pooling2d \(MaxPooling2D\) +│ \(None, 9, 9, 8\)",
                                       r"output shape after more add\(\): \(None, 5\)",
                                       r"popped: dense_\d+ layers left: 5",
                                       r"feature shapes: \[\(2, 30, 30, 8\), \(2, 28, 28, 8\), \(2, 9, 9, 8\), "
                                       r"\(2, 7, 7, 8\), \(2, 8\)\]",
                                       r"Epoch 10/10", r"val_department_accuracy",
                                       r"evaluate keys: \['department_accuracy', 'department_loss', 'loss', "
                                       r"'priority_loss'\]", r"department accuracy > 0\.8: True",
                                       r"prediction shapes: \{'department': \(5, 3\), 'priority': \(5, 1\)\}",
                                       r"encoder \(Functional\) +│ \(None, 4\)",
                                       r"sub-models: \['encoder', 'decoder'\]",
                                       r"ensemble is the mean of its members: True",
                                       r"add layer inputs: \[\(None, 7, 7, 8\), \(None, 7, 7, 8\)\]",
                                       r"rebuilt layer config: \{'units': 3, 'scale': 0\.5\}",
                                       r"rebuilt model gives the same outputs: True"],
    "keras3_guide_subclassing.py": [r"weights before build: 0",
                                    r"weights: \['linear/kernel', 'linear/bias'\]",
                                    r"weights are the attributes: True",
                                    r"running total: \[4\.0, 4\.0\] trainable: 0 non-trainable: 1",
                                    r"mlp weights: 6 trainable: 6", r"losses before any call: 0",
                                    r"losses after two calls: 2",
                                    r"inference is the identity: True training zeroes some: True",
                                    r"config: \{'name': 'linear', 'units': 4\} clone units: 4",
                                    r"metric: 0\.75 variables: \['mean_abs_gap/total', 'mean_abs_gap/count'\]",
                                    r"Epoch 6/6", r"history keys: \['loss', 'mean_abs_gap'\]",
                                    r"vae loss fell: True", r"vae sublayers: \['encoder', 'decoder'\] weights: 10",
                                    r"kl term recorded by the last call: 1",
                                    r"reconstruction: \(4, 64\) within \[0, 1\]: True"],
    "keras3_guide_training_callbacks.py": [r"Epoch 3/3",
                                           r"history keys: \['loss', 'sparse_categorical_accuracy', 'val_loss', "
                                           r"'val_sparse_categorical_accuracy'\]",
                                           r"test loss, test acc: \[[\d.]+, (0\.[89]\d*|1\.0)\]",
                                           r"predictions shape: \(3, 5\)",
                                           r"custom_mean_squared_error: loss [\d.]+", r"custom_mse: loss [\d.]+",
                                           r"true positives per epoch: \[[\d.]+, [\d.]+\] at most \d+ : True",
                                           r"class_weight and sample_weight runs logged: True",
                                           r"PyDataset evaluate: 2 values", r"DataLoader steps per epoch: \d+",
                                           r"two-output history keys: \['class_output_categorical_accuracy', "
                                           r"'class_output_loss', 'loss', 'score_output_loss', "
                                           r"'score_output_mean_absolute_error'\]",
                                           r"hooks: train_begin\[\] test_begin\[\] epoch_end\['loss', "
                                           r"'sparse_categorical_accuracy', 'val_loss', "
                                           r"'val_sparse_categorical_accuracy'\] train_end\[.*\] "
                                           r"predict_batch_end\['outputs'\]",
                                           r"Epoch 2: early stopping", r"epochs run before stopping: 2",
                                           r"val_loss improved from None to [\d.]+, saving model to digits_1\.keras",
                                           r"Epoch 2: finished saving model to digits_2\.keras",
                                           r"checkpoint files: \['digits_1\.keras', 'digits_2\.keras'\] "
                                           r"restored predictions equal: True",
                                           r"Epoch 2: learning rate is 0\.0250",
                                           r"scheduled learning rate after 8 steps: 0\.025"],
    "keras3_functional.py": [r"Total params: ", r"evaluate \[loss, mae\]:",
                             r"reloaded model gives the same predictions: True"],
    "keras3_text_vectorization.py": [r"vocabulary size: \d+", r"first tokens: \['', '\[UNK\]'",
                                     r"vectorized: \(96, 12\) int64", r"Epoch 30/30",
                                     r"evaluate loss [\d.]+ accuracy [\d.]+", r"'boring, awful and dull': \w+",
                                     r"end-to-end accuracy on raw strings [\d.]+"],
    "keras1_merge_branches.py": [r"Epoch 5/5", r"loss [\d.]+, accuracy [\d.]+", r"\[[01 ]+\]"],
    "lstm_text_classifier.py": [r"padded: \(160, 12\) int32", r"Epoch 3/3", r"loss [\d.]+ accuracy [\d.]+"],
    "keras2_image_generator.py": [r"Found 32 images belonging to 2 classes\.",
                                  r"class_indices: \{'dark': 0, 'light': 1\}", r"Epoch 3/3", r"val_loss",
                                  r"evaluate_generator \[loss, accuracy\]: \[[\d.]+, [\d.]+\]",
                                  r"predict_generator: \(16, 1\)", r"dark/dark\.000\.png -> [\d.]+"],
    "keras3_transformer_text.py": [r"Total params: 19,038", r"Epoch 3/3", r"validation loss [\d.]+ accuracy [\d.]+",
                                   r"attention scores: \(2, 2, 40, 40\)", r"weight on padding: 0\.0\b",
                                   r"reloaded model gives the same predictions: True"],
    "keras1_mnist_mlp.py": [r"1000 train samples", r"Total params: 669,706", r"Epoch 3/3", r"val_accuracy",
                            r"Test score: [\d.]+", r"Test accuracy: [\d.]+",
                            r"score after one more epoch: loss [\d.]+, acc [\d.]+",
                            r"maxout \+ highway weights: \[\(4, 784, 64\), \(4, 64\), \(64, 64\), \(64, 64\), "
                            r"\(64,\), \(64,\)\]", r"maxout \+ highway test accuracy: [\d.]+"],
    "keras1_imdb_cnn.py": [r"X_train shape: \(400, 40\)", r"Epoch 3/3",
                           r"global max pooling: test loss [\d.]+, test accuracy [\d.]+",
                           r"after MaxPooling1D\(pool_length=38\): \(None, 1, 32\)",
                           r"local max pooling: test \[loss, acc\] = \[[\d.]+, [\d.]+\]",
                           r"Found 20 unique tokens\.", r"Shape of data tensor: \(200, 12\)",
                           r"one_hot\(\"the film was great\", 50\): 4 indices", r"frozen embedding unchanged: True"],
    "keras1_imdb_rnn.py": [r"X_train shape: \(320, 20\)", r"Epoch 3/3", r"LSTM test score: [\d.]+, test accuracy",
                           r"predict_classes: \(8, 1\) \[[01 ]+\]", r"predict_proba: \(8, 1\) in \[0, 1\]: True",
                           r"stacked GRU output shapes: \[\(None, 20, 16\), \(None, 20, 16\), \(None, 20, 16\), "
                           r"\(None, 8\), \(None, 1\)\]",
                           r"SimpleRNN\(input_dim=4, input_length=6\) input shape: \(None, 6, 4\)",
                           r"Bidirectional output shape: \(None, 32\)",
                           r"functional bidirectional: \[loss, acc\] = \[[\d.]+, [\d.]+\]"],
    "keras1_th_convnet.py": [r"image_dim_ordering: th", r"X_train shape: \(256, 1, 28, 28\)",
                             r"conv2d \(Conv2D\)\s+│ \(None, 8, 28, 28\)", r"\(None, 8, 15, 15\)", r"Epoch 3/3",
                             r"Test accuracy: [\d.]+",
                             r"BatchNormalization\(axis=1\) keeps one gamma per channel: \(8,\)",
                             r"maxnorm\(2\) holds after training: True", r"autoencoder output shape: \(4, 1, 28, 28\)"],
    "keras1_model_io.py": [r"Epoch \d+: early stopping", r"trained for \d+ epochs", r"saving model to .*weights\.\d\d-",
                           r"model_from_json layers: \['Dense', 'Activation', 'Dropout', 'Dense'\]",
                           r"JSON \+ weights reload gives the same predictions: True",
                           r"model_from_yaml layers: 4|to_yaml is not available: .*needs PyYAML",
                           r"best checkpoint val_loss: ([\d.]+) \(history min \1\)",
                           r"load_model predictions equal: True",
                           r"MyLayer output shape: \(None, 8\) - W trained: True",
                           r"custom layer reloaded, same predictions: True"],
    "keras1_seq2seq_functional.py": [r"Epoch 3/3", r"decoder output shape: \(3, 5, 10\)",
                                     r"TimeDistributedDense output shape: \(None, 5, 10\)",
                                     r"Merge\(mode=\"sum\"\) output shape: \(None, 16\)",
                                     r"main_output_loss", r"multi-output evaluate: \['[\d.]+', '[\d.]+', '[\d.]+'\]",
                                     r"hidden layer output: \(4, 32\)", r"shared LSTM weights counted once: True",
                                     r"K.function output shape: \(6, 32\)", r"test phase is deterministic: True",
                                     r"train phase applies dropout: True"],
    "keras2_cifar10_cnn.py": [r"x_train shape: \(192, 32, 32, 3\)", r"Using real-time data augmentation\.",
                              r"featurewise mean per channel: \[[\d. ]+\] std: \[[\d. ]+\]", r"Epoch 3/3",
                              r"val_loss", r"learning rate: 1e-04", r"Test loss: [\d.e-]+",
                              r"Test accuracy: [\d.]+"],
    "keras2_variational_autoencoder.py": [r"Model: \"encoder\"", r"Model: \"vae_mlp\"", r"Epoch 5/5",
                                          r"loss went from ([\d.]+) to ([\d.]+)", r"validation loss: [\d.]+",
                                          r"latent means: \(128, 2\)", r"decoded grid: \(9, 14, 14\)",
                                          r"weights reloaded: True"],
    "keras2_lstm_text_generation.py": [r"x: \(\d+, 20, \d+\) bool y: \(\d+, \d+\) bool", r"Epoch 3/3",
                                       r"----- Generating text after Epoch: 2", r"----- diversity: 1\.0",
                                       r"loss per epoch: \['[\d.]+', '[\d.]+', '[\d.]+'\]"],
    "keras2_addition_rnn.py": [r"Total addition questions: 2000", r"\(1800, 5, 12\)", r"\(1800, 3, 12\)",
                               r"repeat_vector \(RepeatVector\)", r"Total params: 53,516", r"Iteration 3",
                               r"val_accuracy", r"Q [\d+ ]+T [\d ]+", r"predict_classes: \(4, 3\) i",
                               r"predict_proba: \(4, 3, 12\)"],
    "keras2_filter_visualization.py": [r"Epoch 3/3", r"filter 0: activation [\d.]+ -> [\d.]+",
                                       r"grads shape: \(1, 16, 16, 3\)",
                                       r"filters excited more after ascent: (\d+) of \1 active",
                                       r"style loss [\d.]+ -> [\d.]+ \(lower: True\)"],
    "keras2_pooling_switches.py": [r"lambda \(Lambda\)", r"Epoch 6/6", r"reconstruction loss [\d.]+ -> [\d.]+",
                                   r"mask shape: \(4, 12, 12, 6\)", r"every switch is at a window maximum: True",
                                   r"one switch per window: True",
                                   r"projection share_weights=True kernel \(1, 4, 6\): loss [\d.]+ -> [\d.]+",
                                   r"projection share_weights=False kernel \(8, 4, 6\): loss [\d.]+ -> [\d.]+"],
    "keras2_ctc_ocr.py": [r"softmax \(Activation\)", r"Epoch 12/12", r"ctc loss [\d.]+ -> [\d.]+",
                          r"softmax output: \(64, 18, 5\)", r"decoded: 64 sequences, log_prob \(64, 1\)",
                          r"truth = [a-d]+ +decoded = [a-d]*", r"exact matches: [1-9]\d* / 64"],
    "keras2_mnist_siamese.py": [r"training pairs: \(\d+, 2, 14, 14\)", r"lambda \(Lambda\)", r"Epoch 4/4",
                                r"history keys: \['accuracy', 'loss', 'val_accuracy', 'val_loss'\]",
                                r"\* Accuracy on training set: [\d.]+%", r"\* Accuracy on test set: [\d.]+%",
                                r"shared base network weights: 6 == 6"],
    "tf_keras2_antirectifier.py": [r"Sequence: 8 batches, first batch \(64, 20\)", r"\(Antirectifier\)",
                                   r"Epoch 3/3", r"val_category_accuracy", r"val_score_mae",
                                   r"evaluate: \{'loss': [\d.]+, 'category_loss'",
                                   r"reloaded from h5: \['Antirectifier', 'Antirectifier'\] same predictions: True",
                                   r"subclassed model history keys: \['loss', 'mae', 'val_loss', 'val_mae'\]",
                                   r"subclassed evaluate: \{'loss': [\d.]+, 'mae': [\d.]+\}"],
    "keras3_mnist_convnet.py": [r"x_train shape: \(600, 28, 28, 1\)", r"y_train shape: \(600, 10\)",
                                r"Total params: 12,810", r"Epoch 3/3",
                                r"history keys: \['accuracy', 'loss', 'val_accuracy', 'val_loss'\]",
                                r"Test accuracy: [\d.]+", r"predictions: \(4, 10\) rows sum to 1: True"],
    "keras3_timeseries_classification.py": [r"x_train: \(320, 64, 1\) classes: 2", r"Total params: 1,858",
                                            r"Non-trainable params: 96", r"learning_rate: ",
                                            r"best checkpoint written: True", r"Test accuracy [\d.]+",
                                            r"reloaded model is the best epoch's: True"],
    "keras3_vae_gan_train_step.py": [r"Model: \"encoder\"", r"Total params: 4,772", r"Total params: 1,521",
                                     r"VAE history keys: \['kl_loss', 'loss', 'reconstruction_loss'\]",
                                     r"VAE loss went down: True", r"latent means: \(8, 2\) decoded: \(8, 12, 12, 1\)",
                                     r"GAN history keys: \['d_loss', 'g_loss'\]", r"discriminator updated: True",
                                     r"generator updated: True", r"optimizer steps \(d, g\): 8 8",
                                     r"generated samples: \(3, 12, 12, 1\) in \[0, 1\]: True"],
    "keras3_recipe_endpoint_trainer.py": [r"Epoch 4/4",
                                          r"endpoint history keys: \['accuracy', 'loss', 'mean_abs_logit', 'mean_score'\]",
                                          r"metrics: \['loss', 'mean_abs_logit', 'accuracy', 'mean_score'\]",
                                          r"endpoint accuracy > 0\.9: True", r"inference model agrees on labels: True",
                                          r"trainer\[sequential\] keys: \['accuracy', 'loss', 'val_accuracy', 'val_loss'\] "
                                          r"loss fell: True",
                                          r"trainer\[functional\] keys: .* loss fell: True",
                                          r"rff weights: \[\('unscaled_kernel', \(20, 512\)\), \('bias', \(512,\)\), "
                                          r"\('kernel_scale', \(1,\)\)\] trainable: 0",
                                          r"quasi-SVM train acc (0\.[89]\d|1\.00) val acc [\d.]+",
                                          r"seeded initializers equal: True", r"same history twice: True"],
    "keras3_vision_mixer_contrastive.py": [r"x_train shape: \(320, 16, 16, 3\) - y_train shape: \(320, 1\)",
                                           r"normalization mean shape: \(1, 1, 1, 3\)",
                                           r"patches of one image: \(1, 16, 48\)",
                                           r"mlp-mixer: history \['acc', 'learning_rate', 'loss', 'top2-acc', 'val_acc', "
                                           r"'val_loss', 'val_top2-acc'\]",
                                           r"mlp-mixer: test accuracy [\d.]+ top-2 [\d.]+ learned: True",
                                           r"gmlp: test accuracy [\d.]+ top-2 [\d.]+ learned: True",
                                           r"random_size output shape: \(None, None, None, 3\)",
                                           r"contrastive loss fell: True",
                                           r"trainable weights: 4 frozen encoder unchanged: True",
                                           r"frozen-encoder test accuracy: [\d.]+"],
    "keras3_vision_wgan_gp.py": [r"real images: \(96, 12, 12, 1\) -1\.0 1\.0",
                                 r"critic output: \(None, 1\) generator output: \(None, 12, 12, 1\)",
                                 r"second-order gradients: 5 of 6", r"Epoch 3/3",
                                 r"history keys: \['c_loss', 'g_loss', 'gp'\]", r"critic updated: True",
                                 r"generator updated: True", r"optimizer steps \(critic, generator\): 18 9",
                                 r"samples written: \['sample_0_0\.png', .*'sample_1_2\.png'\]",
                                 r"<Image image: \d+ bytes>|<IPython\.core\.display\.Image"],
    "keras3_vision_files_segmentation.py": [r"Deleted 2 images", r"Found 48 files belonging to 2 classes\.",
                                            r"Using 39 files for training\.", r"Using 9 files for validation\.",
                                            r"class names: \['Plain', 'Striped'\]",
                                            r"classifier: val accuracy [\d.]+ keys \['accuracy', 'loss', 'val_accuracy', "
                                            r"'val_loss'\]",
                                            r"striped probe: [\d.]+% plain and [\d.]+% striped",
                                            r"Number of samples: 40 \| images/pet_00\.jpg \| annotations/trimaps/pet_00\.png",
                                            r"segmentation loss fell: True checkpoint written: True",
                                            r"val masks: \(8, 32, 32, 3\) pixel accuracy [\d.]+ better than the majority "
                                            r"class: True", r"mask image: L \(32, 32\)"],
    "keras3_unet_segmentation.py": [r"images: \(96, 32, 32, 3\) float32 masks: \(96, 32, 32, 1\) int32",
                                    r"layers: 42 params: 43011", r"Epoch 5/5", r"val_iou",
                                    r"history keys: \['accuracy', 'iou', 'loss', 'val_accuracy', 'val_iou', 'val_loss'\]",
                                    r"reloaded: small_unet loss: combined_loss",
                                    r"predicted masks: \(4, 32, 32\) classes found: \[0, 1, 2\]",
                                    r"reloaded val_loss matches best epoch: True"],
    "keras3_collaborative_filtering.py": [r"ratings: \d+ users: 60 movies: 80", r"Epoch 5/5", r"val_rmse",
                                          r"history keys: \['loss', 'rmse', 'val_loss', 'val_rmse'\]",
                                          r"regularization losses: 2", r"validation loss [\d.]+ rmse [\d.]+",
                                          r"top 5 by ops\.top_k: \[\d+(, \d+){4}\]", r"same ranking: True",
                                          r"keras\.ops\.sigmoid agrees: True"],
    "keras3_guide_saving_hooks.py": [r"layer groups: \['dense', 'input_layer', 'shifted_dense'\]",
                                     r"shifted layer stores: \['0', '1', 'shift'\]",
                                     r"'config': 'guide_demo>cube_plus', 'registered_name': 'function'",
                                     r"shift restored: True", r"same predictions: True", r"optimizer step restored: True",
                                     r"asset files: \['assets/layers/vocab_dense/vocab.txt'\]",
                                     r"vocabulary back: \['red', 'green', 'blue'\]", r"build config back: 0.5 True True",
                                     r"compile_config: \{'optimizer': 'sgd', 'loss_fn': \{'module': 'builtins'",
                                     r"compile hooks: sgd True True", r"'class_name': 'L2', 'config': \{'l2': 0.01\}",
                                     r"clone layers: \['shifted', 'head'\]", r"from json: shifted_model True",
                                     r"weights file round trip: True"],
    "keras3_guide_masking_rnn.py": [r"padded: \(256, 11\) int32",
                                    r"embedding mask: \[\[1, 1, 1, 1, 0, 0, 0, 0, 0, 0\], \[1, 1, 1, 1, 0, 0, 0, 0, 0, 0\]\]",
                                    r"half masks: \(2, 5\) \(2, 5\) True", r"symbolic mask: \(None, None\) bool",
                                    r"Model: \"masked_lstm\"", r"Total params: 1,777", r"accuracy went up: True",
                                    r"padding length does not matter: True",
                                    r"seq2seq output: \(None, 5\) states: \(None, 12\) \(None, 12\)",
                                    r"seq2seq call: \(3, 5\)", r"chunks equal the whole sequence: True",
                                    r"states after reset: \[0.0, 0.0\] carried shapes: \[\(4, 6\), \(4, 6\)\]",
                                    r"new layer from carried states: \(4, 6\)", r"RNN\(LSTMCell\) == LSTM: True",
                                    r"bidirectional_1 \(Bidirectional\) │ \(None, 4\)", r"Total params: 1,759",
                                    r"bidirectional output: \(2, 3\)"],
    "keras3_guide_torch_training.py": [r"history keys: \['loss', 'mae'\]", r"custom step matches built-in: True True",
                                       r"loss went down: True", r"custom test_step: True",
                                       r"epoch 2: steps=15 penalties per pass=\[1\] train_acc_ok=True val_acc_ok=True",
                                       r"optimizer iterations: 45",
                                       r"running sum: \[4.0, 4.0\] trainable: 0 non-trainable: 1",
                                       r"normalization mean: \(1, 3\) \[\[0.8000\d*, 0.899\d*, 1.0\]\] mean row maps to zero: True"],
    "keras3_custom_fit_contrastive.py": [r"triplets: \[\(512, 16\), \(512, 16\), \(512, 16\)\]", r"Model: \"embedder\"",
                                         r"Total params: 808", r"Epoch 4/4", r"val_triplet_accuracy",
                                         r"Model: \"triplet_model\"", r"Optimizer params: 1,618",
                                         r"lambda callback saw 4 epochs", r"lambda losses match history: True",
                                         r"csv header: \['epoch', 'loss', 'triplet_accuracy', 'val_loss', "
                                         r"'val_triplet_accuracy'\]", r"csv rows: 4",
                                         r"learned to separate clusters: True",
                                         r"embedding norms: \[1\.0, 1\.0, 1\.0, 1\.0, 1\.0\]",
                                         r"fresh model differs before loading: True",
                                         r"loaded weights give the same embeddings: True"],
    "keras3_char_seq2seq.py": [r"Number of unique output tokens: 7", r"Total params: 10,215", r"Epoch 12/12",
                               r"encoder model outputs: \[\(None, 32\), \(None, 32\)\]",
                               r"decoder model inputs: \[\(None, None, 7\), \(None, 32\), \(None, 32\)\]",
                               r"Decoded sentence: '[a-e\\n]+'", r"decoded correctly: \d+ of 10"],
    "keras3_applications_transfer.py": [r"base model: mobilenetv2_0\.35_32 layers: 154 output: \(None, 1, 1, 1280\) params: 410208",
                                        r"frozen base trainable weights: 0 non-trainable: 260",
                                        r"model trainable weights: 2 trainable params: 1281", r"Epoch 2/2",
                                        r"base weights unchanged by training the head: True",
                                        r"unfrozen model trainable weights: 158",
                                        r"base weights changed by fine-tuning: True",
                                        r"history keys: \['binary_accuracy', 'loss', 'val_binary_accuracy', 'val_loss'\]",
                                        r"predicted probabilities: \(4, 1\) in \[0, 1\]: True"],
    "keras3_image_augmentation.py": [r"augmented batch: \(9, 32, 32, 3\) changed: True", r"Model: \"functional_1\"",
                                     r"Total params: 6,081", r"Epoch 3/3",
                                     r"checkpoints: \['save_at_1\.keras', 'save_at_2\.keras', 'save_at_3\.keras'\]",
                                     r"predict is deterministic: True", r"loaded image: \(32, 32, 3\) float32",
                                     r"This image is [\d.]+% square and [\d.]+% disc",
                                     r"last checkpoint gives the same predictions: True"],
    "keras3_structured_data.py": [r"thal vocabulary: \['\[UNK\]', ", r"encoded features: \(None, 20\)",
                                  r"Total params: 717", r"Epoch 10/10", r"validation loss [\d.]+ accuracy [\d.]+",
                                  r"prediction shape: \(1, 1\)", r"had a [\d.]+ percent probability"],
    "keras2_conv_lstm_frames.py": [r"frames: \(32, 6, 16, 16, 1\) targets: \(32, 6, 16, 16, 1\)",
                                   r"conv_lstm2d \(ConvLSTM2D\)", r"Total params: 7,545", r"Epoch 2/2",
                                   r"val_loss", r"predicted sequence: \(4, 4, 16, 16, 1\)",
                                   r"predicted next frame: \(4, 16, 16, 1\)",
                                   r"mean absolute pixel error: [\d.]+"],
    "keras3_text_translation_masking.py": [r"target vocabulary: \['', '\[UNK\]', '\[start\]', '\[end\]'\]",
                                           r"encoder_inputs: \(32, 8\) decoder_inputs: \(32, 8\) targets: \(32, 8\)",
                                           r"encoder output: \(None, None, 16\) decoder output: \(None, None, 14\)",
                                           r"Epoch 8/8", r"final val_accuracy [\d.]+",
                                           r"-> \[start\] [a-z ]+\[end\]"],
    "keras3_text_token_tagging.py": [r"vocabulary: 13 words; first line: b'\d\\t",
                                     r"padded batch: \(16, \d\) \(16, \d\) padding tags: \d+", r"Epoch 6/6",
                                     r"10/10 - ", r"training calls that saw training=True: 60",
                                     r"sample ids: \[\[\d+, \d+, \d+, \d+, \d+\]\] tags: \[\[[0-3, ]+\]\]",
                                     r"scored tokens: (\d+) == \1 accuracy [\d.]+"],
    "keras3_text_conv_from_files.py": [r"Using 80 files for training", r"Using 20 files for validation",
                                       r"classes: \['neg', 'pos'\] batches: 5 2", r"'<br' kept: False",
                                       r"conv stack output: \(None, None, 16\)", r"trainable weights: 6 frozen: 1",
                                       r"Epoch 8/8", r"validation loss [\d.]+ accuracy [\d.]+",
                                       r"embedding unchanged by training: True",
                                       r"raw-string predictions: \['(pos|neg)', '(pos|neg)'\]"],
    "keras3_tabular_dataset_lookups.py": [r"one element: \{'age': \d+, 'chol': \d+, 'cp': \[[01, ]+\], "
                                          r"'thal': \[[01, ]+\]\} label [01]", r"age: mean [\d.]+",
                                          r"encoded features: \(None, 9\)", r"validation loss [\d.]+ accuracy [\d.]+",
                                          r"a [\d.]+ percent probability of the positive class"],
    "keras3_tabular_wide_deep_cross.py": [r"columns: \['elevation', 'slope', 'area', 'soil'\] label dtype: \S*int32",
                                          r"area sample: \[b'area_\d' b'area_\d'\]",
                                          r"wide_and_deep: 1980 parameters, inputs \['string', 'float32', 'float32', "
                                          r"'string'\]", r"wide_and_deep test accuracy: [\d.]+%",
                                          r"deep_and_cross: 2012 parameters", r"deep_and_cross test accuracy: [\d.]+%"],
}


def test_every_example_has_expectations():
    assert EXAMPLES, "examples/ is empty"
    assert sorted(os.path.basename(p) for p in EXAMPLES) == sorted(EXPECTED)


def _has_pillow():
    try:
        import PIL  # noqa: F401
    except ImportError:
        return False
    return True


def _can_draw():
    try:
        import pydot  # noqa: F401
    except ImportError:
        return False
    return shutil.which("dot") is not None


@pytest.mark.parametrize("path", EXAMPLES, ids=[os.path.basename(p) for p in EXAMPLES])
def test_example_runs(path, tmp_path):
    with open(path, encoding="utf-8") as f:
        source = f.read()
    if "model_to_dot" in source and not _can_draw():
        pytest.skip("this tutorial draws its model: it needs pydot (`pip install pydot`, part of the [test] "
                    "extra) and graphviz's `dot` (`apt-get install graphviz`)")
    if ("keras.preprocessing.image" in source or "load_img(" in source) and not _has_pillow():
        pytest.skip("this tutorial reads and writes image files: it needs Pillow (`pip install pillow`, part of "
                    "the [test] extra)")
    env = dict(os.environ, CI="true", OMP_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join([ROOT] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    env.pop("DISPLAY", None)
    out = subprocess.run([sys.executable, "-m", "keraslite", path], capture_output=True, text=True,
                         stdin=subprocess.DEVNULL, cwd=tmp_path, env=env, timeout=600)
    assert out.returncode == 0, f"{os.path.basename(path)} failed:\n{out.stdout[-2000:]}\n{out.stderr[-4000:]}"
    for pattern in EXPECTED[os.path.basename(path)]:
        assert re.search(pattern, out.stdout), (
            f"{os.path.basename(path)}: expected /{pattern}/ in its output:\n{out.stdout[-3000:]}")
