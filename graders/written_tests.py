"""The chaffs of the write-the-tests exercises: which catalogued mistakes each one hides.

Every wheat (the reference and each catalogued alternative of the exercise tested) must pass a
student's tests; each chaff below that they catch earns its weight (descent.testwriting.hidden:
2 for a mistake wrong on everyday inputs, 1 for one wrong only at an edge, plus ``seen``, at most
3). ``seen`` counts the submissions whose mistake is this one in the development set of 75 real
learners' submissions the kit's feedback is tuned on, as read by hand; the kit never reads that
set. Students never see this file: which mistakes are hidden is what they must think
of. ``descent audit --written`` checks it (every chaff a bug of the exercise, caught by the
reference suite in ``solutions/``, every wheat passing that suite).
"""

from descent.testwriting.hidden import Chaff

CHAFFS = {
    "losses.mse.tests": [
        Chaff("mse_sum"),
        Chaff("mse_mean_over_rows"),
        Chaff("mse_grad_no_2"),
        Chaff("mse_grad_div_batch"),
        Chaff("mse_ignores_upstream"),
        Chaff("mse_float32"),
    ],
    "losses.cross_entropy.tests": [
        Chaff("ce_no_max_subtraction", seen=1),
        Chaff("ce_log_of_softmax", seen=6),
        Chaff("ce_sum_over_batch"),
        Chaff("ce_grad_no_div_n"),
        Chaff("ce_grad_sign"),
        Chaff("ce_label_smoothing_c_minus_1"),
        Chaff("ce_label_smoothing_no_uniform"),
        Chaff("ce_weighted_mean_over_n"),
        Chaff("ce_backward_grad_per_argument"),
    ],
    "layers.linear.tests": [
        Chaff("linear_column_vectors"),
        Chaff("linear_dW_transposed"),
        Chaff("linear_db_mean", seen=1),
        Chaff("linear_db_not_reduced"),
        Chaff("linear_dx_uses_WT"),
        Chaff("linear_ignores_upstream_db"),
    ],
    "optim.adam.tests": [
        Chaff("adam_t_starts_at_0"),
        Chaff("adam_t_plus_one", seen=2),
        Chaff("adam_no_bias_correction", seen=2),
        Chaff("adam_only_m_corrected"),
        Chaff("adam_eps_inside_sqrt"),
        Chaff("adam_eps_added_to_param"),
        Chaff("adam_eps_hat_form"),
        Chaff("adam_step_as_tensor"),
        Chaff("adam_moments_in_place"),
        Chaff("adam_param_in_place", seen=1),
        Chaff("adam_decoupled_decay"),
    ],
    "normalization.batchnorm.tests": [
        Chaff("bn_running_var_biased", seen=5),
        Chaff("bn_momentum_flipped"),
        Chaff("bn_normalize_unbiased"),
        Chaff("bn_eps_outside_sqrt", seen=1),
        Chaff("bn_eval_no_affine", seen=1),
        Chaff("bn_eval_uses_batch_stats"),
        Chaff("bn_eval_updates_running"),
        Chaff("bn_keepdim_statistics"),
        Chaff("bn_running_in_place"),
        Chaff("bn_backward_ignores_stat_grads"),
        Chaff("bn_backward_ignores_var_grad"),
        Chaff("bn_dgamma_not_reduced"),
        Chaff("bn_dbeta_mean"),
        Chaff("bn_eval_backward_as_train", seen=1),
        Chaff("bn_var_from_squares"),
    ],
    "regularization.dropout.tests": [
        Chaff("dropout_no_rescale", seen=1),
        Chaff("dropout_p_is_keep_prob", seen=3),
        Chaff("dropout_active_in_eval"),
        Chaff("dropout_backward_unscaled"),
        Chaff("dropout_backward_new_mask"),
        Chaff("dropout_p1_divzero", seen=1),
        Chaff("dropout_shared_mask", seen=1),
        Chaff("dropout_scale_by_keep"),
        Chaff("dropout_randn_mask", seen=1),
        Chaff("dropout_ignores_generator"),
        Chaff("dropout_mutates_input"),
        Chaff("dropout_backward_ignores_identity"),
    ],
    "schedules.warmup_cosine_lr.tests": [
        Chaff("warmup_starts_at_zero", seen=1),
        Chaff("warmup_cosine_not_shifted"),
        Chaff("warmup_cosine_too_long"),
        Chaff("warmup_from_min_lr"),
        Chaff("warmup_divides_by_zero"),
    ],
    "clipping.clip_grad_norm.tests": [
        Chaff("clip_per_tensor"),
        Chaff("clip_always_rescales"),
        Chaff("clip_returns_post_norm"),
        Chaff("clip_sum_of_norms"),
        Chaff("clip_ignores_norm_type"),
        Chaff("clip_inf_by_formula"),
        Chaff("clip_norm_in_place", seen=1),
        Chaff("clip_no_eps"),
        Chaff("clip_squared_norm"),
        Chaff("clip_returns_float"),
    ],
}
