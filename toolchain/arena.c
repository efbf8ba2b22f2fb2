/* placeholder until written */
#include "internal.h"
