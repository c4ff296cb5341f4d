// Elementwise opcodes, defined once: the enums here and the name lists Python reads (_core.opcodes).
#pragma once
#include <string>
#include <vector>

#define SK_UNARY_OPS(X) \
    X(NEG) X(ABS) X(SIGN) X(SQUARE) X(SQRT) X(EXP) X(LOG) X(SIN) X(COS) X(TANH) X(SIGMOID) \
    X(SOFTPLUS) X(ROUND) X(FLOOR) X(EXPM1) X(NOT) X(RELU) X(CLIP) X(POWC) X(HARD_SIGMOID)

#define SK_BINARY_OPS(X) \
    X(ADD) X(SUB) X(MUL) X(DIV) X(POW) X(MAXIMUM) X(MINIMUM) X(MOD) X(FLOORDIV) \
    X(EQ) X(NE) X(GT) X(GE) X(LT) X(LE) X(AND) X(OR) X(XOR)

namespace sk {
#define SK_ENUM(name) U_##name,
enum UnaryOp { SK_UNARY_OPS(SK_ENUM) U_COUNT };
#undef SK_ENUM
#define SK_ENUM(name) B_##name,
enum BinaryOp { SK_BINARY_OPS(SK_ENUM) B_COUNT };
#undef SK_ENUM

std::vector<std::string> opcode_names(const std::string& family);
}  // namespace sk
