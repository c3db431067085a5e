/* Value rules and cross-field checks of the config model (runtime-spec 1.3.0). */
#pragma once

#include "oci/model.h"

/* String rules: NULL when fine, else a description of what was expected. */
const char *oci_rule_version(const char *value);
const char *oci_rule_absolute_path(const char *value);
/* A capability name this kernel and libcap know; other names are warned about and ignored. */
bool oci_capability_known(const char *value);
const char *oci_rule_device_access(const char *value);
const char *oci_rule_hugepage_size(const char *value);
const char *oci_rule_time_clock(const char *value);
const char *oci_rule_interface_name(const char *value);

/* Cross-field checks, run when an object of that type has been parsed. */
int oci_check_linux(const void *obj, const char *path, berth_error **err);
int oci_check_process(const void *obj, const char *path, berth_error **err);
int oci_check_device(const void *obj, const char *path, berth_error **err);
int oci_check_device_rule(const void *obj, const char *path, berth_error **err);
int oci_check_seccomp_syscall(const void *obj, const char *path, berth_error **err);
int oci_check_memory_policy(const void *obj, const char *path, berth_error **err);
