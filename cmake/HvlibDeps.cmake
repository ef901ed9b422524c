# SPDX-License-Identifier: MIT
#
# Optional third-party dependencies. Nothing in the core links them yet; each one found gives:
#   HVLIB_HAVE_<NAME>   ON/OFF
#   hvdep::<name>       an imported target to link against
# for NAME in FDT (libfdt), CAPSTONE (capstone), CMOCKA (cmocka, used by the unit tests).
# Threads::Threads is always looked up: the hosted platform links it.

set(THREADS_PREFER_PTHREAD_FLAG ON)
find_package(Threads REQUIRED)
find_package(PkgConfig QUIET)

# hv_find_pkg(<NAME> <target> <pkg-config module>)
function(hv_find_pkg name target module)
	set(HVLIB_HAVE_${name} OFF PARENT_SCOPE)
	if(NOT PKG_CONFIG_FOUND)
		return()
	endif()
	pkg_check_modules(HVDEP_${name} QUIET IMPORTED_TARGET GLOBAL ${module})
	if(HVDEP_${name}_FOUND)
		add_library(${target} ALIAS PkgConfig::HVDEP_${name})
		set(HVLIB_HAVE_${name} ON PARENT_SCOPE)
	endif()
endfunction()

hv_find_pkg(CAPSTONE hvdep::capstone capstone)
hv_find_pkg(CMOCKA hvdep::cmocka cmocka)

# Debian's libfdt-dev ships no pkg-config file: try pkg-config, then the plain header and library.
hv_find_pkg(FDT hvdep::fdt libfdt)
if(NOT HVLIB_HAVE_FDT)
	find_path(HVLIB_FDT_INCLUDE_DIR libfdt.h)
	find_library(HVLIB_FDT_LIBRARY NAMES fdt)
	mark_as_advanced(HVLIB_FDT_INCLUDE_DIR HVLIB_FDT_LIBRARY)
	if(HVLIB_FDT_INCLUDE_DIR AND HVLIB_FDT_LIBRARY)
		add_library(hvdep::fdt UNKNOWN IMPORTED GLOBAL)
		set_target_properties(hvdep::fdt PROPERTIES
			IMPORTED_LOCATION "${HVLIB_FDT_LIBRARY}"
			INTERFACE_INCLUDE_DIRECTORIES "${HVLIB_FDT_INCLUDE_DIR}")
		set(HVLIB_HAVE_FDT ON)
	endif()
endif()
