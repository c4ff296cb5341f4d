"""symkeras.backend exposes the Keras 1.2.2 backend list (KERAS1_REFERENCE.md section 2.1),
less CTC."""
import symkeras.backend as K

NAMES = '''
learning_phase set_learning_phase is_sparse to_dense is_explicit_shape variable placeholder
zeros ones eye zeros_like ones_like random_uniform_variable random_normal_variable count_params
get_value batch_get_value set_value batch_set_value get_variable_shape eval print_tensor
shape int_shape ndim dtype cast update update_add update_sub moving_average_update
dot batch_dot transpose gather max min sum prod mean std var any all argmax argmin
square abs sqrt exp log round sign pow clip sin cos maximum minimum equal not_equal greater
greater_equal lesser lesser_equal normalize_batch_in_training batch_normalization l2_normalize
concatenate reshape permute_dimensions repeat_elements repeat tile flatten batch_flatten
expand_dims squeeze stack one_hot reverse pattern_broadcast arange resize_images resize_volumes
temporal_padding asymmetric_temporal_padding spatial_2d_padding asymmetric_spatial_2d_padding
spatial_3d_padding function gradients stop_gradient switch in_train_phase in_test_phase relu
elu softmax softplus softsign sigmoid hard_sigmoid tanh categorical_crossentropy
sparse_categorical_crossentropy binary_crossentropy dropout in_top_k random_normal
random_uniform random_binomial
conv1d conv2d conv3d deconv2d atrous_conv2d separable_conv2d pool2d pool3d
rnn map_fn foldl foldr
epsilon set_epsilon floatx set_floatx cast_to_floatx image_dim_ordering set_image_dim_ordering
get_uid reset_uids is_keras_tensor backend legacy_weight_ordering set_legacy_weight_ordering
'''.split()


def test_every_keras_backend_name_is_callable():
    missing = [n for n in NAMES if not callable(getattr(K, n, None))]
    assert not missing, missing


def test_function_class_is_exported():
    assert K.Function is not None
