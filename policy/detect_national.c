/* National and regional identifiers, each from its published checksum or format rule. */
#include <string.h>

#include "detect_internal.h"

const struct det_rule det_rules_national[] = {
        {0},
};
