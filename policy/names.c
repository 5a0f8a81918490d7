/* Names of actions and modes as they appear in policy files, protocol messages and the audit. */
#include "postwarden/policy.h"

const char *pw_action_name(enum pw_action a) {
        switch (a) {
        case PW_ACTION_ALLOW:
                return "allow";
        case PW_ACTION_WARN:
                return "warn";
        case PW_ACTION_BLOCK:
                return "block";
        }
        return "invalid";
}

const char *pw_mode_name(enum pw_mode m) {
        switch (m) {
        case PW_MODE_PERSONAL:
                return "personal";
        case PW_MODE_BUSINESS:
                return "business";
        case PW_MODE_UNKNOWN:
                return "unknown";
        }
        return "invalid";
}
