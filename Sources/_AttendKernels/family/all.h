// Every kernel of the family, in dependency order, then the instance's dispatch table. Included
// once by each kernels_<isa>.c after its vocabulary header and geometry.
#include "../vocabulary/vocabulary.h"
#include "exp.h"
#include "attention.h"
#include "quantized.h"
#include "quantized_more.h"
#include "elementwise.h"
#include "table.h"
