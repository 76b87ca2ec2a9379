/* placeholder until the accounting core lands */
#include "gstmembudget.h"
