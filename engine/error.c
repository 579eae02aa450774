#include "engine/error.h"

G_DEFINE_QUARK (vks-error-quark, vks_error)
