// The one C surface Attend sees: CBLAS and LAPACKE from OpenBLAS.
// Debian ships cblas.h under the OpenBLAS include directory that `pkg-config openblas` names.
#include <cblas.h>
#include <lapacke.h>
// OpenBLAS extension: sets the number of threads OpenBLAS uses inside one BLAS call.
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
