// The dispatch table of one instance: included last by kernels_<isa>.c, after the family's bodies,
// with KERNEL_ISA, KERNEL_NAME and KERNEL_TABLE naming the instance.
#ifndef ATTEND_FAMILY_TABLE_H
#define ATTEND_FAMILY_TABLE_H

const attend_kernel_table KERNEL_TABLE = {
    .isa = KERNEL_ISA,
    .name = KERNEL_NAME,
    .lanes = VF_LANES,
    .attention_query_block = ATTENTION_QUERY_BLOCK,
    .attention_key_block = ATTENTION_KEY_BLOCK,
    .attention_tile_rows = ATTENTION_TILE_ROWS,
    .attention_tile_queries = 2 * VF_LANES,
    .attention_scratch_floats = attention_scratch_floats,
    .attention = attention,
    .exp_shift_sum = exp_shift_sum,
    .matvec_q8_0 = matvec_q8_0,
    .matvec_q4_0 = matvec_q4_0,
    .matvec_q4_1 = matvec_q4_1,
    .matvec_inputs_q8_0 = matvec_inputs_q8_0,
    .matvec_inputs_q4_1 = matvec_inputs_q4_1,
    .dequantize_q8_0 = dequantize_q8_0,
    .dequantize_q4_0 = dequantize_q4_0,
    .dequantize_q4_1 = dequantize_q4_1,
    .matvec_q5_0 = matvec_q5_0,
    .matvec_q5_1 = matvec_q5_1,
    .matvec_q4_k = matvec_q4_k,
    .matvec_q5_k = matvec_q5_k,
    .matvec_q6_k = matvec_q6_k,
    .dequantize_q5_0 = dequantize_q5_0,
    .dequantize_q5_1 = dequantize_q5_1,
    .dequantize_q4_k = dequantize_q4_k,
    .dequantize_q5_k = dequantize_q5_k,
    .dequantize_q6_k = dequantize_q6_k,
    .bias_activation = bias_activation,
    .residual_layernorm = residual_layernorm,
};

#endif
